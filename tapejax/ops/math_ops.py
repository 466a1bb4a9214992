"""Elementwise, reduction and matrix ops (``tf.math``, ``tf.linalg.matmul``), one entry each.

JAX supplies every value and every derivative; the few functions defined here only adapt TF's
signature or dtype rule (integer ``truediv`` to float, integer ``reduce_mean`` truncating).
"""
import jax
import jax.numpy as jnp
from jax import lax

from .. import dtypes, errors
from ..tensor import Tensor
from .core import apply, attrs, binary, dtype_of, match, reduction, register, to_tensor, unary

# --- unary --------------------------------------------------------------------------------
negative = unary("negative", jnp.negative, tf_name="Neg")
abs = unary("abs", jnp.abs, tf_name="Abs")  # noqa: A001 - TF's name
square = unary("square", jnp.square)
sqrt = unary("sqrt", jnp.sqrt, float_only=True, domain=(0.1, 4.0))
exp = unary("exp", jnp.exp, float_only=True)
log = unary("log", jnp.log, float_only=True, domain=(0.1, 4.0))
sin = unary("sin", jnp.sin, float_only=True)
cos = unary("cos", jnp.cos, float_only=True)
tanh = unary("tanh", jnp.tanh, float_only=True)
sigmoid = unary("sigmoid", jax.nn.sigmoid, float_only=True)
identity = unary("identity", lambda x: x, tf_name="Identity",
                 doc="``tf.identity``: the same value as a new Tensor (gradient passes through).")
stop_gradient = unary("stop_gradient", lax.stop_gradient, tf_name="StopGradient",
                      differentiable=False,
                      doc="``tf.stop_gradient``: not recorded, so gradients through it are None.")
invert_op = unary("invert_op", jnp.invert, tf_name="Invert", differentiable=False,
                  domain="bool", doc="``~x``: logical not for bool, bitwise invert for integers (TF's rule).")

# --- binary -------------------------------------------------------------------------------
add = binary("add", jnp.add, tf_name="AddV2")
subtract = binary("subtract", jnp.subtract, tf_name="Sub")
multiply = binary("multiply", jnp.multiply, tf_name="Mul")
maximum = binary("maximum", jnp.maximum)
minimum = binary("minimum", jnp.minimum)
floordiv = binary("floordiv", jnp.floor_divide, tf_name="FloorDiv", differentiable=False)
floormod = binary("floormod", jnp.mod, tf_name="FloorMod")
equal = binary("equal", jnp.equal, differentiable=False)
not_equal = binary("not_equal", jnp.not_equal, tf_name="NotEqual", differentiable=False)
less = binary("less", jnp.less, differentiable=False)
less_equal = binary("less_equal", jnp.less_equal, tf_name="LessEqual", differentiable=False)
greater = binary("greater", jnp.greater, differentiable=False)
greater_equal = binary("greater_equal", jnp.greater_equal, tf_name="GreaterEqual",
                       differentiable=False)
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


def _int_truediv(x, y):
    target = _INT_TO_FLOAT.get(jnp.result_type(x).name, jnp.float64)
    return jnp.true_divide(jnp.asarray(x).astype(target), jnp.asarray(y).astype(target))


@register("truediv", _float_divide, kind="binary", tf_name="RealDiv")
def truediv(x, y, name=None):
    """``x / y`` as TF: integers are divided as float32 (8/16-bit) or float64 (32/64-bit)."""
    x, y = match(x, y, "RealDiv")
    dtype = dtype_of(x) or dtype_of(y)
    if dtype.is_integer:
        return apply(_int_truediv, (x, y), (), "RealDiv", differentiable=False)
    return apply(_float_divide, (x, y), (), "RealDiv")


@register("divide", _float_divide, kind="binary", tf_name="RealDiv")
def divide(x, y, name=None):
    """``tf.math.divide``: Python's ``x / y`` semantics, i.e. :func:`truediv`."""
    return truediv(x, y)


def _integer_pow(x, *, n):
    return lax.integer_pow(x, n)


@register("pow", jnp.power, kind="binary", domain=(0.5, 2.0), tf_name="Pow")
def pow(x, y, name=None):  # noqa: A001 - TF's name
    """``tf.pow`` / ``x ** y``; a Python int exponent is kept static (exact repeated product)."""
    if type(y) is int and _is_inexact(x):
        return apply(_integer_pow, (to_tensor(x),), attrs(n=y), "Pow")
    x, y = match(x, y, "Pow", strict=True)
    return apply(jnp.power, (x, y), (), "Pow")


def _is_inexact(x):
    dtype = getattr(x, "dtype", None)
    return isinstance(dtype, dtypes.DType) and dtype.is_inexact


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


reduce_sum = reduction("reduce_sum", _sum, tf_name="Sum")
reduce_mean = reduction("reduce_mean", _mean, tf_name="Mean")
reduce_max = reduction("reduce_max", jnp.max, tf_name="Max")
reduce_min = reduction("reduce_min", jnp.min, tf_name="Min")
reduce_prod = reduction("reduce_prod", _prod, tf_name="Prod")
reduce_all = reduction("reduce_all", jnp.all, tf_name="All", differentiable=False, bool_only=True)
reduce_any = reduction("reduce_any", jnp.any, tf_name="Any", differentiable=False, bool_only=True)


# --- matrix -------------------------------------------------------------------------------
def _matmul(a, b, *, transpose_a, transpose_b, adjoint_a, adjoint_b):
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        a = jnp.conj(a) if adjoint_a else a
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        b = jnp.conj(b) if adjoint_b else b
    return jnp.matmul(a, b)


def _dims(t):
    return "[" + ",".join(str(d) for d in t.shape) + "]"


def _matmul_shapes(a, b, ta, tb):
    for k, t in ((0, a), (1, b)):
        if t.ndim < 2:
            raise errors.InvalidArgumentError(None, None, (
                f"In[{k}] ndims must be >= 2 [Op:MatMul] name: "))
    inner_a = a.shape[-2] if ta else a.shape[-1]
    inner_b = b.shape[-1] if tb else b.shape[-2]
    if inner_a != inner_b:
        raise errors.InvalidArgumentError(None, None, (
            f"Matrix size-incompatible: In[0]: {_dims(a)}, In[1]: {_dims(b)} "
            f"[Op:MatMul] name: "))


@register("matmul", _matmul, kind="other", tf_name="MatMul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """``tf.linalg.matmul`` (and ``a @ b``): rank >= 2, batch dimensions broadcast."""
    a, b = match(a, b, "MatMul")
    _matmul_shapes(a, b, transpose_a or adjoint_a, transpose_b or adjoint_b)
    static = attrs(transpose_a=bool(transpose_a), transpose_b=bool(transpose_b),
                   adjoint_a=bool(adjoint_a), adjoint_b=bool(adjoint_b))
    return apply(_matmul, (a, b), static, "MatMul")


def _cast(x, *, dtype):
    if jnp.iscomplexobj(x) and not jnp.issubdtype(dtype, jnp.complexfloating):
        x = jnp.real(x)
    return x.astype(dtype)


@register("cast", _cast, kind="other", tf_name="Cast")
def cast(x, dtype, name=None):
    """``tf.cast``: float to int truncates toward zero; complex to real keeps the real part."""
    x = to_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x if isinstance(x, Tensor) else identity(x)
    differentiable = x.dtype.is_inexact and dtype.is_inexact
    return apply(_cast, (x,), attrs(dtype=dtype.as_numpy_dtype), "Cast", differentiable)
