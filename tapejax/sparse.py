"""``tf.sparse``: ops on ``tf.SparseTensor``, with TF 2.21's results, ordering and errors.

Every op is built from tapejax ops on the values (gather, scatter, segment sums), so the tapes
record them and JAX gives the gradients with respect to ``values`` (and dense operands). Index
arithmetic whose result size is fixed (``reshape``, ``expand_dims``, ``transpose``, ``concat``,
``reorder``, ``to_dense``, ``sparse_dense_matmul``, dense reductions) also runs inside
``tapejax.function``; ops whose number of output entries depends on the index values
(``add`` of two SparseTensors, ``maximum``/``minimum``, ``retain``, ``fill_empty_rows``,
``from_dense``, ``bincount``, reductions with ``output_is_sparse``) need concrete indices and
raise ``NotImplementedError`` while traced, since XLA needs static shapes.
"""
import numpy as np

from . import dtypes, errors
from .ops import array_ops, math_ops, segment_ops
from .ops.core import apply, attrs
from .sparse_tensor import SparseTensor, SparseTensorSpec, _concrete, dense_shape_list
from .tensor import TensorLike, constant, convert_to_tensor

__all__ = ["SparseTensor", "SparseTensorSpec", "add", "bincount", "concat", "expand_dims",
           "fill_empty_rows", "from_dense", "map_values", "maximum", "minimum", "reduce_max",
           "reduce_sum", "reorder", "reshape", "retain", "sparse_dense_matmul", "to_dense",
           "transpose"]


def _sparse(x):
    if not isinstance(x, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    return x


def _op_error(message, op_name):
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


def _shape_text(dims):
    return "[" + ",".join(str(d) for d in dims) + "]"


def _concrete_indices(sp_input, op_name):
    value = _concrete(sp_input.indices)
    if value is None:
        raise NotImplementedError(f"{op_name}: the number of output entries depends on the "
                                  "index values, so it needs concrete indices (it cannot run "
                                  "inside tapejax.function: XLA needs static shapes).")
    return value.astype(np.int64)


def _static_ints(value, what):
    """A Python/NumPy/concrete Tensor argument as a list of ints."""
    if isinstance(value, TensorLike):
        known = _concrete(value)
        if known is None:
            raise NotImplementedError(f"`{what}` must be known when the program is traced "
                                      "(XLA needs static shapes).")
        value = known
    return [int(v) for v in np.asarray(value).reshape(-1)]


def _segment_sum(data, ids, num):
    """``unsorted_segment_sum`` of internally computed (valid) ids: the registered op, applied
    without its eager check of the ids, so it also runs inside traces."""
    return apply(math_ops._segment_sum, (data, ids),
                 attrs(num_segments=int(num), sorted_ids=False), "UnsortedSegmentSum")


def _segment_max(data, ids, num):
    return apply(segment_ops._segment_reduce, (data, ids),
                 attrs(num_segments=int(num), kind="max", sorted_ids=False),
                 "UnsortedSegmentMax")


def _strides(dims):
    out, acc = [], 1
    for d in reversed(dims):
        out.append(acc)
        acc *= d
    return list(reversed(out))


def _linear(indices, dims):
    """Row-major linear positions of ``indices`` (a Tensor) in a dense tensor of ``dims``."""
    if not dims:
        return array_ops.zeros([indices.shape[0]], dtypes.int64)
    strides = constant(_strides(dims), dtypes.int64)
    return math_ops.reduce_sum(indices * strides, axis=1)


def _unravel(linear, dims):
    columns = [math_ops.floormod(math_ops.floordiv(linear, s), d)
               for s, d in zip(_strides(dims), dims)]
    if not columns:
        return array_ops.zeros([linear.shape[0], 0], dtypes.int64)
    return array_ops.stack(columns, axis=1)


def _sorted(indices, values, dims):
    """Entries in row-major order (a stable sort: equal positions keep their order)."""
    order = array_ops.argsort(_linear(indices, dims), stable=True)
    return array_ops.gather(indices, order), array_ops.gather(values, order)


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """``tf.sparse.to_dense``: the dense tensor, ``default_value`` (0) where nothing is set.

    With ``validate_indices`` (default) the indices must be in bounds, sorted and unique
    (TF's ``InvalidArgumentError`` texts); checked when the indices are concrete.
    """
    sp_input = _sparse(sp_input)
    dims = dense_shape_list(sp_input, "tf.sparse.to_dense")
    default = array_ops.zeros([], sp_input.dtype) if default_value is None \
        else convert_to_tensor(default_value, sp_input.dtype)
    indices = _concrete(sp_input.indices)
    if indices is not None:
        _check_indices(indices, dims, validate_indices)
    dense = array_ops.fill(dims, default)
    if sp_input.indices.shape[0] == 0:
        return dense
    return array_ops.tensor_scatter_nd_update(dense, sp_input.indices, sp_input.values)


def _check_indices(indices, dims, ordered):
    op = "SparseToDense"
    bounds = np.asarray(dims, np.int64)
    bad = (indices < 0) | (indices >= bounds)
    if not ordered:
        if bad.any():
            raise _op_error(f"Indices are not valid (out of bounds).  Shape: {_shape_text(dims)}",
                            op)
        return
    linear = indices @ np.asarray(_strides(dims), np.int64) if dims else \
        np.zeros(len(indices), np.int64)
    for i, index in enumerate(indices.tolist()):
        text = _shape_text(index)
        if bad[i].any():
            raise _op_error(f"indices[{i}] = {text} is out of bounds: need 0 <= index < "
                            f"{_shape_text(dims)}", op)
        if i and linear[i] == linear[i - 1]:
            raise _op_error(f"indices[{i}] = {text} is repeated", op)
        if i and linear[i] < linear[i - 1]:
            raise _op_error(f"indices[{i}] = {text} is out of order. Many sparse ops require "
                            "sorted indices.\n    Use `tf.sparse.reorder` to create a "
                            "correctly ordered copy.\n\n", op)


def from_dense(tensor, name=None):
    """``tf.sparse.from_dense``: the non-zero entries of ``tensor``, in row-major order."""
    tensor = convert_to_tensor(tensor)
    value = _concrete(tensor)
    if value is None:
        raise NotImplementedError("tf.sparse.from_dense needs a concrete tensor (its number "
                                  "of entries depends on the values; XLA needs static shapes).")
    positions = np.argwhere(value != np.zeros((), value.dtype)).astype(np.int64)
    indices = constant(positions.reshape(-1, value.ndim), dtypes.int64)
    values = array_ops.gather_nd(tensor, indices) if value.ndim else \
        array_ops.reshape(tensor, [-1])[:len(positions)]
    return SparseTensor._make(indices, values, tuple(value.shape))


def reorder(sp_input, name=None):
    """``tf.sparse.reorder``: the same entries in row-major order."""
    sp_input = _sparse(sp_input)
    indices, values = _sorted(sp_input.indices, sp_input.values,
                              dense_shape_list(sp_input, "tf.sparse.reorder"))
    return SparseTensor._make(indices, values, sp_input._dense_part(), sp_input.shape)


def reshape(sp_input, shape, name=None):
    """``tf.sparse.reshape``: the same entries (in their order) at their new positions; one
    dimension of ``shape`` may be -1."""
    sp_input = _sparse(sp_input)
    old = dense_shape_list(sp_input, "tf.sparse.reshape")
    new = _static_ints(shape, "shape")
    total = int(np.prod(old, dtype=np.int64))
    known = int(np.prod([d for d in new if d != -1], dtype=np.int64))
    if new.count(-1) > 1:
        raise _op_error(f"only one output dimension may be -1, not both {new.index(-1)} and "
                        f"{new.index(-1, new.index(-1) + 1)}", "SparseReshape")
    if -1 in new:
        if known == 0 or total % known:
            raise _op_error(f"Input to reshape is a SparseTensor with {total} dense values, but "
                            f"the requested shape requires a multiple of {known}. input_shape="
                            f"{_shape_text(old)} output_shape={_shape_text(new)}",
                            "SparseReshape")
        new[new.index(-1)] = total // known
    elif known != total:
        raise _op_error(f"Input to reshape is a tensor with {total} dense values, but the "
                        f"requested shape has {known}. input_shape={_shape_text(old)} "
                        f"output_shape={_shape_text(new)}", "SparseReshape")
    indices = _unravel(_linear(sp_input.indices, old), new)
    return SparseTensor._make(indices, sp_input.values, tuple(new))


def expand_dims(sp_input, axis=None, name=None):
    """``tf.sparse.expand_dims``: a new dimension of size 1 at ``axis`` (negative counts from
    the end of the new shape)."""
    sp_input = _sparse(sp_input)
    dims = dense_shape_list(sp_input, "tf.sparse.expand_dims")
    axis = -1 if axis is None else int(axis)
    rank = len(dims)
    at = axis + rank + 1 if axis < 0 else axis
    if not 0 <= at <= rank:
        raise errors.InvalidArgumentError(None, None, (
            f"Expected size[1] in [0, {rank}], but got {at} [Op:Slice]"))
    n = sp_input.indices.shape[0]
    zeros = array_ops.zeros([n, 1], dtypes.int64)
    indices = array_ops.concat([sp_input.indices[:, :at], zeros, sp_input.indices[:, at:]], 1)
    new = dims[:at] + [1] + dims[at:]
    return SparseTensor._make(indices, sp_input.values, tuple(new))


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None):
    """``tf.sparse.concat``: SparseTensors joined along ``axis``, entries in row-major order.
    ``expand_nonconcat_dims`` lets the other dimensions differ (the largest is used)."""
    sp_inputs = [_sparse(x) for x in sp_inputs]
    shapes = [dense_shape_list(x, "tf.sparse.concat") for x in sp_inputs]
    rank = len(shapes[0])
    axis = int(axis) + rank if int(axis) < 0 else int(axis)
    for k, dims in enumerate(shapes[1:], 1):
        if len(dims) != rank:
            raise _op_error(f"Ranks of all input tensors must match: expected {rank} but got "
                            f"{len(dims)} at position {k}", "SparseConcat")
        for d in range(rank):
            if d != axis and dims[d] != shapes[0][d] and not expand_nonconcat_dims:
                raise _op_error(f"Input shapes must match: expected {shapes[0][d]} for "
                                f"dimension {d} but got {dims[d]} at position {k}",
                                "SparseConcat")
    out = [max(dims[d] for dims in shapes) for d in range(rank)]
    out[axis] = sum(dims[axis] for dims in shapes)
    parts, offset = [], 0
    for x, dims in zip(sp_inputs, shapes):
        shift = [0] * rank
        shift[axis] = offset
        parts.append(x.indices + constant(shift, dtypes.int64))
        offset += dims[axis]
    values = math_ops.stop_gradient(array_ops.concat([x.values for x in sp_inputs], 0))
    indices, values = _sorted(array_ops.concat(parts, 0), values, out)  # TF: no gradient
    return SparseTensor._make(indices, values, tuple(out))


def transpose(sp_input, perm=None, name=None):
    """``tf.sparse.transpose``: dimensions permuted by ``perm`` (reversed by default), entries
    in row-major order of the result."""
    sp_input = _sparse(sp_input)
    dims = dense_shape_list(sp_input, "tf.sparse.transpose")
    perm = list(range(len(dims)))[::-1] if perm is None else \
        _static_ints(perm, "perm")
    if sorted(perm) != list(range(len(dims))):
        raise errors.InvalidArgumentError(None, None, (
            f"{perm} is not a permutation of the {len(dims)} dimensions [Op:Transpose]"))
    new = [dims[p] for p in perm]
    if sp_input.indices.shape[0] == 0:
        indices = array_ops.zeros([0, len(dims)], dtypes.int64)
    else:
        indices = array_ops.gather(sp_input.indices, perm, axis=1)
    indices, values = _sorted(indices, sp_input.values, new)
    return SparseTensor._make(indices, values, tuple(new))


def _union(a, b, op_name):
    """Row-major union of the positions of two SparseTensors of one shape: the union's
    indices and, per input, where its entries land in it."""
    dims_a = dense_shape_list(a, op_name)
    dims_b = dense_shape_list(b, op_name)
    if len(dims_a) != len(dims_b):
        raise _op_error(f"Operands' shapes do not match: got {len(dims_a)} and {len(dims_b)} "
                        "dimensions", op_name)
    for d, (p, q) in enumerate(zip(dims_a, dims_b)):
        if p != q:
            raise _op_error(f"Operands' shapes do not match: got {p} and {q} for dimension "
                            f"{d}", op_name)
    strides = np.asarray(_strides(dims_a), np.int64)
    lin_a = _concrete_indices(a, op_name) @ strides if dims_a else np.zeros(0, np.int64)
    lin_b = _concrete_indices(b, op_name) @ strides if dims_a else np.zeros(0, np.int64)
    union = np.union1d(lin_a, lin_b)
    where_a = np.searchsorted(union, lin_a)
    where_b = np.searchsorted(union, lin_b)
    indices = np.stack([union // s % d for s, d in zip(strides, dims_a)], 1) if dims_a else \
        np.zeros((len(union), 0), np.int64)
    return indices.reshape(-1, len(dims_a)), where_a, where_b, dims_a


def _scatter_values(values, where, n):
    return _segment_sum(values, constant(where, dtypes.int64), n)


def add(a, b, threshold=0, name=None):
    """``tf.sparse.add``: SparseTensor + SparseTensor is a SparseTensor on the union of the
    positions (a summed pair whose magnitude is below ``threshold`` is dropped); a dense operand
    gives the dense sum."""
    a_sparse, b_sparse = isinstance(a, SparseTensor), isinstance(b, SparseTensor)
    if not (a_sparse or b_sparse):
        raise TypeError("At least one input should be SparseTensor; do you mean to use "
                        "tf.add?")
    if not (a_sparse and b_sparse):
        sp, dense = (a, b) if a_sparse else (b, a)
        dense = convert_to_tensor(dense, sp.dtype)
        if sp.indices.shape[0] == 0:
            return dense
        return array_ops.tensor_scatter_nd_add(dense, sp.indices, sp.values)
    indices, where_a, where_b, dims = _union(a, b, "SparseAdd")
    n = len(indices)
    values = _scatter_values(a.values, where_a, n) + _scatter_values(b.values, where_b, n)
    both = np.zeros(n, bool)
    both[np.intersect1d(where_a, where_b)] = True
    threshold = float(np.asarray(_concrete(threshold) if isinstance(threshold, TensorLike)
                                 else threshold))
    if threshold:
        small = np.abs(np.asarray(values.numpy())) < threshold
        keep = np.nonzero(~(both & small))[0]
        values = array_ops.gather(values, keep)
        indices = indices[keep]
    return SparseTensor._make(constant(indices.reshape(-1, len(dims)), dtypes.int64), values,
                              tuple(dims))


def _extremum(sp_a, sp_b, pick, op_name):
    indices, where_a, where_b, dims = _union(_sparse(sp_a), _sparse(sp_b), op_name)
    n = len(indices)
    values = pick(_scatter_values(sp_a.values, where_a, n),
                  _scatter_values(sp_b.values, where_b, n))
    return SparseTensor._make(constant(indices, dtypes.int64), values,
                              tuple(dims))


def maximum(sp_a, sp_b, name=None):
    """``tf.sparse.maximum``: elementwise maximum on the union of positions (absent entries
    count as 0)."""
    return _extremum(sp_a, sp_b, math_ops.maximum, "SparseSparseMaximum")


def minimum(sp_a, sp_b, name=None):
    """``tf.sparse.minimum``: elementwise minimum on the union of positions (absent entries
    count as 0)."""
    return _extremum(sp_a, sp_b, math_ops.minimum, "SparseSparseMinimum")


def retain(sp_input, to_retain):
    """``tf.sparse.retain``: the entries where the boolean vector ``to_retain`` is True."""
    sp_input = _sparse(sp_input)
    mask = convert_to_tensor(to_retain)
    if mask.shape.rank != 1:
        raise ValueError(f"Shape {mask.shape} must have rank 1")
    n = sp_input.indices.shape[0]
    if n is not None and mask.shape[0] != n:
        raise ValueError(f"Dimensions {n} and {mask.shape[0]} are not compatible")
    value = _concrete(mask)
    if value is None:
        raise NotImplementedError("tf.sparse.retain needs a concrete `to_retain`.")
    keep = np.nonzero(value)[0]
    return SparseTensor._make(array_ops.gather(sp_input.indices, keep),
                              array_ops.gather(sp_input.values, keep), sp_input._dense_part(),
                              sp_input.shape)


def fill_empty_rows(sp_input, default_value, name=None):
    """``tf.sparse.fill_empty_rows``: ``(filled, empty_row_indicator)``; each empty row gets
    ``default_value`` at column 0, entries in row-major order."""
    sp_input = _sparse(sp_input)
    dims = dense_shape_list(sp_input, "tf.sparse.fill_empty_rows")
    indices = _concrete_indices(sp_input, "tf.sparse.fill_empty_rows")
    default = convert_to_tensor(default_value, sp_input.dtype)
    empty = np.ones(dims[0], bool)
    empty[indices[:, 0]] = False
    rows = np.nonzero(empty)[0]
    added = np.zeros((len(rows), len(dims)), np.int64)
    added[:, 0] = rows
    all_indices = np.concatenate([indices, added]).reshape(-1, len(dims))
    order = np.argsort(all_indices @ np.asarray(_strides(dims), np.int64), kind="stable")
    values = array_ops.concat([sp_input.values, array_ops.fill([len(rows)], default)], 0)
    filled = SparseTensor._make(constant(all_indices[order], dtypes.int64),
                                array_ops.gather(values, order), sp_input._dense_part(),
                                sp_input.shape)
    return filled, constant(empty)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``tf.sparse.sparse_dense_matmul``: ``op(sp_a) @ op(b)`` for a rank-2 SparseTensor and a
    dense matrix (either order), differentiable in the values and the dense matrix."""
    if not isinstance(sp_a, SparseTensor):  # dense @ sparse = (sparse^T @ dense^T)^T
        out = sparse_dense_matmul(_sparse(b), sp_a, adjoint_a=not adjoint_b,
                                  adjoint_b=not adjoint_a)
        return array_ops.transpose(out)
    dims = dense_shape_list(sp_a, "SparseTensorDenseMatMul")
    b = convert_to_tensor(b, sp_a.dtype)
    rows, cols = sp_a.indices[:, 0], sp_a.indices[:, 1]
    m, k = dims
    if adjoint_a:
        rows, cols, m, k = cols, rows, k, m
    values = math_ops.conj(sp_a.values) if adjoint_a and sp_a.dtype.is_complex else sp_a.values
    if adjoint_b:
        b = array_ops.transpose(math_ops.conj(b) if b.dtype.is_complex else b)
    if b.shape.rank != 2 or b.shape[0] != k:
        raise _op_error(f"Cannot multiply A and B because inner dimension does not match: {k} "
                        f"vs. {b.shape[0]}.  Did you forget a transpose?  Dimensions of A: "
                        f"[{m}, {k}).  Dimensions of B: {_shape_text(b.shape)}",
                        "SparseTensorDenseMatMul")
    products = array_ops.expand_dims(values, 1) * array_ops.gather(b, cols)
    return _segment_sum(products, rows, m)


def map_values(op, *args, **kwargs):
    """``tf.sparse.map_values``: ``op`` applied to the values of the SparseTensors among the
    arguments (which must share their indices); the result keeps those indices."""
    from . import nest
    found = [x for x in nest.flatten((args, kwargs)) if isinstance(x, SparseTensor)]
    if not found:
        raise ValueError("No SparseTensor in argument list of map_values")
    first = found[0]
    for other in found[1:]:
        same = _concrete(first.indices), _concrete(other.indices)
        if other.dense_shape is not first.dense_shape and (
                dense_shape_list(other, "map_values") != dense_shape_list(first, "map_values")
                or (same[0] is not None and same[1] is not None
                    and not np.array_equal(*same))):
            raise errors.InvalidArgumentError(None, None, (
                "Condition x == y did not hold. Indices of the SparseTensors in map_values "
                "differ."))

    def values(x):
        return x.values if isinstance(x, SparseTensor) else x
    mapped = op(*nest.map_structure(values, args), **nest.map_structure(values, kwargs))
    return SparseTensor._make(first.indices, mapped, first._dense_part(), first.shape)


def _reduction_groups(sp_input, axis, keepdims, op_name):
    """Per entry, the linear id of its output position; the output dims; the kept axes."""
    dims = dense_shape_list(sp_input, op_name)
    rank = len(dims)
    if axis is None:
        axes = set(range(rank))
    else:
        axes = {a % rank if rank else a for a in _static_ints(axis, "axis")}
    kept = [d for d in range(rank) if d not in axes]
    out_dims = [1 if d in axes else dims[d] for d in range(rank)] if keepdims else \
        [dims[d] for d in kept]
    kept_dims = [dims[d] for d in kept]
    if kept:
        ids = _linear(array_ops.gather(sp_input.indices, kept, axis=1), kept_dims)
    else:
        ids = array_ops.zeros([sp_input.indices.shape[0]], dtypes.int64)
    return ids, out_dims, kept, kept_dims


def _reduce(sp_input, axis, keepdims, output_is_sparse, segment, op_name):
    sp_input = _sparse(sp_input)
    ids, out_dims, kept, kept_dims = _reduction_groups(sp_input, axis, bool(keepdims), op_name)
    size = int(np.prod(kept_dims, dtype=np.int64))
    flat = segment(sp_input.values, ids, size)
    if not output_is_sparse:
        return array_ops.reshape(flat, out_dims)
    present = np.unique(_concrete(ids)) if sp_input.indices.shape[0] else np.zeros(0, np.int64)
    _concrete_indices(sp_input, op_name)
    positions = np.stack([present // s % d for s, d in zip(_strides(kept_dims), kept_dims)],
                         1) if kept_dims else np.zeros((len(present), 0), np.int64)
    if keepdims:
        full = np.zeros((len(present), len(out_dims)), np.int64)
        full[:, kept] = positions
        positions = full
    return SparseTensor._make(constant(positions.reshape(len(present), len(out_dims)),
                                       dtypes.int64),
                              array_ops.gather(flat, present), tuple(out_dims))


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """``tf.sparse.reduce_sum``: sums over ``axis`` (all by default); with
    ``output_is_sparse`` a SparseTensor holding the positions that had entries."""
    return _reduce(sp_input, axis, keepdims, output_is_sparse, _segment_sum,
                   "SparseReduceSum")


def _segment_max_present(values, ids, size):
    """The maximum of the entries present in each group, 0 for a group with none (TF)."""
    top = _segment_max(values, ids, size)
    counts = _segment_sum(array_ops.ones_like(ids), ids, size)
    return array_ops.where(counts > 0, top, array_ops.zeros_like(top))


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """``tf.sparse.reduce_max``: the maximum of the entries present (implicit zeros are not
    counted; a group with no entry is 0), as TF."""
    return _reduce(sp_input, axis, keepdims, output_is_sparse, _segment_max_present,
                   "SparseReduceMax")


def bincount(values, weights=None, axis=0, minlength=None, maxlength=None,
             binary_output=False, name=None):
    """``tf.sparse.bincount``: counts (or summed ``weights``) of each value as a SparseTensor;
    ``axis=-1`` counts each row of a 2-D input separately. Not differentiable (as TF)."""
    if binary_output and weights is not None:
        raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. "
                         "Please specify only one.")
    tensor = values.values if isinstance(values, SparseTensor) else convert_to_tensor(values)
    data = _concrete(tensor)
    if data is None:
        raise NotImplementedError("tf.sparse.bincount needs concrete values.")
    if axis not in (0, -1):
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently "
                         "supported.")
    if isinstance(values, SparseTensor):
        rows_of = _concrete(values.indices)[:, 0] if axis == -1 else None
    else:
        rows_of = np.repeat(np.arange(data.shape[0]), data.shape[-1]) \
            if axis == -1 and data.ndim == 2 else None
    flat = data.reshape(-1).astype(np.int64)
    w = None if weights is None else np.asarray(_concrete(
        weights.values if isinstance(weights, SparseTensor) else convert_to_tensor(weights)))
    w = None if w is None else w.reshape(-1)
    size = int(flat.max()) + 1 if flat.size else 0
    if minlength is not None:
        size = max(size, int(minlength))
    if maxlength is not None:
        size = min(size, int(maxlength))
    keep = (flat >= 0) & (flat < size)
    out_dtype = dtypes.as_dtype(w.dtype) if w is not None else tensor.dtype
    counts = {}
    for k in np.nonzero(keep)[0]:
        position = (flat[k],) if rows_of is None else (int(rows_of[k]), flat[k])
        add_value = 1 if (w is None or binary_output) else w[k]
        counts[position] = 1 if binary_output else counts.get(position, 0) + add_value
    keys = sorted(counts)
    rank = 1 if rows_of is None else 2
    dense = [size] if rows_of is None else [int(data.shape[0]) if not isinstance(
        values, SparseTensor) else dense_shape_list(values, "bincount")[0], size]
    return SparseTensor._make(
        constant(np.asarray(keys, np.int64).reshape(len(keys), rank), dtypes.int64),
        constant(np.asarray([counts[k] for k in keys], out_dtype.as_numpy_dtype)),
        tuple(dense))



def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner=None, max_norm=None,
                            name=None, allow_fast_lookup=False):
    """``tf.nn.embedding_lookup_sparse``: per row of ``sp_ids``, the rows of ``params`` at its
    ids, weighted by ``sp_weights`` (1 when None) and combined by ``combiner`` ("mean" by
    default, "sum", "sqrtn"). The result has ``max row id + 1`` rows, as TF."""
    combiner = "mean" if combiner is None else combiner
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    if max_norm is not None:
        raise NotImplementedError("tf.nn.embedding_lookup_sparse: max_norm")
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("tf.nn.embedding_lookup_sparse: sharded params")
        params = params[0]
    sp_ids = _sparse(sp_ids)
    rows = _concrete_indices(sp_ids, "tf.nn.embedding_lookup_sparse")[:, 0]
    count = int(rows.max()) + 1 if len(rows) else 0
    row_ids = constant(rows, dtypes.int64)
    embedded = array_ops.gather(convert_to_tensor(params), sp_ids.values)
    if sp_weights is None:
        weights = array_ops.ones_like(embedded[:, 0])
    else:
        weights = math_ops.cast(_sparse(sp_weights).values, embedded.dtype)
    total = _segment_sum(embedded * array_ops.expand_dims(weights, 1), row_ids, count)
    if combiner == "sum":
        return total
    scale = _segment_sum(weights if combiner == "mean" else weights * weights, row_ids, count)
    if combiner == "sqrtn":
        scale = math_ops.sqrt(scale)
    safe = array_ops.where(scale > 0, scale, array_ops.ones_like(scale))  # empty rows give 0
    return total / array_ops.expand_dims(safe, 1)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, max_norm=None, name=None,
                                 allow_fast_lookup=False):
    """``tf.nn.safe_embedding_lookup_sparse``: ``embedding_lookup_sparse`` that drops invalid
    ids (< 0) and, for "mean"/"sqrtn", entries whose weight is not positive; a row left empty
    gives the embedding of ``default_id``, or zeros. ``sparse_ids`` of rank > 2 are looked up
    per last-axis row and the result has their batch shape, as TF."""
    if isinstance(embedding_weights, (list, tuple)):
        if len(embedding_weights) > 1:
            raise NotImplementedError("tf.nn.safe_embedding_lookup_sparse: sharded params")
        embedding_weights = embedding_weights[0] if embedding_weights else None
    if embedding_weights is None:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    params = convert_to_tensor(embedding_weights)
    ids, weights = _sparse(sparse_ids), sparse_weights
    batch = dense_shape_list(ids, "tf.nn.safe_embedding_lookup_sparse")[:-1]
    if len(batch) != 1:
        flat = [int(np.prod(batch, dtype=np.int64)), -1]
        ids = reshape(ids, flat)
        weights = None if weights is None else reshape(_sparse(weights), flat)
    keep = math_ops.greater_equal(ids.values, 0)
    if weights is not None and combiner != "sum":
        keep = math_ops.logical_and(keep, math_ops.greater(_sparse(weights).values, 0))
    ids = retain(ids, keep)
    weights = None if weights is None else retain(_sparse(weights), keep)
    ids, empty = fill_empty_rows(ids, default_id or 0)
    if weights is not None:
        weights, _ = fill_empty_rows(weights, 1.0)
    result = embedding_lookup_sparse(params, ids, weights, combiner=combiner, max_norm=max_norm,
                                     allow_fast_lookup=allow_fast_lookup)
    if default_id is None:
        result = array_ops.where(array_ops.expand_dims(empty, 1),
                                 array_ops.zeros_like(result), result)
    return array_ops.reshape(result, batch + [params.shape[-1]])
