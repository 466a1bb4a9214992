"""Variable state made functional: one trace of a Python function into a pure JAX program.

While ``tapejax.function`` traces the user's function with ``jax.make_jaxpr``, a ``Capture`` is
installed on the thread (``STACK.capture``). Variables route their reads, writes and creation to
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
"""
from typing import NamedTuple

import jax
from jax import lax
from jax.extend import core as jcore

from ._host_outputs import HostOutputs
from ._recording import STACK
from .tensor import Tensor

_placeholder = jcore.Primitive("tapejax_variable")
_placeholder.def_abstract_eval(lambda *, aval, slot: aval)


class Capture:
    """The Variables one trace touches, and their values inside it."""

    def __init__(self, creation_error):
        self.top = None  # the make_jaxpr trace: placeholders are bound there
        self.values = {}  # id(variable) -> Tensor seen by reads in this trace
        self.reads = []  # existing Variables read, in placeholder-slot order
        self.written = {}  # id(variable) -> existing Variable assigned (insertion order)
        self.made = []  # (Variable, initial Tensor) created in this trace
        self.creation_error = creation_error  # None, or the message when creating is an error
        self.summaries = []  # (emit, arrays): values the program hands to emit after each run

    def read(self, variable):
        tensor = self.values.get(id(variable))
        if tensor is None:
            value = variable._stored._value
            aval = jax.core.ShapedArray(value.shape, value.dtype)
            with jcore.set_current_trace(self.top):
                tracer = _placeholder.bind(aval=aval, slot=len(self.reads))
            tensor = self.values[id(variable)] = Tensor(tracer)
            self.reads.append(variable)
        return tensor

    def write(self, variable, array):
        # TF has no gradient through an assignment; inside the program this is stop_gradient.
        self.values[id(variable)] = Tensor(lax.stop_gradient(array))
        if not any(v is variable for v, _ in self.made):
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


def trace(body, avals, creation_error=None):
    """Traces ``body(*tensor_args) -> (output arrays, info)`` into a ``Traced`` program."""
    capture = Capture(creation_error)
    box = []

    def traced(*arrays):
        with jcore.take_current_trace() as top:
            capture.top = top
        saved = STACK.tapes, STACK.capture
        STACK.tapes, STACK.capture = [], capture
        try:
            outputs, info = body(*[Tensor(a) for a in arrays])
        finally:
            STACK.tapes, STACK.capture = saved
        host = HostOutputs(capture.summaries) if capture.summaries else None
        box.append((len(outputs), info, host))
        values = capture.values
        return (list(outputs) + [values[id(v)]._value for v in capture.written.values()]
                + ([host.pack()] if host is not None else [])
                + [values[id(v)]._value for v, _ in capture.made]
                + [t._value for _, t in capture.made])

    closed = jax.make_jaxpr(traced)(*avals)
    jaxpr = _lift_placeholders(closed.jaxpr, len(capture.reads))
    n_out, info, host = box[0]
    return Traced(jcore.ClosedJaxpr(jaxpr, closed.consts), capture.reads,
                  list(capture.written.values()), [v for v, _ in capture.made], n_out, info,
                  host)


def _lift_placeholders(jaxpr, n_reads):
    """Turns the placeholder equations into the jaxpr's leading inputs."""
    slots = [None] * n_reads
    eqns = []
    for eqn in jaxpr.eqns:
        if eqn.primitive is _placeholder:
            slots[eqn.params["slot"]] = eqn.outvars[0]
        else:
            eqns.append(eqn)
    debug = jaxpr.debug_info
    if debug is not None and debug.arg_names is not None:
        debug = debug._replace(arg_names=tuple(f"variable{k}" for k in range(n_reads))
                               + tuple(debug.arg_names))
    return jcore.Jaxpr(jaxpr.constvars, slots + list(jaxpr.invars), jaxpr.outvars, eqns,
                       jaxpr.effects, debug)


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
