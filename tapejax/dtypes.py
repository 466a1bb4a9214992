"""TF dtype objects (``tf.float32`` …) mapped onto NumPy/JAX dtypes.

Matches ``tf.dtypes``: ``DType.name``, ``as_numpy_dtype``, ``is_floating`` …, ``repr`` is
``tf.float32`` and ``str`` is ``<dtype: 'float32'>``; a DType compares equal to the NumPy dtype
and to the name it stands for.
"""
import ml_dtypes
import numpy as np


class DType:
    """A TF element type. Use the module constants (``float32`` …) or :func:`as_dtype`."""

    __slots__ = ("_np", "_name")

    def __init__(self, np_dtype, name):
        self._np = np.dtype(np_dtype)
        self._name = name

    name = property(lambda self: self._name)
    as_numpy_dtype = property(lambda self: object if self is string else self._np.type)
    base_dtype = property(lambda self: self)
    real_dtype = property(lambda self: _REAL.get(self, self))
    size = property(lambda self: 0 if self is string else self._np.itemsize)
    is_floating = property(lambda self: self._np.kind == "f" or self is bfloat16)
    is_complex = property(lambda self: self._np.kind == "c")
    is_integer = property(lambda self: self._np.kind in "iu")
    is_unsigned = property(lambda self: self._np.kind == "u")
    is_bool = property(lambda self: self._np.kind == "b")
    is_numpy_compatible = property(lambda self: True)
    is_numeric = property(lambda self: self.is_inexact or self.is_integer,
                          doc="TF's: every integer, floating and complex dtype.")

    @property
    def is_inexact(self):
        """Floating or complex: the dtypes that carry gradients in TF."""
        return self.is_floating or self.is_complex

    @property
    def min(self):
        info = np.finfo(self._np) if self.is_floating else np.iinfo(self._np)
        return info.min

    @property
    def max(self):
        info = np.finfo(self._np) if self.is_floating else np.iinfo(self._np)
        return info.max

    def is_compatible_with(self, other):
        return self == as_dtype(other)

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        if other is None:
            return False
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f"tf.{self._name}"

    def __str__(self):
        return f"<dtype: '{self._name}'>"

    def __reduce__(self):
        return as_dtype, (self._name,)


float16 = half = DType(np.float16, "float16")
float32 = DType(np.float32, "float32")
float64 = double = DType(np.float64, "float64")
bfloat16 = DType(ml_dtypes.bfloat16, "bfloat16")
int8 = DType(np.int8, "int8")
int16 = DType(np.int16, "int16")
int32 = DType(np.int32, "int32")
int64 = DType(np.int64, "int64")
uint8 = DType(np.uint8, "uint8")
uint16 = DType(np.uint16, "uint16")
uint32 = DType(np.uint32, "uint32")
uint64 = DType(np.uint64, "uint64")
bool = DType(np.bool_, "bool")  # TF's name
complex64 = DType(np.complex64, "complex64")
complex128 = DType(np.complex128, "complex128")
string = DType(np.object_, "string")  # host-side: NumPy object arrays of bytes, as TF's numpy()

_ALL = (float16, float32, float64, bfloat16, int8, int16, int32, int64, uint8, uint16, uint32,
        uint64, bool, complex64, complex128, string)
_BY_NP = {d._np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, double=float64)
_REAL = {complex64: float32, complex128: float64}


def as_dtype(type_value):
    """Converts a DType, NumPy dtype/type or dtype name to a :class:`DType` (``tf.as_dtype``)."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        found = _BY_NAME.get(type_value)
        if found is not None:
            return found
    else:
        try:
            np_dtype = np.dtype(type_value)
            found = string if np_dtype.kind in "SU" else _BY_NP.get(np_dtype)
        except TypeError:
            found = None
        if found is not None:
            return found
    raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")


def from_numpy(np_dtype):
    """The DType of a NumPy/JAX array dtype (fast path used on every op output)."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        if np_dtype.kind in "SU":  # NumPy bytes/str arrays hold strings too
            return string
        raise
