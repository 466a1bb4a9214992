"""The dispatcher: the only place where ops meet the tape, and the op-table factories.

``apply`` unwraps inputs, runs the JAX function, wraps the outputs and records one node on every
recording tape that watches an input. The factories (``unary``, ``binary``, ``reduction``,
``register``) give each TF op its TF signature and add it to the table in one line. TF's argument
conversion and its errors live in ``convert`` (re-exported here for the op modules).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from .. import _capture, _lazy, dtypes, errors
from .._recording import STACK, record
from .._registry import OpDef, register as _register
from ..tensor import Tensor, TensorLike, is_text, raw_value
from . import host
from .convert import (  # noqa: F401 - the conversion API, re-exported for the op modules
    _FLOAT_TYPES,
    MISSING_KERNELS,
    _value_of,
    as_dtype,
    attr_int,
    bool_input,
    broadcast_shapes,
    building_graph,
    concrete,
    dims_str,
    dtype_of,
    hint,
    int_array,
    known_value,
    match,
    match_all,
    no_kernel,
    nonzero_divisor,
    normalize_axis,
    padding_tensor,
    plain_ints,
    reject_text,
    require_inexact,
    require_numeric,
    require_type,
    required_int,
    required_value,
    select_rank_limit,
    shape_check_error,
    static_float,
    static_int,
    string_not_allowed,
    tf_type_name,
    to_tensor,
    type_not_allowed,
)

_NO_ATTRS = ()
_OBJECT = np.dtype(object)
_LazyTensor = _lazy.LazyTensor
_defer = _lazy.defer  # records the op too when it defers it


def attrs(**kwargs: Any) -> tuple[tuple[str, Any], ...]:
    """Static op attributes as a hashable, ordered tuple (part of the gradient cache key)."""
    return tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return value


def apply(fn: Callable[..., Any], inputs: Sequence[Any], static: tuple = _NO_ATTRS,
          op_name: str = "", differentiable: bool = True) -> Any:
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
        out = _defer(fn, static, inputs, tapes, differentiable)
        if out is not None:
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


def _apply_host(fn: Callable[..., Any], inputs: Sequence[Any], static: tuple,
                op_name: str) -> Tensor | tuple[Tensor, ...]:
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


def _host_tensor(value: Any) -> Tensor:
    return Tensor(value if is_text(value) else jnp.asarray(value))


def _apply_fast(fn: Callable[..., Any], inputs: tuple, op_name: str, differentiable: bool,
                tapes: list) -> Tensor:
    """``apply`` for Tensors and Python scalars only, with no attributes (the common case of
    elementwise ops: it skips the Variable checks), once ``_defer`` declined: the op runs.
    The callers try ``_defer`` themselves when ``tapes`` (the recording stack) is not empty,
    which saves a frame on the hot path of eager code under a tape."""
    values = [x._value if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = fn(*values)
    except (TypeError, ValueError, IndexError) as e:
        raise _translate(e, op_name, values) from None
    output = Tensor(out)
    if tapes:
        record(fn, _NO_ATTRS, inputs, (output,), False, differentiable)
    return output


def _recorded_inputs(inputs: Sequence[Any]) -> tuple:
    """The inputs as a tape sees them: a Variable is read (once) as a Tensor."""
    return tuple([x if isinstance(x, Tensor) or not isinstance(x, TensorLike)
                  else x._tapejax_read() for x in inputs])


def _translate(error: Exception, op_name: str, values: Sequence[Any]) -> Exception:
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


def register(name: str, fn: Callable[..., Any], *, kind: str = "other",
             differentiable: bool = True, domain: Any = None, float_only: bool = False,
             tf_name: str | None = None, extra: Any = None) -> Callable[[Callable], Callable]:
    """Decorator adding a TF-signature function to the op table under ``name``."""
    def decorate(api):
        api.__name__ = api.__qualname__ = name
        _register(OpDef(name, fn, api, differentiable, kind, domain, float_only,
                        tf_name or name, extra))
        return api
    return decorate


_FLOAT_KINDS = "fcV"  # NumPy kinds of float, complex and bfloat16


def _fast(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``jnp`` ufuncs check their arguments in Python on every call; a ``jax.jit`` of the same
    function dispatches in C++ (about 1 us less per op) and hashes cheaply in cache keys."""
    return jax.jit(fn) if isinstance(fn, jnp.ufunc) else fn


def unary(name: str, fn: Callable[..., Any], *, float_only: bool | str = False,
          domain: Any = None, tf_name: str | None = None, differentiable: bool = True,
          bool_ok: bool = False, doc: str | None = None, param: str = "x") -> Callable:
    """A one-input elementwise op ``name(x, name=None)``.

    ``float_only`` is True, or TF's list of allowed types where it differs from the default.
    Other ops take any number but bool, as TF's kernels, unless ``bool_ok``. ``param``: TF's
    name of the input (``features`` for activations).
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
                tapes = STACK.tapes
                if tapes:
                    out = _defer(fn, _NO_ATTRS, (x,), tapes, differentiable)
                    if out is not None:
                        return out
                return _apply_fast(fn, (x,), tf_name, differentiable, tapes)
        else:
            x = to_tensor(x)
        check(x)
        return apply(fn, (x,), _NO_ATTRS, tf_name, differentiable)
    api.__doc__ = doc or f"Elementwise ``tf.math.{name}`` on JAX."
    return register(name, fn, kind="unary", differentiable=differentiable, domain=domain,
                    float_only=bool(float_only), tf_name=tf_name)(_renamed(api, (param,)))


_KERNEL_DTYPES = {"half": np.float16, "float": np.float32, "double": np.float64,
                  "bfloat16": jnp.bfloat16}


def _kernel_dtypes(types: str) -> frozenset[np.dtype]:
    """The NumPy dtypes of TF's list of allowed kernel types (``"half, float, double"``)."""
    return frozenset(np.dtype(_KERNEL_DTYPES.get(n, n)) for n in types.split(", "))


def _same_dtype_fast(x: Any, y: Any, ok: frozenset | None, strict: bool = True) -> bool:
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


def binary(name: str, fn: Callable[..., Any], *, tf_name: str | None = None,
           differentiable: bool = True, domain: Any = None, float_only: bool | str = False,
           types: str | None = None, strict: bool = True, doc: str | None = None,
           check: Callable[[Any, Any], None] | None = None,
           names: tuple[str, str] = ("x", "y")) -> Callable:
    """A two-input broadcasting op ``name(x, y, name=None)`` with TF's dtype rule.

    ``float_only`` as for :func:`unary`; ``types`` is TF's list of allowed types for the other
    ops (None: every dtype). ``strict=False`` for ``tf.add``, which converts ``x`` alone and
    ``y`` with ``x``'s dtype as a hint only (TF's kernel error, ``InvalidArgumentError``,
    instead of a ``TypeError`` from converting a value to the other dtype). ``check(x, y)``,
    when given, raises TF's error for the operands' values before the op runs. ``names``: TF's
    parameter names where they are not ``x, y`` (``atan2(y, x)``, ``igamma(a, x)``).
    """
    tf_name = tf_name or name.title().replace("_", "")
    fn = _fast(fn)
    allowed = float_only if isinstance(float_only, str) else _FLOAT_TYPES if float_only else types
    ok = None if allowed is None else _kernel_dtypes(allowed) - {
        np.dtype(n) for n in MISSING_KERNELS.get(tf_name, ())}

    missing = tf_name in MISSING_KERNELS

    def api(x, y, name=None):
        tx = type(x)
        if type(y) is float and (tx is Tensor or tx is _LazyTensor):  # ``tensor * 0.5``
            dtype = raw_value(x).dtype
            fast = dtype.kind in _FLOAT_KINDS and (ok is None or dtype in ok) and not missing
        else:
            fast = not missing and _same_dtype_fast(x, y, ok, strict)
        if fast:
            if check is not None:
                check(x, y)
            tapes = STACK.tapes
            if tapes:
                out = _defer(fn, _NO_ATTRS, (x, y), tapes, differentiable)
                if out is not None:
                    return out
            return _apply_fast(fn, (x, y), tf_name, differentiable, tapes)
        x, y = match(x, y, tf_name, strict, first_alone=not strict)
        dtype = (x if isinstance(x, TensorLike) else y).dtype
        if missing:
            no_kernel(dtype, tf_name)
        if ok is not None and dtype is not dtypes.string and (
                np.dtype(dtype.as_numpy_dtype) not in ok):  # strings: ops/host.py decides
            no_kernel(dtype, tf_name)
            raise type_not_allowed(dtype, tf_name, cast(str, allowed))  # ok: allowed is set
        if check is not None:
            check(x, y)
        return apply(fn, (x, y), _NO_ATTRS, tf_name, differentiable)
    api.__doc__ = doc or f"Elementwise ``tf.math.{name}`` with broadcasting, on JAX."
    return register(name, fn, kind="binary", differentiable=differentiable, domain=domain,
                    float_only=bool(float_only), tf_name=tf_name)(_renamed(api, names))


def _renamed(api: Callable, names: Sequence[str]) -> Callable:
    """``api`` with its leading parameters renamed to TF's ``names`` (``atan2(y, x)``,
    ``relu(features)``): a copy of its code object whose first local variables have the new
    names. The body reads them by slot, so behaviour and speed are unchanged (a wrapper would
    cost a call on the hot path); they must be plain locals, not closure cells."""
    code = api.__code__
    if code.co_varnames[:len(names)] != tuple(names):
        assert not set(code.co_varnames[:len(names)]) & set(code.co_cellvars)
        api.__code__ = code.replace(co_varnames=tuple(names) + code.co_varnames[len(names):])
    return api


def reduction(name: str, fn: Callable[..., Any], *, tf_name: str, differentiable: bool = True,
              bool_only: bool = False, check: Callable[[Any], None] | None = None,
              doc: str | None = None) -> Callable:
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
