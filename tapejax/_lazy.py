"""Lazy recording: inside a recording tape, ops on watched or pending values do not run.

Such an op gets its output's shape and dtype from an abstract evaluation (``jax.eval_shape``,
cached per function, attributes and input types), and its output is a ``LazyTensor`` whose
value is *pending*. The tapes record the op as in eager mode. A pending value is computed when
it is first needed: ``gradient`` computes its targets in the same compiled call as the
gradients (``_backprop``), and reading ``_value`` (``numpy()``, ``print``, ``bool``, passing it
to JAX or NumPy, an op outside any tape) compiles the pending ops it depends on as one function,
cached by structure.

Errors stay eager: an op whose abstract evaluation fails (it raises, or it needs concrete
values) runs eagerly on materialised inputs, so an error is raised by the eager run, at the same
line and with the same message. The failure is cached with the avals.

The same machinery infers shapes for ``tf.__internal__.FuncGraph`` (``GRAPH``): inside one, every
op on a placeholder is deferred whatever the setting, and its pending value is never computed.
"""
import operator
import os
import threading
import weakref
from typing import Callable, NamedTuple

import jax

from . import _graph, dtypes
from ._cache import Cache
from ._capture import TRACE
from ._recording import record
from .tensor import Tensor, raw_value, set_raw_value
from .tensor_shape import TensorShape

_SCALARS = (bool, int, float, complex)
_Tracer = jax.core.Tracer
_weakref = weakref.ref
_EAGER = object()  # abstract-evaluation cache entry of an op that must run eagerly


class _Recent(threading.local):
    """Lazy recording's per-thread state: weak references to the pending values made since
    the last ``gradient`` (``current``), and to those made before it (``previous``)."""

    def __init__(self):
        self.current = []
        self.previous = []


RECENT = _Recent()


class _GraphScope(threading.local):
    """How many ``tf.__internal__.FuncGraph`` scopes are open on this thread. Inside one, ops
    on pending values are always deferred (also with lazy recording off, in a trace, or past
    ``max_depth``) and their values are never computed: a graph is for shape inference.
    ``unknown``: the innermost graph's symbolic dimension (every unknown size)."""

    depth = 0
    unknown = None


GRAPH = _GraphScope()


class _Settings:
    __slots__ = ("enabled", "max_depth", "max_ops")

    def __init__(self):
        self.enabled = os.environ.get("TAPEJAX_LAZY_TAPE", "1").strip().lower() not in (
            "0", "false", "off", "no")
        self.max_depth = 1000
        self.max_ops = 10000


SETTINGS = _Settings()


class Pending(NamedTuple):
    """The stand-in value of a LazyTensor: which output of which pending op, and its type."""

    node: "PendingOp"
    index: int
    aval: jax.core.ShapedArray
    dtype: object  # the aval's NumPy dtype, read on every op


class PendingOp(NamedTuple):
    """One op recorded without running: its function, attributes and inputs (Tensors,
    LazyTensors or Python constants, Variables already read). ``depth``: the longest chain of
    pending ops ending here (a node comes after every pending node it reads)."""

    fn: Callable
    static: tuple
    inputs: tuple
    n_outputs: int
    multi: bool
    depth: int


_tuple_new = tuple.__new__  # builds a PendingOp without NamedTuple's Python-level __new__


class LazyTensor(Tensor):
    """A Tensor whose value is pending. Reading ``_value`` computes it; the object then
    becomes a plain ``Tensor`` (same identity, so tapes and caches still know it)."""

    __slots__ = ()

    @property
    def _value(self):
        if type(raw_value(self)) is Pending:
            materialize((self,))
        return raw_value(self)

    @property
    def dtype(self):
        return dtypes.from_numpy(raw_value(self).dtype)

    @property
    def shape(self):
        return TensorShape(raw_value(self).aval.shape)

    @property
    def ndim(self):
        return raw_value(self).aval.ndim

    @property
    def _tensor(self):
        return self

    def _tapejax_read(self):
        return self

    def __reduce__(self):  # copy, deepcopy and pickle see the computed value
        return Tensor, (self._value,)


jax.tree_util.register_pytree_node(
    LazyTensor, lambda t: ((t._value,), None), lambda _, children: Tensor(children[0]))


def _lazy(node, index, aval):
    tensor = _new(LazyTensor)
    set_raw_value(tensor, _tuple_new(Pending, (node, index, aval, aval.dtype)))
    return tensor


_new = object.__new__


def is_pending(x):
    return type(x) is LazyTensor and type(raw_value(x)) is Pending


def _set_value(tensor, value):
    """Gives a pending ``tensor`` its value and makes it a plain ``Tensor`` in place.

    The object must stay the same (tapes and caches know values by ``id``), so its class is
    swapped: CPython allows assigning ``__class__`` between a class and a subclass that adds no
    slots (``LazyTensor.__slots__ == ()``), and attribute lookup then goes through ``Tensor``'s
    slot instead of ``LazyTensor``'s properties, so a computed value costs nothing to read
    (``tests/test_lazy_values.py`` checks that the interpreter still allows it)."""
    set_raw_value(tensor, value)
    tensor.__class__ = Tensor


# --- recording without running ------------------------------------------------------------
class _Stats:
    def __init__(self):
        self.deferred = self.eager_fallbacks = 0
        self.fused_gradients = self.materializations = 0


STATS = _Stats()
_AVALS = Cache("lazy.abstract_eval", 8192)  # (fn, static, input types) -> output aval(s), or _EAGER


def defer(fn, static, inputs, tapes, differentiable=True):
    """The pending output(s) of ``fn`` on ``inputs``, recorded on ``tapes`` (as ``record``
    does); None when the op must run now (nothing is recorded then).

    ``inputs`` are Tensors, LazyTensors or Python scalars (Variables already read). An op is
    deferred when a tape is recording, lazy recording is on, no trace is running, one input is
    pending or watched, and every concrete input is a concrete JAX array. This is the hot path
    of eager code under a tape: one frame for the common single-output op.
    """
    graph = GRAPH.depth
    if not graph and (not SETTINGS.enabled or TRACE.capture is not None or TRACE.eager):
        return None
    involved = False
    depth = 0
    types = []
    for x in inputs:
        kind = type(x)
        if kind is LazyTensor:
            value = raw_value(x)
            if type(value) is Pending:
                involved = True
                if value.node.depth > depth:
                    depth = value.node.depth
                types.append(value.aval)
                continue
            kind = Tensor
        if kind is Tensor:
            value = raw_value(x)
            if isinstance(value, _Tracer):
                if not graph:
                    return None  # JAX is tracing this op already
                types.append(value.aval)
                continue
            aval = getattr(value, "aval", None)
            types.append(_numpy_aval(value) if aval is None else aval)
            if not involved:
                key = id(x)
                for tape in tapes:
                    if key in tape.watched:
                        involved = True
                        break
        elif kind in _SCALARS:
            types.append(kind)
        else:
            return None
    if not involved:
        return None
    if graph:
        out = _defer_in_graph(fn, static, inputs, types, depth)
        _record(fn, static, inputs, out, differentiable)
        return out
    if depth >= SETTINGS.max_depth:
        return None
    recent = RECENT.current
    if len(recent) >= SETTINGS.max_ops:
        _flush()
        recent = RECENT.current
    akey = (fn, static, tuple(types))
    cache = _AVALS
    avals = cache.entries.get(akey)
    if avals is None:
        avals = cache.put(akey, _abstract_eval(fn, static, inputs, types))
    else:  # Cache.lookup, inlined
        cache.hits += 1
        try:
            cache.entries.move_to_end(akey)
        except KeyError:
            pass
    if avals is _EAGER:
        STATS.eager_fallbacks += 1
        return None
    STATS.deferred += 1
    if type(avals) is tuple:
        node = _tuple_new(PendingOp, (fn, static, inputs, len(avals), True, depth + 1))
        outputs = tuple([_lazy(node, k, a) for k, a in enumerate(avals)])
        recent.extend([_weakref(t) for t in outputs])
        _record(fn, static, inputs, outputs, differentiable)
        return outputs
    node = _tuple_new(PendingOp, (fn, static, inputs, 1, False, depth + 1))
    output = _new(LazyTensor)
    set_raw_value(output, _tuple_new(Pending, (node, 0, avals, avals.dtype)))
    recent.append(_weakref(output))
    record(fn, static, inputs, (output,), False, differentiable, tapes, node)
    return output


def _record(fn, static, inputs, out, differentiable):
    """``record`` for the output(s) ``out`` of ``defer`` (a Tensor or a tuple of them)."""
    multi = type(out) is tuple
    record(fn, static, inputs, out if multi else (out,), multi, differentiable)


def _defer_in_graph(fn, static, inputs, types, depth):
    """``defer`` inside a ``FuncGraph``: the pending output(s), kept out of ``RECENT`` (they
    are never computed). An op whose abstract evaluation fails is evaluated again with its
    concrete inputs as constants (it may need their values); if that fails too, it raises."""
    akey = (fn, static, tuple(types))
    avals = _AVALS.lookup(akey)
    if avals is None:
        avals = _AVALS.put(akey, _abstract_eval(fn, static, inputs, types))
    if avals is _EAGER:
        avals = _graph_eval(fn, static, inputs)
    node = _tuple_new(PendingOp, (fn, static, tuple(inputs),
                                  len(avals) if type(avals) is tuple else 1,
                                  type(avals) is tuple, depth + 1))
    if type(avals) is tuple:
        return tuple([_lazy(node, k, a) for k, a in enumerate(avals)])
    return _lazy(node, 0, avals)


_CONCRETE_NEEDED = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                    jax.errors.TracerIntegerConversionError, jax.errors.TracerBoolConversionError)


def _graph_eval(fn, static, inputs):
    """Output aval(s) of ``fn`` with only its pending inputs abstract; TF's graph-construction
    ``ValueError`` for a shape or dtype error, ``NotImplementedError`` (TF's for a symbolic
    tensor that must be concrete) when it needs a pending input's value."""
    pending = [k for k, x in enumerate(inputs)
               if isinstance(x, Tensor) and (is_pending(x) or isinstance(raw_value(x), _Tracer))]
    args = [raw_value(inputs[k]) for k in pending]
    args = [jax.ShapeDtypeStruct(a.aval.shape, a.dtype) for a in args]
    kwargs = dict(static)

    concrete = [None if k in pending else x._value if isinstance(x, Tensor) else x
                for k, x in enumerate(inputs)]

    def run(*abstract):
        values = list(concrete)
        for k, a in zip(pending, abstract):
            values[k] = a
        return fn(*values, **kwargs)

    name = getattr(fn, "__name__", type(fn).__name__).lstrip("_")
    try:
        out = jax.eval_shape(run, *args)
    except _CONCRETE_NEEDED as e:
        raise NotImplementedError(_symbolic_message(f"`{name}` needs the values of its "
                                                    "inputs")) from e
    except Exception as e:  # any other failure is the op's error at graph construction
        raise ValueError(f"{e} [Op:{name}]") from None
    if isinstance(out, (tuple, list)):
        return tuple(_shaped(o) for o in out)
    return _shaped(out)


def _symbolic_message(why):
    return ("Cannot compute a symbolic tf.Tensor (a tf.compat.v1.placeholder of a "
            "tf.__internal__.FuncGraph, or a value computed from one): " + why + ". tapejax "
            "infers a FuncGraph's shapes op by op with jax.eval_shape and never runs its ops; "
            "an op that needs concrete input values cannot be staged there.")


def _placeholder():
    """The pending op behind a ``FuncGraph`` placeholder: it has no value to compute."""
    raise NotImplementedError(_symbolic_message("it has no value"))


def graph_placeholder(aval, inputs=()):
    """A LazyTensor with ``aval`` and no value: a ``FuncGraph`` placeholder, or an op's output
    whose type the op gives itself (``inputs``: what it was computed from)."""
    depth = max([raw_value(x).node.depth for x in inputs if is_pending(x)], default=-1)
    node = _tuple_new(PendingOp, (_placeholder, (), tuple(inputs), 1, False, depth + 1))
    return _lazy(node, 0, aval)


def graph_elements(x):
    """What a FuncGraph knows of the elements of a pending int vector (TF's
    ``constant_value_as_shape``): a list of ints and ``None``s, seen through ``tf.stack`` and
    ``tf.shape``; None when ``x`` is not a pending vector."""
    if not is_pending(x) or raw_value(x).aval.ndim != 1:
        return None
    node = raw_value(x).node
    if getattr(node.fn, "graph_elements", None) is not None:
        return node.fn.graph_elements(node)
    return [None] * raw_value(x).aval.shape[0]


def _numpy_aval(value):
    """The aval of a NumPy array or scalar a Tensor holds (``tf.data`` batches, say): the
    type JAX gives it as an argument (never weak)."""
    return jax.core.ShapedArray(value.shape, value.dtype)


def next_generation():
    """Called after each ``gradient``: pending values made before the previous ``gradient``
    that are still held (kept across training steps, say) are computed now, so that what they
    were computed from (old Variable values, old batches) is not kept alive with them."""
    old = RECENT.previous
    RECENT.previous, RECENT.current = RECENT.current, []
    _compute_held(old)


def _flush():
    """``max_ops`` values were deferred without a ``gradient``: those still held are computed,
    so neither pending graphs nor this thread's list of them grow without bound."""
    made = RECENT.previous + RECENT.current
    RECENT.previous, RECENT.current = [], []
    _compute_held(made)


def _compute_held(refs):
    """Computes the live pending values among ``refs`` that no other one reads (computing
    those releases the graphs behind them)."""
    held = []
    for r in refs:  # a loop, not comprehensions: this runs once per op at every ``gradient``
        t = r()
        if type(t) is LazyTensor and type(raw_value(t)) is Pending:
            held.append(t)
    if held:
        read = {id(x) for t in held for x in raw_value(t).node.inputs}
        materialize([t for t in held if id(t) not in read])


def _abstract_eval(fn, static, inputs, types):
    """Output aval(s) of ``fn``, or ``_EAGER`` when abstract evaluation fails: the op needs
    concrete values, or it raises (the eager run then raises it at the user's line). Either
    way the answer only depends on the key, so it is cached."""
    args = [jax.ShapeDtypeStruct(t.shape, t.dtype, weak_type=t.weak_type)
            if isinstance(t, jax.core.ShapedArray) else x for t, x in zip(types, inputs)]
    kwargs = dict(static)
    try:
        out = jax.eval_shape(lambda *a: fn(*a, **kwargs), *args)
    except Exception:  # see the docstring
        return _EAGER
    if isinstance(out, (tuple, list)):
        if not all(isinstance(o, jax.ShapeDtypeStruct) for o in out):
            return _EAGER
        return tuple(_shaped(o) for o in out)
    if not isinstance(out, jax.ShapeDtypeStruct):
        return _EAGER
    return _shaped(out)


def _shaped(struct):
    return jax.core.ShapedArray(struct.shape, struct.dtype, weak_type=struct.weak_type)


# --- materialising ------------------------------------------------------------------------
_GRAPHS = Cache("lazy.graphs", 512)  # structure key -> jitted function of the leaves
_DEPTH = operator.attrgetter("depth")
_LOCK = threading.RLock()


def materialize(tensors):
    """Computes the pending values of ``tensors`` in one compiled call (cached by structure)."""
    with _LOCK:
        targets = [t for t in tensors if is_pending(t)]
        if not targets:
            return
        nodes = _graph.reachable([raw_value(t).node for t in targets], _pending_inputs, id)
        if any(node.fn is _placeholder for node in nodes.values()):
            _placeholder()
        wiring = _graph.Wiring()
        ref = wiring.ref
        for node in sorted(nodes.values(), key=_DEPTH):
            refs = []
            for x in node.inputs:
                value = raw_value(x) if type(x) is LazyTensor else None
                if type(value) is Pending:
                    refs.append(ref[id(value.node), value.index])
                else:
                    r = ref.get(id(x))
                    refs.append(wiring.input(id(x), x) if r is None else r)
            if node.multi:
                wiring.node(node.fn, node.static, refs, node.n_outputs,
                            [(id(node), k) for k in range(node.n_outputs)])
            else:
                wiring.node(node.fn, node.static, refs, None, ((id(node), 0),))
        wanted = tuple([ref[id(raw_value(t).node), raw_value(t).index] for t in targets])
        leaves = wiring.consts
        key = (tuple(wiring.steps), len(leaves), wanted)
        run = _GRAPHS.get(key, lambda: jax.jit(_graph_fn(key)))
        STATS.materializations += 1
        values = run([x._value if isinstance(x, Tensor) else x for x in leaves])
        for t, v in zip(targets, values):
            _set_value(t, v)


def _pending_inputs(node):
    """The pending ops whose outputs ``node`` reads."""
    found = []
    for x in node.inputs:
        if type(x) is LazyTensor:
            value = raw_value(x)
            if type(value) is Pending:
                found.append(value.node)
    return found


def _graph_fn(key):
    steps, _, wanted = key
    return lambda leaves: _graph.replay(steps, wanted, (), leaves)


def set_values(tensors, values):
    """Gives pending ``tensors`` the values a compiled gradient computed for them."""
    STATS.fused_gradients += 1
    for t, v in zip(tensors, values):
        if is_pending(t):
            _set_value(t, v)


def info():
    return {"enabled": SETTINGS.enabled, "max_pending_depth": SETTINGS.max_depth,
            "max_pending_ops": SETTINGS.max_ops,
            "deferred_ops": STATS.deferred, "eager_fallbacks": STATS.eager_fallbacks,
            "abstract_eval_cache_size": len(_AVALS), "fused_gradients": STATS.fused_gradients,
            "materializations": STATS.materializations, "graph_cache_hits": _GRAPHS.hits,
            "graph_cache_misses": _GRAPHS.misses, "graph_cache_size": len(_GRAPHS)}
