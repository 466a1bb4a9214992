"""Elementwise, reduction, scan and segment ops (``tf.math``, ``tf.linalg.matmul``), one each.

JAX supplies every value and every derivative. The functions defined here adapt TF's signature
or dtype rule, or give TF's gradient where it differs from JAX's (each one says so and is tested
against TensorFlow): ``abs`` at 0, ties in ``maximum``/``minimum``, ``pow`` for ``x <= 0``,
``sqrt``/``rsqrt``/``reciprocal`` when the incoming gradient is 0, ``multiply_no_nan``,
``xlogy``/``xdivy``/``divide_no_nan`` at their guarded points.
"""
import collections

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import dtypes, errors
from ..tensor import Tensor, TensorLike, _is_text
from ._fuse import fused
from .core import (
    apply,
    as_dtype,
    attrs,
    binary,
    bool_input,
    dims_str,
    dtype_of,
    hint,
    known_value,
    match,
    no_kernel,
    nonzero_divisor,
    normalize_axis,
    reduction,
    register,
    reject_text,
    require_inexact,
    require_numeric,
    require_type,
    required_int,
    select_rank_limit,
    shape_check_error,
    static_int,
    tf_type_name,
    to_tensor,
    type_not_allowed,
    unary,
)

# TF's lists of allowed kernel types, quoted in its error for an integer input.
_REAL = "bfloat16, half, float, double"
_SOFTPLUS_TYPES = "half, bfloat16, float, double"
_XLOGY_TYPES = "half, bfloat16, float, double, complex64, complex128"
_REAL_NUMBERS = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, "
                 "uint64")


# --- TF's gradients where they differ from JAX's -------------------------------------------
# Each rule computes its primal with the ruled function itself, not plain JAX, so that
# higher-order gradients follow the rule too.
@jax.custom_jvp
def _real_abs(x):
    return jnp.abs(x)


@_real_abs.defjvp
def _real_abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _real_abs(x), t * jnp.sign(x)  # TF: grad * sign(x), so 0 at x == 0 (JAX gives 1)


def _abs(x):
    return jnp.abs(x) if jnp.iscomplexobj(x) else _real_abs(x)


def _tie_to_first(fn, first_wins):
    """``fn(x, y)`` whose derivative follows x wherever ``first_wins(x, y)``, else y.

    TF gives the whole gradient of a tie in maximum/minimum to x; JAX splits it in half.
    """
    f = jax.custom_jvp(fn)

    @f.defjvp
    def jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), jnp.where(first_wins(x, y), tx, ty)
    f.__name__ = f.__qualname__ = f"_{fn.__name__}"
    return f


_maximum = _tie_to_first(jnp.maximum, jnp.greater_equal)
_minimum = _tie_to_first(jnp.minimum, jnp.less_equal)


@jax.custom_jvp
def _real_pow(x, y):
    return jnp.power(x, y)


@_real_pow.defjvp
def _real_pow_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    z = _real_pow(x, y)
    positive = x > 0
    log_x = jnp.where(positive, jnp.log(jnp.where(positive, x, jnp.ones_like(x))), 0)
    return z, tx * (y * _real_pow(x, y - 1)) + ty * (z * log_x)  # TF: d/dy is 0 for x <= 0


def _pow(x, y):
    return jnp.power(x, y) if jnp.iscomplexobj(x) else _real_pow(x, y)


def _zero_for_zero_gradient(fn, grad_fn, name):
    """``fn`` with TF's gradient ``grad_fn(y, g)``, which is 0 wherever ``g`` is 0.

    TF's Sqrt/Rsqrt/Reciprocal gradient kernels return 0 for a zero incoming gradient even
    where the derivative is infinite (so ``tf.where(x > 0, tf.sqrt(x), 0)`` has a finite
    gradient at 0); JAX's is ``0 * inf = nan`` there.
    """
    f = jax.custom_vjp(fn)

    def fwd(x):
        y = f(x)  # f, not fn: a higher-order gradient follows the same rule
        return y, y

    def bwd(y, g):
        return (jnp.where(g == 0, jnp.zeros_like(g), grad_fn(y, g)),)
    f.defvjp(fwd, bwd)
    f.__name__ = f.__qualname__ = name
    return f


_sqrt = _zero_for_zero_gradient(jnp.sqrt, lambda y, g: g * 0.5 / y, "_sqrt")
_rsqrt = _zero_for_zero_gradient(lax.rsqrt, lambda y, g: g * -0.5 * y * y * y, "_rsqrt")
_reciprocal = _zero_for_zero_gradient(jnp.reciprocal, lambda y, g: -g * y * y, "_reciprocal")


@jax.custom_jvp
def _multiply_no_nan(x, y):
    product = jnp.multiply(x, y)
    return jnp.where(y == 0, jnp.zeros_like(product), product)


@_multiply_no_nan.defjvp
def _multiply_no_nan_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    zero = y == 0
    out = _multiply_no_nan(x, y)
    dx = jnp.multiply(tx, y)
    return out, jnp.where(zero, jnp.zeros_like(dx), dx) + jnp.multiply(ty, x)  # TF: d/dy = x


def _xlogy(x, y):
    zero = x == 0
    safe_y = jnp.where(zero, jnp.ones_like(y), y)
    return jnp.where(zero, jnp.zeros_like(x), x * jnp.log(safe_y))


def _xdivy(x, y):
    zero = x == 0
    safe_y = jnp.where(zero, jnp.ones_like(y), y)
    return jnp.where(zero, jnp.zeros_like(x), x / safe_y)


@fused
def _divide_no_nan(x, y):
    zero = y == 0
    safe_y = jnp.where(zero, jnp.ones_like(y), y)
    return jnp.where(zero, jnp.zeros_like(x), x / safe_y)


def _log_sigmoid(x):
    return -jax.nn.softplus(-x)


def _squared_difference(x, y):
    diff = x - y
    return diff * jnp.conj(diff) if jnp.iscomplexobj(diff) else jnp.square(diff)  # TF's |x-y|^2


# --- unary --------------------------------------------------------------------------------
negative = unary("negative", jnp.negative, tf_name="Neg")
abs = unary("abs", _abs, tf_name="Abs",  # TF's name
            doc="``tf.math.abs``; the gradient at 0 is 0 (TF's ``sign(x)``).")
sign = unary("sign", jnp.sign, doc="``tf.math.sign``; its gradient is zero (not None), as in TF.")
square = unary("square", jnp.square)
sqrt = unary("sqrt", _sqrt, float_only=True, domain=(0.1, 4.0),
             doc="``tf.math.sqrt``; a zero incoming gradient gives 0 even at x == 0, as in TF.")
rsqrt = unary("rsqrt", _rsqrt, float_only=True, domain=(0.1, 4.0),
              doc="``tf.math.rsqrt``; a zero incoming gradient gives 0 even at x == 0, as in TF.")
exp = unary("exp", jnp.exp, float_only=True)
expm1 = unary("expm1", jnp.expm1, float_only=True)
log = unary("log", jnp.log, float_only=True, domain=(0.1, 4.0))
log1p = unary("log1p", jnp.log1p, float_only=True, domain=(-0.9, 4.0), tf_name="Log1p")
sin = unary("sin", jnp.sin, float_only=True)
cos = unary("cos", jnp.cos, float_only=True)
tan = unary("tan", jnp.tan, float_only=True, domain=(-1.2, 1.2))
asin = unary("asin", jnp.arcsin, float_only=True, domain=(-0.9, 0.9))
acos = unary("acos", jnp.arccos, float_only=True, domain=(-0.9, 0.9))
atan = unary("atan", jnp.arctan, float_only=True)
sinh = unary("sinh", jnp.sinh, float_only=True)
cosh = unary("cosh", jnp.cosh, float_only=True)
tanh = unary("tanh", jnp.tanh, float_only=True)
asinh = unary("asinh", jnp.arcsinh, float_only=True)
acosh = unary("acosh", jnp.arccosh, float_only=True, domain=(1.1, 4.0))
atanh = unary("atanh", jnp.arctanh, float_only=True, domain=(-0.9, 0.9))
erf = unary("erf", lax.erf, float_only=_REAL)
erfc = unary("erfc", lax.erfc, float_only=_REAL)
lgamma = unary("lgamma", lax.lgamma, float_only=_REAL, domain=(0.2, 4.0))
digamma = unary("digamma", lax.digamma, float_only=_REAL, domain=(0.5, 4.0))
sigmoid = unary("sigmoid", jax.nn.sigmoid, float_only=True)
softplus = unary("softplus", jax.nn.softplus, float_only=_SOFTPLUS_TYPES, param="features")
log_sigmoid = unary("log_sigmoid", _log_sigmoid, float_only=_SOFTPLUS_TYPES, tf_name="Softplus",
                    doc="``tf.math.log_sigmoid``: ``-softplus(-x)``, as TF computes it.")
floor = unary("floor", jnp.floor, float_only=_REAL, differentiable=False,
              doc="``tf.math.floor``; TF defines no gradient (None).")
ceil = unary("ceil", jnp.ceil, float_only=_REAL, differentiable=False,
             doc="``tf.math.ceil``; TF defines no gradient (None).")
round = unary("round", jnp.round, differentiable=False,  # TF's name
              doc="``tf.math.round``: half to even; TF defines no gradient (None).")
is_finite = unary("is_finite", jnp.isfinite, float_only=_REAL, differentiable=False)
is_inf = unary("is_inf", jnp.isinf, float_only=_REAL, tf_name="IsInf", differentiable=False)
is_nan = unary("is_nan", jnp.isnan, float_only=_REAL, tf_name="IsNan", differentiable=False)
def _identity(x):
    return x


_identity.row_passthrough = True  # TF's gradient passes IndexedSlices on (``_graph``)
identity = unary("identity", _identity, tf_name="Identity", bool_ok=True,
                 doc="``tf.identity``: the same value as a new Tensor (gradient passes through).",
                 param="input")
stop_gradient = unary("stop_gradient", lax.stop_gradient, tf_name="StopGradient",
                      differentiable=False, bool_ok=True,
                      doc="``tf.stop_gradient``: not recorded, so gradients through it are None.",
                      param="input")
invert_op = unary("invert_op", jnp.invert, tf_name="Invert", differentiable=False,
                  domain="bool", bool_ok=True,
                  doc="``~x``: logical not for bool, bitwise invert for integers (TF's rule).")


@register("reciprocal", _reciprocal, kind="unary", domain=(0.5, 2.0), float_only=True,
          tf_name="Reciprocal")
def reciprocal(x, name=None):
    """``tf.math.reciprocal``; a zero incoming gradient gives 0 even at x == 0, as in TF."""
    x = to_tensor(x)
    require_numeric(x, "Reciprocal")
    if not x.dtype.is_inexact:  # TF has no integer kernel: NotFoundError, not a type error
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node Reciprocal}}}} = "
            f"Reciprocal[T=DT_{x.dtype.name.upper()}] [Op:Reciprocal] name: "))
    return apply(_reciprocal, (x,), (), "Reciprocal")


def _bool_inputs(values, tf_name):
    """The inputs of a logical op as TF converts them: a Python value to bool (its
    ``TypeError`` for numbers and strings), a NumPy value cast; a Tensor of another dtype is
    the kernel's ``InvalidArgumentError``."""
    xs = tuple(bool_input(v) for v in values)
    for k, t in enumerate(xs):
        if not t.dtype.is_bool:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op=tf_name, index=k, expected="bool", got=tf_type_name(t.dtype)))
    return xs


def _logical(name, fn, tf_name, n_inputs):
    if n_inputs == 1:
        def unary_api(x, name=None):
            return apply(fn, _bool_inputs((x,), tf_name), (), tf_name, differentiable=False)
        unary_api.__doc__ = f"``tf.math.{name}`` on bool tensors."
        return register(name, fn, kind="unary", differentiable=False, domain="bool",
                        tf_name=tf_name)(unary_api)

    def api(x, y, name=None):
        return apply(fn, _bool_inputs((x, y), tf_name), (), tf_name, differentiable=False)
    api.__doc__ = f"``tf.math.{name}`` on bool tensors, with broadcasting."
    return register(name, fn, kind="binary", differentiable=False, domain="bool",
                    tf_name=tf_name)(api)


logical_not = _logical("logical_not", jnp.logical_not, "LogicalNot", 1)
logical_and = _logical("logical_and", jnp.logical_and, "LogicalAnd", 2)
logical_or = _logical("logical_or", jnp.logical_or, "LogicalOr", 2)
logical_xor = _logical("logical_xor", jnp.logical_xor, "LogicalOr", 2)  # TF builds it from Or

# --- binary -------------------------------------------------------------------------------
# TF's lists of allowed kernel types, in the order of its messages.
_ADD_TYPES = ("bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, "
              "int64, complex64, complex128")
_SUB_TYPES = ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, "
              "complex64, complex128, uint32, uint64")
_MUL_TYPES = ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, "
              "int64, complex64, complex128")
_MAX_TYPES = ("bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, "
              "uint64")
_COMPARE_TYPES = ("float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, "
                  "uint32, uint64")
_FLOORDIV_TYPES = ("bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, "
                   "uint64, int64, complex64, complex128")
_FLOORMOD_TYPES = ("int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, "
                   "float, double")
_SQUARED_DIFFERENCE_TYPES = "bfloat16, half, float, double, int32, int64, complex64, complex128"
_POW_TYPES = "bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128"

add = binary("add", jnp.add, tf_name="AddV2", types=_ADD_TYPES, strict=False)
subtract = binary("subtract", jnp.subtract, tf_name="Sub", types=_SUB_TYPES)
multiply = binary("multiply", jnp.multiply, tf_name="Mul", types=_MUL_TYPES)
maximum = binary("maximum", _maximum, types=_MAX_TYPES,
                 doc="``tf.math.maximum``; where x == y the whole gradient goes to x, as in TF.")
minimum = binary("minimum", _minimum, types=_MAX_TYPES,
                 doc="``tf.math.minimum``; where x == y the whole gradient goes to x, as in TF.")
squared_difference = binary("squared_difference", _squared_difference,
                            types=_SQUARED_DIFFERENCE_TYPES)
atan2 = binary("atan2", jnp.arctan2, float_only=_REAL, names=("y", "x"))
xlogy = binary("xlogy", _xlogy, float_only=_XLOGY_TYPES, domain=(0.1, 4.0),
               doc="``tf.math.xlogy``: 0 where x == 0, with TF's zero gradients there.")
xdivy = binary("xdivy", _xdivy, float_only=_XLOGY_TYPES, domain=(0.5, 2.0),
               doc="``tf.math.xdivy``: 0 where x == 0, with TF's zero gradients there.")


@register("multiply_no_nan", _multiply_no_nan, kind="binary", float_only=True, tf_name="MulNoNan")
def multiply_no_nan(x, y, name=None):
    """``tf.math.multiply_no_nan``: 0 where y == 0 even for inf/nan x; TF's gradients. As TF,
    ``x`` is converted alone and ``y`` to its dtype (``ValueError`` for a Tensor of another)."""
    if _is_text(x):
        if dtype_of(y) is None:
            reject_text(x, converted=y)
        x_dtype = "string"
    else:
        x = to_tensor(x)
        x_dtype = x.dtype.name
    if isinstance(y, TensorLike) and y.dtype.name != x_dtype:
        raise ValueError("y: " + errors.CONVERSION_DTYPE.format(
            requested=x_dtype, actual=y.dtype.name, value=y)
            + " (argument `y` of tf.math.multiply_no_nan)")
    x, y = match(x, y, "MulNoNan", strict=True)
    require_inexact(x, "MulNoNan")
    return apply(_multiply_no_nan, (x, y), (), "MulNoNan")


floordiv = binary("floordiv", jnp.floor_divide, tf_name="FloorDiv", differentiable=False,
                  types=_FLOORDIV_TYPES, check=nonzero_divisor("FloorDiv"))


@jax.custom_jvp
def _float_mod(x, y):
    return jnp.mod(x, y)


@_float_mod.defjvp
def _float_mod_jvp(primals, tangents):
    """JAX's derivative of ``x - y * floor(x / y)``, TF's for ``FloorMod``: it reaches the
    inputs through ``floor`` only (no second order, as TF), where ``jnp.mod``'s goes through
    ``sign``."""
    return jnp.mod(*primals), jax.jvp(lambda x, y: x - y * jnp.floor(x / y), primals,
                                      tangents)[1]


@fused
def _floormod(x, y):
    return _float_mod(x, y) if jnp.issubdtype(x.dtype, jnp.floating) else jnp.mod(x, y)


floormod = binary("floormod", _floormod, tf_name="FloorMod", domain=(0.5, 2.0),
                  types=_FLOORMOD_TYPES, check=nonzero_divisor("FloorMod"))
equal = binary("equal", jnp.equal, differentiable=False)
not_equal = binary("not_equal", jnp.not_equal, tf_name="NotEqual", differentiable=False)
less = binary("less", jnp.less, differentiable=False, types=_COMPARE_TYPES)
less_equal = binary("less_equal", jnp.less_equal, tf_name="LessEqual", differentiable=False,
                    types=_COMPARE_TYPES)
greater = binary("greater", jnp.greater, differentiable=False, types=_COMPARE_TYPES)
greater_equal = binary("greater_equal", jnp.greater_equal, tf_name="GreaterEqual",
                       differentiable=False, types=_COMPARE_TYPES)
_LOGICAL_DOC = "``x {} y``: logical for bool, bitwise for integers (TF's operator rule)."
bitwise_and_op = binary("bitwise_and_op", jnp.bitwise_and, tf_name="LogicalAnd",
                        differentiable=False, domain="bool", doc=_LOGICAL_DOC.format("&"))
bitwise_or_op = binary("bitwise_or_op", jnp.bitwise_or, tf_name="LogicalOr",
                       differentiable=False, domain="bool", doc=_LOGICAL_DOC.format("|"))
bitwise_xor_op = binary("bitwise_xor_op", jnp.bitwise_xor, tf_name="LogicalXor",
                        differentiable=False, domain="bool", doc=_LOGICAL_DOC.format("^"))


def _float_divide(x, y):
    return jnp.true_divide(x, y)


_INT_TO_FLOAT = {"int8": jnp.float32, "uint8": jnp.float32, "int16": jnp.float32,
                 "uint16": jnp.float32}


def _as_float(x, y):
    target = _INT_TO_FLOAT.get(jnp.result_type(x).name, jnp.float64)
    return jnp.asarray(x).astype(target), jnp.asarray(y).astype(target)


def _int_truediv(x, y):
    return jnp.true_divide(*_as_float(x, y))


@fused
def _int_divide_no_nan(x, y):
    return _divide_no_nan(*_as_float(x, y))


def _division(name, float_fn, int_fn, tf_name, doc):
    op = f"tf.math.{name}"

    def api(x, y, name=None):
        if _is_text(x) or _is_text(y):
            match(x, y, tf_name, strict=True)  # TF's TypeError naming the string argument
        if name_is_no_nan and not isinstance(x, TensorLike) and isinstance(y, TensorLike):
            x = to_tensor(x, y.dtype)  # divide_no_nan converts x to y's dtype
        else:  # TF converts x alone and y with x's dtype as a hint
            x = to_tensor(x)
            y = y if isinstance(y, TensorLike) else hint(y, x.dtype)
        dx, dy = x.dtype, dtype_of(y) or x.dtype
        if dx != dy:  # TF checks these two in Python
            raise TypeError(f"`x` and `y` must have the same dtype, got {dx!r} != {dy!r}. "
                            f"({op})")
        if dx.is_bool:
            raise TypeError(f"Invalid dtype tf.bool in {op}: TF divides integer, float and "
                            f"complex tensors only.")
        if dx.is_integer:
            return apply(int_fn, (x, y), (), tf_name, differentiable=False)
        return apply(float_fn, (x, y), (), tf_name)
    name_is_no_nan = name == "divide_no_nan"
    api.__doc__ = doc
    return register(name, float_fn, kind="binary", domain=(0.5, 2.0), tf_name=tf_name)(api)


truediv = _division("truediv", _float_divide, _int_truediv, "RealDiv", (
    "``x / y`` as TF: integers are divided as float32 (8/16-bit) or float64 (32/64-bit)."))
divide_no_nan = _division("divide_no_nan", _divide_no_nan, _int_divide_no_nan, "DivNoNan", (
    "``tf.math.divide_no_nan``: 0 where y == 0, with TF's zero gradients there; integers are "
    "divided as floats, like ``truediv``."))


@register("divide", _float_divide, kind="binary", domain=(0.5, 2.0), tf_name="RealDiv")
def divide(x, y, name=None):
    """``tf.math.divide``: ``x`` converted (to ``y``'s dtype when ``y`` is a Tensor), then
    Python's ``x / y`` (:func:`truediv`, and TF's operator fallback)."""
    if not isinstance(x, TensorLike):
        x = to_tensor(x, y.dtype if isinstance(y, TensorLike) else None)
    return x / y


def _integer_pow(x, *, n):
    return lax.integer_pow(x, n)


@register("pow", _pow, kind="binary", domain=(0.5, 2.0), tf_name="Pow")
def pow(x, y, name=None):  # TF's name
    """``tf.pow`` / ``x ** y``; a Python int exponent is kept static (exact repeated product).

    The gradient with respect to ``y`` is 0 where ``x <= 0``, as in TF (JAX gives nan for x < 0).
    """
    if type(y) is int and _is_inexact(x):
        return apply(_integer_pow, (to_tensor(x),), attrs(n=y), "Pow")
    x, y = match(x, y, "Pow", strict=True)
    dtype = (x if isinstance(x, TensorLike) else y).dtype
    if tf_type_name(dtype) not in _POW_TYPES.split(", "):
        raise type_not_allowed(dtype, "Pow", _POW_TYPES)
    return apply(_pow, (x, y), (), "Pow")


def _is_inexact(x):
    dtype = getattr(x, "dtype", None)
    return isinstance(dtype, dtypes.DType) and dtype.is_inexact


def scalar_mul(scalar, x, name=None):
    """``tf.scalar_mul``: ``scalar * x`` (``scalar`` must be a scalar)."""
    if isinstance(scalar, TensorLike) and scalar.shape.rank != 0:
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    return multiply(scalar, x)


# --- reductions ---------------------------------------------------------------------------
def _mean(x, *, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        total = jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        count = x.size // max(total.size, 1) if x.size else 1
        return lax.div(total, jnp.asarray(count, x.dtype))  # TF truncates toward zero
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def _sum(x, *, axis, keepdims):
    return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _prod(x, *, axis, keepdims):
    return jnp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _extreme(x, sign):
    """TF's identity for max (sign -1) or min (sign 1) of an empty reduction."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return sign * jnp.inf
    info = jnp.iinfo(x.dtype)
    return info.min if sign < 0 else info.max


def _max(x, *, axis, keepdims):
    initial = _extreme(x, -1) if x.size == 0 else None
    return jnp.max(x, axis=axis, keepdims=keepdims, initial=initial)


def _min(x, *, axis, keepdims):
    initial = _extreme(x, 1) if x.size == 0 else None
    return jnp.min(x, axis=axis, keepdims=keepdims, initial=initial)


def _variance(x, *, axis, keepdims):
    diff = x - jnp.mean(x, axis=axis, keepdims=True)
    squares = jnp.real(jnp.conj(diff) * diff) if jnp.iscomplexobj(diff) else jnp.square(diff)
    return jnp.mean(squares, axis=axis, keepdims=keepdims)


def _std(x, *, axis, keepdims):
    return _sqrt(_variance(x, axis=axis, keepdims=keepdims))


def _logsumexp(x, *, axis, keepdims):
    raw_max = _max(x, axis=axis, keepdims=True)
    shift = lax.stop_gradient(jnp.where(jnp.isfinite(raw_max), raw_max, jnp.zeros_like(raw_max)))
    out = jnp.log(jnp.sum(jnp.exp(x - shift), axis=axis, keepdims=keepdims))
    return out + (shift if keepdims else shift.reshape(out.shape))


def _euclidean_norm(x, *, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):  # TF keeps the integer type (truncated root)
        total = jnp.sum(x.astype(jnp.float64) ** 2, axis=axis, keepdims=keepdims)
        return jnp.sqrt(total).astype(x.dtype)
    squares = jnp.real(jnp.conj(x) * x) if jnp.iscomplexobj(x) else x * x
    return jnp.sqrt(jnp.sum(squares, axis=axis, keepdims=keepdims)).astype(x.dtype)


def _count_nonzero(x, *, axis, keepdims, dtype):
    return jnp.sum(x != 0, axis=axis, keepdims=keepdims, dtype=jnp.int64).astype(dtype)


def _real_or_complex(x):
    if not x.dtype.is_inexact:
        raise TypeError(f"Input must be either real or complex. Received integer type "
                        f"{x.dtype!r}. (argument `input_tensor`)")


def _float_input(x):
    require_inexact(x, "IsFinite", _REAL)  # TF's first kernel that rejects integers
    select_rank_limit(x.shape, x.shape)  # TF shifts by the max with tf.where


reduce_sum = reduction("reduce_sum", _sum, tf_name="Sum")
reduce_mean = reduction("reduce_mean", _mean, tf_name="Mean")
reduce_max = reduction("reduce_max", _max, tf_name="Max")
reduce_min = reduction("reduce_min", _min, tf_name="Min")
reduce_prod = reduction("reduce_prod", _prod, tf_name="Prod")
reduce_all = reduction("reduce_all", jnp.all, tf_name="All", differentiable=False, bool_only=True)
reduce_any = reduction("reduce_any", jnp.any, tf_name="Any", differentiable=False, bool_only=True)
reduce_variance = reduction("reduce_variance", _variance, tf_name="Variance",
                            check=_real_or_complex)
reduce_std = reduction("reduce_std", _std, tf_name="Std", check=_real_or_complex)
reduce_logsumexp = reduction("reduce_logsumexp", _logsumexp, tf_name="LogSumExp",
                             check=_float_input)
reduce_euclidean_norm = reduction("reduce_euclidean_norm", _euclidean_norm,
                                  tf_name="EuclideanNorm")


@register("count_nonzero", _count_nonzero, kind="reduction", differentiable=False,
          tf_name="CountNonzero")
def count_nonzero(input, axis=None, keepdims=None, dtype=dtypes.int64,
                  name=None):
    """``tf.math.count_nonzero``: the number of non-zero (or true) entries, as ``dtype``."""
    x = to_tensor(input)
    if x.dtype is dtypes.string:  # TF counts the strings that are not b""
        x = not_equal(x, "")
    static = attrs(axis=normalize_axis(axis, x.ndim, "Sum"), keepdims=bool(keepdims),
                   dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    return apply(_count_nonzero, (x,), static, "Sum", differentiable=False)


def _argmax(x, *, axis, output_type):
    return jnp.argmax(x, axis=axis).astype(output_type)


def _argmin(x, *, axis, output_type):
    return jnp.argmin(x, axis=axis).astype(output_type)


_ARGMAX_AXIS_TYPES = ("int8", "uint8", "int16", "uint16", "int32", "int64")


def _argmax_axis(axis):
    """``tf.math.argmax``'s Python check of ``axis``: an int, or a Tensor of a small integer
    dtype (a NumPy value's dtype is not one of TF's, so it fails too)."""
    kind = getattr(axis, "dtype", None)
    if kind is None and not isinstance(axis, int):
        raise TypeError("axis must be int or Tensor with integer datatype (argument `axis`)")
    if kind is not None and not (isinstance(axis, TensorLike) and kind.name in _ARGMAX_AXIS_TYPES):
        raise TypeError(f"axis tensor dtypes {kind!r} is not supported (argument `axis`)")


def _arg_reduction(name, fn, tf_name, python_check=False):
    def api(input, axis=None, output_type=dtypes.int64, name=None):
        if python_check and axis is not None:
            _argmax_axis(axis)
        x = to_tensor(input)
        out = dtypes.as_dtype(output_type)
        if out.name not in ("int16", "uint16", "int32", "int64"):
            raise errors.InvalidArgumentError(None, None, (
                f"Value for attr 'output_type' of {tf_type_name(out)} is not in the list of "
                f"allowed values: int16, uint16, int32, int64 [Op:{tf_name}] name: "))
        axis = 0 if axis is None else static_int(axis, "axis", op_name=tf_name)
        if not -x.ndim <= axis < x.ndim:
            raise errors.InvalidArgumentError(None, None, (
                f"Expected dimension in the range [{-x.ndim}, {x.ndim}), but got {axis} "
                f"[Op:{tf_name}] name: "))
        axis %= x.ndim
        if x.shape[axis] == 0:
            shape = ",".join(str(d) for d in x.shape.as_list())
            raise errors.InvalidArgumentError(None, None, (
                f"Reduction axis {axis} is empty in shape [{shape}] [Op:{tf_name}] name: "))
        if x.ndim > 7:
            raise errors.InvalidArgumentError(None, None, (
                f"Argmax and Argmin only support up to 7 input dimensions, but got {x.ndim}. "
                f"Inputs shape: {dims_str(x.shape)} [Op:{tf_name}] name: "))
        return apply(fn, (x,), attrs(axis=axis, output_type=out.as_numpy_dtype), tf_name,
                     differentiable=False)
    api.__doc__ = (f"``tf.math.{name}``: the index along ``axis`` (default 0) as "
                   f"``output_type`` (default int64); the first one on ties.")
    return register(name, fn, differentiable=False, tf_name=tf_name)(api)


argmax = _arg_reduction("argmax", _argmax, "ArgMax", python_check=True)  # TF checks in Python
argmin = _arg_reduction("argmin", _argmin, "ArgMin")


# --- scans, top_k, add_n ------------------------------------------------------------------
def _scan(x, axis, exclusive, reverse, scan, identity):
    if exclusive and x.shape[axis]:
        n = x.shape[axis]
        pad = jnp.full_like(lax.slice_in_dim(x, 0, 1, axis=axis), identity)
        if reverse:
            x = jnp.concatenate([lax.slice_in_dim(x, 1, n, axis=axis), pad], axis=axis)
        else:
            x = jnp.concatenate([pad, lax.slice_in_dim(x, 0, n - 1, axis=axis)], axis=axis)
    return scan(x, axis=axis, reverse=reverse)


def _cumsum(x, *, axis, exclusive, reverse):
    return _scan(x, axis, exclusive, reverse, lax.cumsum, 0)


def _cumprod(x, *, axis, exclusive, reverse):
    return _scan(x, axis, exclusive, reverse, lax.cumprod, 1)


def _scan_api(name, fn, tf_name):
    def api(x, axis=0, exclusive=False, reverse=False, name=None):
        x = to_tensor(x)
        if x.dtype.is_bool:
            raise errors.InvalidArgumentError(None, None, (
                f"Value for attr 'T' of bool is not in the list of allowed values "
                f"[Op:{tf_name}] name: "))
        axis = static_int(axis, "axis", op_name=tf_name)
        if not -x.ndim <= axis < x.ndim:
            raise errors.InvalidArgumentError(None, None, (
                f"ScanOp: Expected scan axis in the range [{-x.ndim}, {x.ndim}), but got "
                f"{axis} [Op:{tf_name}] name: "))
        static = attrs(axis=axis % x.ndim, exclusive=bool(exclusive), reverse=bool(reverse))
        return apply(fn, (x,), static, tf_name)
    api.__doc__ = (f"``tf.math.{name}`` along ``axis``; ``exclusive`` leaves out the current "
                   f"entry, ``reverse`` scans from the end.")
    return register(name, fn, tf_name=tf_name)(api)


cumsum = _scan_api("cumsum", _cumsum, "Cumsum")
cumprod = _scan_api("cumprod", _cumprod, "Cumprod")

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _top_k(x, *, k, index_type):
    values, indices = lax.top_k(x, k)
    return values, indices.astype(index_type)


@register("top_k", _top_k, tf_name="TopKV2")
def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):
    """``tf.math.top_k``: ``(values, indices)`` of the ``k`` largest along the last axis.

    Ties keep the lower index first, as in TF; the gradient flows to the chosen entries.
    """
    x = to_tensor(input)
    require_numeric(x, "TopKV2", _REAL_NUMBERS)
    k = required_int(k, "k")
    if x.ndim < 1:
        raise errors.InvalidArgumentError(None, None, (
            f"input must be >= 1-D, got shape {list(x.shape)} [Op:TopKV2] name: "))
    if k < 0:
        raise errors.InvalidArgumentError(None, None, f"Need k >= 0, got {k} [Op:TopKV2] name: ")
    if x.shape[-1] < k:
        raise errors.InvalidArgumentError(None, None, (
            f"input must have at least k columns. Had {x.shape[-1]}, needed {k} "
            f"[Op:TopKV2] name: "))
    static = attrs(k=k, index_type=dtypes.as_dtype(index_type).as_numpy_dtype)
    return TopKV2(*apply(_top_k, (x,), static, "TopKV2"))


def _add_n(*xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


@register("add_n", _add_n, tf_name="AddN")
def add_n(inputs, name=None):
    """``tf.math.add_n``: the sum of same-shaped, same-dtype tensors (no broadcasting). As TF,
    ``inputs`` is iterated (``TypeError`` when it cannot be) and each item converted alone."""
    try:
        inputs = list(inputs)
    except TypeError as error:
        raise TypeError(f"{error} (argument `inputs` of tf.math.add_n)") from None
    if not inputs:
        raise ValueError("Inputs must be an iterable of at least one Tensor/IndexedSlices with "
                         f"the same dtype and shape. Received: inputs={inputs!r}")
    xs = [to_tensor(x) for x in inputs]
    first = xs[0]
    if len(xs) == 1 and first.dtype is dtypes.string:  # TF returns a lone input as it is
        return first
    for k, x in enumerate(xs):
        if x.dtype != first.dtype:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op="AddN", index=k, expected=tf_type_name(first.dtype),
                got=tf_type_name(x.dtype)))
        if x.shape != first.shape:
            raise errors.InvalidArgumentError(None, None, (
                f"Inputs to operation AddN of type AddN must have the same size and shape.  "
                f"Input 0: {dims_str(first)} != input {k}: {dims_str(x)} [Op:AddN] name: "))
    return apply(_add_n, tuple(xs), (), "AddN")


# --- segments and counts ------------------------------------------------------------------
def _segment_sum(data, ids, *, num_segments, sorted_ids):
    data = data.reshape((-1,) + data.shape[ids.ndim:]) if ids.ndim != 1 else data
    return jax.ops.segment_sum(data, ids.reshape(-1), num_segments,
                               indices_are_sorted=sorted_ids)


def _segment_ids(segment_ids, op_name):
    ids = to_tensor(segment_ids)
    if not ids.dtype.is_integer:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'Tindices' of {tf_type_name(ids.dtype)} is not in the list of "
            f"allowed values: int32, int64 [Op:{op_name}] name: "))
    return ids, _concrete(segment_ids, ids, op_name, "segment_ids")


def _concrete(given, tensor, op_name, what):
    """The values of an argument that decides an output shape, which must be known now."""
    if not isinstance(given, TensorLike):
        return np.asarray(given)
    value = known_value(tensor)  # folded while tracing when made of constants
    if value is None:
        raise NotImplementedError(
            f"{op_name} needs a concrete `{what}` to know its output shape; inside "
            f"tapejax.function or a JAX transformation pass a Python list or NumPy "
            f"array.")
    return value


def _sorted_segments(data, segment_ids, op_name):
    """``data``, the ids Tensor and the segment count for a sorted segment op, checked as TF."""
    data = to_tensor(data)
    ids, values = _segment_ids(segment_ids, op_name)
    if values.ndim != 1 or data.ndim < 1 or values.shape[0] != data.shape[0]:
        raise errors.InvalidArgumentError(None, None, (
            f"segment_ids should be the same size as dimension 0 of input. [Op:{op_name}] "
            "name: "))
    num = int(values.max()) + 1 if values.size else 0
    if values.size and values[0] < 0:
        raise errors.InvalidArgumentError(None, None, (
            f"Segment id {values[0]} out of range [0, {num}), possibly because 'segment_ids' "
            f"input is not sorted. [Op:{op_name}] name: "))
    if np.any(np.diff(values) < 0):
        raise errors.InvalidArgumentError(None, None, (
            f"segment ids are not increasing [Op:{op_name}] name: "))
    return data, ids, num


def _unsorted_segments(data, segment_ids, num_segments, op_name):
    """``data``, the ids Tensor and ``num_segments`` for an unsorted segment op, as TF."""
    data = to_tensor(data)
    num = static_int(num_segments, "num_segments", op_name=op_name)
    ids, values = _segment_ids(segment_ids, op_name)
    if tuple(data.shape[:values.ndim]) != values.shape:
        raise errors.InvalidArgumentError(None, None, (
            f"data.shape = {dims_str(data)} does not start with segment_ids.shape = "
            f"{dims_str(values.shape)} [Op:{op_name}] name: "))
    num = int(np.int64(num).astype(np.int32))  # TF's kernel reads it as int32: 2**40 wraps to 0
    bad = np.flatnonzero(values.reshape(-1) >= num)
    if bad.size:
        raise errors.InvalidArgumentError(None, None, (
            f"segment_ids[{bad[0]}] = {values.reshape(-1)[bad[0]]} is out of range [0, {num}) "
            f"[Op:{op_name}] name: "))
    return data, ids, num


@register("segment_sum", _segment_sum, tf_name="SegmentSum")
def segment_sum(data, segment_ids, name=None):
    """``tf.math.segment_sum``: sums rows of ``data`` by sorted ``segment_ids``."""
    data, ids, num = _sorted_segments(data, segment_ids, "SegmentSum")
    static = attrs(num_segments=num, sorted_ids=True)
    return apply(_segment_sum, (data, ids), static, "SegmentSum")


@register("unsorted_segment_sum", _segment_sum, tf_name="UnsortedSegmentSum")
def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """``tf.math.unsorted_segment_sum``; negative ids are dropped, as in TF."""
    data, ids, num = _unsorted_segments(data, segment_ids, num_segments, "UnsortedSegmentSum")
    static = attrs(num_segments=num, sorted_ids=False)
    return apply(_segment_sum, (data, ids), static, "UnsortedSegmentSum")


def _bincount(arr, *weights, length, axis, binary_output, dtype):
    w = weights[0] if weights else jnp.ones(arr.shape, dtype)
    if axis is None:
        out = jnp.zeros((length,), w.dtype).at[arr.reshape(-1)].add(w.reshape(-1), mode="drop")
    else:
        rows = jnp.arange(arr.shape[0])[:, None]
        out = jnp.zeros((arr.shape[0], length), w.dtype).at[rows, arr].add(w, mode="drop")
    return (out > 0).astype(dtype) if binary_output else out.astype(dtype)


@register("bincount", _bincount, differentiable=False, tf_name="DenseBincount")
def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None,
             axis=None, binary_output=False):
    """``tf.math.bincount``: counts (or sums ``weights``) per non-negative integer value.

    The output length is ``max(arr) + 1``, raised to ``minlength`` and cut at ``maxlength``;
    TF defines no gradient (None here).
    """
    x = to_tensor(arr)
    _cast_text(x.dtype, dtypes.int32)
    values = _concrete(arr, x, "DenseBincount", "arr")
    if x.dtype.is_inexact:
        x = Tensor(jnp.asarray(values.astype(np.int32)))
        values = values.astype(np.int32)
    if values.size and values.min() < 0:
        raise errors.InvalidArgumentError(None, None, (
            "Input arr must be non-negative! [Op:DenseBincount] name: "))
    length = int(values.max()) + 1 if values.size else 0
    if minlength is not None:
        length = max(length, required_int(minlength, "minlength"))
    if maxlength is not None:
        length = min(length, required_int(maxlength, "maxlength"))
    if axis is not None and axis not in (0, -1):  # TF's Python check
        raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are "
                         "currently supported.")
    axis = None if axis in (None, 0) else -1
    inputs = (x,)
    if weights is not None:
        w = to_tensor(weights)
        dtype = w.dtype
        inputs = (x, w)
    static = attrs(length=length, axis=axis, binary_output=bool(binary_output),
                   dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    return apply(_bincount, inputs, static, "DenseBincount", differentiable=False)


# --- normalization ------------------------------------------------------------------------
def _l2_normalize(x, *, axis, epsilon):
    square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    return x * _rsqrt(_maximum(square_sum, jnp.asarray(epsilon, x.dtype)))


@register("l2_normalize", _l2_normalize, tf_name="L2Normalize")
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``tf.math.l2_normalize``: ``x / sqrt(max(sum(x**2, axis), epsilon))``, as TF."""
    x = to_tensor(x)
    axis = dim if axis is None else axis
    require_numeric(x, "Square")
    if not x.dtype.is_inexact:
        raise TypeError(errors.CANNOT_CONVERT.format(value=epsilon, dtype=x.dtype.name)
                        + f" (argument `x` of tf.math.l2_normalize has dtype {x.dtype.name})")
    static = attrs(axis=normalize_axis(axis, x.ndim, "Sum"), epsilon=float(epsilon))
    return apply(_l2_normalize, (x,), static, "L2Normalize")


# --- matrix -------------------------------------------------------------------------------
def _matmul(a, b, *, transpose_a, transpose_b, adjoint_a, adjoint_b):
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        a = jnp.conj(a) if adjoint_a else a
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        b = jnp.conj(b) if adjoint_b else b
    return jnp.matmul(a, b)


def matmul_shapes(a_shape, b_shape, ta, tb):
    """TF's MatMul shape errors for operand shapes (lists), ``ta``/``tb`` transposed."""
    for k, shape in ((0, a_shape), (1, b_shape)):
        if len(shape) < 2:
            raise errors.InvalidArgumentError(None, None, (
                f"In[{k}] ndims must be >= 2 [Op:MatMul] name: "))
    inner_a = a_shape[-2] if ta else a_shape[-1]
    inner_b = b_shape[-1] if tb else b_shape[-2]
    if inner_a != inner_b:
        raise shape_check_error(
            f"Matrix size-incompatible: In[0]: {dims_str(a_shape)}, In[1]: {dims_str(b_shape)} "
            f"[Op:MatMul] name: ")


def _matmul_to(a, b, *, output_type, **flags):
    return _matmul(a.astype(output_type), b.astype(output_type), **flags)


_MATMUL_TYPES = ("bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, "
                 "complex64, complex128")
_EIGHT_BIT = ("int8", "uint8")


def require_matmul_type(x):
    """TF's errors for a dtype its ``MatMul`` does not take (int8, int16) or has no CPU kernel
    for (unsigned integers)."""
    require_type(x, "MatMul", _MATMUL_TYPES)
    no_kernel(x.dtype, "MatMul")


def _mixed_matmul_type(a_dtype, b_dtype, output_type):
    """TF's CPU kernels of ``BatchMatMulV3`` with an ``output_type`` other than the inputs':
    8-bit integers to int32, and 8-bit integers with bfloat16 to bfloat16; NotFoundError for
    the rest."""
    kinds = ["8bit" if d.name in _EIGHT_BIT else d.name for d in (a_dtype, b_dtype)]
    if output_type.name == {("8bit", "8bit"): "int32", ("8bit", "bfloat16"): "bfloat16",
                            ("bfloat16", "8bit"): "bfloat16"}.get(tuple(kinds)):
        return
    names = [f"DT_{tf_type_name(d).upper()}" for d in (a_dtype, b_dtype, output_type)]
    raise errors.NotFoundError(None, None, (
        "Could not find device for node: {{node BatchMatMulV3}} = BatchMatMulV3[Ta="
        f"{names[0]}, Tb={names[1]}, Tout={names[2]}, adj_x=false, adj_y=false, grad_x=false, "
        "grad_y=false] [Op:BatchMatMulV3] name: "))


@register("matmul", _matmul, kind="other", tf_name="MatMul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """``tf.linalg.matmul`` (and ``a @ b``): rank >= 2, batch dimensions broadcast. With an
    ``output_type`` other than the inputs' dtype, TF's ``BatchMatMulV3`` kernels (8-bit
    integers to int32)."""
    static = attrs(transpose_a=bool(transpose_a), transpose_b=bool(transpose_b),
                   adjoint_a=bool(adjoint_a), adjoint_b=bool(adjoint_b))
    if output_type is not None:
        output_type = as_dtype(output_type)
        a, b = to_tensor(a), to_tensor(b)
        if not a.dtype == b.dtype == output_type:
            _mixed_matmul_type(a.dtype, b.dtype, output_type)
            matmul_shapes(a.shape.as_list(), b.shape.as_list(), transpose_a or adjoint_a,
                          transpose_b or adjoint_b)
            static = attrs(output_type=output_type.as_numpy_dtype, **dict(static))
            return apply(_matmul_to, (a, b), static, "BatchMatMulV3",
                         output_type.is_inexact)
    a, b = match(a, b, "MatMul")
    a, b = to_tensor(a, dtype_of(b)), to_tensor(b, dtype_of(a))  # a weak Python scalar
    if a.dtype.is_integer:
        require_matmul_type(a)
    matmul_shapes(a.shape.as_list(), b.shape.as_list(), transpose_a or adjoint_a,
                  transpose_b or adjoint_b)
    return apply(_matmul, (a, b), static, "MatMul")


# --- casts --------------------------------------------------------------------------------
def _cast(x, *, dtype):
    if jnp.iscomplexobj(x) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


_cast.row_passthrough = True  # TF's gradient casts the values of IndexedSlices back


def _cast_text(source, dtype):
    """TF's kernel error for a cast between strings and anything else."""
    if (source is dtypes.string) != (dtype is dtypes.string):
        raise errors.UnimplementedError(None, None, (
            f"Cast {tf_type_name(source)} to {tf_type_name(dtype)} is not supported "
            "[Op:Cast] name: "))


@register("cast", _cast, kind="other", tf_name="Cast")
def cast(x, dtype, name=None):
    """``tf.cast``: float to int truncates toward zero; complex to real keeps the real part.
    A SparseTensor or RaggedTensor keeps its structure and casts its values, as TF."""
    dtype = as_dtype(dtype)
    if hasattr(x, "_tapejax_map_values"):
        return x._tapejax_map_values(lambda values: cast(values, dtype))
    x = to_tensor(x)
    _cast_text(x.dtype, dtype)
    if x.dtype == dtype:
        return x if isinstance(x, Tensor) else identity(x)
    differentiable = x.dtype.is_inexact and dtype.is_inexact
    return apply(_cast, (x,), attrs(dtype=dtype.as_numpy_dtype), "Cast", differentiable)


def saturate_cast(value, dtype, name=None):
    """``tf.saturate_cast``: clips ``value`` to ``dtype``'s range, then casts."""
    value = to_tensor(value)
    dtype = dtypes.as_dtype(dtype)
    if value.dtype.is_inexact and not dtype.is_bool and not dtype.is_inexact:
        low, high = float(dtype.min), float(dtype.max)
        value = maximum(minimum(value, high), low)
    return cast(value, dtype)
