"""The dispatcher: the only place where ops meet the tape, and the op-table factories.

``apply`` unwraps inputs, runs the JAX function, wraps the outputs and records one node on every
recording tape that watches an input. The factories (``unary``, ``binary``, ``reduction``,
``register``) give each TF op its TF signature and add it to the table in one line.
"""
import itertools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _capture, _lazy, dtypes, errors
from . import host
from .._recording import STACK, record
from .._registry import OpDef, register as _register
from ..tensor import (Tensor, TensorLike, _argument_hint, _is_text, _plain, constant,
                      infer_dtype, is_text, kernel_name, raw_value, weak_scalar)
from ..tensor_shape import TensorShape

_NO_ATTRS = ()
_OBJECT = np.dtype(object)
_LAZY = _lazy.SETTINGS
_LazyTensor = _lazy.LazyTensor

_FLOAT_TYPES = "bfloat16, half, float, double, complex64, complex128"
_NUMERIC_TYPES = ("bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, "
                  "uint32, uint64, complex64, complex128")


tf_type_name = kernel_name


def attrs(**kwargs):
    """Static op attributes as a hashable, ordered tuple (part of the gradient cache key)."""
    return tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))


def _freeze(value):
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return value


def apply(fn, inputs, static=_NO_ATTRS, op_name="", differentiable=True):
    """Runs ``fn`` on the values of ``inputs`` and records the call on watching tapes.

    ``inputs`` holds Tensors, Variables or Python scalars (already dtype-checked by the op);
    ``static`` holds the op's attributes as made by :func:`attrs`. Under a recording tape with
    lazy recording on, an op on watched or pending values is recorded without running.
    String inputs run on the host (``host.kernel``), never recorded.
    """
    for x in inputs:
        if type(x) is Tensor:
            if type(x._value) is np.ndarray and x._value.dtype is _OBJECT:  # a string
                return _apply_host(fn, inputs, static, op_name)
        elif isinstance(x, TensorLike) and type(x) is not _LazyTensor \
                and x.dtype is dtypes.string:  # a string Variable
            return _apply_host(fn, inputs, static, op_name)
    tapes = STACK.tapes
    if tapes:
        inputs = _recorded_inputs(inputs)
        if _LAZY.enabled:
            out = _lazy.defer(fn, static, inputs, tapes)
            if out is not None:
                multi = type(out) is tuple
                record(fn, static, inputs, out if multi else (out,), multi, differentiable)
                return out
    values = [x._value if isinstance(x, Tensor) else _value_of(x) for x in inputs]
    try:
        out = fn(*values, **dict(static)) if static else fn(*values)
    except (TypeError, ValueError, IndexError) as e:
        raise _translate(e, op_name, values) from None
    if type(out) is tuple or type(out) is list:
        outputs = tuple([Tensor(o) for o in out])
        if tapes:
            record(fn, static, inputs, outputs, True, differentiable)
        return outputs
    output = Tensor(out)
    if tapes:
        record(fn, static, inputs, (output,), False, differentiable)
    return output


def _apply_host(fn, inputs, static, op_name):
    """``apply`` for an op with a string input: its host kernel, on concrete values."""
    run = host.kernel(fn, op_name)
    values = [x._value if isinstance(x, Tensor) else _value_of(x) for x in inputs]
    if any(isinstance(v, jax.core.Tracer) for v in values):
        raise NotImplementedError(
            f"{op_name} on a string tensor needs concrete inputs: string tensors live on the "
            "host, so inside tapejax.function or a jax transformation they combine only with "
            "Python values and other strings, not with traced tensors.")
    try:
        out = run(*values, **dict(static))
    except (TypeError, ValueError, IndexError) as e:
        raise _translate(e, op_name, values) from None
    if type(out) is tuple:
        return tuple([_host_tensor(o) for o in out])
    return _host_tensor(out)


def _host_tensor(value):
    return Tensor(value if is_text(value) else jnp.asarray(value))


def _apply_fast(fn, inputs, op_name, differentiable):
    """``apply`` for Tensors and Python scalars only, with no attributes (the common case of
    elementwise ops: it skips the Variable checks)."""
    tapes = STACK.tapes
    if tapes and _LAZY.enabled:
        output = _lazy.defer(fn, _NO_ATTRS, inputs, tapes)
        if output is not None:
            record(fn, _NO_ATTRS, inputs, (output,), False, differentiable)
            return output
    values = [x._value if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = fn(*values)
    except (TypeError, ValueError, IndexError) as e:
        raise _translate(e, op_name, values) from None
    output = Tensor(out)
    if tapes:
        record(fn, _NO_ATTRS, inputs, (output,), False, differentiable)
    return output


def _value_of(x):
    if isinstance(x, TensorLike):
        return x._tapejax_read()._value
    return x


def _recorded_inputs(inputs):
    """The inputs as a tape sees them: a Variable is read (once) as a Tensor."""
    return tuple([x if isinstance(x, Tensor) or not isinstance(x, TensorLike)
                  else x._tapejax_read() for x in inputs])


def dims_str(shape):
    """A shape (or a Tensor's shape) as TF writes it in messages: ``[2,3]``."""
    if isinstance(shape, TensorLike):
        shape = shape.shape.as_list()
    return "[" + ",".join(str(d) for d in shape) + "]"


def broadcast_shapes(*shapes):
    """``np.broadcast_shapes`` for any rank (NumPy's stops at 32 dimensions); ``ValueError``
    when the shapes do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for shape in shapes:
        for k, d in enumerate(shape, rank - len(shape)):
            if d != 1 and out[k] not in (1, d):
                raise ValueError(f"shapes {' and '.join(dims_str(s) for s in shapes)} cannot "
                                 "be broadcast to a single shape")
            out[k] = d if d != 1 else out[k]
    return tuple(out)


def _translate(error, op_name, values):
    """JAX's shape/dtype errors become TF's: ``InvalidArgumentError`` in eager mode."""
    if isinstance(error, errors.OpError):
        return error
    if isinstance(error, jax.errors.UnexpectedTracerError):
        for v in values:
            if _capture.out_of_scope(v):
                return _capture.out_of_scope_error(v)
    shapes = [np.shape(v) for v in values]
    message = str(error)
    for a, b in itertools.combinations(shapes, 2):
        try:
            broadcast_shapes(a, b)
        except ValueError:
            message = f"Incompatible shapes: {dims_str(a)} vs. {dims_str(b)}"
            break
    if any(isinstance(v, jax.core.Tracer) for v in values):
        return ValueError(f"{message} [Op:{op_name}]")
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


# --- input conversion ---------------------------------------------------------------------
_SCALARS = (bool, int, float, complex)


def to_tensor(x, dtype=None):
    """A Tensor or Variable for an op input (Python values converted with TF's inference)."""
    if type(x) is Tensor or isinstance(x, TensorLike):
        return x
    return constant(x, dtype)


def dtype_of(x):
    if isinstance(x, TensorLike):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic, jax.Array)):
        return dtypes.from_numpy(x.dtype)
    return None


def _tensor_dtype(x):
    """The dtype of a Tensor or Variable (or a JAX array); None for the values TF converts."""
    if isinstance(x, TensorLike):
        return x.dtype
    if isinstance(x, jax.Array):
        return dtypes.from_numpy(x.dtype)
    return None


def _adopt(value, dtype, op_name, index, strict):
    """A non-Tensor operand converted to the other operand's ``dtype``, as TF converts it.

    ``strict``: ``convert_to_tensor(value, dtype)``, TF's ``TypeError`` (or ``ValueError``)
    when it cannot. Otherwise ``dtype`` is only a hint (``tf.add``, ``+``): a value that does not
    convert is converted alone and the kernel reports the mismatch (``InvalidArgumentError``).
    A Python number that JAX keeps weakly typed with the same result stays a Python scalar.
    """
    if strict and _is_text(value) and dtype is not dtypes.string:
        raise TypeError(errors.CANNOT_CONVERT.format(value=value, dtype=tf_type_name(dtype))
                        + _argument_hint(value))
    if strict:
        return value if weak_scalar(value, dtype) else constant(value, dtype)
    return _mismatch(hint(value, dtype), dtype, op_name, index)


def padding_tensor(value, dtype):
    """A fill value (``padding_value``, ``constant_values``) of ``dtype``; for a bool tensor TF
    casts a number it does not convert (the default 0)."""
    try:
        return to_tensor(value, dtype)
    except TypeError:
        if _is_text(value) or not dtype.is_bool:
            raise
        return to_tensor(np.asarray(value).astype(dtype.as_numpy_dtype))


def hint(value, dtype):
    """``tf.convert_to_tensor(value, dtype_hint=dtype)``: ``dtype`` when the value converts to
    it, else its own (a :func:`weak_scalar` stays a Python scalar)."""
    if weak_scalar(value, dtype):
        return value
    try:
        return constant(value, dtype)
    except (TypeError, ValueError):
        return constant(value)


def _mismatch(tensor, expected, op_name, index):
    """``tensor`` when its dtype is ``expected``, else the kernel's ``InvalidArgumentError``."""
    if isinstance(tensor, TensorLike) and tensor.dtype != expected:
        raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
            op=op_name, index=index, expected=tf_type_name(expected),
            got=tf_type_name(tensor.dtype)))
    return tensor


def match(x, y, op_name, strict=False, first_alone=False):
    """Both operands of a binary op with one dtype, as TF: no implicit promotion.

    A non-Tensor operand (Python or NumPy value, list) takes the Tensor operand's dtype (see
    :func:`_adopt`); ``first_alone``: a non-Tensor ``x`` is converted alone (``tf.add``).
    """
    dx, dy = _tensor_dtype(x), _tensor_dtype(y)
    if dx is not None and dy is not None:
        if dx != dy:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op=op_name, index=1, expected=tf_type_name(dx), got=tf_type_name(dy)))
        return to_tensor(x), to_tensor(y)
    if dx is not None:
        return to_tensor(x), _adopt(y, dx, op_name, 1, strict)
    if dy is not None:
        if first_alone:
            x = constant(x)
            return x, _mismatch(to_tensor(y), x.dtype, op_name, 1)
        return _adopt(x, dy, op_name, 0, strict), to_tensor(y)
    if strict and _is_text(x) and not _is_text(y):  # x would be a string tensor
        raise TypeError(errors.CANNOT_CONVERT.format(value=y, dtype="string")
                        + _argument_hint(x))
    x = constant(x)
    return x, _adopt(y, x.dtype, op_name, 1, strict)


def reject_text(value, dtype="float", converted=None):
    """TF's ``TypeError`` for a string argument that TF converts to ``dtype`` (the dtype of a
    Tensor input beside it) or, with ``converted``, that TF converts alone while another input
    (``converted``, a number) is then converted to string; the message names the argument."""
    if _is_text(value):
        shown, dtype = (value, dtype) if converted is None else (converted, "string")
        raise TypeError(errors.CANNOT_CONVERT.format(value=shown, dtype=dtype)
                        + _argument_hint(value))


def bool_input(value):
    """An input TF converts to bool: a Python value that is not bool (a string, a number) is
    its ``TypeError``, a NumPy value is cast; Tensors are left to the op's dtype check."""
    if isinstance(value, TensorLike):
        return to_tensor(value)
    reject_text(value, "bool")
    if type(value) in _SCALARS or (isinstance(value, (list, tuple)) and np.size(_plain(value))):
        if not infer_dtype(value).is_bool:
            raise TypeError(errors.CANNOT_CONVERT.format(value=value, dtype="bool")
                            + _argument_hint(value))
    return to_tensor(value, dtypes.bool)


# TF kernels missing for some dtypes on CPU: TF raises ``NotFoundError`` before any other check.
_INTEGER_NAMES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
MISSING_KERNELS = {
    "FloorDiv": ("complex64", "complex128"),
    "AvgPool3D": ("float16", "float64"),
    "Multinomial": _INTEGER_NAMES, "StatelessMultinomial": _INTEGER_NAMES,
    "TensorScatterAdd": ("bool",), "TensorScatterSub": ("bool",),
    "LowerBound": ("complex64", "complex128", "bool"),
    "UpperBound": ("complex64", "complex128", "bool"),
    "MatrixBandPart": ("string",),
    "Erfinv": ("float16",), "Ndtri": ("float16",), "Dawsn": ("float16",),
    "Expint": ("float16",), "Rint": ("float16",), "Igamma": ("float16",),
    "Igammac": ("float16",), "TruncateMod": ("float16",),
}


def no_kernel(dtype, op_name):
    """TF's ``NotFoundError`` where ``op_name`` has no CPU kernel for ``dtype`` (a ``DType``
    or ``"string"``), as listed in :data:`MISSING_KERNELS`."""
    name, kernel_name = (dtype, dtype) if isinstance(dtype, str) else (dtype.name,
                                                                         tf_type_name(dtype))
    if name in MISSING_KERNELS.get(op_name, ()):
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node {op_name}}}}} = {op_name}"
            f"[T=DT_{kernel_name.upper()}]: no {op_name} kernel for {name} [Op:{op_name}] "
            "name: "))


def select_rank_limit(shape, other):
    """TF's ``UnimplementedError`` where its SelectV2 kernel (``tf.where``, and ops built on it:
    ``dropout``, ``reduce_logsumexp``) would broadcast beyond 8 dimensions."""
    if max(len(shape), len(other)) > 8:
        raise errors.UnimplementedError(None, None, (
            f"Broadcast between {dims_str(shape)} and {dims_str(other)} is not supported yet. "
            "[Op:SelectV2] name: "))


def require_inexact(x, op_name, allowed=_FLOAT_TYPES):
    """TF's kernel-type error for an integer or bool input (or a complex one where ``allowed``,
    TF's list for the op, has no complex type)."""
    if not x.dtype.is_inexact or (x.dtype.is_complex and "complex" not in allowed):
        raise type_not_allowed(x.dtype, op_name, allowed)


def require_numeric(x, op_name, allowed=_NUMERIC_TYPES):
    """TF's kernel-type error for a bool input to a numeric op (``tf.abs``, ``tf.reduce_sum``)."""
    if x.dtype.is_bool or x.dtype is dtypes.string:
        raise type_not_allowed(x.dtype, op_name, allowed)


def type_not_allowed(dtype, op_name, allowed):
    return errors.InvalidArgumentError(None, None, (
        f"Value for attr 'T' of {tf_type_name(dtype)} is not in the list of allowed values: "
        f"{allowed} [Op:{op_name}] name: "))


# --- registration -------------------------------------------------------------------------
def register(name, fn, *, kind="other", differentiable=True, domain=None, float_only=False,
             tf_name=None, extra=None):
    """Decorator adding a TF-signature function to the op table under ``name``."""
    def decorate(api):
        api.__name__ = api.__qualname__ = name
        _register(OpDef(name, fn, api, differentiable, kind, domain, float_only,
                        tf_name or name, extra))
        return api
    return decorate


_FLOAT_KINDS = "fcV"  # NumPy kinds of float, complex and bfloat16


def _fast(fn):
    """``jnp`` ufuncs check their arguments in Python on every call; a ``jax.jit`` of the same
    function dispatches in C++ (about 1 us less per op) and hashes cheaply in cache keys."""
    return jax.jit(fn) if isinstance(fn, jnp.ufunc) else fn


def unary(name, fn, *, float_only=False, domain=None, tf_name=None, differentiable=True,
          bool_ok=False, doc=None):
    """A one-input elementwise op ``name(x, name=None)``.

    ``float_only`` is True, or TF's list of allowed types where it differs from the default.
    Other ops take any number but bool, as TF's kernels, unless ``bool_ok``.
    """
    tf_name = tf_name or name.title().replace("_", "")
    fn = _fast(fn)
    allowed = float_only if isinstance(float_only, str) else _FLOAT_TYPES
    fast_kinds = _FLOAT_KINDS if float_only else "fciuVb" if bool_ok else "fciuV"
    fast_kinds = "" if tf_name in MISSING_KERNELS else fast_kinds

    def check(x):
        no_kernel(x.dtype, tf_name)
        if float_only:
            require_inexact(x, tf_name, allowed)
        elif not bool_ok:
            require_numeric(x, tf_name)

    def api(x, name=None):
        if type(x) is Tensor or type(x) is _LazyTensor:
            if raw_value(x).dtype.kind in fast_kinds:
                return _apply_fast(fn, (x,), tf_name, differentiable)
        else:
            x = to_tensor(x)
        check(x)
        return apply(fn, (x,), _NO_ATTRS, tf_name, differentiable)
    api.__doc__ = doc or f"Elementwise ``tf.math.{name}`` on JAX."
    return register(name, fn, kind="unary", differentiable=differentiable, domain=domain,
                    float_only=bool(float_only), tf_name=tf_name)(api)


_KERNEL_DTYPES = {"half": np.float16, "float": np.float32, "double": np.float64,
                  "bfloat16": jnp.bfloat16}


def _kernel_dtypes(types):
    """The NumPy dtypes of TF's list of allowed kernel types (``"half, float, double"``)."""
    return frozenset(np.dtype(_KERNEL_DTYPES.get(n, n)) for n in types.split(", "))


def _same_dtype_fast(x, y, ok, strict=True):
    """True when TF's dtype rule obviously holds: the common Tensor/Python-scalar cases of a
    dtype in ``ok`` (None: any), and a Python scalar ``x`` only for ``strict`` ops."""
    tx = type(x)
    if tx is Tensor or tx is _LazyTensor:
        dtype = raw_value(x).dtype
        if ok is not None and dtype not in ok:
            return False
        kind = dtype.kind
        ty = type(y)
        if ty is Tensor or ty is _LazyTensor:
            return raw_value(y).dtype == dtype and kind != "O"
        if ty is float:
            return kind in _FLOAT_KINDS
        return ty is int and -2**31 <= y < 2**31 and (
            kind in _FLOAT_KINDS or kind == "i" and dtype.itemsize >= 4)
    ty = type(y)
    if strict and (ty is Tensor or ty is _LazyTensor):
        return _same_dtype_fast(y, x, ok)
    return False


def binary(name, fn, *, tf_name=None, differentiable=True, domain=None, float_only=False,
           types=None, strict=True, doc=None):
    """A two-input broadcasting op ``name(x, y, name=None)`` with TF's dtype rule.

    ``float_only`` as for :func:`unary`; ``types`` is TF's list of allowed types for the other
    ops (None: every dtype). ``strict=False`` for ``tf.add``, which converts ``x`` alone and
    ``y`` with ``x``'s dtype as a hint only (TF's kernel error, ``InvalidArgumentError``,
    instead of a ``TypeError`` from converting a value to the other dtype).
    """
    tf_name = tf_name or name.title().replace("_", "")
    fn = _fast(fn)
    allowed = float_only if isinstance(float_only, str) else _FLOAT_TYPES if float_only else types
    ok = None if allowed is None else _kernel_dtypes(allowed) - {
        np.dtype(n) for n in MISSING_KERNELS.get(tf_name, ())}

    missing = tf_name in MISSING_KERNELS

    def api(x, y, name=None):
        if not missing and _same_dtype_fast(x, y, ok, strict):
            return _apply_fast(fn, (x, y), tf_name, differentiable)
        x, y = match(x, y, tf_name, strict, first_alone=not strict)
        dtype = (x if isinstance(x, TensorLike) else y).dtype
        if missing:
            no_kernel(dtype, tf_name)
        if ok is not None and dtype is not dtypes.string and (
                np.dtype(dtype.as_numpy_dtype) not in ok):  # strings: ops/host.py decides
            no_kernel(dtype, tf_name)
            raise type_not_allowed(dtype, tf_name, allowed)
        return apply(fn, (x, y), _NO_ATTRS, tf_name, differentiable)
    api.__doc__ = doc or f"Elementwise ``tf.math.{name}`` with broadcasting, on JAX."
    return register(name, fn, kind="binary", differentiable=differentiable, domain=domain,
                    float_only=bool(float_only), tf_name=tf_name)(api)


def int_array(value, what, dtype=None):
    """An integer argument (axis, shape, count) as a NumPy array, converted as TF converts it.

    None, objects and mixed lists raise TF's ``ValueError``, strings ``InvalidArgumentError``
    (all naming the argument); a Python float is TF's ``TypeError``, a float Tensor its
    ``InvalidArgumentError``. ``dtype`` names the integer dtype TF converts the value to
    (``"int32"``) where it does: a string is then its ``TypeError``.
    """
    if dtype is not None and _is_text(value):
        raise TypeError(errors.CANNOT_CONVERT.format(value=value, dtype=dtype)
                        + (_argument_hint(value) or f" (argument `{what}`)"))
    if isinstance(value, TensorShape):
        value = value.as_list()
    if isinstance(value, TensorLike):
        if not value.dtype.is_integer:
            raise errors.InvalidArgumentError(None, None, (
                f"Value for attr 'Tidx' of {tf_type_name(value.dtype)} is not in the list of "
                f"allowed values: int32, int64 (argument `{what}`)"))
        return np.asarray(value.numpy())
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "iu":
        return np.asarray(value)
    try:
        inferred = infer_dtype(value)
    except (TypeError, ValueError, errors.InvalidArgumentError) as error:
        if "argument" in str(error):
            raise
        raise _naming(error, what) from None
    if inferred is dtypes.string:  # TF converts it alone; the kernel rejects the string
        raise string_not_allowed(value, what, "Tidx")
    if not inferred.is_integer and np.size(_plain(value)):
        raise TypeError(errors.CANNOT_CONVERT.format(value=value, dtype=dtype or "int32")
                        + (_argument_hint(value) or f" (argument `{what}`)"))
    return np.asarray(_plain(value), np.int64 if inferred.is_inexact else None)


def string_not_allowed(value, what, attr="T"):
    """TF's kernel error for a string converted alone where a number is needed, naming the
    argument."""
    return errors.InvalidArgumentError(None, None, (
        f"Value for attr '{attr}' of string is not in the list of allowed values (got "
        f"{value!r}){_argument_hint(value) or f' (argument `{what}`)'}"))


def _naming(error, what):
    """``error`` again (same class), its message naming the argument ``what``."""
    message = f"{error} (argument `{what}`)"
    if isinstance(error, errors.OpError):
        return type(error)(None, None, message)
    return type(error)(message)


def static_int(value, what, dtype=None, op_name=None, max_rank=0):
    """A scalar integer argument (``axis``, ``depth``, ...) as a Python int, as TF converts it
    (``dtype`` as for :func:`int_array`).

    A non-scalar is TF's ``ValueError`` from its Python check, or, with ``op_name`` (the kernel
    that takes the value as a tensor), that kernel's ``InvalidArgumentError``. Kernels that take
    one value in a tensor of up to ``max_rank`` dimensions (None: any) accept that too.
    """
    array = int_array(value, what, dtype)
    if array.ndim and array.size == 1 and (max_rank is None or array.ndim <= max_rank):
        array = array.reshape(())
    if array.ndim:
        if op_name is not None:
            raise errors.InvalidArgumentError(None, None, (
                f"`{what}` must be a scalar, but received a tensor of shape "
                f"{dims_str(array.shape)} [Op:{op_name}] name: "))
        raise ValueError(f"Argument `{what}` must be a scalar. Received: {what}={value!r}"
                         f"{_argument_hint(value)}")
    return int(array)


def as_dtype(value, what="dtype"):
    """``dtypes.as_dtype`` for an op's dtype argument: TF's ``TypeError`` (None too) names the
    argument."""
    if value is None:
        raise TypeError("Cannot convert the argument `type_value`: None to a TensorFlow DType. "
                        f"(argument `{what}`)")
    try:
        return dtypes.as_dtype(value)
    except TypeError as error:
        raise _naming(error, what) from None


def static_float(value, what):
    """A scalar float argument (``variance_epsilon``) as a Python float; what TF cannot convert
    to a tensor raises TF's conversion error, naming the argument."""
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        failure = error
    try:
        if constant(value).dtype is dtypes.string:
            failure = string_not_allowed(value, what)
    except (TypeError, ValueError, errors.InvalidArgumentError) as error:
        failure = error
    raise (failure if "argument" in str(failure) else _naming(failure, what)) from None


def attr_int(value, what, op_name):
    """An int op attribute (``ksize``, ``block_size``, an ``axis`` attr) converted as TF converts
    attributes, ``int(value)`` (a float is truncated, bytes parsed); a string, a non-scalar or
    anything ``int`` rejects is TF's ``TypeError`` naming the argument, a value beyond int32 its
    kernel's ``InvalidArgumentError``."""
    number = None
    if not isinstance(value, (str, list, tuple)) and np.ndim(value) == 0:
        try:
            number = int(value)
        except (TypeError, ValueError):
            pass
    if number is None:
        raise TypeError(f"Expected int for argument '{what}' not {value!r}.")
    if not -2**31 <= number < 2**31:
        raise errors.InvalidArgumentError(None, None, (
            f"Attr {what} has value {number} out of range for an int32 [Op:{op_name}] name: "))
    return number


def normalize_axis(axis, rank, op_name):
    """TF's ``axis`` argument (None, int, list or Tensor) as a tuple of non-negative ints."""
    if axis is None:
        return None
    out = []
    for a in int_array(axis, "axis").reshape(-1).tolist():
        if not -rank <= a < max(rank, 1):
            raise errors.InvalidArgumentError(None, None, (
                f"Invalid reduction dimension ({a} for input with {rank} dimension(s) "
                f"[Op:{op_name}] name: "))
        out.append(a % rank if rank else 0)
    return tuple(out)


def reduction(name, fn, *, tf_name, differentiable=True, bool_only=False, check=None, doc=None):
    """A reduction ``name(input_tensor, axis=None, keepdims=False, name=None)``.

    ``check``, when given, validates the input Tensor (raising TF's error) after ``axis``.
    """
    def api(input_tensor, axis=None, keepdims=False, name=None):
        x = bool_input(input_tensor) if bool_only else to_tensor(input_tensor)
        if bool_only and not x.dtype.is_bool:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op=tf_name, index=0, expected="bool", got=tf_type_name(x.dtype)))
        if not bool_only:
            require_numeric(x, tf_name)
        static = attrs(axis=normalize_axis(axis, x.ndim, tf_name), keepdims=bool(keepdims))
        if check is not None:
            check(x)
        return apply(fn, (x,), static, tf_name, differentiable)
    api.__doc__ = doc or f"``tf.math.{name}`` on JAX: reduces ``axis`` (all axes when None)."
    return register(name, fn, kind="reduction", differentiable=differentiable,
                    domain="bool" if bool_only else None, tf_name=tf_name)(api)
