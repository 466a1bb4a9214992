"""Signature binding of ``tapejax.function`` calls, with TF's rules and error texts.

A call to a ``Function`` is bound to the Python signature (defaults applied, ``self`` of a
method left out) and converted to its ``input_signature``; a call to a ``ConcreteFunction`` is
bound to its traced types (``_conform``: tensors convert to their spec's dtype, Python values
must equal their literal). Failures raise TF's ``Binding inputs to tf.function failed`` TypeError.
"""
import collections
import inspect

from . import errors, nest
from ._function_keys import _components
from .ops.core import tf_type_name
from .tensor import Tensor, TensorLike, convert_to_tensor
from .tensor_spec import TensorSpec

BIND_FAILED = ("Binding inputs to tf.function failed due to `{reason}`. Received args: {args} and "
               "kwargs: {kwargs} for signature: {signature}.")
BAD_SIGNATURE = ("input_signature must be a possibly nested sequence of TensorSpec objects, got "
                 "invalid args {args} with types {types}.")


def _check_signature(signature):
    """``input_signature`` as a tuple of (nested) TensorSpecs; TypeError naming the others."""
    if isinstance(signature, TensorSpec) or not nest.is_nested(signature):
        signature = [signature]
    bad = [x for x in nest.flatten(signature) if not isinstance(x, TensorSpec)]
    if bad:
        raise TypeError(BAD_SIGNATURE.format(args=bad, types=[type(x) for x in bad]))
    return tuple(_plain_sequences(s) for s in signature)


def _plain_sequences(x):
    """``x`` with list and tuple subclasses (Keras's ``TrackedList``) as plain lists and
    tuples, as TF's nest reads them; namedtuples stay."""
    if isinstance(x, list):
        return [_plain_sequences(v) for v in x]
    if isinstance(x, tuple) and not hasattr(type(x), "_fields"):
        return tuple(_plain_sequences(v) for v in x)
    if isinstance(x, dict):
        kind = type(x) if type(x) in (dict, collections.OrderedDict) else dict
        return kind((k, _plain_sequences(v)) for k, v in x.items())
    return x


class _CapturedDefault:
    def __repr__(self):
        return "<captured_default_value>"


_CAPTURED_DEFAULT = _CapturedDefault()


def _has_tensors(traced):
    return any(isinstance(x, (TensorSpec, TensorLike)) or _components(x) is not None
               for x in nest.flatten(traced))


def _conform(traced, value, wrong_dtype):
    """``value`` bound to the traced type ``traced`` (TypeError when it cannot be); tensors
    of another dtype are listed in ``wrong_dtype`` (TF fails on those when running)."""
    if isinstance(traced, TensorSpec):
        if isinstance(value, TensorLike):
            tensor = value if type(value) is Tensor else value._tapejax_read()
            if tensor.dtype != traced.dtype:
                wrong_dtype.append((len(wrong_dtype), tf_type_name(traced.dtype),
                                    tf_type_name(tensor.dtype)))
            return tensor
        try:
            return convert_to_tensor(value, dtype=traced.dtype)
        except (ValueError, errors.InvalidArgumentError) as e:
            raise TypeError(str(e)) from None
    if isinstance(traced, TensorLike) or _components(traced) is not None:
        return value
    if isinstance(traced, (list, tuple)) and _has_tensors(traced):
        if not isinstance(value, (list, tuple)) or len(value) != len(traced):
            raise TypeError(f"Can not cast {value!r} to {_type_text(traced)}")
        return type(traced)(_conform(t, v, wrong_dtype) for t, v in zip(traced, value))
    if isinstance(traced, dict) and _has_tensors(traced):
        if not isinstance(value, dict) or sorted(value) != sorted(traced):
            raise TypeError(f"Can not cast {value!r} to {_type_text(traced)}")
        return type(traced)((k, _conform(t, value[k], wrong_dtype)) for k, t in traced.items())
    if not _same(traced, value):
        raise TypeError(f"Can not cast {value!r} to {_type_text(traced)}")
    return value


def _type_text(x):
    """A traced type as TF prints it: ``TensorSpec(...)``, ``Tuple[...]``, ``Literal[1.0]``."""
    if isinstance(x, (TensorSpec, TensorLike)):
        return repr(x)
    if type(x) is tuple or type(x) is list:
        return f"{type(x).__name__.title()}[{', '.join(_type_text(v) for v in x)}]"
    if isinstance(x, dict):
        return "Dict[" + ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in x.items()) + "]"
    return f"Literal[{x!r}]"


def _named(traced, path):
    """``traced`` with each unnamed TensorSpec named by its path (TF's argument names)."""
    if isinstance(traced, TensorSpec):
        return traced if traced.name is not None else TensorSpec(traced.shape, traced.dtype,
                                                                 name=path)
    if type(traced) is tuple or type(traced) is list:
        return type(traced)(_named(v, f"{path}_{k}") for k, v in enumerate(traced))
    if type(traced) is dict:
        return {k: _named(v, f"{path}_{k}") for k, v in traced.items()}
    return traced


def _describe(args, kwargs):
    return nest.map_structure(
        lambda x: TensorSpec.from_tensor(x) if isinstance(x, TensorLike) else x, (args, kwargs))


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:  # any comparison failure means "not the same literal"
        return a is b


def _convert_to_spec(spec_tree, value):
    """``value`` as Tensors matching the (nested) TensorSpecs; TypeError naming the mismatch."""
    if isinstance(spec_tree, TensorSpec):
        if isinstance(value, TensorSpec):
            tensor = value
        elif isinstance(value, TensorLike):
            tensor = value if type(value) is Tensor else value._tapejax_read()
            if tensor.dtype != spec_tree.dtype:
                raise TypeError(f"Can not cast {TensorSpec.from_tensor(tensor)} to {spec_tree}")
        else:
            try:
                tensor = convert_to_tensor(value, dtype=spec_tree.dtype)
            except (TypeError, ValueError, errors.InvalidArgumentError):
                raise TypeError(f"Can not cast {value!r} to {spec_tree}") from None
        if not spec_tree.shape.is_compatible_with(tensor.shape) or \
                (isinstance(value, TensorSpec) and value.dtype != spec_tree.dtype):
            raise TypeError(f"Can not cast {TensorSpec(tensor.shape, tensor.dtype)} to {spec_tree}")
        return tensor
    if not nest.is_nested(value) or len(nest.flatten(value)) != len(nest.flatten(spec_tree)):
        raise TypeError(f"Can not cast {value!r} to {spec_tree}")
    flat = [_convert_to_spec(s, v) for s, v in zip(nest.flatten(spec_tree), nest.flatten(value))]
    return nest.pack_sequence_as(spec_tree, flat)


def _plain_arity(signature, skip_first):
    """``(exact, at_least)``: a call with no keywords is canonical as it is when it has
    ``exact`` positional arguments, or at least ``at_least`` for a function of positional
    parameters and ``*args`` (such as ``lambda *args``). ``exact`` is -1 when no count is (the
    function takes keyword-only, ``*args`` or ``**kwargs`` parameters), -2 when the signature
    is unknown (every call goes through ``_canonical``, which then keeps the arguments as
    given); ``at_least`` is -1 without ``*args``."""
    if signature is None:
        return -2, -1
    params = list(signature.parameters.values())[1 if skip_first else 0:]
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    fixed = params[:-1] if params and params[-1].kind is inspect.Parameter.VAR_POSITIONAL \
        else params
    if any(p.kind not in kinds for p in fixed):
        return -1, -1
    return (-1, len(fixed)) if fixed is not params else (len(params), -1)


def _canonical(signature, input_signature, instance, args, kwargs):
    """Arguments bound to the Python signature with defaults applied: ``(args, kwargs)``.
    ``instance``: the weak reference to ``self`` of a bound method, else None."""
    if signature is None:
        return tuple(args), dict(kwargs)
    full = (instance(),) + tuple(args) if instance is not None else args
    try:
        bound = signature.bind(*full, **kwargs)
    except TypeError as e:
        raise TypeError(BIND_FAILED.format(
            reason=e, args=tuple(args), kwargs=kwargs,
            signature=_signature_text(signature, input_signature, instance))) from None
    bound.apply_defaults()
    out = bound.args[1:] if instance is not None else bound.args
    return tuple(out), dict(bound.kwargs)


def _apply_signature(signature, input_signature, instance, args, kwargs):
    """Canonical arguments converted to ``input_signature`` (TypeError when they do not fit;
    arguments past it must equal their Python defaults)."""
    if input_signature is None:
        return args, kwargs
    n = len(input_signature)
    if len(args) < n:
        raise TypeError(BIND_FAILED.format(reason="missing a required argument", args=args,
                                           kwargs=kwargs, signature=input_signature))
    converted = []
    for spec_tree, value in zip(input_signature, args[:n]):
        try:
            converted.append(_convert_to_spec(spec_tree, value))
        except TypeError as e:
            raise TypeError(BIND_FAILED.format(
                reason=e, args=args, kwargs=kwargs,
                signature=_signature_text(signature, input_signature, instance))) from None
    if len(args) > n and signature is not None:
        params = list(signature.parameters.values())[1 if instance is not None else 0:]
        for p, value in zip(params[n:], args[n:]):
            if p.default is inspect.Parameter.empty or not _same(p.default, value):
                raise TypeError(BIND_FAILED.format(
                    reason=f"Can not cast {value!r} to Literal[{p.default!r}]", args=args,
                    kwargs=kwargs,
                    signature=_signature_text(signature, input_signature, instance)))
    return tuple(converted) + tuple(args[n:]), kwargs


def _signature_text(signature, input_signature, instance):
    """The signature as TF writes it in binding errors: the ``input_signature`` by
    parameter name, or the parameters with defaults shown as ``<captured_default_value>``
    (``self`` of a bound method left out)."""
    if signature is None:
        return repr(input_signature)
    params = list(signature.parameters.values())[instance is not None:]
    if input_signature is None:
        return str(signature.replace(parameters=[
            p.replace(annotation=p.empty, default=p.default if p.default is p.empty
                      else _CAPTURED_DEFAULT) for p in params], return_annotation=
            inspect.Signature.empty))
    parts = [f"{p.name}: {spec}" for p, spec in zip(params, input_signature)]
    return "(" + ", ".join(parts) + ")"
