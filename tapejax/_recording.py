"""What a tape records, and the per-thread stack of recording tapes.

A recorded ``Node`` is plain data: the JAX function that ran, its static attributes, the input
values (Tensors, or Python constants) and the output Tensors. Nothing about derivatives is
computed here; ``_backprop`` turns the recorded nodes into one function for ``jax.vjp``.
"""
import contextlib
import os
import sys
import threading
import weakref
from typing import Callable, NamedTuple

from .tensor import raw_value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


_tuple_new = tuple.__new__  # builds a Node without NamedTuple's Python-level __new__


class Node(NamedTuple):
    fn: Callable
    static: tuple  # sorted (name, value) pairs: the op's attributes, part of the cache key
    inputs: tuple  # Tensors (recorded by identity) or Python constants
    outputs: tuple  # Tensors
    multi: bool  # fn returns a tuple of arrays


class TapeState:
    """The recorded state behind one ``GradientTape`` (TF's internal tape object)."""

    __slots__ = ("nodes", "watched", "producer", "variables", "persistent", "watch_accessed",
                 "notes", "structure", "leaves", "leaf_index", "__weakref__")
    paused = False

    def __init__(self, persistent, watch_accessed):
        self.nodes = []
        self.structure = []  # per node: (fn, static, input codes, multi, float outputs)
        self.leaves = []  # inputs not produced on this tape, in order of first use
        self.leaf_index = {}  # id(leaf) -> its index in ``leaves``
        self.notes = {}  # id(tensor) -> Note: why a value derived from watched ones is not
        self.watched = {}  # id(tensor) -> tensor: sources and recorded outputs, kept alive
        self.producer = {}  # id(output tensor) -> (node index, output index)
        self.variables = {}  # id(variable) -> (variable, [read tensors seen by this tape])
        self.persistent = persistent
        self.watch_accessed = watch_accessed

    def watch_tensor(self, tensor):
        if raw_value(tensor).dtype.kind in "fcV":  # float, complex, bfloat16
            self.watched[id(tensor)] = tensor

    def watch_variable(self, variable, read):
        entry = self.variables.get(id(variable))
        if entry is None:
            entry = self.variables[id(variable)] = (variable, [])
        reads = entry[1]
        if all(r is not read for r in reads):
            reads.append(read)
        self.watch_tensor(read)

    def paused_view(self):
        """What stands on the stack while the tape is in ``stop_recording``: it records
        nothing, only notes which values were computed there (for ``explain_gradient``)."""
        return _PausedView(self)


class _PausedView:
    __slots__ = ("tape", "watched", "notes")
    paused = True
    watch_accessed = False
    variables = {}

    def __init__(self, tape):
        self.tape, self.watched, self.notes = tape, tape.watched, tape.notes


class Note(NamedTuple):
    """Why a value computed from watched values is not differentiable on a tape."""

    cause: str  # "non-differentiable op", "non-floating output" or "stop_recording"
    op: str
    site: str  # file:line of the user's code that ran the op
    value: weakref.ref


def _user_site():
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return "<unknown>" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _note(tape, cause, fn, outputs):
    site = _user_site()
    name = getattr(fn, "__name__", type(fn).__name__).lstrip("_")
    for out in outputs:
        tape.notes[id(out)] = Note(cause, name, site, weakref.ref(out))


def _propagate_note(tape, inputs, outputs):
    """Values computed from a noted value inherit its note (it explains them too)."""
    notes = tape.notes
    for x in inputs:
        note = notes.get(id(x))
        if note is not None and note.value() is x:
            for out in outputs:
                notes[id(out)] = note._replace(value=weakref.ref(out))
            return


class _Stack(threading.local):
    def __init__(self):
        self.tapes = []  # the recording TapeStates of this thread, outermost first
        self.variable_watchers = []  # lists collecting the Variables read (custom_gradient)
        self.capture = None  # the tapejax.function trace running on this thread, if any
        self.no_lazy = 0  # > 0 while ops must run at once (a JAX trace of control flow)
        self.lazy_current = []  # weak references to the pending values made since the last
        self.lazy_previous = []  # gradient, and to those made before it


STACK = _Stack()


def record(fn, static, inputs, outputs, multi, differentiable=True):
    """Appends a node to every recording tape that watches one of ``inputs``.

    A non-differentiable op, or a tape in ``stop_recording``, only leaves a note on the outputs.
    """
    for tape in STACK.tapes:
        watched = tape.watched
        for x in inputs:
            if id(x) in watched:
                break
        else:
            if tape.notes:
                _propagate_note(tape, inputs, outputs)
            continue
        if tape.paused or not differentiable:
            _note(tape, "stop_recording" if tape.paused else "non-differentiable op", fn, outputs)
            continue
        index = len(tape.nodes)
        tape.nodes.append(_tuple_new(Node, (fn, static, inputs, outputs, multi)))
        producer = tape.producer
        codes = tuple([producer.get(id(x)) or _leaf_code(tape, x) for x in inputs])
        if multi:
            floats = []
            for k, out in enumerate(outputs):
                if raw_value(out).dtype.kind in "fcV":
                    watched[id(out)] = out
                    producer[id(out)] = (index, k)
                    floats.append(k)
                else:
                    _note(tape, "non-floating output", fn, (out,))
            floats = tuple(floats)
        else:
            out = outputs[0]
            if raw_value(out).dtype.kind in "fcV":
                watched[id(out)] = out
                producer[id(out)] = (index, 0)
                floats = _FIRST
            else:
                _note(tape, "non-floating output", fn, outputs)
                floats = ()
        tape.structure.append((fn, static, codes, multi, floats))


_FIRST = (0,)


def _leaf_code(tape, x):
    """The index of ``x`` among the inputs ``tape`` did not produce (added on first use)."""
    code = tape.leaf_index.get(id(x))
    if code is None:
        code = tape.leaf_index[id(x)] = len(tape.leaves)
        tape.leaves.append(x)
    return code


def variable_accessed(variable, read):
    """Tells the recording tapes that ``variable`` was read as the tensor ``read``."""
    for watcher in STACK.variable_watchers:
        if all(v is not variable for v in watcher):
            watcher.append(variable)
    for tape in STACK.tapes:
        if (tape.watch_accessed and variable.trainable) or id(variable) in tape.variables:
            tape.watch_variable(variable, read)


@contextlib.contextmanager
def recording_on(tapes):
    """Only ``tapes`` record on this thread inside; the previous stack comes back after."""
    saved = STACK.tapes
    STACK.tapes = tapes
    try:
        yield
    finally:
        STACK.tapes = saved


@contextlib.contextmanager
def eager_ops():
    """Ops run at once inside, even under a tape (no lazy recording): for JAX traces."""
    STACK.no_lazy += 1
    try:
        yield
    finally:
        STACK.no_lazy -= 1


def paused():
    """No tape of this thread records inside (TF's ``stop_recording`` for every tape)."""
    return recording_on([])


@contextlib.contextmanager
def watching_variables():
    """Collects the Variables read inside, in order (TF's ``VariableWatcher``)."""
    found = []
    STACK.variable_watchers.append(found)
    try:
        yield found
    finally:
        watchers = STACK.variable_watchers
        del watchers[next(k for k, w in enumerate(watchers) if w is found)]
