"""Variable state made functional: one trace of a Python function into a pure JAX program.

While ``tapejax.function`` traces the user's function with ``jax.make_jaxpr``, a ``Capture`` is
installed on the thread (``TRACE.capture``). Variables route their reads, writes and creation to
it (see ``Variable._tensor`` / ``Variable._write``):

- the first read of an existing Variable binds a placeholder primitive *in the top-level trace*
  (also when the read happens inside a nested transformation, such as a ``lax.cond`` branch), so
  its value is a tracer and nothing is frozen into a constant;
- a write replaces the value seen by later reads in this trace and becomes an output;
- a Variable created in the trace keeps its initial value as an extra output.

Afterwards the placeholder equations are removed and their variables become the jaxpr's leading
inputs: ``(read variable values..., tensor arguments...) -> (outputs..., written values...,
created values..., created initial values...)``. Nothing on the Variables themselves changes
during a trace, so other threads keep seeing their concrete values.

``closure_convert`` does the same for a branch or loop body of ``tf.cond`` / ``tf.while_loop``
(the model is ``jax.closure_convert``): the values the callable closes over become explicit
leading inputs of its program, and the Tensors they belong to are returned beside it. Nothing
is overwritten to trace, and the program holds no Tensor and no reference to the callable.

This module owns the trace layer's per-thread state (``TRACE``): the capture of the function
trace running, and whether control flow is being traced (ops then run at once, not lazily).
"""
import contextlib
import threading
import weakref
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.extend import core as jcore

from . import errors, nest
from ._host_outputs import HostOutputs
from ._recording import STACK, recording_on, variable_accessed
from .dtypes import from_numpy
from .tensor import Tensor, convert_to_tensor, raw_value
from .tensor_shape import TensorShape

FINISHED = weakref.WeakSet()  # the top-level traces of finished tapejax.function traces


class _Trace(threading.local):
    """The trace layer's per-thread state: which JAX traces of ours are running."""

    def __init__(self):
        self.capture = None  # the Capture of the tapejax.function trace running, if any
        self.eager = 0  # > 0 while control flow is traced: ops run at once (no lazy recording)


TRACE = _Trace()


@contextlib.contextmanager
def eager_ops():
    """Ops run at once inside, even under a tape (no lazy recording): for JAX traces."""
    TRACE.eager += 1
    try:
        yield
    finally:
        TRACE.eager -= 1


_placeholder = jcore.Primitive("tapejax_variable")
_placeholder.def_abstract_eval(lambda *, aval, slot: aval)


class Capture:
    """The Variables one trace touches, and their values inside it."""

    def __init__(self, creation_error):
        self.top = None  # the make_jaxpr trace: placeholders are bound there
        self.values = {}  # id(variable) -> Tensor seen by reads in this trace
        self.handles = {}  # id(variable) -> the placeholder Tensor of its value on entry
        self.assigned = {}  # id(variable) -> array last assigned (an output of the program)
        self.reads = []  # existing Variables read, in placeholder-slot order
        self.written = {}  # id(variable) -> existing Variable assigned (insertion order)
        self.made = []  # (Variable, initial Tensor) created in this trace
        self.creation_error = creation_error  # None, or the message when creating is an error
        self.summaries = []  # RunSummaries: values the program hands to the host after each run

    def read(self, variable):
        tensor = self.values.get(id(variable))
        if tensor is None:
            value = variable._stored._value
            aval = jax.core.ShapedArray(value.shape, value.dtype)
            with jcore.set_current_trace(self.top):
                tracer = _placeholder.bind(aval=aval, slot=len(self.reads))
            tensor = self.values[id(variable)] = self.handles[id(variable)] = Tensor(tracer)
            self.reads.append(variable)
        return tensor

    def handle(self, variable):
        """The Tensor gradients with respect to ``variable`` reach: its value on entry, once
        read (None before, or for a Variable created in this trace)."""
        return self.handles.get(id(variable))

    def write(self, variable, array):
        # TF has no gradient through an assignment; inside the program this is stop_gradient.
        made = any(v is variable for v, _ in self.made)
        if not made and id(variable) not in self.values:
            self.read(variable)  # its value on entry: what later reads differentiate to
        self.assigned[id(variable)] = lax.stop_gradient(array)
        self.values[id(variable)] = read_after_assign(array, self.handle(variable))
        if not made:
            self.written.setdefault(id(variable), variable)

    def created(self, variable):
        if self.creation_error is not None:
            raise ValueError(self.creation_error)
        self.values[id(variable)] = variable._stored
        self.made.append((variable, variable._stored))


class Traced(NamedTuple):
    jaxpr: jcore.ClosedJaxpr
    reads: list  # Variables whose values are the leading inputs
    written: list  # existing Variables whose new values follow the outputs
    created: list  # Variables created in the trace (their values, then initial values, last)
    n_out: int
    info: object  # what the traced body returned besides its output arrays
    summaries: object  # HostOutputs of the tf.summary calls (one output after ``written``)


@jax.custom_jvp
def _value_with_derivative_of(value, handle):
    return value


@_value_with_derivative_of.defjvp
def _value_with_derivative_of_jvp(primals, tangents):
    return primals[0], tangents[1]


def read_after_assign(array, handle):
    """What reads of a Variable see after ``array`` was assigned to it: that value (no gradient
    flows through an assignment) with the derivative of the Variable's value on entry
    (``handle``), as TF differentiates every read of a Variable as a read of the Variable."""
    array = lax.stop_gradient(array)
    if handle is None or not jnp.issubdtype(array.dtype, jnp.inexact):
        return Tensor(array)
    return Tensor(_value_with_derivative_of(array, handle._value))


def trace(body, avals, creation_error=None):
    """Traces ``body(*tensor_args) -> (output arrays, info)`` into a ``Traced`` program."""
    capture = Capture(creation_error)
    box = []

    def traced(*arrays):
        with jcore.take_current_trace() as top:
            capture.top = top
        saved = STACK.tapes, TRACE.capture
        STACK.tapes, TRACE.capture = [], capture
        try:
            outputs, info = body(*[Tensor(a) for a in arrays])
        finally:
            STACK.tapes, TRACE.capture = saved
        live = _live_traces(capture.top)
        for array in outputs:
            _check_accessible(array, live)
        host = HostOutputs(capture.summaries) if capture.summaries else None
        box.append((len(outputs), info, host))
        values = capture.values
        return (list(outputs) + [capture.assigned[id(v)] for v in capture.written.values()]
                + ([host.pack()] if host is not None else [])
                + [values[id(v)]._value for v, _ in capture.made]
                + [t._value for _, t in capture.made])

    try:
        closed = jax.make_jaxpr(traced)(*avals)
    finally:
        if capture.top is not None:
            FINISHED.add(capture.top)
    for value in closed.consts:
        if out_of_scope(value):
            raise out_of_scope_error(value)
        _check_accessible(value, _live_traces(capture.top))
    jaxpr = _lift_placeholders(closed.jaxpr, len(capture.reads))
    n_out, info, host = box[0]
    return Traced(jcore.ClosedJaxpr(jaxpr, closed.consts), capture.reads,
                  list(capture.written.values()), [v for v, _ in capture.made], n_out, info,
                  host)


def _live_traces(top):
    traces = []
    while top is not None:
        traces.append(top)
        top = getattr(top, "parent_trace", None)
    return traces


def _check_accessible(value, live):
    """TF's ``InaccessibleTensorError`` for a value of a finished staged loop or branch body
    (a tracer of none of the ``live`` traces)."""
    if isinstance(value, jax.core.Tracer) and all(value._trace is not t for t in live):
        raise errors.InaccessibleTensorError(
            errors.OUT_OF_SCOPE.format(tensor=_described(value)) + "\n\n"
            + INACCESSIBLE.format(tensor=_described(value)))


def out_of_scope(value):
    """True for the value of a Tensor leaked out of a finished ``tapejax.function`` trace."""
    return isinstance(value, jax.core.Tracer) and getattr(value, "_trace", None) in FINISHED


def _described(value):
    return f"<tf.Tensor shape={TensorShape(value.shape)} dtype={from_numpy(value.dtype).name}>"


def out_of_scope_error(value):
    """TF's ``TypeError`` for using a graph tensor outside its function."""
    return TypeError(errors.OUT_OF_SCOPE.format(tensor=_described(value)))


INACCESSIBLE = ("The tensor {tensor} cannot be accessed here: it was defined in the body of a "
                "staged loop or branch (a Python list appended in a loop on a tensor keeps it "
                "past its step; use a tf.TensorArray), which is out of scope.")


def _lift_placeholders(jaxpr, n_reads):
    """Turns the placeholder equations into the jaxpr's leading inputs."""
    return lift_slots(jaxpr, _placeholder, n_reads, "variable", leading=True)


def lift_slots(jaxpr, primitive, count, name, leading):
    """``jaxpr`` with the outputs of its ``primitive`` equations (one per ``slot``, ``count`` of
    them) as new inputs, before or after the others, named ``{name}{k}`` for debugging."""
    slots = [None] * count
    eqns = []
    for eqn in jaxpr.eqns:
        if eqn.primitive is primitive:
            slots[eqn.params["slot"]] = eqn.outvars[0]
        else:
            eqns.append(eqn)
    debug = jaxpr.debug_info
    if debug is not None and debug.arg_names is not None:
        names = tuple(f"{name}{k}" for k in range(count))
        debug = debug._replace(arg_names=names + tuple(debug.arg_names) if leading
                               else tuple(debug.arg_names) + names)
    invars = slots + list(jaxpr.invars) if leading else list(jaxpr.invars) + slots
    return jcore.Jaxpr(jaxpr.constvars, invars, jaxpr.outvars, eqns, jaxpr.effects, debug)


def prune(closed, keep):
    """The program computing only outputs ``keep`` (side effects of other parts dropped)."""
    jaxpr = closed.jaxpr
    outvars = [jaxpr.outvars[k] for k in keep]
    needed = {v for v in outvars if isinstance(v, jcore.Var)}
    eqns = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in needed for v in eqn.outvars):
            eqns.append(eqn)
            needed.update(v for v in eqn.invars if isinstance(v, jcore.Var))
    eqns.reverse()
    effects = frozenset().union(*(eqn.effects for eqn in eqns))
    debug = jaxpr.debug_info
    if debug is not None and debug.result_paths is not None:
        debug = debug._replace(result_paths=tuple(debug.result_paths[k] for k in keep))
    pruned = jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, outvars, eqns, effects, debug)
    return jcore.ClosedJaxpr(pruned, closed.consts)


def uses(jaxpr, variables):
    """True when an equation or output of ``jaxpr`` reads one of ``variables``."""
    wanted = set(variables)
    return any(v in wanted for eqn in jaxpr.eqns for v in eqn.invars
               if isinstance(v, jcore.Var)) or any(v in wanted for v in jaxpr.outvars
                                                   if isinstance(v, jcore.Var))


# --- closure conversion of control-flow callables -------------------------------------------
class _Everything(dict):
    """The ``watched`` map of a tape that watches every Tensor."""

    def __contains__(self, key):
        return True


class _Collector:
    """A stand-in tape (a ``RecordingTape``): records every differentiable op run while it is
    the only tape, so the Tensors a traced callable hands to ops (and the Variables it reads)
    are known."""

    persistent = False
    watch_accessed = True
    paused = False

    def __init__(self):
        self.notes = {}
        self.nodes = []
        self.watched = _Everything()
        self.producer = {}
        self.variables = {}
        self.reads = []  # (Variable, the Tensor read)
        self.structure, self.values, self.leaves, self.leaf_index = [], [], [], {}

    def watch_variable(self, variable, read):
        self.reads.append((variable, read))

    def watch_tensor(self, tensor):
        """Every Tensor is watched already (``watched`` holds them all)."""


class _BranchCapture:
    """Stands in for a function trace's capture while a branch is traced: reads go to the
    enclosing capture (or this branch's own writes), writes stay in the branch and become
    outputs of its program."""

    def __init__(self, parent):
        self.parent = parent
        self.values = {}  # id(variable) -> Tensor written in this branch
        self.written = {}  # id(variable) -> Variable, in order of first write

    def read(self, variable):
        tensor = self.values.get(id(variable))
        return self.parent.read(variable) if tensor is None else tensor

    def handle(self, variable):
        handle = getattr(self.parent, "handle", None)
        return None if handle is None else handle(variable)

    def write(self, variable, array):
        self.values[id(variable)] = read_after_assign(array, self.handle(variable))
        self.written.setdefault(id(variable), variable)

    def seed(self, variable, tensor):
        """Reads of ``variable`` in this branch see ``tensor`` (a loop-carried value) until it
        is assigned; seeding alone is no write."""
        self.values[id(variable)] = read_after_assign(tensor._value, self.handle(variable))

    def created(self, variable):
        raise NotImplementedError(BRANCH_CREATES_VARIABLE)


BRANCH_CREATES_VARIABLE = ("tapejax cannot create a tf.Variable inside the branches or body of "
                           "a traced tf.cond, tf.switch_case or tf.while_loop; create it "
                           "outside.")


class Closure(NamedTuple):
    program: jcore.ClosedJaxpr  # (closed-over values..., arguments...) -> leaves, written values
    closed_over: list  # per leading input: the outside Tensor it is, or the plain value
    structure: object  # the callable's result with its leaves replaced by 0 (no Tensor)
    written: list  # Variables the callable assigned (inside a function trace), in output order


def closure_convert(fn, example_args):
    """Traces ``fn(*Tensors)`` on arrays shaped like ``example_args``.

    Its result (a nest of Tensors, Variables or Python values) becomes the program's outputs,
    one per leaf. Every value the trace closes over (a concrete array, or a tracer of an
    enclosing trace) becomes a leading input. Where that value is the value of a Tensor that
    ``fn`` passed to an op or returned, or of a Variable it read, the Tensor is returned in
    ``closed_over``, so a tape can connect it; the recording tapes are told of those Variable
    reads, as if run eagerly. Inside a function trace, the values of the Variables ``fn``
    assigns follow the leaves (``written``); nothing is assigned yet.
    """
    collector = _Collector()
    box = []
    parent = TRACE.capture
    branch = None if parent is None else _BranchCapture(parent)

    def traced(*arrays):
        result = fn(*[Tensor(a) for a in arrays])
        tensors = [convert_to_tensor(x) for x in nest.flatten(result)]
        box.append((nest.map_structure(lambda _: 0, result), tensors))
        written = [] if branch is None else list(branch.written)
        return [t._value for t in tensors] + [branch.values[k]._value for k in written]
    TRACE.capture = branch
    try:
        with recording_on([collector]), eager_ops():
            closed = jax.make_jaxpr(traced)(*example_args)
    finally:
        TRACE.capture = parent
    owner = {}
    for tensor in [x for node in collector.nodes for x in node.inputs] + box[0][1] + [
            read for _, read in collector.reads]:
        if isinstance(tensor, Tensor):
            owner.setdefault(id(raw_value(tensor)), tensor)
    closed_over = [owner.get(id(c), c) for c in closed.consts]
    for variable, read in collector.reads:
        if any(read is c for c in closed_over):
            variable_accessed(variable, read)
    jaxpr = closed.jaxpr
    debug = jaxpr.debug_info
    if debug is not None and debug.arg_names is not None:
        debug = debug._replace(arg_names=tuple(f"closed_over{k}" for k in range(len(closed_over)))
                               + tuple(debug.arg_names))
    lifted = jcore.Jaxpr([], list(jaxpr.constvars) + list(jaxpr.invars), jaxpr.outvars,
                         jaxpr.eqns, jaxpr.effects, debug)
    written = [] if branch is None else list(branch.written.values())
    return Closure(jcore.ClosedJaxpr(lifted, []), closed_over, box[0][0], written)
