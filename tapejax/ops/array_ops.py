"""Shape, creation and indexing ops (``tf.reshape``, ``tf.concat``, ``tensor[...]`` …)."""
import builtins
import collections
import functools
import math
import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _lazy, dtypes, errors
from .._fold import folded_value, offset_from
from ..tensor import Tensor, TensorLike, _is_text, constant, convert_to_tensor, raw_value
from ..tensor_shape import TensorShape
from . import _exact
from ._fuse import fused
from .core import (
    apply,
    attr_int,
    attrs,
    broadcast_shapes,
    building_graph,
    concrete,
    dims_str,
    dtype_of,
    int_array,
    known_value,
    match,
    no_kernel,
    padding_tensor,
    plain_ints,
    register,
    reject_text,
    required_int,
    required_value,
    select_rank_limit,
    shape_check_error,
    static_int,
    tf_type_name,
    to_tensor,
)
from .math_ops import identity


def _truncated(value):
    """An integer argument TF converts with ``int()`` (an op attribute, ``tf.sort``'s axis):
    a float, or a list's float entries, truncated."""
    if isinstance(value, (list, tuple)):
        return [_truncated(v) for v in value]
    return int(value) if isinstance(value, (float, np.floating)) else value


def _static_ints(value, what, dtype=None):
    """A static shape/index argument (list, tuple, TensorShape or concrete Tensor) as ints;
    ``dtype`` as for :func:`int_array`."""
    if plain_ints(value):
        return tuple(value)
    if isinstance(value, TensorShape) and not value.is_fully_defined():
        raise ValueError(errors.PARTIAL_SHAPE.format(shape=value))
    return tuple(int_array(value, what, dtype).reshape(-1).tolist())


def _int64_product(ints):
    """The product of Python ints as TF's int64 arithmetic gives it (wrapping past 2**63)."""
    product = math.prod(ints)
    if -2**63 <= product < 2**63:
        return product
    return int(np.prod(ints, dtype=np.int64))


def _graph_dims(shape):
    """Inside a ``FuncGraph``, what is known of a shape argument computed from placeholders
    (``[tf.shape(x)[0], -1]``, ``tf.shape(x)``): ints and ``None``s, as TF's shape inference
    reads it; None outside a graph or for a shape that is all known."""
    if not _lazy.GRAPH.depth:
        return None
    if isinstance(shape, (list, tuple)) and any(_lazy.is_pending(d) for d in shape):
        return [None if _lazy.is_pending(d) else int(d) for d in shape]
    return _lazy.graph_elements(shape) if isinstance(shape, Tensor) else None


def _graph_shaped(dims, dtype, inputs):
    """A ``FuncGraph`` value of shape ``dims`` (an unknown size, ``None`` or -1, becomes the
    graph's symbolic dimension) computed from ``inputs``; never computed."""
    unknown = _lazy.GRAPH.unknown
    aval = jax.core.ShapedArray(tuple(unknown if d is None or (type(d) is int and d == -1)
                                      else d for d in dims), dtype.as_numpy_dtype)
    return _lazy.graph_placeholder(aval, [x for x in inputs if _lazy.is_pending(x)])


# --- shape --------------------------------------------------------------------------------
@fused
def _reshape(x, *, shape):
    return jnp.reshape(x, shape)


@register("reshape", _reshape, tf_name="Reshape")
def reshape(tensor, shape, name=None):
    """``tf.reshape``; one dimension may be -1."""
    x = to_tensor(tensor)
    dims = _graph_dims(shape)
    if dims is not None:  # TF: a size read from a placeholder's shape is unknown
        return _graph_shaped(dims, x.dtype, [x, *(shape if isinstance(shape, (list, tuple))
                                                   else [shape])])
    shape = _static_ints(shape, "shape")
    dims = x.shape.as_list()
    size = None if None in dims else _int64_product(dims)
    known = _int64_product([d for d in shape if d != -1])
    # size None: a FuncGraph's unknown dimension, whose symbolic sizes JAX checks
    if size is not None and ((-1 not in shape and known != size)
                             or (-1 in shape and (known == 0 or size % known))):
        raise shape_check_error(
            f"Input to reshape is a tensor with {size} values, but the requested shape has "
            f"{known} [Op:Reshape]")
    return apply(_reshape, (x,), attrs(shape=shape), "Reshape")


@fused
def _transpose(x, *, perm, conjugate):
    y = jnp.transpose(x, perm)
    return jnp.conj(y) if conjugate else y


@register("transpose", _transpose, tf_name="Transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    """``tf.transpose``: reverses the axes unless ``perm`` is given."""
    x = to_tensor(a)
    perm = None if perm is None else _static_ints(perm, "perm")
    if perm is not None and sorted(perm) != list(builtins.range(x.ndim)):
        raise shape_check_error(
            f"transpose expects a vector of size {x.ndim}. But input(1) is a vector of size "
            f"{len(perm)} [Op:Transpose]")
    return apply(_transpose, (x,), attrs(perm=perm, conjugate=bool(conjugate)), "Transpose")


def _concat(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


def _same_dtype_list(values, op_name):
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"`values` of {op_name} must be a list of tensors. Received: "
                        f"values={values!r}") from None
    if not values:
        raise ValueError(f"`values` of {op_name} must be a non-empty list of tensors.")
    first = next((v for v in values if isinstance(v, TensorLike)), None)
    dtype = first.dtype if first is not None else convert_to_tensor(values[0]).dtype
    out = []
    for v in values:
        if isinstance(v, TensorLike):
            if v.dtype != dtype:
                _, _ = match(first, v, op_name)
            out.append(v)
        else:  # converted as TF's op converts its inputs: a list holding tensors is packed
            out.append(convert_to_tensor(v, dtype))
    return out


@register("concat", _concat, tf_name="ConcatV2")
def concat(values, axis, name="concat"):
    """``tf.concat`` along ``axis``; as TF, a single value (or a non-list, taken as one) is
    returned through ``tf.identity`` with only ``axis`` checked. RaggedTensors are joined by
    their own rule (TF's dispatch)."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    joined = next((type(v) for v in values if hasattr(v, "_tapejax_concat")), None)
    if joined is not None:
        return joined._tapejax_concat(list(values), axis)
    if len(values) == 1:
        static_int(axis, "axis", "int32")
        return identity(values[0])
    values = _same_dtype_list(values, "ConcatV2")
    rank = values[0].ndim
    axis = static_int(axis, "axis", op_name="ConcatV2", max_rank=1)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(None, None, (
            f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but "
            f"got {axis} [Op:ConcatV2] name: concat"))
    return apply(_concat, tuple(values), attrs(axis=axis), "ConcatV2")


def _stack(*xs, axis):
    return jnp.stack(xs, axis=axis)


def _stacked_elements(node):
    """A ``FuncGraph``'s view of a stacked int vector: its known scalars, None for the rest."""
    return [None if _lazy.is_pending(x) or not isinstance(x, Tensor) or x.ndim
            else int(x.numpy()) for x in node.inputs]


_stack.graph_elements = _stacked_elements


@register("stack", _stack, tf_name="Pack")
def stack(values, axis=0, name="stack"):
    """``tf.stack``: joins equal-shaped tensors along a new ``axis``."""
    values = _same_dtype_list(values, "Pack")
    shapes = {tuple(v.shape) for v in values}
    if len(shapes) > 1:
        first = tuple(values[0].shape)
        other = next(s for s in shapes if s != first)
        raise shape_check_error(
            f"Shapes of all inputs must match: values[0].shape = {list(first)} != values[1].shape"
            f" = {list(other)} [Op:Pack] name: stack")
    axis = _axis_attr(axis, values[0].ndim + 1, "Pack")
    return apply(_stack, tuple(values), attrs(axis=axis), "Pack")


def _axis_attr(axis, rank, op_name, index=False):
    """``tf.stack``/``tf.unstack``'s ``axis``: TF's Python range check (``ValueError``; a list
    or, with ``index``, a float used as an index is Python's ``TypeError`` there), then its
    conversion as an op attribute."""
    try:
        if index:
            operator.index(axis)
        out_of_range = axis < -rank or axis >= rank
    except TypeError as error:
        raise TypeError(f"{error} (argument `axis`)") from None
    if out_of_range:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank}, {rank})")
    return attr_int(axis, "axis", op_name)


def _unstack(x, *, axis):
    return tuple(jnp.moveaxis(x, axis, 0))


@register("unstack", _unstack, tf_name="Unpack")
def unstack(value, num=None, axis=0, name="unstack"):
    """``tf.unstack``: a list of tensors along ``axis``."""
    if _is_text(value) and not np.ndim(value):
        raise ValueError(f"Argument `axis` = {axis} not in range [0, 0) (argument `value` of "
                         "tf.unstack)")
    x = to_tensor(value)
    if x.ndim == 0:
        raise ValueError("Input shape axis 0 must equal 0, got shape []")
    axis = _axis_attr(axis, x.ndim, "Unpack", index=num is None) % x.ndim
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
    return list(apply(_unstack, (x,), attrs(axis=axis), "Unpack"))


def _expand_dims(x, *, axis):
    return jnp.expand_dims(x, axis)


@register("expand_dims", _expand_dims, tf_name="ExpandDims")
def expand_dims(input, axis, name=None):  # TF's name
    """``tf.expand_dims``: inserts a length-1 axis at ``axis``."""
    x = to_tensor(input)
    axis = static_int(axis, "axis", op_name="ExpandDims", max_rank=None)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise shape_check_error(
            f"Tried to expand dim index {axis} for tensor with {x.ndim} dimensions. "
            f"[Op:ExpandDims] name: ")
    return apply(_expand_dims, (x,), attrs(axis=axis), "ExpandDims")


def _squeeze(x, *, axis):
    return jnp.squeeze(x, axis)


@register("squeeze", _squeeze, tf_name="Squeeze")
def squeeze(input, axis=None, name=None):  # TF's name
    """``tf.squeeze``: removes length-1 axes (only those in ``axis`` when given)."""
    x = to_tensor(input)
    if axis is not None:
        axis = tuple(a % x.ndim for a in _static_ints(_truncated(axis), "axis"))
        for a in axis:
            if x.shape[a] != 1:
                raise shape_check_error(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {x.shape[a]} "
                    f"[Op:Squeeze] name: ")
    return apply(_squeeze, (x,), attrs(axis=axis), "Squeeze")


# --- creation -----------------------------------------------------------------------------
@fused
def _filled(*, shape, value, dtype):
    """Eagerly one compiled call per shape, dtype and value. ``value`` is a static argument,
    so only the ints 0 and 1 (-0.0 == 0.0 would share a program, NaN would never match)."""
    return jnp.full(shape, value, dtype)


def _full(shape, value, dtype):
    """A constant Tensor of 0 or 1; a string one (TF's zero string is ``b""``) stays on the
    host."""
    if dtype is dtypes.string:
        return Tensor(np.full(shape, value or b"", dtype=object))
    return Tensor(_filled(shape=tuple(shape), value=value, dtype=dtype.as_numpy_dtype))


def _no_string_ones(dtype, op_name):
    if dtype is dtypes.string:
        raise (TypeError(errors.CANNOT_CONVERT.format(value=1, dtype="string"))
               if op_name == "Ones" else invalid(
                   "Value for attr 'T' of string is not in the list of allowed values: OnesLike "
                   "has no string kernel", op_name))


def _no_layout(layout):
    """TF's ``layout=`` places the result with DTensor, which tapejax does not have."""
    if layout is not None:
        raise NotImplementedError("argument `layout` (a DTensor Layout) is not supported: "
                                  "tapejax places values with tf.distribute on JAX's mesh")


def zeros(shape, dtype=dtypes.float32, name=None, layout=None):
    """``tf.zeros`` (``b""`` for ``tf.string``, as TF)."""
    _no_layout(layout)
    dims = _graph_dims(shape)
    if dims is not None:
        return _graph_shaped(dims, dtypes.as_dtype(dtype), [shape])
    return _full(_static_ints(shape, "shape"), 0, dtypes.as_dtype(dtype))


def ones(shape, dtype=dtypes.float32, name=None, layout=None):
    """``tf.ones``."""
    _no_layout(layout)
    dtype = dtypes.as_dtype(dtype)
    _no_string_ones(dtype, "Ones")
    dims = _graph_dims(shape)
    if dims is not None:
        return _graph_shaped(dims, dtype, [shape])
    return _full(_static_ints(shape, "shape"), 1, dtype)


def zeros_like(input, dtype=None, name=None, layout=None):  # TF's name
    """``tf.zeros_like`` (a constant: no gradient flows through it, as in TF)."""
    _no_layout(layout)
    x = to_tensor(input)
    dtype = x.dtype if dtype is None else dtypes.as_dtype(dtype)
    if _lazy.GRAPH.depth and _lazy.is_pending(x):
        return _graph_shaped(raw_value(x).aval.shape, dtype, [x])
    return _full(tuple(x.shape), 0, dtype)


def ones_like(input, dtype=None, name=None, layout=None):  # TF's name
    """``tf.ones_like`` (a constant, as in TF)."""
    _no_layout(layout)
    x = to_tensor(input)
    dtype = x.dtype if dtype is None else dtypes.as_dtype(dtype)
    _no_string_ones(dtype, "OnesLike")
    if _lazy.GRAPH.depth and _lazy.is_pending(x):
        return _graph_shaped(raw_value(x).aval.shape, dtype, [x])
    return _full(tuple(x.shape), 1, dtype)


def fill(dims, value, name=None, layout=None):
    """``tf.fill``: a tensor of shape ``dims`` filled with ``value`` (dtype from ``value``);
    differentiable in ``value`` (the gradient sums), and ``value`` may be traced, as in TF."""
    _no_layout(layout)
    value = to_tensor(value)
    if value.ndim != 0:
        raise errors.InvalidArgumentError(None, None, (
            f"value must be a scalar, got shape {list(value.shape)} [Op:Fill] name: "))
    graph_dims = _graph_dims(dims)
    if graph_dims is not None:
        return _graph_shaped(graph_dims, value.dtype, [dims, value])
    dims = _static_ints(dims, "dims")
    if value.dtype is dtypes.string:
        return _full(dims, value.numpy(), value.dtype)
    return apply(_broadcast_to, (value,), attrs(shape=tuple(dims)), "Fill")


def range(start, limit=None, delta=1, dtype=None, name="range"):  # TF's name
    """``tf.range``: int32 for integer arguments, float32 if any is a float (TF's inference)."""
    if limit is None:
        start, limit = 0, start
    values = [required_value(v, what).item() if isinstance(v, TensorLike) else v
              for v, what in ((start, "start"), (limit, "limit"), (delta, "delta"))]
    if values[2] == 0:
        raise errors.InvalidArgumentError(None, None, "Requires delta != 0: 0 [Op:Range] name: ")
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
    if x is not None and y is not None:
        reject_text(condition, "bool")  # TF converts a Python condition to bool
    condition = to_tensor(condition)
    if condition.dtype is dtypes.string:
        if x is None and y is None:
            raise invalid("Value for attr 'T' of string is not in the list of allowed values "
                          "(argument `condition` of tf.where)", "Where")
        raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
            op="SelectV2", index=0, expected="bool", got="string"))
    if x is None and y is None:
        values = known_value(condition)  # folded while tracing when made of constants
        if values is None:
            raise TypeError("tf.where needs a concrete `condition` when given no `x` and `y`: "
                            "the output shape depends on its values, which cannot be traced "
                            "under jax.jit.")
        return Tensor(jnp.asarray(np.argwhere(values), jnp.int64))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = match(x, y, "SelectV2")
    if builtins.max(condition.ndim, getattr(x, "ndim", 0), getattr(y, "ndim", 0)) > 8:
        shapes = [tuple(getattr(v, "shape", ())) for v in (condition, x, y)]
        try:
            broadcast_shapes(*shapes)
        except ValueError:
            pass  # the kernel's error, from apply
        else:
            select_rank_limit(shapes[0], shapes[1])
    return apply(_where, (condition, x, y), (), "SelectV2")


@fused
def _getitem(x, *dynamic, spec):
    index = []
    for part in spec:
        tag = part[0]
        if tag == "w":  # x[s:s + k] with s computed in the function
            _, k, size, axis = part
            start = dynamic[k]
            start = jnp.where(start < 0, start + x.shape[axis], start)  # TF's negative begin
            x = lax.dynamic_slice_in_dim(x, start, size, axis)
            index.append(builtins.slice(None))
        elif tag == "i":
            index.append(part[1])
        elif tag == "s":
            index.append(builtins.slice(part[1], part[2], part[3]))
        elif tag == "n":
            index.append(None)
        elif tag == "e":
            index.append(Ellipsis)
        else:
            index.append(dynamic[part[1]])
    return x[tuple(index)]


_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
              "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _traced_window(part, shape, dim):
    """``(start, k)`` for a slice ``s:s + k`` whose start ``s`` (a Tensor) the traced function
    computes (Keras's ``RandomCrop`` draws it) and whose ``k`` is known: ``k`` elements from
    ``s``, a window of static size. Within the dimension this is TF's slice; a window TF would
    cut short at the end (``s`` past ``n - k``) is moved back inside, as XLA's
    ``dynamic_slice`` does."""
    start, stop = part.start, part.stop
    if part.step not in (None, 1) or not isinstance(stop, Tensor) or dim >= len(shape) or \
            shape[dim] is None:
        return None
    begin, end = raw_value(start), raw_value(stop)
    if not (isinstance(begin, jax.core.Tracer) and isinstance(end, jax.core.Tracer)) or \
            start.ndim != 0 or not start.dtype.is_integer or folded_value(begin) is not None:
        return None
    k = offset_from(end, begin)
    return None if k is None or not 0 <= k <= shape[dim] else (start, k)


def _slice_bound(value):
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, (np.integer, TensorLike)):
        return required_int(value, "slice bound")
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
        if isinstance(part, builtins.slice):
            window = _traced_window(part, shape, dim) if isinstance(part.start, Tensor) else None
            if window is None:
                spec.append(("s", _slice_bound(part.start), _slice_bound(part.stop),
                             _slice_bound(part.step)))
            else:
                spec.append(("w", len(dynamic), window[1], dim))
                dynamic.append(window[0])
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
def shape(input, out_type=None, name=None):  # TF's name
    """``tf.shape``: the dynamic shape as an ``out_type`` (default int32) tensor."""
    out_type = dtypes.as_dtype(out_type or dtypes.int32)
    x = to_tensor(input)
    if _lazy.is_pending(x):  # read the shape without computing the value
        dims = raw_value(x).aval.shape
        if any(type(d) is not int for d in dims):  # a FuncGraph's unknown dimension
            return apply(_shape_of, (x,), attrs(dtype=out_type.name), "Shape",
                         differentiable=False)
        return Tensor(jnp.asarray(dims, out_type.as_numpy_dtype))
    # the array's own shape: a jax.export symbolic dimension becomes a value in the program
    return Tensor(jnp.asarray(x._value.shape, out_type.as_numpy_dtype))


def _shape_of(x, dtype):
    return jnp.asarray(x.shape, dtype)


_shape_of.graph_elements = lambda node: node.inputs[0].shape.as_list()


def rank(input, name=None):  # TF's name
    """``tf.rank``: the number of dimensions as an int32 scalar."""
    return Tensor(jnp.asarray(to_tensor(input).ndim, jnp.int32))


def size(input, out_type=None, name=None):  # TF's name
    """``tf.size``: the number of elements (an ``out_type``, default int32, scalar)."""
    out_type = dtypes.as_dtype(out_type or dtypes.int32)
    x = to_tensor(input)
    if _lazy.is_pending(x) and any(type(d) is not int for d in raw_value(x).aval.shape):
        return apply(_size_of, (x,), attrs(dtype=out_type.name), "Size",
                     differentiable=False)  # a FuncGraph's unknown dimension
    n = int(np.prod(x.shape.as_list(), dtype=np.int64))
    return Tensor(jnp.asarray(n, out_type.as_numpy_dtype))


def _size_of(x, dtype):
    return jnp.asarray(x.size, dtype)


def ensure_shape(x, shape, name=None):
    """``tf.ensure_shape``: ``x`` unchanged if its shape fits ``shape`` (``None`` = any)."""
    x = to_tensor(x)
    shape = TensorShape(shape)
    if not shape.is_compatible_with(x.shape):
        raise invalid(f"Shape of tensor input {dims_str(x.shape)} is not compatible with expected "
                      f"shape {dims_str(['?' if d is None else d for d in shape])}.", "EnsureShape")
    return x


def broadcast_static_shape(shape_x, shape_y):
    """``tf.broadcast_static_shape``: the broadcast of two TensorShapes."""
    try:
        return TensorShape(np.broadcast_shapes(tuple(TensorShape(shape_x)),
                                               tuple(TensorShape(shape_y))))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting. Two shapes are compatible if "
                         f"for each dimension pair they are either equal or one of them is 1. "
                         f"Received: {TensorShape(shape_x)} and {TensorShape(shape_y)}.") from None


def broadcast_dynamic_shape(shape_x, shape_y):
    """``tf.broadcast_dynamic_shape``: the broadcast of two shape vectors, as a Tensor."""
    x, y = to_tensor(shape_x), to_tensor(shape_y)
    x_dims, y_dims = required_value(x, "shape_x"), required_value(y, "shape_y")
    try:
        out = np.broadcast_shapes(tuple(x_dims.tolist()), tuple(y_dims.tolist()))
    except ValueError:
        raise invalid(f"Incompatible shapes: {dims_str(x_dims)} vs. {dims_str(y_dims)}",
                      "BroadcastArgs") from None
    return Tensor(jnp.asarray(out, x.dtype.as_numpy_dtype))


def shape_n(input, out_type=dtypes.int32, name=None):  # TF's name
    """``tf.shape_n``: the shapes of a list of tensors."""
    return [shape(t, out_type) for t in input]


# --- shared checks ------------------------------------------------------------------------
def invalid(message, op_name):
    """TF's eager ``InvalidArgumentError`` for a kernel check, with its ``[Op:...]`` tail."""
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


def shape_invalid(message, op_name):
    """``invalid`` for a static shape check: a ``ValueError`` while a graph is built, as TF's
    shape inference raises (``shape_check_error``)."""
    return shape_check_error(f"{message} [Op:{op_name}] name: ")


def require_dtype(x, allowed, op_name, attr="Tindices"):
    """Raises TF's attr error unless ``x.dtype`` is one of the ``allowed`` dtype names."""
    if x.dtype.name not in allowed:
        text = (f"Value for attr '{attr}' of {tf_type_name(x.dtype)} is not in the list of "
                f"allowed values: {', '.join(allowed)} [Op:{op_name}] name: ")
        if building_graph():  # TF checks an op's input types when it adds it to a graph
            raise TypeError(text)
        raise errors.InvalidArgumentError(None, None, text)


_INDEX_DTYPES = ("int16", "int32", "int64")


def _position(pos):
    return "[" + ",".join(str(int(p)) for p in pos) + "]" if len(pos) else ""


def _check_indices(values, bound, op_name):
    """Eager range check of gather indices (TF raises on CPU; JAX would clamp or fill)."""
    if values is None or bound is None:  # bound None: a FuncGraph's unknown dimension
        return
    bad = np.argwhere((values < 0) | (values >= bound))
    if bad.shape[0]:
        pos = tuple(bad[0])
        raise invalid(f"indices{_position(pos)} = {values[pos]} is not in [0, {bound})", op_name)


def checks_bad_indices(policy, op_name, params=None, indices=None):
    """TF's ``bad_indices_policy``: True when out-of-range indices raise (``""``,
    ``"DEFAULT"``, ``"ERROR"``), False for ``"IGNORE"`` (gathers read zeros and scatters drop
    the update, what the kernels here do anyway); any other value is TF's kernel error
    (``GatherNd``'s names its ``params`` and ``indices`` dtypes)."""
    if policy in ("", "DEFAULT", "ERROR"):
        return True
    if policy == "IGNORE":
        return False
    if op_name == "GatherNd":
        kernel = ", ".join(f"{attr}=DT_{tf_type_name(x.dtype).upper()}"
                           for attr, x in (("Tindices", indices), ("Tparams", params)))
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node GatherNd}}}} = GatherNd[{kernel}, "
            f'bad_indices_policy="{policy}"] [Op:GatherNd] name: '))
    raise invalid(f"Unknown bad indices handling attribute: {policy}", op_name)


def _check_nd_indices(values, shape, op_name, message):
    if values is None or values.size == 0:
        return
    depth = values.shape[-1]
    bound = np.asarray(shape[:depth])
    bad = np.argwhere(np.any((values < 0) | (values >= bound), axis=-1))
    if bad.size:
        pos = tuple(bad[0])
        index = ", ".join(str(int(v)) for v in values[pos])
        dims = ",".join(str(d) for d in shape)
        raise invalid(message.format(pos=_position(pos), index=index, shape=dims), op_name)


# --- gather and scatter -------------------------------------------------------------------
# Out-of-range indices can only be reported eagerly. Traced code follows TF on GPU: gathers
# read zeros and scatters drop the update (JAX would wrap negative indices, so they are moved
# out of range first).
@fused
def _take(params, indices, *, axis, batch_dims):
    if batch_dims:
        inner = functools.partial(_take, axis=axis - 1, batch_dims=batch_dims - 1)
        return jax.vmap(inner)(params, indices)
    n = params.shape[axis]
    indices = jnp.where(indices < 0, n, indices)
    return jnp.take(params, indices, axis=axis, mode="fill", fill_value=0)


@register("gather", _take, tf_name="GatherV2")
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """``tf.gather``: slices of ``params`` along ``axis`` (with ``batch_dims`` leading batch
    dimensions). Out-of-range indices raise ``InvalidArgumentError`` eagerly, as TF on CPU.
    A RaggedTensor gathers its rows (TF's dispatch)."""
    if hasattr(params, "_tapejax_gather"):
        return params._tapejax_gather(indices, axis, batch_dims)
    # TF reads rows of a Variable (axis 0, no batch dimensions) with ResourceGather
    resource = (isinstance(params, TensorLike) and not isinstance(params, Tensor)
                and not batch_dims and (axis is None or (isinstance(axis, (int, np.integer))
                                                         and axis == 0)))
    params, indices = to_tensor(params), to_tensor(indices)
    require_dtype(indices, _INDEX_DTYPES, "ResourceGather" if resource else "GatherV2")
    rank, index_rank = params.ndim, indices.ndim
    batch_dims = static_int(batch_dims, "batch_dims")
    if batch_dims < 0:
        batch_dims += index_rank
    if not 0 <= batch_dims <= index_rank:
        raise invalid(f"Expected batch_dims in the range [{-index_rank}, {index_rank}], but "
                      f"got {batch_dims}", "GatherV2")
    if batch_dims >= max(rank, 1):
        raise invalid(f"batch_dims ({batch_dims}) must be less than rank(params) ({rank}).",
                      "GatherV2")
    if axis is None:
        axis = batch_dims
    elif not isinstance(axis, (int, np.integer)):  # TF's kernel takes a float axis, and fails
        axis = static_int(to_tensor(axis), "axis", op_name="GatherV2")
    if not -rank <= axis < rank:
        raise shape_invalid(f"Shape must be at least rank {axis + 1 if axis >= 0 else -axis} "
                            f"but is rank {rank}", "GatherV2")
    given_axis = int(axis)
    axis %= rank
    if axis < batch_dims:
        raise invalid(f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).",
                      "GatherV2")
    for d in builtins.range(batch_dims):
        if None not in (params.shape[d], indices.shape[d]) and params.shape[d] != indices.shape[d]:
            raise invalid(f"params.shape[{d}]: {params.shape[d]} should be equal to "
                          f"indices.shape[{d}]: {indices.shape[d]}", "GatherV2")
    _check_indices(concrete(indices), params.shape[axis],
                   "ResourceGather" if resource else "GatherV2")
    if not batch_dims:  # as given: TF's gradient is sparse for axis 0, not -rank
        axis = given_axis
    return apply(_take, (params, indices), attrs(axis=axis, batch_dims=batch_dims), "GatherV2")


_take.row_gather = True  # read by ``_graph.row_gather``: TF's IndexedSlices gradient


def _nd_index(indices, shape):
    return tuple(jnp.where(indices[..., k] < 0, shape[k], indices[..., k])
                 for k in builtins.range(indices.shape[-1]))


@fused
def _gather_nd(params, indices, *, batch_dims):
    if batch_dims:
        inner = functools.partial(_gather_nd, batch_dims=batch_dims - 1)
        return jax.vmap(inner)(params, indices)
    if indices.shape[-1] == 0:
        return jnp.broadcast_to(params, indices.shape[:-1] + params.shape)
    return params.at[_nd_index(indices, params.shape)].get(mode="fill", fill_value=0)


@register("gather_nd", _gather_nd, tf_name="GatherNd")
def gather_nd(params, indices, batch_dims=0, name=None, bad_indices_policy=""):
    """``tf.gather_nd``: slices of ``params`` addressed by the last axis of ``indices``."""
    params, indices = to_tensor(params), to_tensor(indices)
    require_dtype(indices, _INDEX_DTYPES, "GatherNd")
    batch_dims = static_int(batch_dims, "batch_dims")
    if indices.ndim < 1:
        raise invalid(f"indices must be at least a vector, got shape {indices.shape.as_list()}",
                      "GatherNd")
    depth = indices.shape[-1]
    if depth > params.ndim - batch_dims:
        raise invalid(f"index innermost dimension length must be <= params rank; saw: {depth} "
                      f"vs. {params.ndim - batch_dims}", "GatherNd")
    values = concrete(indices) if checks_bad_indices(bad_indices_policy, "GatherNd", params,
                                                     indices) else None
    if values is not None and not batch_dims:
        _check_nd_indices(values, params.shape.as_list(), "GatherNd",
                          "indices{pos} = [{index}] does not index into param shape [{shape}], "
                          "node name: GatherNd")
    return apply(_gather_nd, (params, indices), attrs(batch_dims=batch_dims), "GatherNd")


@fused
def _scatter_nd(indices, updates, *, shape):
    zeros = jnp.zeros(shape, updates.dtype)
    if updates.dtype == jnp.bool_:  # TF's bool "sum" of duplicates is their OR
        return zeros.at[_nd_index(indices, shape)].max(updates, mode="drop")
    return zeros.at[_nd_index(indices, shape)].add(updates, mode="drop")


@fused
def _scatter_add(tensor, indices, updates):
    return tensor.at[_nd_index(indices, tensor.shape)].add(updates, mode="drop")


@fused
def _scatter_sub(tensor, indices, updates):
    return tensor.at[_nd_index(indices, tensor.shape)].add(-updates, mode="drop")


@fused
def _scatter_update(tensor, indices, updates):
    return tensor.at[_nd_index(indices, tensor.shape)].set(updates, mode="drop")


def _check_scatter(indices, updates, shape, op_name, policy=""):
    checks = checks_bad_indices(policy, op_name)
    require_dtype(indices, _INDEX_DTYPES, op_name)
    depth = indices.shape[-1] if indices.ndim else 0
    outer = indices.shape.as_list()[:-1]
    expected = outer + list(shape[depth:])
    got = updates.shape.as_list()
    if got[:len(outer)] != outer:
        raise invalid(f"Dimensions [0,{len(outer)}) of indices[shape={dims_str(indices.shape)}] "
                      f"must match dimensions [0,{len(outer)}) of updates[shape={dims_str(got)}]",
                      op_name)
    if got != expected:
        raise invalid(f"Dimensions [{depth},{len(shape)}) of input[shape={dims_str(shape)}] must "
                      f"match dimensions [{len(outer)},{len(got)}) of updates[shape="
                      f"{dims_str(got)}]", op_name)
    if checks:
        _check_nd_indices(concrete(indices), list(shape), op_name,
                          "indices{pos} = [{index}] does not index into shape [{shape}]")


def _string_first(first, other, what):
    """TF's ``TypeError`` when a string ``first`` makes a string tensor whose dtype ``other``
    (numbers) is then converted to."""
    if _is_text(first) and not _is_text(other):
        raise TypeError(errors.CANNOT_CONVERT.format(value=other, dtype="string")
                        + f" (argument `{what}` is a string)")


@register("scatter_nd", _scatter_nd, tf_name="ScatterNd")
def scatter_nd(indices, updates, shape, bad_indices_policy="", name=None):
    """``tf.scatter_nd``: ``updates`` summed into zeros of ``shape`` (duplicates add up)."""
    _string_first(indices, shape, "indices")  # TF converts shape to indices' dtype
    indices, updates = to_tensor(indices), to_tensor(updates)
    shape = _static_ints(shape, "shape", "int32")
    _check_scatter(indices, updates, shape, "ScatterNd", bad_indices_policy)
    return apply(_scatter_nd, (indices, updates), attrs(shape=shape), "ScatterNd")


def _tensor_scatter(fn, op_name, tensor, indices, updates, policy=""):
    if dtype_of(tensor) is not None:
        no_kernel(dtype_of(tensor), op_name)
    tensor, updates = match(tensor, updates, op_name, strict=True)
    indices = to_tensor(indices)
    _check_scatter(indices, updates, tensor.shape.as_list(), op_name, policy)
    return apply(fn, (tensor, indices, updates), (), op_name)


@register("tensor_scatter_nd_update", _scatter_update, tf_name="TensorScatterUpdate")
def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tf.tensor_scatter_nd_update``: a copy of ``tensor`` with the indexed slices replaced."""
    return _tensor_scatter(_scatter_update, "TensorScatterUpdate", tensor, indices, updates)


@register("tensor_scatter_nd_add", _scatter_add, tf_name="TensorScatterAdd")
def tensor_scatter_nd_add(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_add``: a copy of ``tensor`` with ``updates`` added at ``indices``."""
    return _tensor_scatter(_scatter_add, "TensorScatterAdd", tensor, indices, updates,
                           bad_indices_policy)


@register("tensor_scatter_nd_sub", _scatter_sub, tf_name="TensorScatterSub")
def tensor_scatter_nd_sub(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_sub``: a copy of ``tensor`` with ``updates`` subtracted at
    ``indices``."""
    return _tensor_scatter(_scatter_sub, "TensorScatterSub", tensor, indices, updates,
                           bad_indices_policy)


@fused
def _scatter_max(tensor, indices, updates):
    return tensor.at[_nd_index(indices, tensor.shape)].max(updates, mode="drop")


@fused
def _scatter_min(tensor, indices, updates):
    return tensor.at[_nd_index(indices, tensor.shape)].min(updates, mode="drop")


@register("tensor_scatter_nd_max", _scatter_max, tf_name="TensorScatterMax")
def tensor_scatter_nd_max(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_max``: a copy of ``tensor`` with the elementwise maximum of it
    and ``updates`` at ``indices``."""
    return _tensor_scatter(_scatter_max, "TensorScatterMax", tensor, indices, updates,
                           bad_indices_policy)


@register("tensor_scatter_nd_min", _scatter_min, tf_name="TensorScatterMin")
def tensor_scatter_nd_min(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_min``: as ``tensor_scatter_nd_max`` with the minimum."""
    return _tensor_scatter(_scatter_min, "TensorScatterMin", tensor, indices, updates,
                           bad_indices_policy)


# --- tiling, padding, splitting -----------------------------------------------------------
@fused
def _tile(x, *, multiples):
    return jnp.tile(x, multiples)


@register("tile", _tile, tf_name="Tile")
def tile(input, multiples, name=None):  # TF's name
    """``tf.tile``: ``input`` repeated ``multiples[i]`` times along axis ``i``."""
    x = to_tensor(input)
    multiples = _static_ints(multiples, "multiples")
    if len(multiples) != x.ndim:
        raise shape_invalid(f"Expected multiples argument to be a vector of length {x.ndim} "
                            f"but got length {len(multiples)}", "Tile")
    for k, m in enumerate(multiples):
        if m < 0:
            raise invalid(f"Expected multiples[{k}] >= 0, but got {m}", "Tile")
    return apply(_tile, (x,), attrs(multiples=multiples), "Tile")


@fused
def _pad(x, *, paddings, mode, constant_values):
    if mode == "constant":
        return jnp.pad(x, paddings, constant_values=constant_values)
    return jnp.pad(x, paddings, mode=mode)


def _require_collapsed_rank(paddings, shape):
    """TF's Pad kernel merges each run of unpadded dimensions into one and handles at most 6."""
    collapsed = []
    for k, (pads, size) in enumerate(zip(paddings, shape)):
        if any(pads) or k == 0 or any(paddings[k - 1]):
            collapsed.append(size)
        else:
            collapsed[-1] *= size
    if len(collapsed) > 6:
        raise invalid(f"Only ranks up to 6 supported: {dims_str(collapsed)}", "Pad")


@register("pad", _pad, tf_name="Pad")
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``tf.pad`` with TF's ``CONSTANT``, ``REFLECT`` (edge not repeated) and ``SYMMETRIC``
    (edge repeated) modes; ``mode`` is case-insensitive."""
    x = to_tensor(tensor)
    mode = str(mode).upper()
    if mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", '
                         f'or "SYMMETRIC". Received `mode` = {mode}')
    op_name = "Pad" if mode == "CONSTANT" else "MirrorPad"
    limit = 8 if mode == "CONSTANT" else 5
    if x.ndim > limit:
        raise errors.UnimplementedError(None, None, (
            f"inputs rank not in [0,{limit}]: {x.ndim} [Op:{op_name}] name: "))
    rows = int_array(paddings, "paddings")
    if rows.ndim != 2 or rows.shape != (x.ndim, 2):
        raise shape_invalid(f"The first dimension of paddings must be the rank of inputs"
                            f"{dims_str(rows.shape)} {dims_str(x.shape)}", op_name)
    paddings = tuple((int(a), int(b)) for a, b in rows)
    for (before, after), size in zip(paddings, x.shape):
        if before < 0 or after < 0:
            raise invalid(f"Paddings must be non-negative: {before} {after}", op_name)
        if mode == "REFLECT" and (before >= size or after >= size):
            raise invalid(f"paddings must be less than the dimension size: {before}, {after} not "
                          f"less than {size}", op_name)
        if mode == "SYMMETRIC" and (before > size or after > size):
            raise invalid(f"paddings must be no greater than the dimension size: {before}, "
                          f"{after} greater than {size}", op_name)
    if mode == "CONSTANT":
        _require_collapsed_rank(paddings, x.shape.as_list())
    if x.dtype is dtypes.string:  # TF's default 0 pads with its zero string, b""
        fill = b"" if isinstance(constant_values, int) and constant_values == 0 else bytes(
            constant(constant_values, x.dtype).numpy())
        if mode == "CONSTANT":
            return Tensor(np.pad(x.numpy(), paddings, constant_values=fill))
        return Tensor(np.pad(x.numpy(), paddings, mode=mode.lower()))
    fill = padding_tensor(constant_values, x.dtype)
    if isinstance(constant_values, TensorLike):
        value = known_value(fill)
        if value is None and mode == "CONSTANT":  # computed in the traced function
            return apply(_pad_with, (x, fill), attrs(paddings=paddings), op_name)
        if value is None:  # not used by the mode
            value = np.zeros((), x.dtype.as_numpy_dtype)
    else:  # converted (and checked) above; read on the host, also while tracing
        value = np.asarray(constant_values).astype(x.dtype.as_numpy_dtype)
    return apply(_pad, (x,), attrs(paddings=paddings, mode=mode.lower(),
                                   constant_values=value.item()), op_name)


@fused
def _pad_with(x, fill, *, paddings):
    return jnp.pad(x, paddings, constant_values=lax.stop_gradient(fill))  # as TF's PadV2


@fused
def _split(x, *, sizes, axis):
    cuts = np.cumsum(sizes)[:-1].tolist()
    return tuple(jnp.split(x, cuts, axis=axis))


@register("split", _split, tf_name="SplitV")
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``tf.split``: a list of ``num_or_size_splits`` equal parts, or parts of the given sizes
    (one size may be -1)."""
    x = to_tensor(value)
    axis = static_int(axis, "axis", op_name="Split")
    if isinstance(num_or_size_splits, (int, np.integer)) and not isinstance(
            num_or_size_splits, bool):
        op_name, count = "Split", static_int(num_or_size_splits, "num_or_size_splits")
        if count < 1:
            raise invalid(f"Value for attr 'num_split' of {count} must be at least minimum 1",
                          op_name)
        if count >= 2**31:  # TF's eager executor takes an int32 count of outputs
            raise ValueError(f"Number of outputs is too big: {count} (argument "
                             "`num_or_size_splits` of tf.split)")
    else:
        op_name = "SplitV"
        sizes = (int_array(num_or_size_splits, "num_or_size_splits")
                 if isinstance(num_or_size_splits, (list, tuple)) else
                 required_value(num_or_size_splits, "num_or_size_splits")
                 if isinstance(num_or_size_splits, TensorLike) else np.asarray(num_or_size_splits))
        if sizes.ndim == 0:
            raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits "
                             f"argument to split. Argument provided: {num_or_size_splits}")
        if sizes.ndim != 1 or (num is not None and num != sizes.size):
            raise invalid(f"size of the split_tensor must be 1-D and have the same elements as "
                          f"outputs got {sizes.ndim} -D and {sizes.size} elements", op_name)
    rank = x.ndim
    if not -rank <= axis < rank:
        raise invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {axis}",
                      op_name)
    axis %= rank
    size = x.shape[axis]
    if op_name == "Split":
        if size % count:
            raise shape_invalid(f"Number of ways to split should evenly divide the split "
                                f"dimension, but got split_dim {axis} (size = {size}) and "
                                f"num_split {count}", op_name)
        sizes = (size // count,) * count
    else:
        sizes = [int(s) for s in sizes]
        if sizes.count(-1) > 1:
            raise invalid("There can only be one -1 in the input.", op_name)
        known = sum(s for s in sizes if s != -1)
        if (-1 not in sizes and known != size) or known > size or builtins.min(sizes) < -1:
            raise invalid("Determined shape must either match input shape along split_dim "
                          "exactly if fully specified, or be less than the size of the input "
                          f"along split_dim if not fully specified.  Got: {known}", op_name)
        sizes = tuple(size - known if s == -1 else s for s in sizes)
    return list(apply(_split, (x,), attrs(sizes=sizes, axis=axis), op_name))


# --- one_hot, masks -----------------------------------------------------------------------
@fused
def _one_hot(indices, on_value, off_value, *, depth, axis):
    hot = indices[..., None] == jnp.arange(depth, dtype=indices.dtype)
    return jnp.moveaxis(jnp.where(hot, on_value, off_value), -1, axis)


@register("one_hot", _one_hot, tf_name="OneHot", differentiable=False)
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """``tf.one_hot``: out-of-range (and negative) indices give a row of ``off_value``.
    Not differentiable, as in TF."""
    indices = to_tensor(indices)
    require_dtype(indices, ("uint8", "int8", "int32", "int64"), "OneHot", attr="TI")
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    given = {}
    for label, value in (("on_value", on_value), ("off_value", off_value)):
        if value is not None:
            value = value if isinstance(value, TensorLike) else constant(value, dtype)
            if dtype is not None and value.dtype != dtype:
                raise TypeError(f"dtype {dtype} of {label} does not match dtype {value.dtype} "
                                f"of {label}")
            given[label] = value
    if len(given) == 2 and given["on_value"].dtype != given["off_value"].dtype:
        raise TypeError(f"dtype {given['on_value'].dtype} of on_value does not match dtype "
                        f"{given['off_value'].dtype} of off_value")
    if dtype is None:
        dtype = next(iter(given.values())).dtype if given else dtypes.float32
    on = given.get("on_value", constant(1, dtype))
    off = given.get("off_value", constant(0, dtype))
    depth = static_int(depth, "depth", "int32")
    if depth < 0:
        raise invalid(f"depth must be non-negative, got: {depth}", "OneHot")
    axis = -1 if axis is None else attr_int(axis, "axis", "OneHot")
    if axis != -1 and not 0 <= axis <= indices.ndim:
        raise invalid(f"Expected axis to be -1 or between [0, {indices.ndim + 1}).  But "
                      f"received: {axis}", "OneHot")
    return apply(_one_hot, (indices, on, off), attrs(depth=depth, axis=axis), "OneHot",
                 differentiable=False)


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """``tf.boolean_mask``: the entries of ``tensor`` where ``mask`` is true.

    The output shape depends on the mask's values, so the mask must be concrete (eager);
    inside ``jax.jit`` use ``tf.where`` instead.
    """
    x = to_tensor(tensor)
    mask = to_tensor(mask)
    if mask.ndim == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else static_int(axis, "axis")
    axis %= builtins.max(x.ndim, 1)
    covered = x.shape[axis:axis + mask.ndim]
    if not covered.is_compatible_with(mask.shape):
        raise ValueError(f"Shapes {covered} and {mask.shape} are incompatible")
    values = known_value(mask)  # folded while tracing when made of constants
    if values is None:
        raise TypeError("tf.boolean_mask needs a concrete mask: its output shape depends on the "
                        "mask's values, which cannot be traced under jax.jit. Use tf.where.")
    shape = x.shape.as_list()
    merged = shape[:axis] + [int(np.prod(covered.as_list(), dtype=np.int64))]
    x = reshape(x, merged + shape[axis + mask.ndim:])
    rows = Tensor(jnp.asarray(np.flatnonzero(values.reshape(-1)), jnp.int64))
    return gather(x, rows, axis=axis)


@fused
def _sequence_mask(lengths, *, maxlen):
    return jnp.arange(maxlen, dtype=lengths.dtype) < lengths[..., None]


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """``tf.sequence_mask``: ``mask[..., j] = j < lengths[...]``, ``maxlen`` defaulting to
    ``max(lengths)``."""
    lengths = to_tensor(lengths)
    if maxlen is None:
        values = required_value(lengths, "lengths")  # the output's size
        maxlen = builtins.max(0, math.ceil(values.max())) if values.size else 0
    else:
        maxlen_t = to_tensor(maxlen)
        if maxlen_t.ndim != 0:
            raise ValueError(f"Argument `maxlen` must be scalar for sequence_mask, received "
                             f"`maxlen` = {maxlen} with shape '{maxlen_t.shape}' instead")
        maxlen = math.ceil(required_value(maxlen_t, "maxlen").item())
    out = apply(_sequence_mask, (lengths,), attrs(maxlen=int(maxlen)), "SequenceMask",
                differentiable=False)
    dtype = dtypes.as_dtype(dtype)
    return out if dtype == dtypes.bool else Tensor(out._value.astype(dtype.as_numpy_dtype))


# --- slicing ------------------------------------------------------------------------------
@fused
def _slice(x, *, begin, size):
    return lax.slice(x, begin, tuple(b + s for b, s in zip(begin, size)))


@register("slice", _slice, tf_name="Slice")
def slice(input_, begin, size, name=None):  # TF's name
    """``tf.slice``: ``size[i]`` entries from ``begin[i]`` (``-1``: all remaining)."""
    x = to_tensor(input_)
    _string_first(begin, size, "begin")  # TF converts size to begin's dtype
    begin, size = _static_ints(begin, "begin"), _static_ints(size, "size", "int32")
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise invalid(f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, "
                      f"but got shapes [{len(begin)}] and [{len(size)}] instead.", "Slice")
    resolved = []
    for k, (b, s, dim) in enumerate(zip(begin, size, x.shape)):
        if not 0 <= b <= dim:
            raise invalid(f"Expected begin[{k}] in [0, {dim}], but got {b}", "Slice")
        s = dim - b if s == -1 else s
        if not 0 <= s <= dim - b:
            raise invalid(f"Expected size[{k}] in [0, {dim - b}], but got {s}", "Slice")
        resolved.append(s)
    return apply(_slice, (x,), attrs(begin=begin, size=tuple(resolved)), "Slice")


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """``tf.strided_slice`` with TF's bit masks, as the equivalent ``tensor[...]``."""
    begin, end = _static_ints(begin, "begin"), _static_ints(end, "end")
    strides = (1,) * len(begin) if strides is None else _static_ints(strides, "strides")
    if not len(begin) == len(end) == len(strides):
        raise invalid(f"Expected begin, end, and strides to be 1D equal size tensors, but got "
                      f"shapes [{len(begin)}], [{len(end)}], and [{len(strides)}] instead.",
                      "StridedSlice")
    parts = []
    for k, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << k
        if s == 0:
            raise invalid(f"strides[{k}] must be non-zero", "StridedSlice")
        if ellipsis_mask & bit:
            parts.append(Ellipsis)
        elif new_axis_mask & bit:
            parts.append(None)
        elif shrink_axis_mask & bit:
            parts.append(b)
        else:
            parts.append(builtins.slice(None if begin_mask & bit else b,
                                        None if end_mask & bit else e, s))
    if parts.count(Ellipsis) > 1:
        raise invalid("Multiple ellipses in slice spec not allowed", "StridedSlice")
    return getitem(input_, tuple(parts))


def _reverse(x, *, axis):
    return jnp.flip(x, axis)


@register("reverse", _reverse, tf_name="ReverseV2")
def reverse(tensor, axis, name=None):
    """``tf.reverse``: flips the given axes."""
    x = to_tensor(tensor)
    axes = []
    for k, a in enumerate(_static_ints(axis, "axis")):
        if x.ndim == 0:  # TF's kernel returns a scalar as it is, whatever the axes
            break
        if not -x.ndim <= a < x.ndim:
            raise invalid(f"'axis'[{k}] = {a} is out of valid range [0, {x.ndim - 1}",
                          "ReverseV2")
        if a % x.ndim in axes:
            raise invalid(f"axis {a % x.ndim} specified more than once.", "ReverseV2")
        axes.append(a % x.ndim)
    if x.ndim > 8:
        raise errors.UnimplementedError(None, None, (
            "reverse is not implemented for tensors of rank > 8. [Op:ReverseV2] name: "))
    return apply(_reverse, (x,), attrs(axis=tuple(axes)), "ReverseV2")


@fused
def _roll(x, *, shift, axis):
    return jnp.roll(x, shift, axis)


@register("roll", _roll, tf_name="Roll")
def roll(input, shift, axis, name=None):  # TF's name
    """``tf.roll``: elements shifted cyclically by ``shift`` along ``axis``."""
    x = to_tensor(input)
    shift, axis = _static_ints(to_tensor(shift), "shift"), _static_ints(to_tensor(axis), "axis")
    if len(shift) != len(axis):
        raise invalid("shift and axis must have the same size", "Roll")
    for a in axis:
        if not -x.ndim <= a < x.ndim:
            raise invalid(f"axis {a} is out of range", "Roll")
    return apply(_roll, (x,), attrs(shift=shift, axis=tuple(a % x.ndim for a in axis)), "Roll")


def _broadcast_to(x, *, shape):
    return jnp.broadcast_to(x, shape)


@register("broadcast_to", _broadcast_to, tf_name="BroadcastTo")
def broadcast_to(input, shape, name=None):  # TF's name
    """``tf.broadcast_to`` with NumPy broadcasting rules."""
    x = to_tensor(input)
    shape = _static_ints(shape, "shape")
    if x.ndim > len(shape):
        raise invalid(f"Rank of input ({x.ndim}) must be no greater than rank of output shape "
                      f"({len(shape)}).", "BroadcastTo")
    for have, want in zip(reversed(x.shape.as_list()), reversed(shape)):
        if have not in (1, want):
            raise shape_invalid(f"Incompatible shapes: {dims_str(x.shape)} vs. {dims_str(shape)}",
                                "BroadcastTo")
    return apply(_broadcast_to, (x,), attrs(shape=shape), "BroadcastTo")


@fused
def _meshgrid(*xs, indexing):
    return tuple(jnp.meshgrid(*xs, indexing=indexing))


@register("meshgrid", _meshgrid, tf_name="Meshgrid")
def meshgrid(*args, **kwargs):
    """``tf.meshgrid``: coordinate grids, ``indexing='xy'`` (default) or ``'ij'``."""
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this "
                        "function")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    if not args:
        return []
    values = [to_tensor(a) for a in args]
    for v in values[1:]:
        match(values[0], v, "Mul")
    values = [reshape(v, [-1]) if v.ndim != 1 else v for v in values]
    return list(apply(_meshgrid, tuple(values), attrs(indexing=indexing), "Meshgrid"))


@fused
def _linspace(start, stop, *, num, axis):
    start, stop = jnp.broadcast_arrays(jnp.expand_dims(start, axis), jnp.expand_dims(stop, axis))
    steps = builtins.max(num - 1, 1)
    delta = _exact.divide(stop - start, jnp.asarray(steps, start.dtype))
    shape = [1] * start.ndim
    shape[axis] = builtins.max(num - 2, 0)
    inner = _exact.add_product(start, delta,
                               jnp.arange(1, steps, dtype=start.dtype).reshape(shape))
    return lax.slice_in_dim(jnp.concatenate([start, inner, stop], axis), 0, num, axis=axis)


_LINSPACE_FLOAT = {"int8": dtypes.float32, "uint8": dtypes.float32, "int16": dtypes.float32,
                   "uint16": dtypes.float32}


@register("linspace", _linspace, tf_name="LinSpace")
def linspace(start, stop, num, name=None, axis=0):
    """``tf.linspace``: ``num`` evenly spaced values, computed as TF does (``start + k *
    delta``, exact end points); integer inputs give float64 (float32 for 8/16-bit)."""
    if dtype_of(stop) is None:
        reject_text(start, converted=stop)  # TF converts start alone, then stop to its dtype
    start = to_tensor(start)
    stop = to_tensor(stop, start.dtype)
    start, stop = match(start, stop, "LinSpace")
    if start.dtype.is_integer:
        target = _LINSPACE_FLOAT.get(start.dtype.name, dtypes.float64)
        start, stop = (Tensor(t.__jax_array__().astype(target.as_numpy_dtype))
                       for t in (start, stop))
    num_dtype = "string" if _is_text(num) else to_tensor(num).dtype
    if num_dtype == "string" or not num_dtype.is_integer:
        raise TypeError(f"Argument `tensor` (name: num) must be of type integer. Received "
                        f"`tensor` = {num!r} of dtype: {num_dtype!r} (argument `num` of "
                        "tf.linspace)")
    count = int_array(num, "num")  # its value, also inside a tapejax.function
    num = int(count.reshape(-1)[0] if count.size == 1 else count)
    if num < 0:
        raise invalid(f"Requires start <= limit when delta > 0: 1/{num}", "Range")
    rank = builtins.max(start.ndim, stop.ndim) + 1
    if isinstance(axis, (list, tuple)):  # TF expands by it, then compares it with 0
        if np.size(axis) != 1:
            raise invalid("'dim' must be a tensor with a single value (argument `axis` of "
                          "tf.linspace)", "ExpandDims")
        raise TypeError(f"'>=' not supported between instances of '{type(axis).__name__}' and "
                        "'int' (argument `axis` of tf.linspace)")
    axis = static_int(axis, "axis")
    if not -rank <= axis < rank:
        raise invalid(f"Tried to expand dim index {axis} for tensor with {rank - 1} dimensions.",
                      "ExpandDims")
    return apply(_linspace, (start, stop), attrs(num=num, axis=axis % rank), "LinSpace")


# --- sorting and sets ---------------------------------------------------------------------
@fused
def _sort(x, *, axis, descending):
    y = jnp.sort(x, axis=axis)
    return jnp.flip(y, axis) if descending else y


@fused
def _argsort(x, *, axis, descending):
    return jnp.argsort(x, axis=axis, stable=True, descending=descending).astype(jnp.int32)


def _sort_args(values, axis, direction, op_name):
    x = to_tensor(values)
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Argument `direction` should be one of ASCENDING, DESCENDING. "
                         f"Received: direction={direction}")
    if x.dtype.is_bool:
        raise invalid(f"Value for attr 'T' of bool is not in the list of allowed values for "
                      f"{op_name}", op_name)
    if isinstance(axis, TensorLike) and axis.dtype.is_floating:  # TF takes int() of its value
        axis = required_value(axis, "axis").tolist()
    axis = static_int(_truncated(axis), "axis")
    if not -x.ndim <= axis < x.ndim:
        raise invalid(f"slice index {axis} of dimension 0 out of bounds.", "StridedSlice")
    return x, attrs(axis=axis % x.ndim, descending=direction == "DESCENDING")


@register("sort", _sort, tf_name="Sort")
def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``tf.sort`` along ``axis``; the gradient follows each value to its new position."""
    x, static = _sort_args(values, axis, direction, "Sort")
    return apply(_sort, (x,), static, "Sort")


@register("argsort", _argsort, tf_name="ArgSort", differentiable=False)
def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """``tf.argsort``: int32 indices; ties keep their original order (as TF's top_k)."""
    x, static = _sort_args(values, axis, direction, "ArgSort")
    return apply(_argsort, (x,), static, "ArgSort", differentiable=False)


Unique = collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx=dtypes.int32, name=None):
    """``tf.unique``: ``(y, idx)`` with ``y`` in order of first occurrence and
    ``x == y[idx]``. Eager only (the output size depends on the values)."""
    x = to_tensor(x)
    out_idx = dtypes.as_dtype(out_idx)
    require_dtype(Tensor(jnp.zeros((), out_idx.as_numpy_dtype)), ("int32", "int64"), "Unique",
                  attr="out_idx")
    if x.ndim != 1:
        raise invalid("unique expects a 1D vector.", "Unique")
    values = known_value(x)  # folded while tracing when made of constants
    if values is None:
        raise TypeError("tf.unique needs a concrete input: its output shape depends on the "
                        "values, which cannot be traced under jax.jit.")
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    kept = values[np.sort(first)]
    y = Tensor(kept if x.dtype is dtypes.string else jnp.asarray(kept))
    idx = Tensor(jnp.asarray(rank[inverse.reshape(-1)], out_idx.as_numpy_dtype))
    return Unique(y, idx)


@fused
def _repeat(x, repeats, *, axis, total):
    return jnp.repeat(x, repeats, axis=axis, total_repeat_length=total)


@register("repeat", _repeat, tf_name="Repeat")
def repeat(input, repeats, axis=None, name=None):  # TF's name
    """``tf.repeat``: each slice along ``axis`` repeated ``repeats`` times (``axis=None``
    flattens first)."""
    x = to_tensor(input)
    if axis is None:
        x, axis = reshape(x, [-1]), 0
    if not isinstance(axis, int):  # TF's Python check
        raise TypeError(f"Argument `axis` must be an int. Received `axis` = {axis} of type "
                        f"{type(axis).__name__} (tf.repeat)")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} out of bounds: expected {-x.ndim}<=axis<{x.ndim}")
    axis %= x.ndim
    if isinstance(repeats, TensorLike) and not repeats.dtype.is_integer:  # TF's Python check
        raise TypeError(f"Argument `tensor` (name: repeats) must be of type integer. Received "
                        f"`tensor` = {repeats} of dtype: {repeats.dtype!r}")
    counts = int_array(repeats, "repeats", "int32")
    counts = counts.astype(np.int64).astype(np.int32)  # TF's int32 counts: 2**40 wraps to 0
    if counts.ndim > 1:
        raise ValueError(f"Shape {counts.shape} must have rank at most 1")
    if counts.ndim == 1 and counts.size not in (1, x.shape[axis]):
        raise ValueError(f"Dimensions {x.shape[axis]} and {counts.size} are not compatible")
    if counts.size and counts.min() < 0:
        raise invalid(f"Expected multiples[1] >= 0, but got {counts.min()}", "Tile")
    counts = np.broadcast_to(counts.reshape(-1) if counts.ndim else counts, (x.shape[axis],))
    total = int(counts.sum())
    rep = Tensor(jnp.asarray(counts, jnp.int32))
    return apply(_repeat, (x, rep), attrs(axis=axis, total=total), "Repeat")


@fused
def _reverse_sequence(x, lengths, *, seq_axis, batch_axis):
    steps = jnp.arange(x.shape[seq_axis])
    shape = [1] * x.ndim
    shape[seq_axis] = x.shape[seq_axis]
    steps = steps.reshape(shape)
    shape = [1] * x.ndim
    shape[batch_axis] = x.shape[batch_axis]
    lengths = lengths.reshape(shape).astype(steps.dtype)
    source = jnp.where(steps < lengths, lengths - 1 - steps, steps)
    return jnp.take_along_axis(x, jnp.broadcast_to(source, x.shape), axis=seq_axis)


@register("reverse_sequence", _reverse_sequence, tf_name="ReverseSequence")
def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None,
                     name=None):
    """``tf.reverse_sequence``: for each batch entry ``b``, the first ``seq_lengths[b]``
    elements along ``seq_axis`` reversed."""
    x, lengths = to_tensor(input), to_tensor(seq_lengths)
    require_dtype(lengths, ("int32", "int64"), "ReverseSequence", attr="Tlen")
    seq_axis = int(seq_axis if seq_axis is not None else 0) % x.ndim
    batch_axis = int(batch_axis if batch_axis is not None else 0) % x.ndim
    if seq_axis == batch_axis:
        raise invalid(f"batch_dim == seq_dim == {seq_axis}", "ReverseSequence")
    if lengths.shape.as_list() != [x.shape[batch_axis]]:
        raise invalid(f"Length of seq_lengths != input.dims({batch_axis}), ({lengths.shape[0]} "
                      f"vs. {x.shape[batch_axis]})", "ReverseSequence")
    values = concrete(lengths)
    if values is not None and values.size and values.max() > x.shape[seq_axis]:
        first = int(np.argmax(values > x.shape[seq_axis]))
        raise invalid(f"seq_lens({first}) > input.dims({seq_axis})", "ReverseSequence")
    return apply(_reverse_sequence, (x, lengths),
                 attrs(seq_axis=seq_axis, batch_axis=batch_axis), "ReverseSequence")


UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """``tf.unique_with_counts``: :func:`unique` plus how often each value occurs."""
    y, idx = unique(x, out_idx)
    counts = np.bincount(required_value(idx, "x"), minlength=int(y.shape[0]))
    return UniqueWithCounts(y, idx, Tensor(jnp.asarray(counts, idx.dtype.as_numpy_dtype)))


@fused
def _searchsorted(sorted_sequence, values, *, side, dtype):
    lead = math.prod(values.shape[:-1])  # explicit: -1 cannot be inferred for empty rows
    rows = sorted_sequence.reshape(lead, sorted_sequence.shape[-1])
    queries = values.reshape(lead, values.shape[-1])
    found = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))(rows, queries)
    return found.reshape(values.shape).astype(dtype)


@register("searchsorted", _searchsorted, tf_name="LowerBound", differentiable=False)
def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """``tf.searchsorted``: per row of the innermost dimension, where ``values`` would be
    inserted (``side='left'``: TF's LowerBound, ``'right'``: UpperBound)."""
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: "
                         f"`side` = '{side}'.")
    op_name = "LowerBound" if side == "left" else "UpperBound"
    if dtype_of(sorted_sequence) is not None:
        no_kernel(dtype_of(sorted_sequence), op_name)
    sorted_sequence, values = match(sorted_sequence, values, op_name)
    if sorted_sequence.shape.as_list()[:-1] != values.shape.as_list()[:-1]:
        raise invalid("Leading dim_size of both tensors must match.", op_name)
    out_type = dtypes.as_dtype(out_type)
    return apply(_searchsorted, (sorted_sequence, values),
                 attrs(side=side, dtype=out_type.as_numpy_dtype), op_name, differentiable=False)
