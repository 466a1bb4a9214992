"""``tf.ragged``: ``constant``, ``map_flat_values`` and the row-id/row-split conversions."""
import numpy as np

from . import dtypes, nest
from .ops import array_ops, math_ops
from .ragged_tensor import RaggedTensor, _rowids_to_splits, _splits_tensor
from .tensor import constant as _dense_constant


def _scalar_depth(item):
    """The nesting depth of the scalars in ``item``, None when it holds none (an empty list
    fits any depth); ValueError when they differ, as TF."""
    if not isinstance(item, (list, tuple, np.ndarray)):
        return 0
    depths = {d for d in (_scalar_depth(x) for x in item) if d is not None}
    if len(depths) > 1:
        raise ValueError("all scalar values must have the same nesting depth")
    return 1 + depths.pop() if depths else None


def _list_depth(item):
    if not isinstance(item, (list, tuple, np.ndarray)):
        return 0
    return 1 + max((_list_depth(x) for x in item), default=0)


def _depth(item):
    depth = _scalar_depth(item)
    return _list_depth(item) if depth is None else depth


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=dtypes.int64):
    """``tf.ragged.constant``: a RaggedTensor of nested Python lists (or arrays); the innermost
    ``rank - 1 - ragged_rank`` levels must be uniform (they become the values' dimensions).
    ``inner_shape`` names those inner dimensions when ``ragged_rank`` is not given."""
    depth = _depth(pylist)
    if ragged_rank is None:
        inner = 0 if inner_shape is None else len(tuple(inner_shape))
        ragged_rank = max(depth - 1 - inner, 0)
    if not 0 <= ragged_rank < max(depth, 1):
        raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank="
                         f"{ragged_rank}")
    if ragged_rank == 0:
        return _dense_constant(pylist, dtype)
    splits_dtype = dtypes.as_dtype(row_splits_dtype).as_numpy_dtype
    levels, rows = [], list(pylist)
    for _ in range(ragged_rank):
        levels.append(np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(
            splits_dtype))
        rows = [x for r in rows for x in r]
    inner_depth = depth - ragged_rank - 1
    if not rows:
        flat = _dense_constant(np.zeros([0] + [0] * inner_depth), dtype or dtypes.float32)
    elif isinstance(rows[0], (np.ndarray, np.generic)):  # NumPy values keep their dtype
        flat = _dense_constant(np.asarray(rows), dtype)
    else:
        flat = _dense_constant(rows, dtype)
    return RaggedTensor.from_nested_row_splits(
        flat, [_dense_constant(s, row_splits_dtype) for s in levels], validate=False)


def map_flat_values(op, *args, **kwargs):
    """``tf.ragged.map_flat_values``: ``op`` on the flat values of the RaggedTensor arguments
    (which must share their row partitions), rebuilt with the first one's partition."""
    found = [x for x in nest.flatten((args, kwargs)) if isinstance(x, RaggedTensor)]
    if not found:
        return op(*args, **kwargs)
    first = found[0]
    for other in found[1:]:
        if other.ragged_rank != first.ragged_rank or any(
                a is not b and a.shape != b.shape for a, b in
                zip(other.nested_row_splits, first.nested_row_splits)):
            raise ValueError("Input RaggedTensors have mismatched row partitions.")

    def flat(x):
        return x.flat_values if isinstance(x, RaggedTensor) else x
    mapped = op(*nest.map_structure(flat, args), **nest.map_structure(flat, kwargs))
    return first.with_flat_values(mapped)


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """``tf.ragged.row_splits_to_segment_ids``: the row of each value."""
    splits = _splits_tensor(splits, "splits")
    rows = math_ops.cast(array_ops.range(splits.shape[0] - 1), splits.dtype)
    ids = array_ops.repeat(rows, splits[1:] - splits[:-1])
    return ids if out_type is None else math_ops.cast(ids, out_type)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """``tf.ragged.segment_ids_to_row_splits``: row splits of sorted segment ids."""
    ids = _splits_tensor(segment_ids, "segment_ids")
    splits = _rowids_to_splits(ids, num_segments)
    return splits if out_type is None else math_ops.cast(splits, out_type)
