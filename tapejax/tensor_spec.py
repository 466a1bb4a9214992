"""``tf.TensorSpec``: the shape, dtype and name that describe a Tensor (for signatures)."""
from . import dtypes, nest
from .composite import TypeSpec
from .tensor import Tensor
from .tensor_shape import TensorShape


def _as_shape(shape):
    try:
        return TensorShape(shape)
    except (TypeError, ValueError):
        raise TypeError(f"Failed to convert '{shape!r}' to a shape. A shape should either be "
                        "single dimension (e.g. 10), or an iterable of dimensions (e.g. "
                        "[1, 10, None]).") from None


class TensorSpec(TypeSpec):
    """Describes a Tensor, as ``tf.TensorSpec(shape, dtype=tf.float32, name=None)``.

    ``None`` dimensions (and ``shape=None``) are unknown and compatible with any size.

    >>> import tapejax as tf
    >>> spec = tf.TensorSpec([2, None], tf.float32)
    >>> spec
    TensorSpec(shape=(2, None), dtype=tf.float32, name=None)
    >>> spec.is_compatible_with(tf.zeros([2, 5]))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = _as_shape(shape)
        try:
            self._dtype = dtypes.as_dtype(dtype)
        except TypeError:
            raise TypeError(f"Cannot convert the argument `type_value`: {dtype!r} to a "
                            "TensorFlow DType.") from None
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)
    value_type = property(lambda self: Tensor)

    @classmethod
    def from_tensor(cls, tensor, name=None):
        """The spec of a Tensor or Variable (its own name is not kept: tensors are eager)."""
        return cls(tensor.shape, tensor.dtype, name)

    @classmethod
    def from_spec(cls, spec, name=None):
        return cls(spec.shape, spec.dtype, spec.name if name is None else name)

    def is_compatible_with(self, spec_or_tensor):
        """True for a TensorSpec or Tensor of this dtype whose shape fits this one (as TF,
        Variables, NumPy arrays and Python values are not compatible)."""
        if not isinstance(spec_or_tensor, (TensorSpec, Tensor)):
            return False
        return (self._dtype == spec_or_tensor.dtype
                and self._shape.is_compatible_with(spec_or_tensor.shape))

    def is_subtype_of(self, other):
        """True when ``other`` has this dtype and is at least as general in every dimension."""
        if not isinstance(other, TensorSpec) or other.dtype != self._dtype:
            return False
        if other.shape.rank is None:
            return True
        if self._shape.rank != other.shape.rank:
            return False
        return all(b is None or a == b for a, b in zip(self._shape, other.shape))

    def most_specific_common_supertype(self, others):
        """The narrowest spec that every one of ``self`` and ``others`` is a subtype of."""
        dims = None if self._shape.rank is None else list(self._shape)
        for other in others:
            if not isinstance(other, TensorSpec) or other.dtype != self._dtype:
                return None
            if dims is None or other.shape.rank is None or len(dims) != other.shape.rank:
                dims = None
                continue
            dims = [a if a == b else None for a, b in zip(dims, other.shape)]
        names = {self._name, *(o.name for o in others)}
        return TensorSpec(dims, self._dtype, self._name if len(names) == 1 else None)

    def _key(self):
        return (self._shape, self._dtype, self._name)

    _serialize = _key  # TypeSpec's protocol: a TensorSpec is its own single component
    _component_specs = property(lambda self: self)

    def _to_components(self, value):
        return value

    def _from_components(self, components):
        return components

    def __eq__(self, other):
        return type(other) is type(self) and other._key() == self._key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        name = None if self._name is None else repr(self._name)
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={name})"


nest._register_leaf_type(TensorSpec)
