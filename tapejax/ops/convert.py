"""TF's argument conversion for ops: how TF turns Python values, NumPy arrays and Tensors into an
op's inputs and attributes (``match``, ``to_tensor``, ``int_array``, ``static_int``, ...), and
the TF errors those conversions and kernel type checks raise (``no_kernel``,
``type_not_allowed``, ...). ``core`` dispatches; this module only converts and checks.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from .. import _lazy, dtypes, errors
from .._capture import TRACE
from .._fold import folded_value
from ..tensor import (
    Tensor,
    TensorLike,
    _argument_hint,
    _is_text,
    _plain,
    constant,
    convert_to_tensor,
    holds_tensors,
    infer_dtype,
    kernel_name,
    pack,
    weak_scalar,
)
from ..tensor_shape import TensorShape

_FLOAT_TYPES = "bfloat16, half, float, double, complex64, complex128"
_NUMERIC_TYPES = ("bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, "
                  "uint32, uint64, complex64, complex128")
tf_type_name = kernel_name


def _value_of(x: Any) -> Any:
    if isinstance(x, TensorLike):
        return x._tapejax_read()._value
    return x


def dims_str(shape: Any) -> str:
    """A shape (or a Tensor's shape) as TF writes it in messages: ``[2,3]``."""
    if isinstance(shape, TensorLike):
        shape = shape.shape.as_list()
    return "[" + ",".join(str(d) for d in shape) + "]"


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
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


_SCALARS = (bool, int, float, complex)


def to_tensor(x: Any, dtype: dtypes.DType | None = None) -> TensorLike:
    """A Tensor or Variable for an op input (Python values converted with TF's inference)."""
    if type(x) is Tensor or isinstance(x, TensorLike):
        return x
    if isinstance(x, (list, tuple)) and holds_tensors(x):
        return pack(x, dtype)
    if isinstance(x, TensorShape):
        return convert_to_tensor(x, dtype)
    return constant(x, dtype)


def dtype_of(x: Any) -> dtypes.DType | None:
    if isinstance(x, TensorLike):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic, jax.Array)):
        return dtypes.from_numpy(x.dtype)
    return None


def _tensor_dtype(x: Any) -> dtypes.DType | None:
    """The dtype of a Tensor or Variable (or a JAX array); None for the values TF converts."""
    if isinstance(x, TensorLike):
        return x.dtype
    if isinstance(x, jax.Array):
        return dtypes.from_numpy(x.dtype)
    return None


def _adopt(value: Any, dtype: dtypes.DType, op_name: str, index: int, strict: bool) -> Any:
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


def padding_tensor(value: Any, dtype: dtypes.DType) -> TensorLike:
    """A fill value (``padding_value``, ``constant_values``) of ``dtype``; for a bool tensor TF
    casts a number it does not convert (the default 0)."""
    try:
        return to_tensor(value, dtype)
    except TypeError:
        if _is_text(value) or not dtype.is_bool:
            raise
        return to_tensor(np.asarray(value).astype(dtype.as_numpy_dtype))


def hint(value: Any, dtype: dtypes.DType) -> Any:
    """``tf.convert_to_tensor(value, dtype_hint=dtype)``: ``dtype`` when the value converts to
    it, else its own (a :func:`weak_scalar` stays a Python scalar)."""
    if weak_scalar(value, dtype):
        return value
    try:
        return constant(value, dtype)
    except (TypeError, ValueError):
        return constant(value)


def _mismatch(tensor: Any, expected: dtypes.DType, op_name: str, index: int) -> Any:
    """``tensor`` when its dtype is ``expected``, else the kernel's ``InvalidArgumentError``."""
    if isinstance(tensor, TensorLike) and tensor.dtype != expected:
        raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
            op=op_name, index=index, expected=tf_type_name(expected),
            got=tf_type_name(tensor.dtype)))
    return tensor


def match(x: Any, y: Any, op_name: str, strict: bool = False,
          first_alone: bool = False) -> tuple[Any, Any]:
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


def match_all(op_name: str, **inputs: Any) -> list[TensorLike]:
    """The inputs of an op whose inputs share one dtype attribute (``Betainc``), converted as
    TF's eager ``args_to_matching_eager``: the first Tensor decides the dtype (else the first
    value converted alone), every other value converts to it (TF's ``TypeError``, naming the
    argument) and Tensors of another dtype are the kernel's ``InvalidArgumentError``."""
    names = list(inputs)
    dtype = next((x.dtype for x in inputs.values() if isinstance(x, TensorLike)), None)
    out = []
    for k, name in enumerate(names):
        value = inputs[name]
        if isinstance(value, TensorLike):
            if value.dtype != dtype:
                raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                    op=op_name, index=k, expected=tf_type_name(dtype),
                    got=tf_type_name(value.dtype)))
            out.append(value)
            continue
        try:
            if dtype is not None and _is_text(value) and dtype is not dtypes.string:
                raise TypeError(errors.CANNOT_CONVERT.format(value=value,
                                                             dtype=tf_type_name(dtype)))
            tensor = constant(value, dtype)
        except (TypeError, ValueError) as error:
            raise (error if "argument" in str(error) else _naming(error, name)) from None
        dtype = tensor.dtype
        out.append(tensor)
    return out


def reject_text(value: Any, dtype: str = "float", converted: Any = None) -> None:
    """TF's ``TypeError`` for a string argument that TF converts to ``dtype`` (the dtype of a
    Tensor input beside it) or, with ``converted``, that TF converts alone while another input
    (``converted``, a number) is then converted to string; the message names the argument."""
    if _is_text(value):
        shown, dtype = (value, dtype) if converted is None else (converted, "string")
        raise TypeError(errors.CANNOT_CONVERT.format(value=shown, dtype=dtype)
                        + _argument_hint(value))


def bool_input(value: Any) -> TensorLike:
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
    "TensorScatterMax": ("complex64", "complex128", "bool"),
    "TensorScatterMin": ("complex64", "complex128", "bool"),
    "SpaceToBatchND": ("complex64", "complex128", "bool", "string"),
    "BatchToSpaceND": ("complex64", "complex128", "bool", "string"),
    "MatMul": ("uint8", "uint16", "uint32", "uint64"),
    "LowerBound": ("complex64", "complex128", "bool"),
    "UpperBound": ("complex64", "complex128", "bool"),
    "MatrixBandPart": ("string",),
    "Erfinv": ("float16",), "Ndtri": ("float16",), "Dawsn": ("float16",),
    "Expint": ("float16",), "Rint": ("float16",), "Igamma": ("float16",),
    "Igammac": ("float16",), "TruncateMod": ("float16",), "Svd": ("float16",),
}


def no_kernel(dtype: dtypes.DType | str, op_name: str) -> None:
    """TF's ``NotFoundError`` where ``op_name`` has no CPU kernel for ``dtype`` (a ``DType``
    or ``"string"``), as listed in :data:`MISSING_KERNELS`."""
    name, kernel_name = (dtype, dtype) if isinstance(dtype, str) else (dtype.name,
                                                                         tf_type_name(dtype))
    if name in MISSING_KERNELS.get(op_name, ()):
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node {op_name}}}}} = {op_name}"
            f"[T=DT_{kernel_name.upper()}]: no {op_name} kernel for {name} [Op:{op_name}] "
            "name: "))


def select_rank_limit(shape: Sequence[int], other: Sequence[int]) -> None:
    """TF's ``UnimplementedError`` where its SelectV2 kernel (``tf.where``, and ops built on it:
    ``dropout``, ``reduce_logsumexp``) would broadcast beyond 8 dimensions."""
    if max(len(shape), len(other)) > 8:
        raise errors.UnimplementedError(None, None, (
            f"Broadcast between {dims_str(shape)} and {dims_str(other)} is not supported yet. "
            "[Op:SelectV2] name: "))


def require_inexact(x: TensorLike, op_name: str, allowed: str = _FLOAT_TYPES) -> None:
    """TF's kernel-type error for an integer or bool input (or a complex one where ``allowed``,
    TF's list for the op, has no complex type)."""
    if not x.dtype.is_inexact or (x.dtype.is_complex and "complex" not in allowed):
        raise type_not_allowed(x.dtype, op_name, allowed)


def require_numeric(x: TensorLike, op_name: str, allowed: str = _NUMERIC_TYPES) -> None:
    """TF's kernel-type error for a bool input to a numeric op (``tf.abs``, ``tf.reduce_sum``)."""
    if x.dtype.is_bool or x.dtype is dtypes.string:
        raise type_not_allowed(x.dtype, op_name, allowed)


def require_type(x: TensorLike, op_name: str, allowed: str) -> None:
    """TF's kernel-type error unless ``x``'s dtype is in ``allowed``, TF's list of type names
    for the op (``"half, bfloat16, float"``)."""
    if tf_type_name(x.dtype) not in allowed.split(", "):
        raise type_not_allowed(x.dtype, op_name, allowed)


def type_not_allowed(dtype: dtypes.DType, op_name: str,
                     allowed: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, (
        f"Value for attr 'T' of {tf_type_name(dtype)} is not in the list of allowed values: "
        f"{allowed} [Op:{op_name}] name: "))


def nonzero_divisor(op_name: str,
                    error: type[errors.OpError] | None = None) -> Callable[[Any, Any], None]:
    """A ``check`` for :func:`binary`: TF's CPU kernels of integer divisions raise when an
    element of ``y`` is 0 (``FloorDiv``/``FloorMod``: ``InvalidArgumentError``; ``TruncateDiv``/
    ``TruncateMod``: ``InternalError``, ``error``). Only concrete values are checked: inside
    ``tapejax.function`` the quotient is XLA's (TF's graph kernels raise there too)."""
    message = ("Integer division by zero" if error is None else
               "Unexpected error in binary operator (only integer div and mod should have "
               "errors)")
    error = error or errors.InvalidArgumentError

    def check(x, y):
        tensor = x if isinstance(x, TensorLike) else y
        if not isinstance(tensor, TensorLike) or not tensor.dtype.is_integer:
            return
        values = [_value_of(v) if not isinstance(v, Tensor) else v._value for v in (x, y)]
        if any(isinstance(v, jax.core.Tracer) for v in values):
            return
        divisor = np.asarray(values[1])
        if divisor.all():
            return
        try:
            if not all(broadcast_shapes(np.shape(values[0]), divisor.shape)):
                return  # an empty result: no element is divided
        except ValueError:
            return  # the op raises TF's error for the shapes
        raise error(None, None, f"{message} [Op:{op_name}] name: ")
    return check


def concrete(x: Any) -> np.ndarray | None:
    """The NumPy value of a Tensor/Variable, or None while it is traced (inside ``jax.jit``)
    or symbolic (a ``FuncGraph``'s)."""
    if _lazy.GRAPH.depth and _lazy.is_pending(x):
        return None
    value = x.__jax_array__()
    return None if isinstance(value, jax.core.Tracer) else np.asarray(value)


def known_value(tensor: Any) -> np.ndarray | None:
    """The NumPy value of a tensor, folded while tracing when it is made of constants (such as
    ``tf.shape(x)[0]``); None when the traced function computes it."""
    value = concrete(tensor)
    if value is None and isinstance(tensor._value, jax.core.Tracer):
        value = folded_value(tensor._value)
    return None if value is None else np.asarray(value)


def required_value(value: TensorLike, what: str) -> np.ndarray:
    """The value of a Tensor that inside ``tapejax.function`` is computed from constants only
    (``tf.shape(x)[0]``, which XLA knows statically), as TF's graph folds it; one computed from
    the inputs is ``NotImplementedError`` naming the argument ``what``."""
    array = (value if isinstance(value, Tensor) else value._tapejax_read())._value
    if isinstance(array, jax.core.Tracer):
        folded = folded_value(array)
        if folded is None:
            raise NotImplementedError(
                f"`{what}` must be known when tapejax.function traces the function: XLA needs "
                "it to fix the program's shapes or structure, and here it is computed from the "
                "inputs. Pass it as a Python value, or derive it from constants or shapes.")
        return folded
    return np.asarray(value.numpy())


def required_int(value: Any, what: str) -> int:
    """``int(value)`` for an argument TF reads on the host, a tensor's value by
    :func:`required_value` (folded while tracing)."""
    return int(required_value(value, what) if isinstance(value, TensorLike) else value)


def plain_ints(value: Any) -> bool:
    """True for a non-empty list or tuple of Python ints (not bools) that fit in int64: the
    common shape or index argument, which converts without looking further."""
    return type(value) in (list, tuple) and len(value) > 0 and all(
        type(v) is int and -2**63 <= v < 2**63 for v in value)


def int_array(value: Any, what: str, dtype: str | None = None) -> np.ndarray:
    """An integer argument (axis, shape, count) as a NumPy array, converted as TF converts it.

    None, objects and mixed lists raise TF's ``ValueError``, strings ``InvalidArgumentError``
    (all naming the argument); a Python float is TF's ``TypeError``, a float Tensor its
    ``InvalidArgumentError``, a list holding float Tensors (``[tf.constant(3.0), 1]``) is cast
    to int32 as TF packs it. ``dtype`` names the integer dtype TF converts the value to
    (``"int32"``) where it does: a string is then its ``TypeError``.
    """
    if plain_ints(value):
        return np.array(value, np.int64)
    if dtype is not None and _is_text(value):
        raise TypeError(errors.CANNOT_CONVERT.format(value=value, dtype=dtype)
                        + (_argument_hint(value) or f" (argument `{what}`)"))
    if isinstance(value, TensorShape):
        value = value.as_list()
    packed = isinstance(value, (list, tuple)) and holds_tensors(value)
    if packed:
        value = pack(value)
    if isinstance(value, TensorLike):
        if packed and value.dtype.is_floating:  # TF casts a packed list to int32, truncating
            return required_value(value, what).astype(np.int32)
        if not value.dtype.is_integer:
            raise errors.InvalidArgumentError(None, None, (
                f"Value for attr 'Tidx' of {tf_type_name(value.dtype)} is not in the list of "
                f"allowed values: int32, int64 (argument `{what}`)"))
        return required_value(value, what)
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


def string_not_allowed(value: Any, what: str, attr: str = "T") -> errors.InvalidArgumentError:
    """TF's kernel error for a string converted alone where a number is needed, naming the
    argument."""
    return errors.InvalidArgumentError(None, None, (
        f"Value for attr '{attr}' of string is not in the list of allowed values (got "
        f"{value!r}){_argument_hint(value) or f' (argument `{what}`)'}"))


def _naming(error: Exception, what: str) -> Exception:
    """``error`` again (same class), its message naming the argument ``what``."""
    message = f"{error} (argument `{what}`)"
    if isinstance(error, errors.OpError):
        return type(error)(None, None, message)
    return type(error)(message)


def static_int(value: Any, what: str, dtype: str | None = None, op_name: str | None = None,
               max_rank: int | None = 0) -> int:
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


def as_dtype(value: Any, what: str = "dtype") -> dtypes.DType:
    """``dtypes.as_dtype`` for an op's dtype argument: TF's ``TypeError`` (None too) names the
    argument."""
    if value is None:
        raise TypeError("Cannot convert the argument `type_value`: None to a TensorFlow DType. "
                        f"(argument `{what}`)")
    try:
        return dtypes.as_dtype(value)
    except TypeError as error:
        raise _naming(error, what) from None


def static_float(value: Any, what: str) -> float:
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


def attr_int(value: Any, what: str, op_name: str) -> int:
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


def shape_check_error(text: str) -> Exception:
    """A failed static shape check (``text`` in TF's eager form, ``[Op:...]`` tail included) in
    TF's class: the kernel's ``InvalidArgumentError`` when the op runs eagerly, the
    ``ValueError`` of TF's shape inference while a ``tapejax.function`` or a ``FuncGraph`` is
    being built (TF checks these shapes when it adds the op to the graph)."""
    if building_graph():
        return ValueError(text)
    return errors.InvalidArgumentError(None, None, text)


def building_graph() -> bool:
    """True while a ``tapejax.function`` is traced or a ``FuncGraph`` is built: where TF runs
    an op's shape and type checks as it adds the op to a graph."""
    return TRACE.capture is not None or bool(_lazy.GRAPH.depth)


def normalize_axis(axis: Any, rank: int, op_name: str) -> tuple[int, ...] | None:
    """TF's ``axis`` argument (None, int, list or Tensor) as a tuple of non-negative ints."""
    if axis is None:
        return None
    out = []
    for a in int_array(axis, "axis").reshape(-1).tolist():
        if not -rank <= a < max(rank, 1):
            raise shape_check_error(
                f"Invalid reduction dimension ({a} for input with {rank} dimension(s) "
                f"[Op:{op_name}] name: ")
        out.append(a % rank if rank else 0)
    return tuple(out)
