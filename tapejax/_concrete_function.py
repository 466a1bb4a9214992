"""``ConcreteFunction``: one traced signature of a ``tapejax.function`` (TF's class).

Its specs accept tensors of compatible shapes; each concrete shape has its own ``_Trace``
(program) in ``_traces``. Calling it binds the arguments to the traced types (TF's function
type), then runs the owner's program for them.
"""
import inspect
import itertools

import jax
import numpy as np
from jax import export as jax_export

from . import errors, nest
from ._cache import Cache
from ._function_binding import BIND_FAILED, _conform, _describe, _has_tensors, _named, _type_text
from ._function_keys import _signature_key
from ._function_program import _fill
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
        self._captured_cache = None  # Variables of a symbolic trace (``variables``)

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

    @property
    def variables(self):
        """The Variables the traced function reads or assigns (TF's captured Variables), in
        the order it first uses them."""
        return tuple(self._captured())

    @property
    def trainable_variables(self):
        """The trainable ones among ``variables`` (TF's)."""
        return tuple(v for v in self._captured() if v.trainable)

    def _captured(self):
        """The Variables of a trace of this signature; traced once with a symbolic dimension
        for each ``None`` when no call has traced it yet."""
        trace = next(iter(self._traces.values()), None)
        if trace is not None:
            found = trace.read_vars + trace.written_vars
        else:
            if self._captured_cache is None:
                traced = self._trace_untraced()
                self._captured_cache = traced.reads + traced.written
            found = self._captured_cache
        out, seen = [], set()
        for v in found:
            if v is not None and id(v) not in seen:  # None: a Variable passed as an argument
                seen.add(id(v))
                out.append(v)
        return out

    def _trace_untraced(self):
        """A trace of the signature's specs: symbolic sizes for its ``None`` dimensions (which
        also give TF's output type), or size 1 where an op needs static sizes."""
        args, kwargs = self._template
        _, dyn, _ = _signature_key(args, kwargs)
        try:
            traced, _ = symbolic_trace(self._owner, args, kwargs, dyn, VARIABLES_OF_UNTRACED)
        except Exception:
            ones = [jax.ShapeDtypeStruct(
                tuple(1 if d is None else d for d in
                      (t.shape.as_list() if t.shape.rank is not None else ())),
                np.dtype(t.dtype.as_numpy_dtype)) for t in dyn]
            return self._owner._run_trace(args, kwargs, dyn, VARIABLES_OF_UNTRACED, ones)
        if self._outputs is None:
            specs = [TensorSpec([d if isinstance(d, int) else None for d in v.aval.shape],
                                v.aval.dtype)
                     for v in traced.jaxpr.jaxpr.outvars[:traced.n_out]]
            self._outputs = nest.pack_sequence_as(traced.info[0],
                                                  _fill(traced.info[1], iter(specs)))
        return traced

    def pretty_printed_signature(self, verbose=True):
        """The signature as TF prints it: ``(x: TensorSpec(...)) -> TensorSpec(...)``, or
        with ``verbose`` its input parameters, output type and captured Variables."""
        params = self._params()
        if params is None:  # ``*args``: TF names the traced positional arguments args_<k>
            params = [(f"args_{k}", inspect.Parameter.POSITIONAL_ONLY, a)
                      for k, a in enumerate(self._template[0])]
        if not verbose:
            return self._text(params)
        lines = ["Input Parameters:"] + [f"  {name} ({kind.name}): {_type_text(t)}"
                                         for name, kind, t in params]
        lines += ["Output Type:", f"  {_type_text(self._outputs)}", "Captures:"]
        lines += [f"  {id(v)}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                  for v in self._captured()] or ["  None"]
        return "\n".join(lines)

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
            return trace.run_fed(dyn, var_args, args, kwargs)
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

VARIABLES_OF_UNTRACED = (
    "ConcreteFunction.variables: this function creates Variables on its first call; call it "
    "once with tensors before asking for its Variables.")


def symbolic_trace(owner, args, kwargs, dyn, creation_error):
    """``(traced, avals)``: ``owner`` traced with a symbolic dimension for each ``None``; when
    that fails, with one shared by the ``None`` first dimensions (``concat`` of two inputs
    needs their batch sizes equal)."""
    avals = _symbolic_avals(dyn)
    try:
        return owner._run_trace(args, kwargs, dyn, creation_error, avals), avals
    except Exception:
        shared = _symbolic_avals(dyn, shared_batch=True)
        if sum(not isinstance(a.shape[0], int) for a in shared if a.shape) < 2:
            raise
    return owner._run_trace(args, kwargs, dyn, creation_error, shared), shared


def _symbolic_avals(specs, shared_batch=False):
    """Shapes for a trace with one symbolic dimension per ``None`` (``jax.export``'s), or
    with ``shared_batch`` one for every ``None`` first dimension (inputs of one batch, as
    a Keras model's); an unknown rank is traced as rank 0."""
    scope = jax_export.SymbolicScope()
    out, n = [], 0
    batch = jax_export.symbolic_shape("b", scope=scope)[0] if shared_batch else None
    for spec in specs:
        dims = []
        for k, d in enumerate(spec.shape.as_list() if spec.shape.rank is not None else ()):
            if d is None and k == 0 and shared_batch:
                d = batch
            elif d is None:
                d = jax_export.symbolic_shape(f"d{n}", scope=scope)[0]
                n += 1
            dims.append(d)
        out.append(jax.ShapeDtypeStruct(tuple(dims), np.dtype(spec.dtype.as_numpy_dtype)))
    return out
