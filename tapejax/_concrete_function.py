"""``ConcreteFunction``: one traced signature of a ``tapejax.function`` (TF's class).

Its specs accept tensors of compatible shapes; each concrete shape has its own ``_Trace``
(program) in ``_traces``. Calling it binds the arguments to the traced types (TF's function
type), then runs the owner's program for them.
"""
import inspect
import itertools

from . import errors, nest
from ._cache import Cache
from ._function_binding import BIND_FAILED, _conform, _describe, _has_tensors, _named, _type_text
from ._function_keys import _signature_key
from .tensor_spec import TensorSpec


class ConcreteFunction:
    """One traced signature of a ``Function`` (TF's ``ConcreteFunction``).

    ``None`` dimensions of its ``input_signature`` accept any size; each concrete shape has its
    own compiled program.
    """

    def __init__(self, owner, skeleton, specs, template, cache_size):
        self._owner = owner
        self._skeleton = skeleton
        self._specs = specs
        self._traces = Cache("function.programs", cache_size)  # concrete shapes -> _Trace
        self._template = template  # structured input signature (TensorSpecs for tensors)
        self._outputs = None
        self._number = next(_NUMBERS)  # TF's __inference_<name>_<n>, named in its errors

    def _accepts(self, dyn):
        return all(spec.shape.is_compatible_with(t.shape) for spec, t in zip(self._specs, dyn))

    @property
    def structured_input_signature(self):
        """The traced arguments; TensorSpecs without a name are named after their argument
        (``x``, ``x_0`` inside a list, ``d_k`` inside a dict), as TF names them."""
        params = self._params()
        if params is None:
            return self._template
        fixed_args, fixed_kwargs = self._template
        named = {name: _named(traced, name) for name, _, traced in params}
        return (tuple(named[name] for name, _, _ in params[:len(fixed_args)]),
                {name: named[name] for name in fixed_kwargs})

    @property
    def structured_outputs(self):
        return self._outputs

    def __call__(self, *args, **kwargs):
        owner = self._owner
        params = self._params()
        if params is None:  # *args or **kwargs: the arguments must fit the traced layout
            args, kwargs = self._fixed_layout(args, kwargs)
        else:
            args, kwargs = self._bind(params, args, kwargs)
        key, dyn, var_args = _signature_key(args, kwargs)
        trace = owner._trace_for(self, args, kwargs, dyn, var_args)
        if trace.feeds:
            dyn = trace.feeds.pull(dyn, args, kwargs)
        return trace.run(dyn, var_args)

    def _params(self):
        """``(name, kind, traced type)`` per parameter (TF's function type), or None when the
        Python signature has ``*args`` or ``**kwargs``."""
        owner = self._owner
        if owner._signature is None:
            return None
        params = list(owner._signature.parameters.values())[owner._instance is not None:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            return None
        fixed_args, fixed_kwargs = self._template
        return [(p.name, p.kind, fixed_args[k] if k < len(fixed_args) else fixed_kwargs[p.name])
                for k, p in enumerate(params)]

    def _bind(self, params, args, kwargs):
        """TF's binding of a concrete function's call: positional and keyword arguments bound
        to the traced types (a Python value must equal its literal; tensors convert to their
        spec's dtype; shapes are not checked, as in TF). Returns canonical ``(args, kwargs)``."""
        signature = inspect.Signature([
            inspect.Parameter(name, kind, default=inspect.Parameter.empty
                              if _has_tensors(traced) else traced)
            for name, kind, traced in params], __validate_parameters__=False)
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            wrong_dtype = []
            values = {name: _conform(traced, bound.arguments[name], wrong_dtype)
                      for name, _, traced in params}
        except TypeError as e:
            raise TypeError(BIND_FAILED.format(reason=e, args=args, kwargs=kwargs,
                                               signature=self._text(params))) from None
        if wrong_dtype:
            index, expected, got = wrong_dtype[0]
            name = f"__inference_{self._owner.name}_{self._number}"
            raise errors.InvalidArgumentError(None, None, (
                f"cannot compute {name} as input #{index}(zero-based) was expected to be a "
                f"{expected} tensor but is a {got} tensor [Op:{name}]"))
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return (tuple(values[name] for name, kind, _ in params if kind in positional),
                {name: values[name] for name, kind, _ in params if kind not in positional})

    def _text(self, params):
        """The signature as TF writes it in binding errors: ``(x: TensorSpec(...)) -> ...``."""
        text = "(" + ", ".join(f"{name}: {_type_text(t)}" for name, _, t in params) + ")"
        return text if self._outputs is None else f"{text} -> {_type_text(self._outputs)}"

    def _fixed_layout(self, args, kwargs):
        owner = self._owner
        fixed_args, fixed_kwargs = self._template  # Python values fixed when traced may be omitted
        args = tuple(args) + tuple(fixed_args[len(args):])
        kwargs = {**fixed_kwargs, **kwargs}
        if any(type(x) is TensorSpec for x in nest.flatten([args, kwargs])):
            raise TypeError(BIND_FAILED.format(reason="missing a required tensor argument",
                                               args=args, kwargs=kwargs,
                                               signature=self._template))
        args, kwargs = owner._canonical(args, kwargs)
        args, kwargs = owner._apply_signature(args, kwargs)
        key, dyn, _ = _signature_key(args, kwargs)
        if key != self._skeleton or not self._accepts(dyn):
            raise TypeError(BIND_FAILED.format(
                reason=f"Can not cast {_describe(args, kwargs)} to {self._template}",
                args=args, kwargs=kwargs, signature=self._template))
        return args, kwargs

    def __repr__(self):
        return f"<ConcreteFunction {self._template} -> {self._outputs} at 0x{id(self):X}>"


_NUMBERS = itertools.count(1)
