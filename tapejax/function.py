"""``tapejax.function``: TF's ``tf.function`` as ``jax.jit``, with Variable state made functional.

A call is keyed by its arguments' structure: tensors by shape and dtype, Python values by value
(TF's tracing rules). A new key traces the Python function once (``_capture.trace``) into a pure
program ``(variable values, tensors) -> (outputs, new variable values)``, compiled by ``jax.jit``;
each call passes the Variables' current arrays in, writes the new ones back and donates the old
buffers when nothing else holds them. Under an outer ``GradientTape`` the call is one recorded
node whose function is the same program, so the tape differentiates through it.

Modules: this one (the decorator, ``Function``: which trace serves a call, tracing, the
retracing warning), ``_function_binding`` (signature binding), ``_function_keys`` (argument
keys), ``_function_program`` (``_Trace``: the traced program and how a call runs it) and
``_concrete_function`` (``ConcreteFunction``).

Caches (``_cache.Cache``: LRU, hit/miss counts; the first two cleared by
``config.clear_caches()``) and other per-function state, and the locks:

============================  ================================  ================================
what                          keyed on                          holds; bound
============================  ================================  ================================
``Function._fast``            call key: ``_walk`` of the        ``_Trace``; ``CACHE_SIZE``
                              arguments (exact shapes, dtypes,
                              Python values, Variable slots)
``ConcreteFunction._traces``  concrete shapes of the tensors    ``_Trace``; ``CACHE_SIZE``
``Function._concrete``        skeleton: the call key with       ``[ConcreteFunction]``, newest
                              ranks for shapes                  last; ``CACHE_SIZE`` in all;
                                                                not cleared by ``clear_caches``
``Function._bound``           ``id`` of a method's instance     ``(weakref, bound Function)``;
                                                                dropped when the instance dies
``_DETECTORS``                the Python function's code        retracing detector (TF's);
                              (weak key)                        dies with the code
``_SHARED`` (in               a tf.data map's stateless trace:  the jitted program; 64;
``_function_program``)        jaxpr text and constants          cleared by ``clear_caches``
``Function._lock`` (RLock)    held while tracing (``_lookup``, ``get_concrete_function``, ...)
``Function._books`` (Lock)    held while finding or making a ConcreteFunction, counting traces
``_STATE_LOCK`` (RLock)       held while a call reads Variable arrays, donates them and stores
                              the new ones (``_function_program``)
``_DETECTORS_LOCK`` (Lock)    held while finding a retracing detector
============================  ==================================================================
"""
import functools
import inspect
import logging
import threading
import weakref

import jax
import numpy as np

from . import _capture, _iterator_feeds, autograph as _autograph, errors, nest
from ._cache import Cache
from ._concrete_function import ConcreteFunction
from ._function_binding import (
    BIND_FAILED as BIND_FAILED,  # re-exported for saved_model
    _apply_signature,
    _canonical,
    _check_signature,
    _plain_arity,
)
from ._function_keys import _TENSOR, _rebuild, _relax, _signature_key, _spec_template, _walk
from ._function_program import (
    _STATE_LOCK as _STATE_LOCK,  # re-exported for saved_model
    _fill,
    _flatten_outputs,
    _Trace,
)
from .tensor import Tensor, is_text
from .tensor_spec import TensorSpec

_log = logging.getLogger("tapejax")

CACHE_SIZE = 128  # traces (and ConcreteFunctions) kept per function, least recently used dropped

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

    Differences from TF: a Variable passed as an argument is one slot of the signature, so the
    same Variable also used by closure is treated as that argument; shapes are static (XLA), so
    a loop variable may not change shape and shape arguments must be computable while tracing
    (``tf.shape(x)[0]`` is; a value read from data is not).

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


class _QuietDetector(_TracingDetector):
    """Never warns: TF traces a dataset's functions without its retracing warning."""

    def traced(self, python_function):
        pass

    def not_traced(self):
        pass


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
        self._fast = Cache("function.calls", CACHE_SIZE)  # call key -> _Trace
        # skeleton key -> [ConcreteFunction], newest last; TF-visible objects, so not cleared
        # by config.clear_caches(); at most CACHE_SIZE in all
        self._concrete = Cache("function.concrete_functions", CACHE_SIZE, register=False)
        self._tracing_count = 0
        self._initialized = False
        self._lock = threading.RLock()  # held while tracing
        self._books = threading.Lock()  # held while counting traces (also for inline calls)
        self._bound = {}  # id(instance) -> (weakref, Function)
        try:
            self._signature = inspect.signature(python_function)
        except (TypeError, ValueError):
            self._signature = None
        self._n_plain, self._n_varargs = _plain_arity(self._signature, instance is not None)
        self._detector = _detector_for(python_function)
        self._share_programs = False  # a tf.data map's: see _for_dataset
        functools.update_wrapper(self, python_function, updated=())

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
            ref = weakref.ref(instance, lambda _, k=id(instance): bound_dict.pop(k, None))  # noqa: B008
        except TypeError:  # no weak references (``__slots__``): kept alive with the function
            ref = (lambda obj: lambda: obj)(instance)
        bound = Function(self._python_function, self._input_signature,
                         self._reduce_retracing, self._autograph, self._jit_compile, ref)
        self._bound[id(instance)] = (ref, bound)
        return bound

    def _for_dataset(self):
        """Makes this the function of a ``tf.data`` map (``data._CompiledMap``): traced anew
        for every ``Dataset.map`` as TF traces it, an identical trace runs the program an
        earlier one compiled, and no retracing warning is given (TF gives none for dataset
        functions)."""
        self._share_programs = True
        self._detector = _QuietDetector()
        return self

    def __call__(self, *args, **kwargs):
        if _capture.TRACE.capture is not None:
            return self._call_inline(args, kwargs)
        if (kwargs or len(args) != self._n_plain) and (
                kwargs or not 0 <= self._n_varargs <= len(args)):
            args, kwargs = self._canonical(args, kwargs)
        key, dyn, var_args = [], [], []
        for a in args:
            if type(a) is Tensor and not is_text(a._value):  # _walk's commonest case, inline
                value = a._value
                key.append((_TENSOR, value.shape, value.dtype))
                dyn.append(a)
            else:
                _walk(a, key, dyn, var_args)
        if kwargs:
            _walk(kwargs, key, dyn, var_args)
        key = tuple(key)
        trace = self._fast.lookup(key)
        if trace is None:
            trace = self._lookup(key, args, kwargs, dyn)
            if trace is None:  # the input_signature converted some arguments
                args, kwargs = self._apply_signature(args, kwargs)
                _, dyn, var_args = _signature_key(args, kwargs)
                trace = self._lookup(None, args, kwargs, dyn)
        else:
            self._detector.not_traced()
        if trace.feeds:
            return trace.run_fed(dyn, var_args, args, kwargs)
        return trace.run(dyn, var_args)

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
            key, dyn, var_args = _signature_key(args, kwargs)
            cf = self._concrete_for(key, dyn, args, kwargs)
            trace = self._trace_for(cf, args, kwargs, dyn, var_args)

        def compiler_ir(stage="hlo", device_name=None, platform_name=None):
            lowered = trace.lower(dyn, var_args)
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
            key, dyn, var_args = _signature_key(args, kwargs)
            cf = self._concrete_for(key, dyn, args, kwargs, exact_specs=True)
            if all(t.shape.is_fully_defined() for t in dyn):
                self._trace_for(cf, args, kwargs, dyn, var_args)
        return cf

    def _list_all_concrete_functions(self):
        """Every ConcreteFunction traced so far, in tracing order; first the input_signature's
        (TF's private method, which Keras's SavedModel export calls)."""
        if self._input_signature is not None:
            self.get_concrete_function()
        return sorted((cf for group in self._concrete.values() for cf in group),
                      key=lambda cf: cf._number)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        """TF's: no checkpoint dependencies; in a SavedModel, the ConcreteFunctions."""
        if save_type == "checkpoint":
            return {}
        return {f"trace_{k}": cf for k, cf in enumerate(self._list_all_concrete_functions())}

    # --- calls ----------------------------------------------------------------------------
    def _canonical(self, args, kwargs):
        """Arguments bound to the signature with defaults applied: ``(args, kwargs)``."""
        return _canonical(self._signature, self._input_signature, self._instance, args, kwargs)

    def _apply_signature(self, args, kwargs):
        """Arguments converted to ``input_signature`` (TypeError when they do not fit)."""
        return _apply_signature(self._signature, self._input_signature, self._instance, args,
                                kwargs)

    def _lookup(self, key, args, kwargs, dyn):
        """The trace for a call that missed the fast cache (None: arguments need converting)."""
        with self._lock:
            if key is not None and self._input_signature is not None:
                converted = self._apply_signature(args, kwargs)
                _, probe, _ = _signature_key(*converted)
                if len(probe) != len(dyn) or any(a is not b for a, b in zip(probe, dyn)):
                    return None
            before = self._tracing_count
            skeleton, dyn, var_args = _signature_key(args, kwargs)
            cf = self._concrete_for(skeleton, dyn, args, kwargs)
            trace = self._trace_for(cf, args, kwargs, dyn, var_args)
            if key is not None:
                self._fast.put(key, trace)
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
        candidates = self._concrete.lookup(skeleton)
        if candidates is None:
            candidates = self._concrete.put(skeleton, [])
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
        cf = ConcreteFunction(self, skeleton, specs, template, CACHE_SIZE)
        candidates.append(cf)
        while sum(len(c) for c in self._concrete.values()) > CACHE_SIZE:
            self._concrete.evict_oldest()
        self._tracing_count += 1
        return cf

    def _trace_for(self, cf, args, kwargs, dyn, var_args):
        shapes = tuple(tuple(t.shape) for t in dyn)
        trace = cf._traces.lookup(shapes)
        if trace is not None:
            return trace
        with self._lock:
            return cf._traces.get(shapes, lambda: self._trace(cf, args, kwargs, dyn, var_args))

    def _trace(self, cf, args, kwargs, dyn, var_args):
        """Traces the Python function for concrete shapes; on the first call, may create
        Variables (traced once to initialize them, then again without creating, as TF)."""
        first = not self._initialized
        traced = self._run_trace(args, kwargs, dyn, None if first else CREATE_ON_LATER_CALL)
        if traced.created:
            self._initialize(traced, dyn, var_args)
            self._tracing_count += 1
            traced = self._run_trace(args, kwargs, dyn, CREATE_AGAIN)
        self._initialized = True
        trace = _Trace(traced, var_args, self.name, self._share_programs)
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
            with _iterator_feeds.collecting(args, kwargs) as feeds:
                traced = _capture.trace(body, avals, creation_error)
            return feeds.lift(traced)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerIntegerConversionError,
                jax.errors.TracerArrayConversionError) as e:
            raise errors.OperatorNotAllowedInGraphError(
                CONCRETIZATION.format(name=self.name, error=str(e).split("\n")[0])) from None

    def _initialize(self, traced, dyn, var_args):
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
        values += [np.zeros(v.aval.shape, v.aval.dtype)  # iterator elements: unused here
                   for v in pruned.jaxpr.invars[len(values):]]
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
