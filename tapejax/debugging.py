"""``tf.debugging``: numeric checks and assertions (eager: raise at once, as TF)."""
import jax
import jax.numpy as jnp
import numpy as np

from . import _lazy, errors
from .dtypes import as_dtype
from .ops.core import apply, attrs, match, register, tf_type_name, to_tensor


def _check_numerics(x, *, message):
    return x


def _is_concrete(t):
    t = to_tensor(t)
    if _lazy.GRAPH.depth and _lazy.is_pending(t):  # a FuncGraph's: no value to check
        return False
    return not isinstance(t.__jax_array__(), jax.core.Tracer)


@register("check_numerics", _check_numerics, tf_name="CheckNumerics")
def check_numerics(tensor, message, name=None):
    """Raises ``InvalidArgumentError`` if ``tensor`` has NaN or Inf; else passes it through
    (the gradient too). Inside a trace the check is skipped."""
    x = to_tensor(tensor)
    if not isinstance(message, (str, bytes)):  # TF's conversion of the string attr
        raise TypeError(f"Expected string for argument 'message' not {message!r}.")
    if not x.dtype.is_floating:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of {tf_type_name(x.dtype)} is not in the list of allowed "
            f"values: bfloat16, half, float, double [Op:CheckNumerics] name: "))
    if _is_concrete(x):
        values = np.asarray(x.numpy(), np.float64)
        for test, what in ((np.isnan, "NaN"), (np.isinf, "Inf")):
            if test(values).any():
                raise errors.InvalidArgumentError(None, None, (
                    f"{message} : Tensor had {what} values [Op:CheckNumerics] name: "))
    return apply(_check_numerics, (x,), attrs(message=str(message)), "CheckNumerics")


def assert_all_finite(t, msg, name=None, x=None, message=None):
    """``tf.debugging.assert_all_finite``: ``check_numerics`` with ``msg``."""
    return check_numerics(t if x is None else x, msg if message is None else message)


def _fail(message, condition, x, y=None):
    lines = [message] if message else []
    lines.append(f"Condition {condition} did not hold.")
    lines.append(f"x = {np.asarray(x.numpy()).tolist()}")
    if y is not None:
        lines.append(f"y = {np.asarray(y.numpy()).tolist()}")
    raise errors.InvalidArgumentError(None, None, "\n".join(lines))


def Assert(condition, data, summarize=None, name=None):  # TF's name
    """``tf.debugging.Assert``: raises ``InvalidArgumentError`` ("assertion failed: [data]...")
    when ``condition`` is false; inside a trace the check is skipped, as the other asserts."""
    cond = to_tensor(condition)
    if cond.dtype.name != "bool":
        raise TypeError(f"Expected bool for argument 'condition' not {cond.dtype.name}.")
    if _is_concrete(cond) and not bool(np.all(cond.numpy())):
        items = [d if isinstance(d, str) else np.array2string(np.asarray(to_tensor(d).numpy()))
                 for d in data]
        raise errors.InvalidArgumentError(
            None, None, "assertion failed: " + " ".join(f"[{item}]" for item in items))
    return None


def _comparison(condition, jax_fn, op_name):
    def check(x, y, message=None, summarize=None, name=None):
        a, b = match(x, y, op_name)
        a, b = to_tensor(a), to_tensor(b)
        if _is_concrete(a) and _is_concrete(b) and not bool(jnp.all(jax_fn(a._value, b._value))):
            _fail(message, condition, a, b)
        return None
    check.__name__ = f"assert_{op_name}"
    check.__doc__ = f"Raises ``InvalidArgumentError`` unless ``{condition}`` holds elementwise."
    return check


assert_equal = _comparison("x == y", jnp.equal, "equal")
_assert_none_equal = _comparison("x != y", jnp.not_equal, "none_equal")


def assert_none_equal(x, y, summarize=None, message=None, name=None):
    """Raises ``InvalidArgumentError`` unless ``x != y`` holds elementwise (TF's parameter
    order, ``summarize`` before ``message``, unlike the other comparisons)."""
    return _assert_none_equal(x, y, message, summarize, name)
assert_less = _comparison("x < y", jnp.less, "less")
assert_less_equal = _comparison("x <= y", jnp.less_equal, "less_equal")
assert_greater = _comparison("x > y", jnp.greater, "greater")
assert_greater_equal = _comparison("x >= y", jnp.greater_equal, "greater_equal")


def _sign_check(condition, predicate):
    def check(x, message=None, summarize=None, name=None):
        t = to_tensor(x)
        if _is_concrete(t) and not bool(jnp.all(predicate(t._value))):
            _fail(message, condition, t)
        return None
    check.__doc__ = f"Raises ``InvalidArgumentError`` unless ``{condition}`` elementwise."
    return check


assert_positive = _sign_check("x > 0", lambda v: v > 0)
assert_negative = _sign_check("x < 0", lambda v: v < 0)
assert_non_negative = _sign_check("x >= 0", lambda v: v >= 0)
assert_non_positive = _sign_check("x <= 0", lambda v: v <= 0)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Raises unless ``|x - y| <= atol + rtol * |y|`` (TF's default tolerances: 10 eps)."""
    a, b = match(x, y, "assert_near")
    a, b = to_tensor(a), to_tensor(b)
    eps = np.finfo(a.dtype.as_numpy_dtype).eps if a.dtype.is_floating else 0
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol
    if _is_concrete(a) and _is_concrete(b):
        ok = jnp.all(jnp.abs(a._value - b._value) <= atol + rtol * jnp.abs(b._value))
        if not bool(ok):
            _fail(message, f"x and y equal to tolerance rtol = {rtol}, atol = {atol}", a, b)
    return None


def assert_rank(x, rank, message=None, name=None):
    """Raises ``ValueError`` unless ``x`` has rank ``rank`` (a static check, as TF)."""
    t = to_tensor(x)
    if t.ndim != int(rank):
        prefix = f"{message}  " if message else ""
        raise ValueError(f"{prefix}Tensor  must have rank {int(rank)}.  Received rank {t.ndim}, "
                         f"shape {t.shape}")


def assert_type(tensor, tf_type, message=None, name=None):
    """Raises ``TypeError`` unless ``tensor`` has dtype ``tf_type``."""
    t = to_tensor(tensor)
    expected = as_dtype(tf_type)
    if t.dtype != expected:
        prefix = f"{message}: " if message else ""
        raise TypeError(f"{prefix}tensor must be of type {expected!r}; got {t.dtype!r}")
