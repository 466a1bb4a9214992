"""Special functions and complex parts (``tf.math.erfinv``, ``igamma``, ``bessel_*``, ``real``,
``tf.math.special``), and TF's other division ops (``realdiv``, ``truncatediv``,
``truncatemod``), one registration each; JAX supplies the values and derivatives.

Where TF has no gradient for an input (``betainc`` w.r.t. ``a`` and ``b``), that input reaches
the op through a non-differentiable identity, so a tape reports None for it as TF.
"""
import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .. import dtypes, errors
from ..tensor import TensorLike, _argument_hint
from . import array_ops
from .core import (
    _renamed,
    apply,
    binary,
    match,
    no_kernel,
    nonzero_divisor,
    register,
    require_inexact,
    tf_type_name,
    to_tensor,
    type_not_allowed,
    unary,
)
from .math_ops import _divide_no_nan

_REAL = "bfloat16, half, float, double"


def _identity(x):
    return x


def _not_differentiated(x):
    """``x`` as an input whose gradient TF does not define (the tape then gives None)."""
    return apply(_identity, (x,), (), "Identity", differentiable=False)


# --- unary special functions ---------------------------------------------------------------
erfinv = unary("erfinv", jss.erfinv, float_only=_REAL, domain=(-0.9, 0.9))
ndtri = unary("ndtri", jss.ndtri, float_only=_REAL, domain=(0.1, 0.9))
bessel_i0 = unary("bessel_i0", jss.i0, float_only=_REAL, tf_name="BesselI0")
bessel_i0e = unary("bessel_i0e", jss.i0e, float_only=_REAL, tf_name="BesselI0e")
bessel_i1 = unary("bessel_i1", jss.i1, float_only=_REAL, tf_name="BesselI1")
bessel_i1e = unary("bessel_i1e", jss.i1e, float_only=_REAL, tf_name="BesselI1e")
dawsn = unary("dawsn", jss.dawsn, float_only=_REAL)
expint = unary("expint", jss.expi, float_only=_REAL, domain=(0.2, 3.0))
rint = unary("rint", jnp.rint, float_only=_REAL, differentiable=False,
             doc="``tf.math.rint``: rounds half to even; no gradient (None), as TF.")


def erfcinv(x, name=None):
    """``tf.math.erfcinv``: ``-ndtri(x / 2) / sqrt(2)``, TF's formula (and its dtype rule)."""
    x = to_tensor(x)
    _python_float(x, 0.5)
    return ndtri(x * 0.5) * -0.7071067811865476


def _python_float(x, value):
    """TF's ``TypeError`` where its Python code multiplies a non-float Tensor by ``value``."""
    if not x.dtype.is_inexact:
        raise TypeError(f"Cannot convert {value} to EagerTensor of dtype {x.dtype.name}")


def _reciprocal_no_nan(x):
    return _divide_no_nan(jnp.ones_like(x), x)


@register("reciprocal_no_nan", _reciprocal_no_nan, kind="unary", float_only=True,
          tf_name="DivNoNan")
def reciprocal_no_nan(x, name=None):
    """``tf.math.reciprocal_no_nan``: ``1 / x``, 0 where x is 0. TF's Python code converts 1
    to ``x``'s dtype first: a bool or string ``x`` is its ``TypeError``."""
    x = to_tensor(x)
    if x.dtype.is_bool or x.dtype is dtypes.string:
        raise TypeError(f"Cannot convert 1 to EagerTensor of dtype {x.dtype.name}"
                        " (argument `x` of tf.math.reciprocal_no_nan)")
    require_inexact(x, "DivNoNan", "half, float, bfloat16, double, complex64, complex128")
    return apply(_reciprocal_no_nan, (x,), (), "DivNoNan")


# --- binary special functions --------------------------------------------------------------
igamma = binary("igamma", jss.gammainc, float_only=_REAL, domain=(0.5, 3.0), names=("a", "x"))
igammac = binary("igammac", jss.gammaincc, float_only=_REAL, domain=(0.5, 3.0),
                 names=("a", "x"))
xlog1py = binary("xlog1py", jss.xlog1py, domain=(0.1, 3.0),
                 float_only="half, bfloat16, float, double, complex64, complex128")


@jax.custom_jvp
def _nextafter(x1, x2):
    return jnp.nextafter(x1, x2)


@_nextafter.defjvp
def _nextafter_jvp(primals, tangents):
    out = _nextafter(*primals)
    return out, jnp.broadcast_to(tangents[0], out.shape)


def _typed(x, y, op_name, allowed):
    """Both operands with one dtype, which must be in TF's list ``allowed`` (dtype names)."""
    x, y = match(x, y, op_name, strict=True)
    dtype = to_tensor(x).dtype
    no_kernel(dtype, op_name)
    if dtype.name not in allowed:
        names = ", ".join(tf_type_name(to_tensor(0, a).dtype) for a in allowed)
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of {tf_type_name(dtype)} is not in the list of allowed values: "
            f"{names} [Op:{op_name}] name: "))
    return x, y


@register("nextafter", _nextafter, kind="binary", float_only=True, tf_name="NextAfter")
def nextafter(x1, x2, name=None):
    """``tf.math.nextafter`` (float32/float64); its gradient is 1 for ``x1`` and 0 for ``x2``,
    as TF's."""
    x1, x2 = _typed(x1, x2, "NextAfter", ("float64", "float32"))
    return apply(_nextafter, (x1, x2), (), "NextAfter")


# --- divisions ------------------------------------------------------------------------------
def _realdiv(x, y):
    return jnp.true_divide(x, y)


@register("realdiv", _realdiv, kind="binary", domain=(0.5, 2.0), tf_name="RealDiv")
def realdiv(x, y, name=None):
    """``tf.realdiv``: ``x / y`` for float and complex tensors; TF has no integer kernel."""
    if isinstance(x, TensorLike):  # TF looks up the kernel for ``x``'s dtype first
        _realdiv_kernel(x.dtype)
    x, y = match(x, y, "RealDiv", strict=True)
    _realdiv_kernel(to_tensor(x).dtype)
    return apply(_realdiv, (x, y), (), "RealDiv")


_REALDIV_TYPES = ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, "
                  "uint64, int64, complex64, complex128")


def _realdiv_kernel(dtype):
    """TF's errors for a ``RealDiv`` of ``dtype``: bool is not an allowed type, an integer has
    no CPU kernel."""
    if dtype.is_bool or dtype is dtypes.string:
        raise type_not_allowed(dtype, "RealDiv", _REALDIV_TYPES)
    if not dtype.is_inexact:
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node RealDiv}}}} = RealDiv"
            f"[T=DT_{tf_type_name(dtype).upper()}] [Op:RealDiv] name: "))


def _truncatediv(x, y):
    if jnp.issubdtype(jnp.result_type(x), jnp.integer):
        return jnp.sign(x) * jnp.sign(y) * (jnp.abs(x) // jnp.abs(y))
    return jnp.trunc(x / y)


truncatediv = binary("truncatediv", _truncatediv, tf_name="TruncateDiv", differentiable=False,
                     domain=(0.5, 2.0),
                     check=nonzero_divisor("TruncateDiv", errors.InternalError),
                     doc="``tf.truncatediv``: division rounded toward zero (C's ``/`` for "
                         "integers). No gradient (None), as TF.")


@jax.custom_jvp
def _truncatemod(x, y):
    return jnp.fmod(x, y)


@_truncatemod.defjvp
def _truncatemod_jvp(primals, tangents):
    raise LookupError("gradient registry has no entry for: TruncateMod")


_MOD_TYPES = ("int32", "int64", "bfloat16", "float16", "float32", "float64")


_truncatemod_divisor = nonzero_divisor("TruncateMod", errors.InternalError)


@register("truncatemod", _truncatemod, tf_name="TruncateMod")
def truncatemod(x, y, name=None):
    """``tf.truncatemod``: the remainder of division toward zero (C's ``fmod``); a gradient
    raises TF's ``LookupError`` (TF defines none)."""
    x, y = _typed(x, y, "TruncateMod", _MOD_TYPES)
    _truncatemod_divisor(x, y)
    return apply(_truncatemod, (x, y), (), "TruncateMod")


# --- complex parts ---------------------------------------------------------------------------
def _real(x):
    return jnp.real(x)


def _imag(x):
    return jnp.imag(x)


def _angle(x):
    return jnp.angle(x).astype(jnp.real(x).dtype)


def _real_angle(x):
    return jnp.where(x < 0, jnp.pi, 0.0).astype(x.dtype)


def _check_real_part_input(x, tf_name, value):
    """TF's ``TypeError`` where its Python code rejects a bool or string ``x`` (``value`` is the
    Python input, for the message's argument hint)."""
    if not (x.dtype.is_bool or x.dtype is dtypes.string) or tf_name == "Imag":
        return
    hint = _argument_hint(value) or f" (argument `input` of tf.math.{tf_name.lower()})"
    if tf_name == "Conj":
        raise TypeError(f"Expected numeric or variant tensor, got dtype tf.{x.dtype.name}.{hint}")
    if tf_name == "Real":
        raise TypeError("input must be a numeric tensor, but got tensor with dtype "
                        f"<dtype: '{x.dtype.name}'>{hint}")
    if tf_name == "Angle":  # TF compares ``input < 0``: 0 does not convert to its dtype
        raise TypeError(f"Cannot convert 0 to EagerTensor of dtype {x.dtype.name}{hint}")


def _check_angle_input(x, value):
    """TF's ``TypeError`` for an integer ``x`` of ``tf.math.angle`` (TF multiplies by pi)."""
    if not x.dtype.is_inexact:
        raise TypeError("Cannot convert 3.141592653589793 to EagerTensor of dtype "
                        f"{x.dtype.name}{_argument_hint(value)}")


def _complex_part(name, fn, tf_name, real_result, doc):
    def api(input, name=None):  # TF's name (``x`` for conj: renamed below)
        tensor = to_tensor(input)
        _check_real_part_input(tensor, tf_name, input)
        if tensor.dtype.is_complex:
            return apply(fn, (tensor,), (), tf_name)
        if tf_name == "Angle":
            _check_angle_input(tensor, input)
        if real_result is None:
            return tensor
        if tensor.dtype is dtypes.string:  # TF's ``zeros_like``: empty strings
            return array_ops.zeros_like(tensor)
        return apply(real_result, (tensor,), (), tf_name, differentiable=False)
    api.__doc__ = doc
    api = _renamed(api, ("x",)) if tf_name == "Conj" else api
    return register(name, fn, tf_name=tf_name)(api)


real = _complex_part("real", _real, "Real", None,
                     "``tf.math.real``: the real part; a real tensor is returned as it is.")
conj = _complex_part("conj", jnp.conj, "Conj", None,
                     "``tf.math.conj``: the complex conjugate; a real tensor is returned as is.")
imag = _complex_part("imag", _imag, "Imag", jnp.zeros_like,
                     "``tf.math.imag``: the imaginary part (zeros, without a gradient, for a "
                     "real tensor).")
angle = _complex_part("angle", _angle, "Angle", _real_angle,
                      "``tf.math.angle``: the argument; for a real float tensor pi where it is "
                      "negative, else 0 (no gradient, as TF).")
