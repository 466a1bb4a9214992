"""``tf.math.segment_{max,min,mean,prod}`` and their ``unsorted_`` forms, with
``unsorted_segment_sqrt_n``: TF's empty-segment values, dtypes and errors, on ``jax.ops``.

Ties in max/min share the gradient equally, as in TF (JAX's scatter rule does the same). A
product is taken over a segments-by-rows mask (JAX differentiates a scatter-multiply only with
unique indices), which gives the exact gradient where an entry is 0, as TF's.
"""
import jax
import jax.numpy as jnp

from .. import errors
from .core import apply, attrs, register, tf_type_name
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


def _sorted_api(kind, tf_name, doc):
    def api(data, segment_ids, name=None):
        data, ids, num = _sorted_segments(data, segment_ids, tf_name)
        static = attrs(num_segments=num, kind=kind, sorted_ids=True)
        return apply(_segment_reduce, (data, ids), static, tf_name)
    api.__doc__ = doc
    return register(f"segment_{kind}", _segment_reduce, tf_name=tf_name)(api)


def _unsorted_api(kind, tf_name, doc):
    def api(data, segment_ids, num_segments, name=None):
        data, ids, num = _unsorted_segments(data, segment_ids, num_segments, tf_name)
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

