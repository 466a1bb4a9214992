"""The traced program of one ``tapejax.function`` signature, and how a call runs it.

``_Trace`` holds the pure program ``(variable values, tensors) -> (outputs, new variable
values[, summaries])`` that ``_capture.trace`` made, jitted twice (plain, and donating the old
buffers of the Variables it assigns), and the tape node of a call (outputs only). ``run`` reads
the Variables, donates a buffer only when nothing else holds it (``_donation.only_holder``) and
stores the new values with SIGINT held, all under ``_STATE_LOCK``.
"""
import operator
import threading

import jax
import numpy as np

from . import _capture, _iterator_feeds, _second_order, dtypes, nest
from ._cache import Cache
from ._donation import InterruptsHeld as _InterruptsHeld, only_holder
from ._function_keys import ByIdentity, _components
from ._graph_trace import RECORDER
from ._recording import STACK, record
from .tensor import Tensor, TensorLike, convert_to_tensor, is_text
from .tensor_spec import TensorSpec

# Held while Variable arrays are read, handed to XLA (donated) and written back, so that two
# threads calling functions that share Variables never pass an already donated buffer.
_STATE_LOCK = threading.RLock()

WRITE_UNDER_TRANSFORM = (
    "tapejax.function {name!r} assigns Variables but was called with traced arguments inside a "
    "JAX transformation (jax.jit, jax.vmap, ...): the new values could not be stored. Call it "
    "outside the transformation, or make the transformed code a tapejax.function.")


# jitted programs of stateless traces made with ``share=True`` (a tf.data map function, traced
# anew for every ``Dataset.map`` as TF traces it), by the traced program's text and constants:
# an identical new trace reuses the compiled program instead of lowering and compiling again
_SHARED = Cache("function.shared_programs", 64)
_SHARED_CONST_BYTES = 4096  # larger constants must be the same object to share

_VALUE = operator.attrgetter("_value")
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
        elif isinstance(leaf, (str, bytes)):
            static.append(convert_to_tensor(leaf))  # TF returns a Python string as a Tensor
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


def _constant_outputs(closed, n_out):
    """``(position, value)`` of the program outputs that are constants (a literal, or a value
    captured at trace time): returned from the host, so reading one (Keras's
    ``Optional.has_value()`` flag after each train step) does not wait for the program's run,
    as an output of an XLA executable is ready only when all of it has run."""
    consts = dict(zip(closed.jaxpr.constvars, closed.consts))
    found = []
    for k, var in enumerate(closed.jaxpr.outvars[:n_out]):
        if isinstance(var, jax.extend.core.Literal):
            found.append((k, jax.numpy.asarray(var.val, var.aval.dtype)))
        elif var in consts and not isinstance(consts[var], jax.core.Tracer):
            found.append((k, jax.numpy.asarray(consts[var], var.aval.dtype)))
    return found


class _Trace:
    """One traced program: its Variables, its output layout and its jitted forms."""

    def __init__(self, traced, var_args, name, share=False):
        arg_slot = {}
        for k, v in enumerate(var_args):
            arg_slot.setdefault(id(v), k)
        self.name = name
        self.feeds = getattr(traced, "feeds", None)  # iterator elements pulled per call
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
        self._packer = nest._packer(self.structure)
        # how to rebuild the result: one tensor, a flat list/tuple of tensors, or anything
        dynamic = all(s is _DYNAMIC for s in self.static)
        if dynamic and not nest.is_nested(self.structure) and self.n_out == 1:
            self.pack = operator.itemgetter(0)
        elif dynamic and type(self.structure) in (list, tuple) and \
                all(not nest.is_nested(s) for s in self.structure):
            self.pack = type(self.structure)
        elif not nest.is_nested(self.structure) and len(self.static) == 1:
            static = self.static  # one leaf: a composite (an Optional) or a Python value
            self.pack = lambda outputs: _fill(static, iter(outputs))[0]
        elif dynamic:  # a dict of tensors, say
            packer = self._packer
            self.pack = lambda outputs: packer(iter(outputs))
        n_reads, n_out, n_written = len(traced.reads), traced.n_out, len(traced.written)
        written_ids = {id(v) for v in traced.written}
        self.donate = [i for i, v in enumerate(traced.reads) if id(v) in written_ids]
        self.keep = [i for i, v in enumerate(traced.reads) if id(v) not in written_ids]
        self.order = self.donate + self.keep  # the Variable values, donated ones first
        position = [0] * n_reads  # read index -> its place in ``order``
        for place, i in enumerate(self.order):
            position[i] = place
        run = jax.extend.core.jaxpr_as_fun(traced.jaxpr)
        self.summaries = traced.summaries  # tf.summary values: one output after `written`
        self.n_written = n_written
        self.stateless = not n_reads and not n_written

        def program(*flat):  # (ordered Variable values..., tensors...) -> flat outputs
            values = [flat[place] for place in position]
            return tuple(run(*values, *flat[n_reads:]))

        # one flat argument list: jit's C++ dispatch has no containers to walk
        key = _shared_key(traced) if share and self.stateless and self.summaries is None \
            and self.feeds is None else None
        shared = None if key is None else _SHARED.lookup(key)
        self.plain = jax.jit(program) if shared is None else shared[0]
        if key is not None and shared is None:
            _SHARED.put(key, (self.plain, traced.jaxpr))  # the jaxpr keeps its objects alive
        self.donating = jax.jit(program, donate_argnums=tuple(range(len(self.donate)))) \
            if self.donate else None
        self.forward_jaxpr = _capture.prune(traced.jaxpr, range(n_out))
        forward = jax.extend.core.jaxpr_as_fun(self.forward_jaxpr)

        def node(*values):  # the call as one tape node: (variable values, tensors) -> outputs
            return tuple(forward(*values))
        self.node = node
        jaxpr = traced.jaxpr.jaxpr
        self.output_specs = [TensorSpec(v.aval.shape, _dtype(v.aval.dtype))
                             for v in jaxpr.outvars[:n_out]]
        self.constant_outputs = _constant_outputs(traced.jaxpr, n_out)
        self.jaxpr = traced.jaxpr

    def run(self, dyn, var_args):
        if RECORDER.active:
            RECORDER.record(self.name, self.jaxpr)
        tensors = list(map(_VALUE, dyn))
        tapes = STACK.tapes
        if self.stateless:
            flat = self.plain(*tensors)
            reads = []
        else:
            flat, reads = self._run_with_variables(tensors, var_args, tapes)
        n_out = self.n_out
        outputs = list(map(Tensor, flat[:n_out]))
        if self.summaries is not None:
            self.summaries.deliver(flat[-1])
        for k, value in self.constant_outputs:
            outputs[k] = Tensor(value)
        if tapes and outputs:
            if not hasattr(self.node, "output_deps"):
                self.node.output_deps = self.call_dependence()
            record(self.node, (), tuple(reads) + tuple(dyn), tuple(outputs), True)
        return self.pack(outputs)

    def run_fed(self, dyn, var_args, args, kwargs):
        """``run`` for a program fed by iterators: this call's elements are pulled first, and
        the iterators make their next ones while the program computes."""
        dyn, pulled = self.feeds.pull(dyn, args, kwargs)
        result = self.run(dyn, var_args)
        _iterator_feeds.produce_ahead(pulled)
        return result

    def _variables(self, var_args):
        if self.uses_args:
            return ([var_args[k] if k >= 0 else v for k, v in self.reads],
                    [var_args[k] if k >= 0 else v for k, v in self.written])
        return self.read_vars, self.written_vars

    def _run_with_variables(self, tensors, var_args, tapes):
        """Runs the program on the Variables' values and stores the values it assigns."""
        read_vars, written_vars = self._variables(var_args)
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
                for i in self.donate:  # 4: the Variable's slot, ``reads``, the argument
                    if not only_holder(reads[i], 4):  # and getrefcount's (see _donation)
                        call = self.plain
                        break
            else:
                call = self.plain
            values = [reads[i]._value for i in self.order]
            if call is self.plain:
                flat = call(*values, *tensors)
                self._store(written_vars, flat)
            else:
                with _InterruptsHeld(True):
                    flat = call(*values, *tensors)
                    self._store(written_vars, flat)
        return flat, reads

    def _store(self, written_vars, flat):
        for v, value in zip(written_vars, flat[self.n_out:self.n_out + self.n_written]):
            v._stored = Tensor(value)

    def call_dependence(self):
        """Per output of the call node, the inputs it connects: as TF's gradient of a function
        call, every input that reaches any output differentiably (zeros where that output does
        not depend on it), none of the others (``None``)."""
        deps = _second_order.dependence(self.forward_jaxpr.jaxpr)
        return (frozenset().union(*deps),) * len(deps)

    def lower(self, dyn, var_args):
        """The ``jax.stages.Lowered`` program for these arguments (nothing runs)."""
        read_vars, _ = self._variables(var_args)
        return self.plain.lower(*[read_vars[i]._stored._value for i in self.order],
                                *[t._value for t in dyn])

    def pack(self, outputs):
        return self._packer(iter(_fill(self.static, iter(outputs))))


def _shared_key(traced):
    """What makes two traces the same program: the jaxpr's text (objects in its parameters
    print with their addresses, kept alive by the cache), its inputs' and outputs' types with
    their weak types (which the text leaves out) and its constants, small arrays by value and
    anything else by identity."""
    jaxpr = traced.jaxpr.jaxpr
    types = tuple((v.aval.shape, v.aval.dtype, getattr(v.aval, "weak_type", False))
                  for v in (*jaxpr.invars, *jaxpr.outvars))
    consts = []
    for c in traced.jaxpr.consts:
        if isinstance(c, (np.ndarray, np.generic, jax.Array)) and not isinstance(
                c, jax.core.Tracer) and np.size(c) * np.dtype(c.dtype).itemsize \
                <= _SHARED_CONST_BYTES:
            array = np.asarray(c)
            consts.append((array.shape, array.dtype.str, array.tobytes()))
        else:
            consts.append(ByIdentity(c))
    return str(jaxpr), types, tuple(consts), traced.n_out


def _dtype(np_dtype):
    return dtypes.from_numpy(np_dtype)
