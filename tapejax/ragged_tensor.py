"""``tf.RaggedTensor`` and ``tf.RaggedTensorSpec``: rows of different lengths.

A RaggedTensor is ``values`` (a Tensor, or a RaggedTensor for a second ragged dimension) cut
into rows by ``row_splits`` (row ``i`` is ``values[row_splits[i]:row_splits[i+1]]``). The parts
are Tensors, so ops on ``flat_values`` (``tf.ragged.map_flat_values``, ``to_tensor``) are
recorded on tapes and JAX gives their gradients. This round supports up to two ragged
dimensions; operators (``rt + 1``) and ``tf.*`` ops on RaggedTensors are not dispatched.
"""
import numpy as np

from . import dtypes, errors
from .composite import CompositeTensor, TypeSpec
from .ops import array_ops, math_ops
from .sparse_tensor import _concrete
from .tensor import TensorLike, constant, convert_to_tensor
from .tensor_shape import TensorShape
from .tensor_spec import TensorSpec

_PRIVATE = ("RaggedTensor constructor is private; please use one of the factory methods "
            "instead (e.g., RaggedTensor.from_row_lengths())")


def _invalid(where, detail):
    return errors.InvalidArgumentError(None, None, (
        f"Arguments to {where} do not form a valid RaggedTensor{detail}"))


def _equal_failed(x, y):
    return (f"\nCondition x == y did not hold.\nFirst 1 elements of x:\n[{x}]\n"
            f"First 1 elements of y:\n[{y}]")


def _splits_tensor(splits, what):
    """Row splits as a 1-D int64 Tensor (an int32 Tensor keeps its dtype, as TF)."""
    if isinstance(splits, TensorLike) and splits.dtype in (dtypes.int32, dtypes.int64):
        splits = convert_to_tensor(splits)
    else:
        splits = convert_to_tensor(splits, dtype_hint=dtypes.int64)
        if splits.dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"{what} must have dtype int32 or int64, got {splits.dtype!r}")
        if splits.dtype == dtypes.int32 and not isinstance(splits, TensorLike):
            splits = math_ops.cast(splits, dtypes.int64)
    if splits.shape.rank != 1:
        raise ValueError(f"Shape {splits.shape} must have rank 1")
    return splits


def _values_tensor(values):
    return values if isinstance(values, RaggedTensor) else convert_to_tensor(values)


def _nvals(values):
    return values.nrows_static() if isinstance(values, RaggedTensor) else values.shape[0]


class RaggedTensor(CompositeTensor):
    """``tf.RaggedTensor``: build one with ``from_row_splits``, ``from_row_lengths``,
    ``from_value_rowids``, ``from_tensor``, ``from_nested_row_splits`` or
    ``tf.ragged.constant``.

    >>> import tapejax as tf
    >>> rt = tf.RaggedTensor.from_row_splits([3, 1, 4, 1, 5], row_splits=[0, 4, 4, 5])
    >>> rt
    <tf.RaggedTensor [[3, 1, 4, 1], [], [5]]>
    >>> rt.shape
    TensorShape([3, None])
    """

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError(_PRIVATE)
        self._values, self._row_splits = values, row_splits

    # --- factories ----------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Row ``i`` is ``values[row_splits[i]:row_splits[i + 1]]``."""
        values, splits = _values_tensor(values), _splits_tensor(row_splits, "row_splits")
        if validate:
            _check_splits(splits, _nvals(values), "from_row_splits")
        return cls(values, splits, internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Row ``i`` holds the next ``row_lengths[i]`` values."""
        values, lengths = _values_tensor(values), _splits_tensor(row_lengths, "row_lengths")
        known = _concrete(lengths)
        if validate and known is not None and (known < 0).any():
            raise _invalid("from_row_lengths", ":negative row lengths")
        zero = array_ops.zeros([1], lengths.dtype)
        splits = array_ops.concat([zero, math_ops.cumsum(lengths)], 0)
        if validate:
            _check_splits(splits, _nvals(values), "_from_row_partition")
        return cls(values, splits, internal=True)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value ``k`` goes to row ``value_rowids[k]`` (sorted); ``nrows`` rows (by default
        one past the last row id)."""
        values, ids = _values_tensor(values), _splits_tensor(value_rowids, "value_rowids")
        splits = _rowids_to_splits(ids, nrows)
        if validate:
            _check_splits(splits, _nvals(values), "from_value_rowids")
        return cls(values, splits, internal=True)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """Several ragged dimensions, outermost splits first."""
        result = _values_tensor(flat_values)
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=dtypes.int64):
        """The rows of a dense ``tensor`` (at least rank 2), cut to ``lengths`` or with the
        trailing ``padding`` values removed (one ragged dimension)."""
        if ragged_rank != 1:
            raise NotImplementedError("RaggedTensor.from_tensor: ragged_rank other than 1")
        if lengths is not None and padding is not None:
            raise ValueError("Specify lengths or padding, but not both")
        tensor = convert_to_tensor(tensor)
        if tensor.shape.rank is None or tensor.shape.rank < 2:
            raise ValueError(f"ragged_rank must be less than tensor.rank; got ragged_rank=1 "
                             f"and tensor.rank={tensor.shape.rank}")
        rows, width = tensor.shape[0], tensor.shape[1]
        splits_dtype = dtypes.as_dtype(row_splits_dtype)
        if lengths is None and padding is None:
            splits = math_ops.cast(array_ops.range(rows + 1) * width, splits_dtype)
            flat = array_ops.reshape(tensor, [rows * width] + tensor.shape.as_list()[2:])
            return cls(flat, splits, internal=True)
        if padding is not None:
            value = _concrete(tensor)
            pad = _concrete(convert_to_tensor(padding, tensor.dtype))
            if value is None or pad is None:
                raise NotImplementedError("RaggedTensor.from_tensor(padding=) needs concrete "
                                          "values (the row lengths depend on them).")
            not_pad = (value != pad).reshape(rows, width, -1).any(axis=2)
            found = [np.nonzero(r)[0] for r in not_pad]
            lens = np.asarray([f[-1] + 1 if len(f) else 0 for f in found], np.int64)
        else:
            lens = _concrete(convert_to_tensor(lengths))
            if lens is None:
                raise NotImplementedError("RaggedTensor.from_tensor(lengths=) needs concrete "
                                          "lengths.")
            lens = np.minimum(lens.astype(np.int64), width)
        keep = np.concatenate([np.arange(n) + i * width for i, n in enumerate(lens)]) \
            if len(lens) else np.zeros(0, np.int64)
        flat = array_ops.reshape(tensor, [rows * width] + tensor.shape.as_list()[2:])
        flat = array_ops.gather(flat, constant(keep.astype(np.int64), dtypes.int64))
        splits = constant(np.concatenate([[0], np.cumsum(lens)]).astype(
            splits_dtype.as_numpy_dtype), splits_dtype)
        return cls(flat, splits, internal=True)

    # --- parts ---------------------------------------------------------------------------
    values = property(lambda self: self._values, doc="The concatenated rows.")
    row_splits = property(lambda self: self._row_splits, doc="Where each row starts and ends.")
    dtype = property(lambda self: self.flat_values.dtype)

    @property
    def flat_values(self):
        values = self._values
        while isinstance(values, RaggedTensor):
            values = values._values
        return values

    @property
    def nested_row_splits(self):
        splits, rt = [], self
        while isinstance(rt, RaggedTensor):
            splits.append(rt._row_splits)
            rt = rt._values
        return tuple(splits)

    @property
    def ragged_rank(self):
        return len(self.nested_row_splits)

    @property
    def row_splits_dtype(self):
        return self._row_splits.dtype

    def nrows_static(self):
        n = self._row_splits.shape[0]
        return None if n is None else n - 1

    def nrows(self, out_type=None, name=None):
        out = array_ops.shape(self._row_splits, out_type=self.row_splits_dtype)[0] - 1
        return out if out_type is None else math_ops.cast(out, out_type)

    def row_starts(self, name=None):
        return self._row_splits[:-1]

    def row_limits(self, name=None):
        return self._row_splits[1:]

    def row_lengths(self, axis=1, name=None):
        if axis != 1:
            raise NotImplementedError("RaggedTensor.row_lengths: axis other than 1")
        return self._row_splits[1:] - self._row_splits[:-1]

    def value_rowids(self, name=None):
        """The row of each value (as TF: ``int64`` like the splits)."""
        n = self.nrows_static()
        lengths = self.row_lengths()
        return array_ops.repeat(math_ops.cast(array_ops.range(n), self.row_splits_dtype),
                                lengths)

    @property
    def shape(self):
        inner = self.flat_values.shape
        inner = [] if inner.rank is None else inner.as_list()[1:]
        return TensorShape([self.nrows_static()] + [None] * self.ragged_rank + inner)

    def get_shape(self):
        return self.shape

    def with_values(self, new_values):
        return RaggedTensor(_values_tensor(new_values), self._row_splits, internal=True)

    def with_flat_values(self, new_values):
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def _tapejax_map_values(self, fn):
        """The same rows with ``fn(flat_values)`` (how ``tf.cast`` treats a RaggedTensor)."""
        return self.with_flat_values(fn(self.flat_values))

    def merge_dims(self, outer_axis, inner_axis):
        """Joins dimensions ``outer_axis..inner_axis`` into one; here the leading ones
        (``merge_dims(0, k)``), as Keras's predict uses it."""
        if outer_axis != 0 or inner_axis < 1:
            raise NotImplementedError("RaggedTensor.merge_dims other than (0, k)")
        merged = self
        for _ in range(inner_axis):
            if isinstance(merged, RaggedTensor):  # the rows' contents, one after another
                merged = merged._values
            else:  # dense from here on
                merged = array_ops.reshape(merged, [-1] + merged.shape.as_list()[2:])
        return merged

    # --- conversions ---------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """The dense tensor, rows padded with ``default_value`` (0) to the longest row, or
        padded/cut to ``shape`` (``None`` entries computed)."""
        inner = self._values.to_tensor(default_value) if isinstance(
            self._values, RaggedTensor) else self._values
        splits = _concrete(self._row_splits)
        if splits is None:
            raise NotImplementedError("RaggedTensor.to_tensor needs concrete row splits (the "
                                      "padded width depends on them).")
        lengths = np.diff(splits).astype(np.int64)
        nrows = len(lengths)
        width = int(lengths.max()) if nrows else 0
        tail = inner.shape.as_list()[1:]
        target = [nrows, width] + tail
        if shape is not None:
            given = TensorShape(shape)
            if given.rank is not None:
                target = [t if g is None else g for t, g in zip(target, given)]
        rows_out, width_out = target[0], target[1]
        row = np.repeat(np.arange(nrows), lengths)
        col = np.arange(int(splits[-1] - splits[0])) - np.repeat(splits[:-1] - splits[0],
                                                                 lengths)
        keep = np.nonzero((row < rows_out) & (col < width_out))[0]
        inner = _fit(inner, tail, target[2:], default_value)
        fill_value = array_ops.zeros([], self.dtype) if default_value is None else \
            convert_to_tensor(default_value, self.dtype)
        dense = array_ops.broadcast_to(fill_value, target)
        if not len(keep):
            return dense
        start = int(splits[0])
        picked = array_ops.gather(inner, constant(keep + start, dtypes.int64))
        positions = constant(np.stack([row[keep], col[keep]], 1).astype(np.int64),
                             dtypes.int64)
        return array_ops.tensor_scatter_nd_update(dense, positions, picked)

    def to_list(self):
        """The rows as nested Python lists."""
        splits = _concrete(self._row_splits)
        inner = self._values.to_list() if isinstance(self._values, RaggedTensor) \
            else self._values.numpy().tolist()
        return [inner[splits[i]:splits[i + 1]] for i in range(len(splits) - 1)]

    def numpy(self):
        """A NumPy object array of the rows' arrays (TF's eager ``numpy()``)."""
        splits = _concrete(self._row_splits)
        inner = self._values.numpy()
        out = np.empty(len(splits) - 1, object)
        for i in range(len(splits) - 1):
            out[i] = inner[splits[i]:splits[i + 1]]
        return out

    def __getitem__(self, key):
        """Rows by an int or a slice of the first dimension; ``rt[i, j]`` inside a row."""
        if isinstance(key, tuple):
            head, rest = key[0], key[1:]
            row = self[head]
            return row[rest] if rest and not isinstance(row, RaggedTensor) else (
                row[rest if len(rest) > 1 else rest[0]] if rest else row)
        n = self.nrows_static()
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise NotImplementedError("RaggedTensor slicing with a step other than 1")
            stop = max(stop, start)
            splits = self._row_splits[start:stop + 1]
            begin = splits[0] if stop > start else self._row_splits[start]
            values = _slice_rows(self._values, begin, splits[-1] if stop > start else begin)
            return RaggedTensor(values, splits - begin, internal=True)
        if isinstance(key, (int, np.integer, TensorLike)):
            index = int(_concrete(convert_to_tensor(key)))
            if not -n <= index < n:
                raise errors.InvalidArgumentError(None, None, (
                    f"slice index {index} of dimension 0 out of bounds. [Op:StridedSlice] "
                    "name: strided_slice/"))
            index %= n
            return _slice_rows(self._values, self._row_splits[index],
                               self._row_splits[index + 1])
        raise TypeError(f"Cannot index a RaggedTensor with {key!r}")

    def _tapejax_gather(self, indices, axis=None, batch_dims=0):
        """``tf.gather(rt, indices)``: the rows at ``indices`` (a 1-D list or Tensor)."""
        if axis not in (None, 0) or batch_dims != 0:
            raise NotImplementedError("tf.gather of a RaggedTensor: axis or batch_dims other "
                                      "than 0")
        rows = _concrete(convert_to_tensor(indices)) if isinstance(indices, TensorLike) \
            else np.asarray(indices)
        splits = _concrete(self._row_splits)
        if rows is None or splits is None:
            raise NotImplementedError("tf.gather of a RaggedTensor needs concrete indices and "
                                      "row splits.")
        rows = rows.astype(np.int64).reshape(-1)
        n = len(splits) - 1
        bad = np.flatnonzero((rows < 0) | (rows >= n))
        if bad.size:
            raise errors.InvalidArgumentError(None, None, (
                f"indices[{bad[0]}] = {rows[bad[0]]} is not in [0, {n}) [Op:GatherV2] name: "))
        lengths = np.diff(splits)[rows]
        picked = np.concatenate([np.arange(splits[r], splits[r + 1]) for r in rows]) \
            if len(rows) else np.zeros(0, np.int64)
        picked = constant(picked.astype(np.int64), dtypes.int64)
        values = self._values._tapejax_gather(picked) if isinstance(
            self._values, RaggedTensor) else array_ops.gather(self._values, picked)
        new_splits = np.concatenate([[0], np.cumsum(lengths)]).astype(
            self.row_splits_dtype.as_numpy_dtype)
        return RaggedTensor(values, constant(new_splits, self.row_splits_dtype), internal=True)

    @classmethod
    def _tapejax_concat(cls, values, axis):
        """``tf.concat`` of RaggedTensors along axis 0: the rows one after another."""
        if int(axis) != 0:
            raise NotImplementedError("tf.concat of RaggedTensors along an axis other than 0")
        if not all(isinstance(v, RaggedTensor) for v in values):
            raise NotImplementedError("tf.concat of RaggedTensors with dense tensors")
        if len({v.ragged_rank for v in values}) > 1 or len(
                {v.row_splits_dtype for v in values}) > 1:
            raise ValueError("tf.concat: the RaggedTensors differ in ragged_rank or "
                             "row_splits dtype")
        if len(values) == 1:
            return values[0]
        inner = [v._values for v in values]
        joined = cls._tapejax_concat(inner, 0) if isinstance(inner[0], RaggedTensor) \
            else array_ops.concat(inner, 0)
        splits, offset = [values[0]._row_splits], values[0]._row_splits[-1]
        for v in values[1:]:
            splits.append(v._row_splits[1:] + offset)
            offset = offset + v._row_splits[-1]
        return RaggedTensor(joined, array_ops.concat(splits, 0), internal=True)

    # --- composite protocol ----------------------------------------------------------------
    @property
    def _type_spec(self):
        return RaggedTensorSpec(self.shape, self.dtype, self.ragged_rank,
                                self.row_splits_dtype)

    def _tapejax_components(self):
        return (self.ragged_rank,), (self.flat_values,) + self.nested_row_splits

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        result = parts[0]
        for splits in reversed(parts[1:]):
            result = cls(result, splits, internal=True)
        return result

    def __repr__(self):
        if _concrete(self._row_splits) is None:
            return (f"tf.RaggedTensor(values={self._values!s}, "
                    f"row_splits={self._row_splits!s})")
        return f"<tf.RaggedTensor {self.to_list()!r}>"

    def __str__(self):
        return repr(self)


def _slice_rows(values, begin, end):
    if isinstance(values, RaggedTensor):
        b, e = int(_concrete(convert_to_tensor(begin))), int(_concrete(convert_to_tensor(end)))
        return values[b:e]
    return values[begin:end]


def _fit(inner, tail, target_tail, default_value):
    """``inner`` padded or cut in its trailing dimensions to ``target_tail``."""
    if list(tail) == list(target_tail):
        return inner
    cut = inner[(slice(None),) + tuple(slice(0, t) for t in target_tail)]
    pads = [[0, 0]] + [[0, max(t - s, 0)] for s, t in zip(tail, target_tail)]
    return array_ops.pad(cut, pads, constant_values=0 if default_value is None
                         else default_value)


def _check_splits(splits, nvals, where):
    """TF's validity conditions on concrete row splits: start at 0, never decrease, end at
    the number of values."""
    value = _concrete(splits)
    if value is None:
        return
    if len(value) == 0:
        raise ValueError("row_splits must have at least one element")
    if value[0] != 0:
        raise _invalid(where, ":zero" + _equal_failed(value[0], 0))
    diffs = np.diff(value)
    if (diffs < 0).any():
        listed = ", ".join(f"'{d}'" for d in diffs)
        raise _invalid(where, ":monotonic.  \nCondition x >= 0 did not hold element-wise:\n"
                              f"x (shape={diffs.shape} dtype={splits.dtype.name}) = \n"
                              f"[{listed}]")
    if nvals is not None and value[-1] != nvals:
        raise _invalid("_from_row_partition", _equal_failed(value[-1], nvals))


def _rowids_to_splits(ids, nrows):
    known = _concrete(ids)
    if nrows is None:
        if known is None:
            raise NotImplementedError("from_value_rowids needs `nrows` or concrete row ids.")
        nrows = int(known.max()) + 1 if known.size else 0
    nrows = int(_concrete(convert_to_tensor(nrows)))
    counts = math_ops.unsorted_segment_sum(array_ops.ones_like(ids), ids, nrows)
    zero = array_ops.zeros([1], ids.dtype)
    return array_ops.concat([zero, math_ops.cumsum(counts)], 0)


class RowPartition:
    """``tf.experimental.RowPartition``: how a RaggedTensor's values split into rows (the
    factories and accessors of one ragged dimension)."""

    def __init__(self, row_splits, internal=False):
        if not internal:
            raise ValueError("RowPartition constructor is private; please use one of the "
                             "factory methods instead (e.g., RowPartition.from_row_lengths())")
        self._row_splits = row_splits

    @classmethod
    def from_row_splits(cls, row_splits, validate=True, dtype=None, dtype_hint=None):
        splits = _splits_tensor(row_splits, "row_splits")
        if validate:
            _check_splits(splits, None, "from_row_splits")
        return cls(splits if dtype is None else math_ops.cast(splits, dtype), internal=True)

    @classmethod
    def from_row_lengths(cls, row_lengths, validate=True, dtype=None, dtype_hint=None):
        lengths = _splits_tensor(row_lengths, "row_lengths")
        splits = array_ops.concat([array_ops.zeros([1], lengths.dtype),
                                   math_ops.cumsum(lengths)], 0)
        return cls(splits if dtype is None else math_ops.cast(splits, dtype), internal=True)

    @classmethod
    def from_value_rowids(cls, value_rowids, nrows=None, validate=True, dtype=None,
                          dtype_hint=None):
        splits = _rowids_to_splits(_splits_tensor(value_rowids, "value_rowids"), nrows)
        return cls(splits if dtype is None else math_ops.cast(splits, dtype), internal=True)

    def _ragged(self):
        return RaggedTensor(array_ops.zeros([int(_concrete(self._row_splits)[-1])]),
                            self._row_splits, internal=True)

    def row_splits(self):
        return self._row_splits

    def row_lengths(self):
        return self._row_splits[1:] - self._row_splits[:-1]

    def value_rowids(self):
        return self._ragged().value_rowids()

    def nrows(self):
        return self._ragged().nrows()

    @property
    def dtype(self):
        return self._row_splits.dtype

    def __repr__(self):
        return f"tf.RowPartition(row_splits={self._row_splits!s})"


class RaggedTensorSpec(TypeSpec):
    """``tf.RaggedTensorSpec(shape=None, dtype=tf.float32, ragged_rank=None,
    row_splits_dtype=tf.int64, flat_values_spec=None)``."""

    __slots__ = ("_dtype", "_ragged_rank", "_row_splits_dtype", "_shape")

    def __init__(self, shape=None, dtype=dtypes.float32, ragged_rank=None,
                 row_splits_dtype=dtypes.int64, flat_values_spec=None):
        if flat_values_spec is not None:
            raise NotImplementedError("RaggedTensorSpec: flat_values_spec")
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._row_splits_dtype = dtypes.as_dtype(row_splits_dtype)
        rank = self._shape.rank
        if ragged_rank is None:
            if rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = rank - 1
        if not isinstance(ragged_rank, int):
            raise TypeError(f"ragged_rank must be an int, got {ragged_rank!r}")
        if rank is not None and not 0 <= ragged_rank < rank:
            raise ValueError(f"ragged_rank must be non-negative and less than the rank of "
                             f"shape; got ragged_rank={ragged_rank} and rank={rank}")
        self._ragged_rank = ragged_rank

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ragged_rank = property(lambda self: self._ragged_rank)
    row_splits_dtype = property(lambda self: self._row_splits_dtype)
    value_type = property(lambda self: RaggedTensor)

    def _serialize(self):
        return (self._shape, self._dtype, self._ragged_rank, self._row_splits_dtype)

    @property
    def _component_specs(self):
        rank = self._shape.rank
        inner = None if rank is None else [None] + self._shape.as_list()[self._ragged_rank + 1:]
        splits = [TensorSpec([None], self._row_splits_dtype)
                  for _ in range(self._ragged_rank)]
        if splits and rank is not None and self._shape[0] is not None:
            splits[0] = TensorSpec([self._shape[0] + 1], self._row_splits_dtype)
        return [TensorSpec(inner, self._dtype)] + splits

    def _to_components(self, value):
        if isinstance(value, RaggedTensor):
            return [value.flat_values] + list(value.nested_row_splits)
        return [value]

    def _from_components(self, components):
        if self._ragged_rank == 0:
            return components[0]
        return RaggedTensor._tapejax_rebuild((self._ragged_rank,), list(components))

    @classmethod
    def from_value(cls, value):
        return value._type_spec

