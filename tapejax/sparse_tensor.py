"""``tf.SparseTensor`` and ``tf.SparseTensorSpec``: a tensor given by the ``values`` at
``indices`` (int64, ``[N, rank]``) of a dense tensor of shape ``dense_shape`` (int64).

The three parts are Tensors: ops on the values are recorded on tapes like any op, so gradients
with respect to ``values`` come from JAX through the ``tf.sparse`` ops built on them. Under
``tapejax.function`` a SparseTensor argument is traced as its indices and values; its dense
shape is part of the trace key (XLA needs static shapes).
"""
from . import dtypes, errors
from .composite import CompositeTensor, TypeSpec
from .tensor import TensorLike, constant, convert_to_tensor
from .tensor_shape import TensorShape
from .tensor_spec import TensorSpec


def _concrete(x):
    """The NumPy value of a Tensor, or None while it is traced (or a TensorSpec)."""
    from .ops.array_ops import concrete
    return concrete(x) if isinstance(x, TensorLike) else None


def _rank_check(tensor, rank):
    if tensor.shape.rank != rank:
        raise ValueError(f"Shape {tensor.shape} must have rank {rank}")


def _dims_check(a, b):
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimensions {a} and {b} are not compatible")


def _static_dense(dense_shape):
    """The dense shape as a tuple of ints when it is concrete, else None."""
    value = _concrete(dense_shape)
    return None if value is None else tuple(int(d) for d in value.reshape(-1))


def _static_shape(dense, dense_shape):
    if dense is not None:
        return TensorShape(dense)
    rank = dense_shape.shape[0]
    return TensorShape(None if rank is None else [None] * rank)


class SparseTensor(CompositeTensor):
    """``tf.SparseTensor(indices, values, dense_shape)``, with TF's checks and ``repr``.

    >>> import tapejax as tf
    >>> st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
    >>> st.shape
    TensorShape([3, 4])
    >>> print(tf.sparse.to_dense(st).numpy())
    [[1. 0. 0. 0.]
     [0. 0. 2. 0.]
     [0. 0. 0. 0.]]
    """

    def __init__(self, indices, values, dense_shape):
        indices = _convert(indices, dtypes.int64, "indices")
        values = _convert(values, None, "values")
        if isinstance(dense_shape, TensorShape):
            dense_shape = dense_shape.as_list()
        dense_shape = _convert(dense_shape, dtypes.int64, "dense_shape")
        _rank_check(indices, 2)
        _rank_check(values, 1)
        _rank_check(dense_shape, 1)
        _dims_check(indices.shape[0], values.shape[0])
        _dims_check(indices.shape[1], dense_shape.shape[0])
        self._indices, self._values, self._dense_shape = indices, values, dense_shape
        self._dense = _static_dense(dense_shape)
        self._shape = _static_shape(self._dense, dense_shape)

    @classmethod
    def _make(cls, indices, values, dense_shape, shape=None):
        """A SparseTensor of parts already converted and checked (or TensorSpecs);
        ``dense_shape`` may be a tuple of ints (kept static, also inside traces)."""
        self = cls.__new__(cls)
        self._indices, self._values = indices, values
        if isinstance(dense_shape, tuple):
            self._dense, self._dense_shape = dense_shape, None
        else:
            self._dense, self._dense_shape = _static_dense(dense_shape), dense_shape
        self._shape = TensorShape(shape) if shape is not None else \
            _static_shape(self._dense, dense_shape)
        return self

    indices = property(lambda self: self._indices,
                       doc="The int64 ``[N, rank]`` positions of the values.")
    values = property(lambda self: self._values, doc="The ``[N]`` values.")
    def _dense_part(self):
        """The dense shape as ``_make`` takes it: static ints when known."""
        return self._dense if self._dense is not None else self._dense_shape

    @property
    def dense_shape(self):
        """The dense tensor's shape (a 1-D int64 Tensor)."""
        if self._dense_shape is None:  # made where it is used, so a trace sees a constant
            return constant(self._dense, dtypes.int64)
        return self._dense_shape
    dtype = property(lambda self: self._values.dtype)
    shape = property(lambda self: self._shape, doc="The static dense shape (TensorShape).")

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Refines the static shape (TF's ``ValueError`` when they are not compatible)."""
        shape = TensorShape(shape)
        if not self._shape.is_compatible_with(shape):
            raise ValueError(f"Shapes {self._shape} and {shape} are not compatible")
        if shape.rank is not None:
            old = [None] * shape.rank if self._shape.rank is None else list(self._shape)
            self._shape = TensorShape([a if a is not None else b for a, b in zip(old, shape)])

    def with_values(self, new_values):
        """The same positions and dense shape with ``new_values`` (TF's shape checks)."""
        return SparseTensor(self._indices, new_values, self.dense_shape)

    def _tapejax_map_values(self, fn):
        """The same positions with ``fn(values)`` (how ``tf.cast`` treats a SparseTensor)."""
        return SparseTensor._make(self._indices, fn(self._values), self._dense_part(),
                                  self._shape)

    @staticmethod
    def from_value(sparse_tensor_value):
        if isinstance(sparse_tensor_value, SparseTensor):
            return sparse_tensor_value
        raise TypeError(f"Argument sparse_tensor_value={sparse_tensor_value!r} is neither a "
                        "SparseTensor nor SparseTensorValue.")

    def _dense_operand(self, y, op_name):
        """``y`` broadcast to this dense shape and read at the indices (TF's sparse-dense ops
        broadcast the dense side only)."""
        from .ops import array_ops
        y = convert_to_tensor(y, dtype=self.dtype)
        dims = dense_shape_list(self, op_name)
        if y.shape.rank > len(dims) or any(
                a != 1 and a != b for a, b in zip(reversed(list(y.shape)), reversed(dims))):
            raise errors.InvalidArgumentError(None, None, (
                "SparseDenseBinaryOpShared broadcasts dense to sparse only; got incompatible "
                f"shapes: [{','.join(map(str, dims))}] vs. [{','.join(map(str, y.shape))}] "
                f"[Op:{op_name}] name: "))
        full = array_ops.broadcast_to(y, dims)
        return array_ops.gather_nd(full, self._indices)

    def __mul__(self, y):
        return SparseTensor._make(self._indices, self._values
                                  * self._dense_operand(y, "SparseDenseCwiseMul"),
                                  self._dense_part(), self._shape)

    def __truediv__(self, y):
        return SparseTensor._make(self._indices, self._values
                                  / self._dense_operand(y, "SparseDenseCwiseDiv"),
                                  self._dense_part(), self._shape)

    __div__ = __truediv__

    @property
    def _type_spec(self):
        return SparseTensorSpec(self._shape, self.dtype)

    def _tapejax_components(self):
        if self._dense is None:  # traced dense shape: traced as a third part
            return (None, self._shape), (self._indices, self._values, self._dense_shape)
        return (self._dense, self._shape), (self._indices, self._values)

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        dense, shape = static
        if dense is None:
            return cls._make(*parts, shape)
        return cls._make(parts[0], parts[1], dense, shape)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices!s}, values={self._values!s}, "
                f"dense_shape={self.dense_shape!s})")

    __str__ = __repr__


def _convert(value, dtype, what):
    """``convert_to_tensor`` with TF's argument name in the dtype-mismatch message."""
    try:
        return convert_to_tensor(value, dtype=dtype)
    except ValueError as e:
        raise ValueError(f"{what}: {e}") from None


class SparseTensorSpec(TypeSpec):
    """``tf.SparseTensorSpec(shape=None, dtype=tf.float32)``: the type of a SparseTensor."""

    __slots__ = ("_dtype", "_shape")

    def __init__(self, shape=None, dtype=dtypes.float32):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    value_type = property(lambda self: SparseTensor)

    def _serialize(self):
        return (self._shape, self._dtype)

    @property
    def _component_specs(self):
        rank = self._shape.rank
        return [TensorSpec([None, rank], dtypes.int64), TensorSpec([None], self._dtype),
                TensorSpec([rank], dtypes.int64)]

    def _to_components(self, value):
        return [value.indices, value.values, value.dense_shape]

    def _from_components(self, components):
        indices, values, dense_shape = components
        return SparseTensor._make(indices, values, dense_shape, self._shape)

    @classmethod
    def from_value(cls, value):
        return value._type_spec


def dense_shape_list(sp_input, op_name):
    """The concrete dense shape of ``sp_input`` as a list of ints (NotImplementedError while
    it is traced: XLA needs static shapes)."""
    if sp_input._dense is None:
        raise NotImplementedError(f"{op_name} needs a SparseTensor whose dense_shape is known "
                                  "when the program is traced (XLA needs static shapes).")
    return list(sp_input._dense)
