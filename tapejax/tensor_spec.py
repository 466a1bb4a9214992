"""``tf.TensorSpec``: the shape (``None`` for unknown dimensions) and dtype of a tensor argument."""
from . import dtypes
from .tensor import TensorLike
from .tensor_shape import TensorShape


class TensorSpec:
    """Describes a tensor, as ``tf.TensorSpec``; used in ``tapejax.function(input_signature=...)``.

    >>> import tapejax as tf
    >>> spec = tf.TensorSpec([None, 3], tf.float32)
    >>> spec
    TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
    >>> spec.is_compatible_with(tf.ones([2, 3]))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        """The spec of a Tensor or Variable (fully defined shape)."""
        return cls(tensor.shape, tensor.dtype, name)

    @classmethod
    def from_spec(cls, spec, name=None):
        return cls(spec.shape, spec.dtype, spec.name if name is None else name)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    def is_compatible_with(self, spec_or_tensor):
        """Same dtype and compatible shape (``None`` matches any size), as TF."""
        other = spec_or_tensor
        if not isinstance(other, (TensorSpec, TensorLike)):
            return False
        return other.dtype == self._dtype and self._shape.is_compatible_with(other.shape)

    def __eq__(self, other):
        return (type(other) is type(self) and self._shape == other._shape
                and self._dtype == other._dtype and self._name == other._name)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._shape, self._dtype, self._name))

    def __repr__(self):
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"
