"""Shape, creation and indexing ops (``tf.reshape``, ``tf.concat``, ``tensor[...]`` …)."""
import builtins

import jax
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..tensor import Tensor, TensorLike, constant
from ..tensor_shape import TensorShape
from .core import apply, attrs, match, register, to_tensor


def _static_ints(value, what):
    """A static shape/index argument (list, tuple, TensorShape or concrete Tensor) as ints."""
    if isinstance(value, TensorLike):
        value = value.numpy().tolist()
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    try:
        return tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"`{what}` must be a list of integers or a 1-D integer Tensor, got "
                        f"{value!r}") from None


# --- shape --------------------------------------------------------------------------------
def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


@register("reshape", _reshape, tf_name="Reshape")
def reshape(tensor, shape, name=None):
    """``tf.reshape``; one dimension may be -1."""
    x = to_tensor(tensor)
    shape = _static_ints(shape, "shape")
    size = int(np.prod(x.shape.as_list(), dtype=np.int64))
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise errors.InvalidArgumentError(None, None, (
            f"Input to reshape is a tensor with {size} values, but the requested shape has "
            f"{known} [Op:Reshape]"))
    return apply(_reshape, (x,), attrs(shape=shape), "Reshape")


def _transpose(x, *, perm, conjugate):
    y = jnp.transpose(x, perm)
    return jnp.conj(y) if conjugate else y


@register("transpose", _transpose, tf_name="Transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    """``tf.transpose``: reverses the axes unless ``perm`` is given."""
    x = to_tensor(a)
    perm = None if perm is None else _static_ints(perm, "perm")
    if perm is not None and sorted(perm) != list(builtins.range(x.ndim)):
        raise errors.InvalidArgumentError(None, None, (
            f"transpose expects a vector of size {x.ndim}. But input(1) is a vector of size "
            f"{len(perm)} [Op:Transpose]"))
    return apply(_transpose, (x,), attrs(perm=perm, conjugate=bool(conjugate)), "Transpose")


def _concat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


def _same_dtype_list(values, op_name):
    values = list(values)
    if not values:
        raise ValueError(f"`values` of {op_name} must be a non-empty list of tensors.")
    first = next((v for v in values if isinstance(v, TensorLike)), None)
    dtype = first.dtype if first is not None else constant(values[0]).dtype
    out = []
    for k, v in enumerate(values):
        if isinstance(v, TensorLike):
            if v.dtype != dtype:
                _, _ = match(first, v, op_name)
            out.append(v)
        else:
            out.append(constant(v, dtype))
    return out


@register("concat", _concat, tf_name="ConcatV2")
def concat(values, axis, name="concat"):
    """``tf.concat`` along ``axis``."""
    values = _same_dtype_list(values, "ConcatV2")
    rank = values[0].ndim
    axis = int(axis)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(None, None, (
            f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but "
            f"got {axis} [Op:ConcatV2] name: concat"))
    return apply(_concat, tuple(values), attrs(axis=axis), "ConcatV2")


def _stack(*xs, axis):
    return jnp.stack(xs, axis=axis)


@register("stack", _stack, tf_name="Pack")
def stack(values, axis=0, name="stack"):
    """``tf.stack``: joins equal-shaped tensors along a new ``axis``."""
    values = _same_dtype_list(values, "Pack")
    shapes = {tuple(v.shape) for v in values}
    if len(shapes) > 1:
        first, other = tuple(values[0].shape), next(s for s in shapes if s != tuple(values[0].shape))
        raise errors.InvalidArgumentError(None, None, (
            f"Shapes of all inputs must match: values[0].shape = {list(first)} != values[1].shape"
            f" = {list(other)} [Op:Pack] name: stack"))
    return apply(_stack, tuple(values), attrs(axis=int(axis)), "Pack")


def _unstack(x, *, axis):
    return tuple(jnp.moveaxis(x, axis, 0))


@register("unstack", _unstack, tf_name="Unpack")
def unstack(value, num=None, axis=0, name="unstack"):
    """``tf.unstack``: a list of tensors along ``axis``."""
    x = to_tensor(value)
    if x.ndim == 0:
        raise ValueError("Input shape axis 0 must equal 0, got shape []")
    axis = int(axis) % x.ndim
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
    return list(apply(_unstack, (x,), attrs(axis=axis), "Unpack"))


def _expand_dims(x, *, axis):
    return jnp.expand_dims(x, axis)


@register("expand_dims", _expand_dims, tf_name="ExpandDims")
def expand_dims(input, axis, name=None):  # noqa: A002 - TF's name
    """``tf.expand_dims``: inserts a length-1 axis at ``axis``."""
    x = to_tensor(input)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise errors.InvalidArgumentError(None, None, (
            f"Tried to expand dim index {axis} for tensor with {x.ndim} dimensions. "
            f"[Op:ExpandDims] name: "))
    return apply(_expand_dims, (x,), attrs(axis=axis), "ExpandDims")


def _squeeze(x, *, axis):
    return jnp.squeeze(x, axis)


@register("squeeze", _squeeze, tf_name="Squeeze")
def squeeze(input, axis=None, name=None):  # noqa: A002 - TF's name
    """``tf.squeeze``: removes length-1 axes (only those in ``axis`` when given)."""
    x = to_tensor(input)
    if axis is not None:
        axis = tuple(a % x.ndim for a in _static_ints(axis, "axis"))
        for a in axis:
            if x.shape[a] != 1:
                raise errors.InvalidArgumentError(None, None, (
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {x.shape[a]} "
                    f"[Op:Squeeze] name: "))
    return apply(_squeeze, (x,), attrs(axis=axis), "Squeeze")


# --- creation -----------------------------------------------------------------------------
def zeros(shape, dtype=dtypes.float32, name=None, layout=None):
    """``tf.zeros``."""
    dtype = dtypes.as_dtype(dtype)
    return Tensor(jnp.zeros(_static_ints(shape, "shape"), dtype.as_numpy_dtype))


def ones(shape, dtype=dtypes.float32, name=None, layout=None):
    """``tf.ones``."""
    dtype = dtypes.as_dtype(dtype)
    return Tensor(jnp.ones(_static_ints(shape, "shape"), dtype.as_numpy_dtype))


def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's name
    """``tf.zeros_like`` (a constant: no gradient flows through it, as in TF)."""
    x = to_tensor(input)
    dtype = x.dtype if dtype is None else dtypes.as_dtype(dtype)
    return Tensor(jnp.zeros(tuple(x.shape), dtype.as_numpy_dtype))


def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's name
    """``tf.ones_like`` (a constant, as in TF)."""
    x = to_tensor(input)
    dtype = x.dtype if dtype is None else dtypes.as_dtype(dtype)
    return Tensor(jnp.ones(tuple(x.shape), dtype.as_numpy_dtype))


def fill(dims, value, name=None, layout=None):
    """``tf.fill``: a tensor of shape ``dims`` filled with ``value`` (dtype from ``value``)."""
    value = to_tensor(value)
    if value.ndim != 0:
        raise errors.InvalidArgumentError(None, None, (
            f"value must be a scalar, got shape {list(value.shape)} [Op:Fill] name: "))
    return Tensor(jnp.full(_static_ints(dims, "dims"), value.numpy(), value.dtype.as_numpy_dtype))


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's name
    """``tf.range``: int32 for integer arguments, float32 if any is a float (TF's inference)."""
    if limit is None:
        start, limit = 0, start
    if delta == 0:
        raise errors.InvalidArgumentError(None, None, "Requires delta != 0: 0 [Op:Range] name: ")
    values = [v.numpy().item() if isinstance(v, TensorLike) else v for v in (start, limit, delta)]
    if dtype is None:
        inferred = [to_tensor(v).dtype if isinstance(v, TensorLike) else constant(v).dtype
                    for v in (start, limit, delta)]
        order = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]
        dtype = builtins.max(inferred, key=lambda d: order.index(d) if d in order else 0)
    dtype = dtypes.as_dtype(dtype)
    return Tensor(jnp.arange(*values, dtype=dtype.as_numpy_dtype))


# --- selection and indexing ---------------------------------------------------------------
def _where(condition, x, y):
    return jnp.where(condition, x, y)


@register("where", _where, tf_name="SelectV2")
def where(condition, x=None, y=None, name=None):
    """``tf.where``: elementwise select with broadcasting, or the coordinates of true values."""
    condition = to_tensor(condition)
    if x is None and y is None:
        return Tensor(jnp.argwhere(np.asarray(condition._value)).astype(jnp.int64))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = match(x, y, "SelectV2")
    return apply(_where, (condition, x, y), (), "SelectV2")


def _getitem(x, *dynamic, spec):
    index = []
    for part in spec:
        tag = part[0]
        if tag == "i":
            index.append(part[1])
        elif tag == "s":
            index.append(slice(part[1], part[2], part[3]))
        elif tag == "n":
            index.append(None)
        elif tag == "e":
            index.append(Ellipsis)
        else:
            index.append(dynamic[part[1]])
    return x[tuple(index)]


_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
              "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _slice_bound(value):
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, (np.integer, TensorLike)):
        return int(value)
    raise TypeError(_BAD_INDEX.format(value))


@register("getitem", _getitem, tf_name="StridedSlice")
def getitem(tensor, slice_spec):
    """``tensor[...]`` as TF: ints, slices, ``...``, ``tf.newaxis`` and scalar int tensors."""
    x = to_tensor(tensor)
    parts = slice_spec if isinstance(slice_spec, tuple) else (slice_spec,)
    spec, dynamic = [], []
    dim = 0
    shape = x.shape.as_list()
    for part in parts:
        if part is None:
            spec.append(("n",))
            continue
        if part is Ellipsis:
            spec.append(("e",))
            dim = len(shape) - sum(1 for p in parts[parts.index(Ellipsis) + 1:]
                                   if p is not None)
            continue
        if isinstance(part, slice):
            spec.append(("s", _slice_bound(part.start), _slice_bound(part.stop),
                         _slice_bound(part.step)))
            dim += 1
            continue
        if isinstance(part, bool) or not isinstance(part, (int, np.integer, TensorLike)):
            raise TypeError(_BAD_INDEX.format(part))
        if isinstance(part, TensorLike):
            if not part.dtype.is_integer or part.ndim != 0:
                raise TypeError(_BAD_INDEX.format(part))
            if isinstance(to_tensor(part).__jax_array__(), jax.core.Tracer):
                spec.append(("t", len(dynamic)))
                dynamic.append(part)
                dim += 1
                continue
            part = int(part)
        part = int(part)
        if dim >= len(shape):
            raise errors.InvalidArgumentError(None, None, (
                f"Index out of range using input dim {dim}; input has only {len(shape)} dims "
                f"[Op:StridedSlice] name: strided_slice/"))
        if not -shape[dim] <= part < shape[dim]:
            raise errors.InvalidArgumentError(None, None, (
                f"slice index {part} of dimension {dim} out of bounds. [Op:StridedSlice] "
                f"name: strided_slice/"))
        spec.append(("i", part))
        dim += 1
    return apply(_getitem, (x, *dynamic), attrs(spec=tuple(spec)), "StridedSlice")


# --- shape queries (not differentiable) ---------------------------------------------------
def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002 - TF's name
    """``tf.shape``: the dynamic shape as an int32 tensor."""
    out_type = dtypes.as_dtype(out_type)
    return Tensor(jnp.asarray(to_tensor(input).shape.as_list(), out_type.as_numpy_dtype))


def rank(input, name=None):  # noqa: A002 - TF's name
    """``tf.rank``: the number of dimensions as an int32 scalar."""
    return Tensor(jnp.asarray(to_tensor(input).ndim, jnp.int32))


def size(input, out_type=dtypes.int32, name=None):  # noqa: A002 - TF's name
    """``tf.size``: the number of elements."""
    out_type = dtypes.as_dtype(out_type)
    n = int(np.prod(to_tensor(input).shape.as_list(), dtype=np.int64))
    return Tensor(jnp.asarray(n, out_type.as_numpy_dtype))
