"""What a tape records, what a tape is (``Tape``), and the per-thread stack of recording tapes.

A recorded ``Node`` is plain data: the JAX function that ran, its static attributes, the input
values (Tensors, or Python constants) and the output Tensors. Nothing about derivatives is
computed here; ``_graph`` selects and replays the recorded nodes, ``_backprop`` hands the replay
to ``jax.vjp``. This module owns the recording layer's per-thread state (``STACK``: the tapes and
the Variable watchers); the function trace and lazy recording keep their own (``_capture.TRACE``,
``_lazy.RECENT``).
"""
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, NamedTuple, Protocol, cast, runtime_checkable

from .tensor import raw_value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


_tuple_new = tuple.__new__  # builds a Node without NamedTuple's Python-level __new__


class Node(NamedTuple):
    """A recorded op. A deferred op's node is its ``_lazy.PendingOp``: the same ``fn``,
    ``static``, ``inputs`` and ``multi``, its outputs not kept (nothing reads them)."""

    fn: Callable[..., Any]
    static: tuple[tuple[str, Any], ...]  # sorted (name, value) pairs: part of the cache key
    inputs: tuple[Any, ...]  # Tensors (recorded by identity) or Python constants
    outputs: tuple[Any, ...]  # Tensors
    multi: bool  # fn returns a tuple of arrays


class Note(NamedTuple):
    """Why a value computed from watched values is not differentiable on a tape."""

    cause: str  # "non-differentiable op", "non-floating output" or "stop_recording"
    op: str
    site: str  # file:line of the user's code that ran the op
    value: "weakref.ref[Any]"


@runtime_checkable
class Tape(Protocol):
    """What stands on a thread's recording stack (``STACK.tapes``); ``record`` and
    ``variable_accessed`` read nothing else. A paused tape records no node: it only notes the
    values computed from watched ones (``explain_gradient`` reads the notes)."""

    paused: bool
    watch_accessed: bool  # trainable Variables read while recording are watched
    watched: dict[int, Any]  # id -> watched Tensor (sources and recorded outputs, kept alive)
    notes: dict[int, Note]  # id(Tensor) -> why it is not differentiable here
    variables: dict[int, tuple[Any, list[Any]]]  # id(Variable) -> (Variable, reads watched)

    def watch_variable(self, variable: Any, read: Any) -> None: ...


@runtime_checkable
class RecordingTape(Tape, Protocol):
    """A tape that records nodes: as a graph in ``_graph``'s encoding (``structure``), whose
    code ``r >= 0`` is ``values[r]`` and ``r < 0`` is ``leaves[-r - 1]``."""

    persistent: bool
    nodes: list[Node]
    structure: list[tuple[Any, ...]]  # per node: (fn, static, input codes, multi, floats)
    values: list[Any]  # every output of every node, in order
    leaves: list[Any]  # inputs not produced on this tape, in order of first use
    leaf_index: dict[int, int]  # id(leaf) -> its code
    producer: dict[int, int]  # id(output) -> its code

    def watch_tensor(self, tensor: Any) -> None: ...


class TapeState:
    """The recorded state behind one ``GradientTape`` (TF's internal tape object)."""

    __slots__ = ("nodes", "watched", "producer", "variables", "persistent", "watch_accessed",
                 "notes", "structure", "values", "leaves", "leaf_index", "__weakref__")
    paused = False

    def __init__(self, persistent: bool, watch_accessed: bool) -> None:
        self.nodes: list[Node] = []
        # The tape as a graph in ``_graph``'s encoding: per node (fn, static, input codes,
        # multi, the positions of its floating outputs); code r >= 0 is ``values[r]``, code
        # r < 0 is ``leaves[-r - 1]``.
        self.structure: list[tuple[Any, ...]] = []
        self.values: list[Any] = []  # every output of every node, in order
        self.leaves: list[Any] = []  # inputs not produced on this tape, in order of first use
        self.leaf_index: dict[int, int] = {}  # id(leaf) -> its code
        self.notes: dict[int, Note] = {}  # id(tensor) -> why it is not differentiable here
        self.watched: dict[int, Any] = {}  # id -> sources and recorded outputs, kept alive
        self.producer: dict[int, int] = {}  # id(output tensor) -> its code (in ``values``)
        self.variables: dict[int, tuple[Any, list[Any]]] = {}  # id -> (Variable, its reads)
        self.persistent = persistent
        self.watch_accessed = watch_accessed

    def watch_tensor(self, tensor: Any) -> None:
        if raw_value(tensor).dtype.kind in "fcV":  # float, complex, bfloat16
            self.watched[id(tensor)] = tensor

    def watch_variable(self, variable: Any, read: Any) -> None:
        entry = self.variables.get(id(variable))
        if entry is None:
            entry = self.variables[id(variable)] = (variable, [])
        reads = entry[1]
        if all(r is not read for r in reads):
            reads.append(read)
        self.watch_tensor(read)

    def paused_view(self) -> "_PausedView":
        """What stands on the stack while the tape is in ``stop_recording``: it records
        nothing, only notes which values were computed there (for ``explain_gradient``)."""
        return _PausedView(self)


class _PausedView:
    """A tape in ``stop_recording``: shares its tape's watched values and notes, and watches
    no Variable read meanwhile (TF: the tape is off the stack)."""

    __slots__ = ("tape", "watched", "notes")
    paused = True
    watch_accessed = False
    variables: dict[int, tuple[Any, list[Any]]] = {}

    def __init__(self, tape: TapeState) -> None:
        self.tape, self.watched, self.notes = tape, tape.watched, tape.notes

    def watch_variable(self, variable: Any, read: Any) -> None:
        """Nothing is watched while paused (``variable_accessed`` never asks: ``variables``
        is empty and ``watch_accessed`` false)."""


def _user_site() -> str:
    """``file:line`` of the innermost frame outside tapejax, two frames up from the caller.

    CPython's ``sys._getframe`` and the ``f_back``/``f_code.co_filename``/``f_lineno`` of its
    frames are what this relies on (``tests/test_recording.py`` checks them)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return "<unknown>" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _note(tape: Tape, cause: str, fn: Any, outputs: tuple[Any, ...]) -> None:
    site = _user_site()
    name = getattr(fn, "__name__", type(fn).__name__).lstrip("_")
    for out in outputs:
        tape.notes[id(out)] = Note(cause, name, site, weakref.ref(out))


def _propagate_note(tape: Tape, inputs: Sequence[Any], outputs: tuple[Any, ...]) -> None:
    """Values computed from a noted value inherit its note (it explains them too)."""
    notes = tape.notes
    for x in inputs:
        note = notes.get(id(x))
        if note is not None and note.value() is x:
            for out in outputs:
                notes[id(out)] = note._replace(value=weakref.ref(out))
            return


class _Recording(threading.local):
    """The recording layer's per-thread state."""

    def __init__(self) -> None:
        self.tapes: list[Tape] = []  # the tapes recording on this thread, outermost first
        self.variable_watchers: list[list[Any]] = []  # collect the Variables read


STACK = _Recording()


def record(fn: Callable[..., Any], static: tuple[tuple[str, Any], ...], inputs: Sequence[Any],
           outputs: tuple[Any, ...], multi: bool, differentiable: bool = True,
           tapes: Sequence[Tape] | None = None, node: Any = None) -> None:
    """Appends a node to every recording tape (of ``tapes``, default this thread's) that
    watches one of ``inputs``: ``node`` when given (a deferred op's ``PendingOp``), else a
    ``Node``.

    A non-differentiable op, or a tape in ``stop_recording``, only leaves a note on the outputs.
    """
    for tape in STACK.tapes if tapes is None else tapes:
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
        tape = cast(RecordingTape, tape)
        tape.nodes.append(_tuple_new(Node, (fn, static, inputs, outputs, multi))
                          if node is None else node)
        producer = tape.producer
        codes: list[int] = []
        for x in inputs:
            code = producer.get(id(x))
            codes.append(_leaf_code(tape, x) if code is None else code)
        values = tape.values
        first = len(values)
        values.extend(outputs)
        floats: tuple[int, ...]
        if multi:
            found = []
            for k, out in enumerate(outputs):
                producer[id(out)] = first + k
                if raw_value(out).dtype.kind in "fcV":
                    watched[id(out)] = out
                    found.append(k)
                else:
                    _note(tape, "non-floating output", fn, (out,))
            floats = tuple(found)
        else:
            out = outputs[0]
            producer[id(out)] = first
            if raw_value(out).dtype.kind in "fcV":
                watched[id(out)] = out
                floats = _FIRST
            else:
                _note(tape, "non-floating output", fn, outputs)
                floats = ()
        tape.structure.append((fn, static, tuple(codes), len(outputs) if multi else None,
                               floats))


_FIRST = (0,)


def _leaf_code(tape: RecordingTape, x: Any) -> int:
    """The code of ``x`` as a constant of ``tape``'s graph: ``-1 - n`` for the n-th input the
    tape did not produce (added on first use)."""
    code = tape.leaf_index.get(id(x))
    if code is None:
        code = tape.leaf_index[id(x)] = -len(tape.leaves) - 1
        tape.leaves.append(x)
    return code


def variable_accessed(variable: Any, read: Any) -> None:
    """Tells the recording tapes that ``variable`` was read as the tensor ``read``; variable
    watchers see trainable Variables only, as TF's."""
    if variable.trainable:
        for watcher in STACK.variable_watchers:
            if all(v is not variable for v in watcher):
                watcher.append(variable)
    for tape in STACK.tapes:
        if (tape.watch_accessed and variable.trainable) or id(variable) in tape.variables:
            tape.watch_variable(variable, read)


@contextlib.contextmanager
def recording_on(tapes: list[Tape]) -> Iterator[None]:
    """Only ``tapes`` record on this thread inside; the previous stack comes back after."""
    saved = STACK.tapes
    STACK.tapes = tapes
    try:
        yield
    finally:
        STACK.tapes = saved


def paused() -> contextlib.AbstractContextManager[None]:
    """No tape of this thread records inside (TF's ``stop_recording`` for every tape)."""
    return recording_on([])


@contextlib.contextmanager
def watching_variables() -> Iterator[list[Any]]:
    """Collects the trainable Variables read inside, in order (TF's ``VariableWatcher``)."""
    found: list[Any] = []
    STACK.variable_watchers.append(found)
    try:
        yield found
    finally:
        watchers = STACK.variable_watchers
        del watchers[next(k for k, w in enumerate(watchers) if w is found)]
