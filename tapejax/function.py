"""``tapejax.function``: TF's ``tf.function`` as ``jax.jit``, with Variable state made functional.

A call is keyed by its arguments' structure: tensors by shape and dtype, Python values by value
(TF's tracing rules). A new key traces the Python function once (``_capture.trace``) into a pure
program ``(variable values, tensors) -> (outputs, new variable values)``, compiled by ``jax.jit``;
each call passes the Variables' current arrays in, writes the new ones back and donates the old
buffers when nothing else holds them. Under an outer ``GradientTape`` the call is one recorded
node whose function is the same program, so the tape differentiates through it.
"""
import functools
import inspect
import itertools
import logging
import operator
import threading
import weakref

import jax
import numpy as np

from . import _capture, autograph as _autograph, dtypes, errors, nest
from ._backprop import _Cache
from ._donation import InterruptsHeld as _InterruptsHeld, only_holder
from ._graph_trace import RECORDER
from ._recording import STACK, record
from .ops.core import tf_type_name
from .tensor import Tensor, TensorLike, convert_to_tensor, is_text
from .tensor_spec import TensorSpec
from .tensor_shape import TensorShape

_log = logging.getLogger("tapejax")

CACHE_SIZE = 128  # traces kept per function (LRU), as the eager gradient cache is bounded

# Held while Variable arrays are read, handed to XLA (donated) and written back, so that two
# threads calling functions that share Variables never pass an already donated buffer.
_STATE_LOCK = threading.RLock()

CREATE_ON_LATER_CALL = ("Creating variables on a non-first call to a function decorated with "
                        "tf.function.")
CREATE_AGAIN = ("tf.function only supports singleton tf.Variables created on the first call. Make "
                "sure the tf.Variable is only created once or created outside tf.function. See "
                "https://www.tensorflow.org/guide/function#creating_tfvariables for more "
                "information.")
RETRACING_WARNING = (
    "{} out of the last {} calls to {} triggered tf.function retracing. Tracing is expensive and "
    "the excessive number of tracings could be due to (1) creating @tf.function repeatedly in a "
    "loop, (2) passing tensors with different shapes, (3) passing Python objects instead of "
    "tensors. For (1), please define your @tf.function outside of the loop. For (2), "
    "@tf.function has reduce_retracing=True option that can avoid unnecessary retracing. For (3), "
    "please refer to https://www.tensorflow.org/guide/function#controlling_retracing and "
    "https://www.tensorflow.org/api_docs/python/tf/function for  more details.")
BIND_FAILED = ("Binding inputs to tf.function failed due to `{reason}`. Received args: {args} and "
               "kwargs: {kwargs} for signature: {signature}.")
BAD_SIGNATURE = ("input_signature must be a possibly nested sequence of TensorSpec objects, got "
                 "invalid args {args} with types {types}.")
WRITE_UNDER_TRANSFORM = (
    "tapejax.function {name!r} assigns Variables but was called with traced arguments inside a "
    "JAX transformation (jax.jit, jax.vmap, ...): the new values could not be stored. Call it "
    "outside the transformation, or make the transformed code a tapejax.function.")
INITIAL_VALUE_FROM_SPEC = (
    "The initial value of a Variable created by {name!r} depends on an argument given as a "
    "TensorSpec to get_concrete_function, so it cannot be computed: call the function with "
    "tensors first.")
CONCRETIZATION = (
    "A traced tensor was used where a Python value is needed (while tracing {name!r}). Inside "
    "tapejax.function tensors have no value yet: use tf.cond / tf.while_loop for control flow "
    "on tensors, or pass the value as a Python number. JAX said: {error}")


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """Compiles a Python function with ``jax.jit``, keeping TF's ``tf.function`` semantics.

    >>> import tapejax as tf
    >>> w = tf.Variable(2.0)
    >>> @tf.function
    ... def step(x):
    ...   w.assign_add(x)
    ...   return w * 10.0
    >>> print(step(tf.constant(1.0)), w.numpy())
    tf.Tensor(30.0, shape=(), dtype=float32) 3.0

    The Variables the function reads or assigns are found while tracing and passed in and out
    of the compiled program (nothing is frozen into a constant). Tensors are traced; Python
    values are part of the signature, and a new shape, dtype or Python value traces again.
    AutoGraph (``autograph=True``, TF's default) converts the function and what it calls: a
    Python ``if``/``for``/``while`` on a traced tensor becomes ``lax`` control flow
    (``tapejax.autograph``); with ``autograph=False`` it raises ``OperatorNotAllowedInGraphError``.

    Differences from TF: a Variable assigned inside the body of a traced ``tf.while_loop``
    raises ``NotImplementedError`` (``tf.cond``/``tf.switch_case`` branches may assign); a
    Variable passed as an argument is one slot of the signature, so the same Variable also used
    by closure is treated as that argument.

    Args:
      func: *Optional, callable.* The function; omitted when used as ``@function(...)``.
      input_signature: *Optional, nested sequence of TensorSpec.* Fixes the tensor arguments
        (``None`` dimensions accept any size); other calls raise ``TypeError``. XLA still
        compiles once per concrete shape, and the Python function is traced again for it.
      reduce_retracing: *Optional, bool.* After a second shape, trace with the differing
        dimensions relaxed to ``None`` (counts as TF does). Default False.
      autograph: *Optional, bool.* Convert Python control flow on tensors. Default True.
      experimental_autograph_options: *Optional.* ``tf.autograph.experimental.Feature``
        values (``BUILTIN_FUNCTIONS``: ``print`` of tensors at run time, ``ASSERT_STATEMENTS``).
      jit_compile, other experimental_*: accepted for compatibility; tapejax always compiles
        with XLA.

    Returns:
      A ``Function`` (or a decorator making one when ``func`` is None).
    """
    reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
    if input_signature is not None:
        input_signature = _check_signature(input_signature)

    def decorate(fn):
        return Function(fn, input_signature, reduce_retracing,
                        _autograph.function_options(autograph, experimental_autograph_options),
                        jit_compile if jit_compile is not None else experimental_compile)
    return decorate if func is None else decorate(func)


def _check_signature(signature):
    if isinstance(signature, TensorSpec) or not nest.is_nested(signature):
        signature = [signature]
    bad = [x for x in nest.flatten(signature) if not isinstance(x, TensorSpec)]
    if bad:
        raise TypeError(BAD_SIGNATURE.format(args=bad, types=[type(x) for x in bad]))
    return tuple(signature)


# --- argument keys ------------------------------------------------------------------------
class _Id:
    """Keys an unhashable Python argument by identity (kept alive by the key)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is _Id and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


_TENSOR, _VARIABLE, _SEQ, _MAP, _COMPOSITE, _STRING = "T", "V", "S", "M", "C", "B"


def _components(x):
    """``(static, tensors)`` of a composite value (such as a distributed ``PerReplica``), else
    None: its type defines ``_tapejax_components()`` and ``_tapejax_rebuild(static, parts)``."""
    method = getattr(type(x), "_tapejax_components", None)
    return None if method is None else method(x)


def _walk(x, key, dyn, avars, exact=True):
    """Appends ``x``'s key items to ``key``; tensors go to ``dyn``, Variables to ``avars``.

    Tensors (and NumPy arrays, traced as tensors as TF does) are keyed by shape and dtype (by rank
    when ``exact`` is False), Python values by value, structures by type and layout.
    """
    t = type(x)
    if t is Tensor and is_text(x._value):  # a host string: static, keyed by its value
        key.append((_STRING, x._value.shape, tuple(x._value.reshape(-1))))
    elif t is Tensor:
        shape = x._value.shape
        key.append((_TENSOR, shape if exact else len(shape), x._value.dtype))
        dyn.append(x)
    elif t is list or t is tuple:
        key.append((_SEQ, t, len(x)))
        for item in x:
            _walk(item, key, dyn, avars, exact)
    elif isinstance(x, dict):
        names = sorted(x)
        key.append((_MAP, t, tuple(names)))
        for name in names:
            _walk(x[name], key, dyn, avars, exact)
    elif isinstance(x, tuple) and hasattr(t, "_fields"):
        key.append((_SEQ, t, len(x)))
        for item in x:
            _walk(item, key, dyn, avars, exact)
    elif isinstance(x, TensorLike):
        alias = next((k for k, v in enumerate(avars) if v is x), len(avars))
        key.append((_VARIABLE, tuple(x.shape), x.dtype, alias))
        avars.append(x)
    elif isinstance(x, (np.ndarray, jax.Array)):
        _walk(convert_to_tensor(x), key, dyn, avars, exact)
    elif (composite := _components(x)) is not None:
        key.append((_COMPOSITE, t, composite[0]))
        for part in composite[1]:
            _walk(part, key, dyn, avars, exact)
    elif t is TensorSpec:
        rank = x.shape.rank
        shape = None if rank is None else tuple(x.shape)
        key.append((_TENSOR, shape if exact else rank, np.dtype(x.dtype.as_numpy_dtype)))
        dyn.append(x)
    else:
        try:
            hash(x)
        except TypeError:
            x = _Id(x)
        key.append(x)


def _signature_key(args, kwargs, exact=False):
    """The key of TF's trace (shapes as ranks unless ``exact``), tensors and Variable args."""
    key, dyn, avars = [], [], []
    _walk(tuple(args), key, dyn, avars, exact)
    _walk(dict(kwargs), key, dyn, avars, exact)
    return tuple(key), dyn, avars


def _rebuild(x, tensors):
    """``x`` with its tensor leaves (as ``_walk`` visits them) replaced from ``tensors``."""
    t = type(x)
    if t is Tensor and is_text(x._value):
        return x
    if t is Tensor or t is TensorSpec or isinstance(x, (np.ndarray, jax.Array)):
        return next(tensors)
    if t is list or t is tuple:
        return t(_rebuild(item, tensors) for item in x)
    if isinstance(x, dict):
        new = {name: _rebuild(x[name], tensors) for name in sorted(x)}
        return t((name, new[name]) for name in x)
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return t(*[_rebuild(item, tensors) for item in x])
    composite = _components(x)
    if composite is not None:
        return t._tapejax_rebuild(composite[0], [_rebuild(p, tensors) for p in composite[1]])
    return x


# --- retracing warning (TF's detector, keyed by the Python function's code) ----------------
class _TracingDetector:
    __slots__ = ("calls", "count", "warnings")

    def __init__(self):
        self.calls, self.count, self.warnings = [], 0, 0

    def traced(self, python_function):
        self.count += 1
        self.calls.append(1)
        while self.calls and self.count - self.calls[0] > 10:
            self.count -= self.calls.pop(0)
        if self.warnings < 2 and len(self.calls) >= 5:
            self.warnings += 1
            _log.warning(RETRACING_WARNING.format(len(self.calls), self.count, python_function))

    def not_traced(self):
        if not self.calls:
            self.calls = [0]
        self.calls[-1] += 1
        self.count += 1


_DETECTORS = weakref.WeakKeyDictionary()
_DETECTORS_LOCK = threading.Lock()


def _detector_for(fn):
    """The retracing detector shared by all functions made from ``fn``'s code, as TF's."""
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return _TracingDetector()
    with _DETECTORS_LOCK:
        return _DETECTORS.setdefault(code, _TracingDetector())


# --- the compiled program of one trace ----------------------------------------------------
_DYNAMIC = object()  # marks an output leaf that is a tensor


class _Composite:
    """Marks an output leaf that is a composite value of ``n`` tensors."""

    __slots__ = ("type", "static", "n")

    def __init__(self, type_, static, n):
        self.type, self.static, self.n = type_, static, n


def _fill(static, it):
    """Output leaves: tensors from ``it`` where ``static`` marks them, composites rebuilt."""
    out = []
    for s in static:
        if s is _DYNAMIC:
            out.append(next(it))
        elif type(s) is _Composite:
            out.append(s.type._tapejax_rebuild(s.static, [next(it) for _ in range(s.n)]))
        else:
            out.append(s)
    return out


def _flatten_outputs(out):
    """Output arrays and the static rest (structure, Python leaves) of a function's result."""
    leaves = nest.flatten(out)
    arrays, static = [], []
    for leaf in leaves:
        if type(leaf) is Tensor and is_text(leaf._value):
            static.append(leaf)  # a host string is returned as it is
        elif isinstance(leaf, TensorLike):
            arrays.append((leaf if type(leaf) is Tensor else leaf._tapejax_read())._value)
            static.append(_DYNAMIC)
        elif isinstance(leaf, (bool, int, float, np.ndarray, np.generic)):
            arrays.append(convert_to_tensor(leaf)._value)
            static.append(_DYNAMIC)
        elif (composite := _components(leaf)) is not None:
            arrays.extend(part._value for part in composite[1])
            static.append(_Composite(type(leaf), composite[0], len(composite[1])))
        else:
            static.append(leaf)
    return arrays, (nest.pack_sequence_as(out, [None] * len(leaves)), static)


class _Trace:
    """One traced program: its Variables, its output layout and its jitted forms."""

    def __init__(self, traced, avars, name):
        arg_slot = {}
        for k, v in enumerate(avars):
            arg_slot.setdefault(id(v), k)
        self.name = name
        self.reads = [(arg_slot.get(id(v), -1), v) for v in traced.reads]
        self.written = [(arg_slot.get(id(v), -1), v) for v in traced.written]
        self.uses_args = any(k >= 0 for k, _ in self.reads + self.written)
        if self.uses_args:  # resolved per call; don't keep the trace-time arguments alive
            self.reads = [(k, None if k >= 0 else v) for k, v in self.reads]
            self.written = [(k, None if k >= 0 else v) for k, v in self.written]
        self.read_vars = [v for _, v in self.reads]
        self.written_vars = [v for _, v in self.written]
        self.n_out = traced.n_out
        self.structure, self.static = traced.info
        # how to rebuild the result: one tensor, a flat list/tuple of tensors, or anything
        dynamic = all(s is _DYNAMIC for s in self.static)
        if dynamic and not nest.is_nested(self.structure) and self.n_out == 1:
            self.pack = operator.itemgetter(0)
        elif dynamic and type(self.structure) in (list, tuple) and \
                all(not nest.is_nested(s) for s in self.structure):
            self.pack = type(self.structure)
        n_reads, n_out, n_written = len(traced.reads), traced.n_out, len(traced.written)
        written_ids = {id(v) for v in traced.written}
        self.donate = [i for i, v in enumerate(traced.reads) if id(v) in written_ids]
        self.keep = [i for i, v in enumerate(traced.reads) if id(v) not in written_ids]
        run = jax.extend.core.jaxpr_as_fun(traced.jaxpr)
        donate, keep = self.donate, self.keep
        self.summaries = traced.summaries  # tf.summary values: one output after `written`
        n_summary = 0 if self.summaries is None else 1

        def program(donated, kept, tensors):
            values = [None] * n_reads
            for i, value in zip(donate, donated):
                values[i] = value
            for i, value in zip(keep, kept):
                values[i] = value
            flat = run(*values, *tensors)
            end = n_out + n_written
            return flat[:n_out], flat[n_out:end], flat[end:end + n_summary]

        self.plain = jax.jit(program)
        self.donating = jax.jit(program, donate_argnums=0) if donate else None
        forward = jax.extend.core.jaxpr_as_fun(_capture.prune(traced.jaxpr, range(n_out)))

        def node(*values):  # the call as one tape node: (variable values, tensors) -> outputs
            return tuple(forward(*values))
        self.node = node
        jaxpr = traced.jaxpr.jaxpr
        self.output_specs = [TensorSpec(v.aval.shape, _dtype(v.aval.dtype))
                             for v in jaxpr.outvars[:n_out]]
        self.jaxpr = traced.jaxpr

    def run(self, dyn, avars):
        if RECORDER.active:
            RECORDER.record(self.name, self.jaxpr)
        if self.uses_args:
            read_vars = [avars[k] if k >= 0 else v for k, v in self.reads]
            written_vars = [avars[k] if k >= 0 else v for k, v in self.written]
        else:
            read_vars, written_vars = self.read_vars, self.written_vars
        tensors = [t._value for t in dyn]
        tapes = STACK.tapes
        with _STATE_LOCK:
            if tapes:
                reads = [v._tapejax_read() for v in read_vars]
            else:
                reads = [v._stored for v in read_vars]
            if written_vars:
                for t in tensors:
                    if isinstance(t, jax.core.Tracer):
                        raise RuntimeError(WRITE_UNDER_TRANSFORM.format(name=self.name))
            call = self.donating
            if call is not None:
                for i in self.donate:
                    if not only_holder(reads[i], 4):
                        call = self.plain
                        break
            else:
                call = self.plain
            donated = [reads[i]._value for i in self.donate]
            kept = [reads[i]._value for i in self.keep]
            with _InterruptsHeld(call is self.donating):
                outs, new, summaries = call(donated, kept, tensors)
                for v, value in zip(written_vars, new):
                    v._stored = Tensor(value)
        if summaries:
            self.summaries.deliver(summaries[0])
        outputs = [Tensor(o) for o in outs]
        if tapes and outputs:
            record(self.node, (), tuple(reads) + tuple(dyn), tuple(outputs), True)
        return self.pack(outputs)

    def lower(self, dyn, avars):
        """The ``jax.stages.Lowered`` program for these arguments (nothing runs)."""
        read_vars = [avars[k] if k >= 0 else v for k, v in self.reads] if self.uses_args \
            else self.read_vars
        values = [v._stored._value for v in read_vars]
        return self.plain.lower([values[i] for i in self.donate], [values[i] for i in self.keep],
                                [t._value for t in dyn])

    def pack(self, outputs):
        it = iter(outputs)
        leaves = _fill(self.static, it)
        return nest.pack_sequence_as(self.structure, leaves)


def _dtype(np_dtype):
    return dtypes.from_numpy(np_dtype)


# --- TF's concrete functions ---------------------------------------------------------------
class ConcreteFunction:
    """One traced signature of a ``Function`` (TF's ``ConcreteFunction``).

    ``None`` dimensions of its ``input_signature`` accept any size; each concrete shape has its
    own compiled program.
    """

    def __init__(self, owner, skeleton, specs, template):
        self._owner = owner
        self._skeleton = skeleton
        self._specs = specs
        self._traces = _Cache(CACHE_SIZE)
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
        key, dyn, avars = _signature_key(args, kwargs)
        return owner._trace_for(self, args, kwargs, dyn, avars).run(dyn, avars)

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


def _spec_template(args, kwargs):
    def spec(x):
        if isinstance(x, (Tensor, np.ndarray, jax.Array)):
            return TensorSpec(np.shape(x) if not isinstance(x, Tensor) else x.shape,
                              _dtype(x.dtype) if not isinstance(x, Tensor) else x.dtype)
        composite = _components(x)
        if composite is not None:  # kept as specs: the template holds no arrays
            return type(x)._tapejax_rebuild(composite[0], [spec(p) for p in composite[1]])
        return x
    return nest.map_structure(spec, (tuple(args), dict(kwargs)))


# --- the decorated function -----------------------------------------------------------------
class Function:
    """A Python function compiled per input signature (TF's ``PolymorphicFunction``)."""

    def __init__(self, python_function, input_signature=None, reduce_retracing=False,
                 autograph=True, jit_compile=None, instance=None):
        self._python_function = python_function
        self._input_signature = input_signature
        self._reduce_retracing = reduce_retracing
        self._autograph = autograph
        self._jit_compile = jit_compile
        self._instance = instance  # a weakref to ``self`` for a method bound to an instance
        self._fast = _Cache(CACHE_SIZE)  # call key -> _Trace
        self._concrete = {}  # skeleton key -> [ConcreteFunction], newest last
        self._tracing_count = 0
        self._initialized = False
        self._lock = threading.RLock()  # held while tracing
        self._books = threading.Lock()  # held while counting traces (also for inline calls)
        self._bound = {}  # id(instance) -> (weakref, Function)
        try:
            self._signature = inspect.signature(python_function)
        except (TypeError, ValueError):
            self._signature = None
        self._n_plain = self._plain_arity(instance is not None)
        self._detector = _detector_for(python_function)
        functools.update_wrapper(self, python_function, updated=())

    def _plain_arity(self, skip_first):
        """How many positional arguments make a call canonical as it is (-1: never)."""
        if self._signature is None:
            return -2
        params = list(self._signature.parameters.values())[1 if skip_first else 0:]
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if any(p.kind not in kinds for p in params):
            return -1
        return len(params)

    # --- public API -----------------------------------------------------------------------
    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    @property
    def name(self):
        return getattr(self._python_function, "__name__", type(self._python_function).__name__)

    def experimental_get_tracing_count(self):
        """How many times the Python function was traced (TF's count)."""
        return self._tracing_count

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        entry = self._bound.get(id(instance))
        if entry is not None and entry[0]() is instance:
            return entry[1]
        bound_dict = self._bound
        try:
            ref = weakref.ref(instance, lambda _, k=id(instance): bound_dict.pop(k, None))
        except TypeError:  # no weak references (``__slots__``): kept alive with the function
            ref = (lambda obj: lambda: obj)(instance)
        bound = Function(self._python_function, self._input_signature,
                         self._reduce_retracing, self._autograph, self._jit_compile, ref)
        self._bound[id(instance)] = (ref, bound)
        return bound

    def __call__(self, *args, **kwargs):
        if STACK.capture is not None:
            return self._call_inline(args, kwargs)
        if kwargs or len(args) != self._n_plain:
            args, kwargs = self._canonical(args, kwargs)
        key, dyn, avars = [], [], []
        for a in args:
            _walk(a, key, dyn, avars)
        if kwargs:
            _walk(kwargs, key, dyn, avars)
        key = tuple(key)
        trace = self._fast.lookup(key)
        if trace is None:
            trace = self._lookup(key, args, kwargs, dyn)
            if trace is None:  # the input_signature converted some arguments
                args, kwargs = self._apply_signature(args, kwargs)
                _, dyn, avars = _signature_key(args, kwargs)
                trace = self._lookup(None, args, kwargs, dyn)
        else:
            self._detector.not_traced()
        return trace.run(dyn, avars)

    def experimental_get_compiler_ir(self, *args, **kwargs):
        """The XLA program of a call with these arguments, as TF's: returns
        ``compiler_ir(stage="hlo")`` giving ``"stablehlo"``, ``"hlo"`` (before XLA's
        optimizations) or ``"optimized_hlo"`` (the program that runs) as text.

        >>> import tapejax as tf
        >>> f = tf.function(lambda x: x * 2.0)
        >>> "multiply" in f.experimental_get_compiler_ir(tf.constant(1.0))(stage="hlo")
        True
        """
        args, kwargs = self._canonical(args, kwargs)
        args, kwargs = self._apply_signature(args, kwargs)
        with self._lock:
            key, dyn, avars = _signature_key(args, kwargs)
            cf = self._concrete_for(key, dyn, args, kwargs)
            trace = self._trace_for(cf, args, kwargs, dyn, avars)

        def compiler_ir(stage="hlo", device_name=None, platform_name=None):
            lowered = trace.lower(dyn, avars)
            if stage == "stablehlo":
                return lowered.as_text()
            if stage == "hlo":
                return lowered.as_text(dialect="hlo")
            if stage == "optimized_hlo":
                return lowered.compile().as_text()
            raise ValueError(f"Unsupported stage {stage!r}: tapejax gives 'stablehlo', 'hlo' "
                             f"and 'optimized_hlo'.")
        return compiler_ir

    def get_concrete_function(self, *args, **kwargs):
        """The ``ConcreteFunction`` for these arguments (TensorSpecs allowed), tracing if new."""
        if self._input_signature is not None and not args and not kwargs:
            args = self._input_signature
        args, kwargs = self._canonical(args, kwargs)
        args, kwargs = self._apply_signature(args, kwargs)
        with self._lock:
            key, dyn, avars = _signature_key(args, kwargs)
            cf = self._concrete_for(key, dyn, args, kwargs, exact_specs=True)
            if all(t.shape.is_fully_defined() for t in dyn):
                self._trace_for(cf, args, kwargs, dyn, avars)
        return cf

    # --- calls ----------------------------------------------------------------------------
    def _canonical(self, args, kwargs):
        """Arguments bound to the signature with defaults applied: ``(args, kwargs)``."""
        if self._signature is None:
            return tuple(args), dict(kwargs)
        instance = self._instance() if self._instance is not None else None
        full = (instance,) + tuple(args) if self._instance is not None else args
        try:
            bound = self._signature.bind(*full, **kwargs)
        except TypeError as e:
            raise TypeError(BIND_FAILED.format(reason=e, args=tuple(args), kwargs=kwargs,
                                               signature=self._signature_text())) from None
        bound.apply_defaults()
        out = bound.args[1:] if self._instance is not None else bound.args
        return tuple(out), dict(bound.kwargs)

    def _apply_signature(self, args, kwargs):
        """Arguments converted to ``input_signature`` (TypeError when they do not fit)."""
        signature = self._input_signature
        if signature is None:
            return args, kwargs
        n = len(signature)
        if len(args) < n:
            raise TypeError(BIND_FAILED.format(reason="missing a required argument", args=args,
                                               kwargs=kwargs, signature=signature))
        converted = []
        for spec_tree, value in zip(signature, args[:n]):
            try:
                converted.append(_convert_to_spec(spec_tree, value))
            except TypeError as e:
                raise TypeError(BIND_FAILED.format(
                    reason=e, args=args, kwargs=kwargs,
                    signature=self._signature_text())) from None
        if len(args) > n and self._signature is not None:
            params = list(self._signature.parameters.values())[
                1 if self._instance is not None else 0:]
            for p, value in zip(params[n:], args[n:]):
                if p.default is inspect.Parameter.empty or not _same(p.default, value):
                    raise TypeError(BIND_FAILED.format(
                        reason=f"Can not cast {value!r} to Literal[{p.default!r}]", args=args,
                        kwargs=kwargs, signature=self._signature_text()))
        return tuple(converted) + tuple(args[n:]), kwargs

    def _signature_text(self):
        """The signature as TF writes it in binding errors: the ``input_signature`` by
        parameter name, or the parameters with defaults shown as ``<captured_default_value>``
        (``self`` of a bound method left out)."""
        if self._signature is None:
            return repr(self._input_signature)
        params = list(self._signature.parameters.values())[self._instance is not None:]
        if self._input_signature is None:
            return str(self._signature.replace(parameters=[
                p.replace(annotation=p.empty, default=p.default if p.default is p.empty
                          else _CAPTURED_DEFAULT) for p in params], return_annotation=
                inspect.Signature.empty))
        parts = [f"{p.name}: {spec}" for p, spec in zip(params, self._input_signature)]
        return "(" + ", ".join(parts) + ")"

    def _lookup(self, key, args, kwargs, dyn):
        """The trace for a call that missed the fast cache (None: arguments need converting)."""
        with self._lock:
            if key is not None and self._input_signature is not None:
                converted = self._apply_signature(args, kwargs)
                _, probe, _ = _signature_key(*converted)
                if len(probe) != len(dyn) or any(a is not b for a, b in zip(probe, dyn)):
                    return None
            before = self._tracing_count
            skeleton, dyn, avars = _signature_key(args, kwargs)
            cf = self._concrete_for(skeleton, dyn, args, kwargs)
            trace = self._trace_for(cf, args, kwargs, dyn, avars)
            if key is not None:
                self._fast.get(key, lambda: trace)
            if self._tracing_count != before:
                self._detector.traced(self._python_function)
            else:
                self._detector.not_traced()
            return trace

    def _concrete_for(self, skeleton, dyn, args, kwargs, exact_specs=False):
        """Finds or makes the ConcreteFunction (TF's trace) that accepts ``dyn``'s shapes."""
        with self._books:
            return self._concrete_for_locked(skeleton, dyn, args, kwargs, exact_specs)

    def _concrete_for_locked(self, skeleton, dyn, args, kwargs, exact_specs):
        candidates = self._concrete.setdefault(skeleton, [])
        for cf in reversed(candidates):
            if exact_specs:
                if [s.shape for s in cf._specs] == [t.shape for t in dyn]:
                    return cf
            elif cf._accepts(dyn):
                return cf
        specs = [TensorSpec(t.shape, t.dtype) for t in dyn]
        if self._input_signature is not None and not exact_specs:
            specs = [TensorSpec(s.shape, s.dtype) for s in
                     nest.flatten(list(self._input_signature))] + specs[
                         len(nest.flatten(list(self._input_signature))):]
        elif self._reduce_retracing and candidates and not exact_specs:
            specs = [TensorSpec(_relax(old.shape, new.shape), new.dtype)
                     for old, new in zip(candidates[-1]._specs, specs)]
        template = _spec_template(args, kwargs)
        if self._input_signature is not None:
            template = (tuple(self._input_signature) + template[0][len(self._input_signature):],
                        template[1])
        cf = ConcreteFunction(self, skeleton, specs, template)
        candidates.append(cf)
        if sum(len(c) for c in self._concrete.values()) > CACHE_SIZE:
            oldest = next(iter(self._concrete))
            del self._concrete[oldest]
        self._tracing_count += 1
        return cf

    def _trace_for(self, cf, args, kwargs, dyn, avars):
        shapes = tuple(tuple(t.shape) for t in dyn)
        trace = cf._traces.entries.get(shapes)
        if trace is not None:
            return trace
        with self._lock:
            return cf._traces.get(shapes, lambda: self._trace(cf, args, kwargs, dyn, avars))

    def _trace(self, cf, args, kwargs, dyn, avars):
        """Traces the Python function for concrete shapes; on the first call, may create
        Variables (traced once to initialize them, then again without creating, as TF)."""
        first = not self._initialized
        traced = self._run_trace(args, kwargs, dyn, None if first else CREATE_ON_LATER_CALL)
        if traced.created:
            self._initialize(traced, dyn, avars)
            self._tracing_count += 1
            traced = self._run_trace(args, kwargs, dyn, CREATE_AGAIN)
        self._initialized = True
        trace = _Trace(traced, avars, self.name)
        if cf._outputs is None:
            it = iter(trace.output_specs)
            cf._outputs = nest.pack_sequence_as(
                trace.structure, _fill(trace.static, it))
        return trace

    def _run_trace(self, args, kwargs, dyn, creation_error, avals=None):
        """Traces the body; ``avals`` (default: from ``dyn``) may have symbolic dimensions."""
        instance = self._instance() if self._instance is not None else None
        fn = self._converted()

        def body(*tensors):
            it = iter(tensors)
            call_args = _rebuild(tuple(args), it)
            call_kwargs = _rebuild(kwargs, it)
            if self._instance is not None:
                call_args = (instance,) + call_args
            return _flatten_outputs(fn(*call_args, **call_kwargs))

        if avals is None:
            avals = [jax.ShapeDtypeStruct(tuple(t.shape), np.dtype(t.dtype.as_numpy_dtype))
                     if type(t) is TensorSpec else
                     jax.ShapeDtypeStruct(t._value.shape, t._value.dtype) for t in dyn]
        try:
            return _capture.trace(body, avals, creation_error)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerIntegerConversionError,
                jax.errors.TracerArrayConversionError) as e:
            raise errors.OperatorNotAllowedInGraphError(
                CONCRETIZATION.format(name=self.name, error=str(e).split("\n")[0])) from None

    def _initialize(self, traced, dyn, avars):
        """Runs only the initializers of the Variables created by ``traced``."""
        n = len(traced.created)
        total = len(traced.jaxpr.jaxpr.outvars)
        pruned = _capture.prune(traced.jaxpr, range(total - n, total))
        inputs = pruned.jaxpr.invars[len(traced.reads):]
        if any(type(t) is TensorSpec for t in dyn) and \
                _capture.uses(pruned.jaxpr, [v for v, t in zip(inputs, dyn)
                                             if type(t) is TensorSpec]):
            raise ValueError(INITIAL_VALUE_FROM_SPEC.format(name=self.name))
        values = [v._stored._value for v in traced.reads] + [
            np.zeros(t.shape, t.dtype.as_numpy_dtype) if type(t) is TensorSpec else t._value
            for t in dyn]
        init = jax.extend.core.jaxpr_as_fun(pruned)
        for variable, value in zip(traced.created, init(*values)):
            variable._stored = Tensor(value)

    def _call_inline(self, args, kwargs):
        """A call while another function is being traced: the body runs inline in that trace."""
        args, kwargs = self._canonical(args, kwargs)
        args, kwargs = self._apply_signature(args, kwargs)
        key, dyn, _ = _signature_key(args, kwargs)
        self._concrete_for(key, dyn, args, kwargs)
        if self._instance is not None:
            args = (self._instance(),) + args
        return self._converted()(*args, **kwargs)

    def _converted(self):
        """The Python function as traced: converted by AutoGraph unless ``autograph=False``."""
        if not self._autograph:
            return self._python_function
        return _autograph.converted(self._python_function, self._autograph)

    def __repr__(self):
        return f"<tapejax.function {self.name} at 0x{id(self):X}>"


def _relax(old, new):
    if old.rank != new.rank:
        return TensorShape(None)
    return TensorShape([a if a == b else None for a, b in zip(old.as_list(), new.as_list())])


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - any comparison failure means "not the same literal"
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
