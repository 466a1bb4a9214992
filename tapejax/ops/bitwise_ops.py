"""``tf.bitwise`` and ``tf.bitcast``: bit operations on integer tensors (TF's kernels and
errors)."""
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import errors
from ..tensor import TensorLike
from .core import _NO_ATTRS, apply, as_dtype, attrs, match, to_tensor, type_not_allowed

_INT_TYPES = "int8, int16, int32, int64, uint8, uint16, uint32, uint64"
# TF's DataType numbers, which its Bitcast error message prints
_TF_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
            "complex64": 8, "int64": 9, "bfloat16": 14, "uint16": 17, "complex128": 18,
            "float16": 19, "uint32": 22, "uint64": 23}


def _bitwise(fn, tf_name, doc):
    def api(x, y, name=None):
        x, y = match(x, y, tf_name, True)
        dtype = (x if isinstance(x, TensorLike) else y).dtype
        if not dtype.is_integer:
            raise type_not_allowed(dtype, tf_name, _INT_TYPES)
        return apply(fn, (x, y), _NO_ATTRS, tf_name, False)
    api.__doc__ = doc
    return api


bitwise_and = _bitwise(jnp.bitwise_and, "BitwiseAnd", "``tf.bitwise.bitwise_and``.")
bitwise_or = _bitwise(jnp.bitwise_or, "BitwiseOr", "``tf.bitwise.bitwise_or``.")
bitwise_xor = _bitwise(jnp.bitwise_xor, "BitwiseXor", "``tf.bitwise.bitwise_xor``.")
left_shift = _bitwise(jnp.left_shift, "LeftShift", "``tf.bitwise.left_shift``.")
right_shift = _bitwise(jnp.right_shift, "RightShift",
                       "``tf.bitwise.right_shift``: arithmetic for signed types, as TF.")


def invert(x, name=None):
    """``tf.bitwise.invert``: flips every bit of an integer tensor."""
    x = to_tensor(x)
    if not x.dtype.is_integer:
        raise type_not_allowed(x.dtype, "Invert", _INT_TYPES)
    return apply(jnp.invert, (x,), _NO_ATTRS, "Invert", False)


def _bitcast(x, type):  # TF's attribute name
    return lax.bitcast_convert_type(x, np.dtype(type))


def bitcast(input, type, name=None):  # TF's argument names
    """``tf.bitcast``: the same bits read as ``type``. A wider ``type`` consumes the last
    dimension (its size must be the width ratio); a narrower one adds it, as in TF."""
    x = to_tensor(input)
    target = as_dtype(type, "type")
    if x.dtype.is_bool or target.is_bool or x.dtype.name == "string" or target.name == "string":
        raise type_not_allowed(x.dtype if x.dtype.is_bool or x.dtype.name == "string"
                               else target, "Bitcast", "bfloat16, half, float, double, int64, "
                               "int32, uint8, uint16, uint32, uint64, int8, int16, complex64, "
                               "complex128, qint8, quint8, qint16, quint16, qint32")
    size_in = x.dtype.size
    size_out = target.size
    if size_out > size_in and (x.shape.rank == 0 or x.shape[-1] != size_out // size_in):
        raise errors.InvalidArgumentError(None, None, (
            f"Cannot bitcast from {_TF_ENUM[x.dtype.name]} to {_TF_ENUM[target.name]} "
            "[Op:Bitcast] name: "))
    return apply(_bitcast, (x,), attrs(type=target.as_numpy_dtype), "Bitcast", False)
