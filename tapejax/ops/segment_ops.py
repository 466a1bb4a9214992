"""``tf.math.segment_{max,min,mean,prod}`` and their ``unsorted_`` forms, with
``unsorted_segment_sqrt_n``: TF's empty-segment values, dtypes and errors, on ``jax.ops``.

Ties in max/min share the gradient equally, as in TF (JAX's scatter rule does the same). A
product is taken over a segments-by-rows mask (JAX differentiates a scatter-multiply only with
unique indices), which gives the exact gradient where an entry is 0, as TF's.
"""
import jax
import jax.numpy as jnp

from .. import dtypes, errors
from ..tensor import TensorLike, _argument_hint, constant
from .core import apply, attrs, register, tf_type_name, to_tensor, type_not_allowed
from .math_ops import _sorted_segments, _unsorted_segments

_JAX_SEGMENT = {"max": jax.ops.segment_max, "min": jax.ops.segment_min}


def _flat(data, ids):
    if ids.ndim != 1:
        data = data.reshape((-1,) + data.shape[ids.ndim:])
    return data, ids.reshape(-1)


def _counts(data, ids, num_segments):
    ones = jnp.ones(ids.shape, data.dtype)
    counts = jax.ops.segment_sum(ones, ids, num_segments)
    return counts.reshape(counts.shape + (1,) * (data.ndim - 1))


def _lowest(dtype, kind):
    info = jnp.finfo(dtype) if jnp.issubdtype(dtype, jnp.inexact) else jnp.iinfo(dtype)
    return info.min if kind == "max" else info.max


def _segment_reduce(data, ids, *, num_segments, kind, sorted_ids):
    data, ids = _flat(data, ids)
    if kind == "prod":
        member = ids[None, :] == jnp.arange(num_segments, dtype=ids.dtype)[:, None]
        member = member.reshape(member.shape + (1,) * (data.ndim - 1))
        return jnp.prod(jnp.where(member, data[None], jnp.ones((), data.dtype)), axis=1)
    if kind in _JAX_SEGMENT:
        out = _JAX_SEGMENT[kind](data, ids, num_segments, indices_are_sorted=sorted_ids)
        empty = 0 if sorted_ids else _lowest(data.dtype, kind)
        counts = _counts(data, ids, num_segments)
        return jnp.where(counts > 0, out, jnp.asarray(empty, data.dtype))
    total = jax.ops.segment_sum(data, ids, num_segments, indices_are_sorted=sorted_ids)
    counts = jnp.maximum(_counts(data, ids, num_segments), 1)
    if kind == "sqrt_n":
        return total / jnp.sqrt(counts)
    if jnp.issubdtype(data.dtype, jnp.integer):
        if sorted_ids:  # TF's SegmentMean kernel divides integers in C++ (toward zero)
            return jax.lax.div(total, counts)
        return total.astype(jnp.float64) / counts.astype(jnp.float64)  # TF's Python truediv
    return total / counts


_SUM_TYPES = ("float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, "
              "qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64")
_MAX_TYPES = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, "
              "uint32, uint64")


def _require_segment_type(data, kind, tf_name):
    """TF's kernel-type error for ``data``'s dtype (bool, string; complex for max/min)."""
    if data.dtype.is_bool or data.dtype is dtypes.string or (
            data.dtype.is_complex and kind in _JAX_SEGMENT):
        raise type_not_allowed(data.dtype, tf_name,
                               _MAX_TYPES if kind in _JAX_SEGMENT else _SUM_TYPES)


def _python_mean_inputs(data, num_segments, value):
    """``unsorted_segment_mean``/``sqrt_n`` are TF Python code: it makes ``ones_like(data)``
    of ``data``'s dtype (``TypeError`` for strings) and converts ``num_segments`` alone (a
    float is then the kernel's ``InvalidArgumentError``)."""
    if data.dtype is dtypes.string:
        raise TypeError("Cannot convert 1 to EagerTensor of dtype string"
                        + (_argument_hint(value) or " (argument `data`)"))
    given = num_segments if isinstance(num_segments, TensorLike) else None
    if given is None and not isinstance(num_segments, (str, bytes)):
        try:
            given = constant(num_segments)
        except (TypeError, ValueError):
            return
    if given is not None and given.dtype.is_inexact:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'Tnumsegments' of {tf_type_name(given.dtype)} is not in the list "
            "of allowed values: int32, int64 (argument `num_segments`) "
            "[Op:UnsortedSegmentSum] name: "))


def _sorted_api(kind, tf_name, doc):
    def api(data, segment_ids, name=None):
        data, ids, num = _sorted_segments(data, segment_ids, tf_name)
        _require_segment_type(data, kind, tf_name)
        static = attrs(num_segments=num, kind=kind, sorted_ids=True)
        return apply(_segment_reduce, (data, ids), static, tf_name)
    api.__doc__ = doc
    return register(f"segment_{kind}", _segment_reduce, tf_name=tf_name)(api)


def _unsorted_api(kind, tf_name, doc):
    def api(data, segment_ids, num_segments, name=None):
        if kind in ("mean", "sqrt_n"):
            _python_mean_inputs(to_tensor(data), num_segments, data)
        data, ids, num = _unsorted_segments(data, segment_ids, num_segments, tf_name)
        _require_segment_type(data, kind, tf_name)
        if kind == "sqrt_n" and not data.dtype.is_inexact:
            raise errors.InvalidArgumentError(None, None, (
                f"Value for attr 'T' of {tf_type_name(data.dtype)} is not in the list of "
                "allowed values: bfloat16, half, float, double, complex64, complex128 "
                "[Op:Sqrt] name: "))
        static = attrs(num_segments=num, kind=kind, sorted_ids=False)
        return apply(_segment_reduce, (data, ids), static, tf_name)
    api.__doc__ = doc
    return register(f"unsorted_segment_{kind}", _segment_reduce, tf_name=tf_name)(api)


segment_max = _sorted_api("max", "SegmentMax", (
    "``tf.math.segment_max`` by sorted ids; an empty segment is 0, as TF."))
segment_min = _sorted_api("min", "SegmentMin", (
    "``tf.math.segment_min`` by sorted ids; an empty segment is 0, as TF."))
segment_prod = _sorted_api("prod", "SegmentProd", (
    "``tf.math.segment_prod`` by sorted ids; an empty segment is 1."))
segment_mean = _sorted_api("mean", "SegmentMean", (
    "``tf.math.segment_mean`` by sorted ids; an empty segment is 0, integers divide toward "
    "zero as TF's kernel."))
unsorted_segment_max = _unsorted_api("max", "UnsortedSegmentMax", (
    "``tf.math.unsorted_segment_max``: an empty segment is the dtype's lowest value, as TF."))
unsorted_segment_min = _unsorted_api("min", "UnsortedSegmentMin", (
    "``tf.math.unsorted_segment_min``: an empty segment is the dtype's largest value, as TF."))
unsorted_segment_prod = _unsorted_api("prod", "UnsortedSegmentProd", (
    "``tf.math.unsorted_segment_prod``: an empty segment is 1."))
unsorted_segment_mean = _unsorted_api("mean", "UnsortedSegmentSum", (
    "``tf.math.unsorted_segment_mean``: the sum over the count (0 for an empty segment); "
    "integer data gives float64, as TF's Python division."))
unsorted_segment_sqrt_n = _unsorted_api("sqrt_n", "UnsortedSegmentSum", (
    "``tf.math.unsorted_segment_sqrt_n``: the sum over the square root of the count."))

