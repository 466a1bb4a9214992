"""What a tape records, and the per-thread stack of recording tapes.

A recorded ``Node`` is plain data: the JAX function that ran, its static attributes, the input
values (Tensors, or Python constants) and the output Tensors. Nothing about derivatives is
computed here; ``_backprop`` turns the recorded nodes into one function for ``jax.vjp``.
"""
import threading
from typing import Callable, NamedTuple


class Node(NamedTuple):
    fn: Callable
    static: tuple  # sorted (name, value) pairs: the op's attributes, part of the cache key
    inputs: tuple  # Tensors (recorded by identity) or Python constants
    outputs: tuple  # Tensors
    multi: bool  # fn returns a tuple of arrays


class TapeState:
    """The recorded state behind one ``GradientTape`` (TF's internal tape object)."""

    __slots__ = ("nodes", "watched", "producer", "variables", "persistent", "watch_accessed",
                 "__weakref__")

    def __init__(self, persistent, watch_accessed):
        self.nodes = []
        self.watched = {}  # id(tensor) -> tensor: sources and recorded outputs, kept alive
        self.producer = {}  # id(output tensor) -> (node index, output index)
        self.variables = {}  # id(variable) -> (variable, [read tensors seen by this tape])
        self.persistent = persistent
        self.watch_accessed = watch_accessed

    def watch_tensor(self, tensor):
        if tensor._value.dtype.kind in "fcV":  # float, complex, bfloat16
            self.watched[id(tensor)] = tensor

    def watch_variable(self, variable, read):
        entry = self.variables.get(id(variable))
        if entry is None:
            entry = self.variables[id(variable)] = (variable, [])
        reads = entry[1]
        if all(r is not read for r in reads):
            reads.append(read)
        self.watch_tensor(read)


class _Stack(threading.local):
    def __init__(self):
        self.tapes = []  # the recording TapeStates of this thread, outermost first
        self.capture = None  # the tapejax.function trace running on this thread, if any


STACK = _Stack()


def record(fn, static, inputs, outputs, multi):
    """Appends a node to every recording tape that watches one of ``inputs``."""
    for tape in STACK.tapes:
        watched = tape.watched
        for x in inputs:
            if id(x) in watched:
                break
        else:
            continue
        index = len(tape.nodes)
        tape.nodes.append(Node(fn, static, inputs, outputs, multi))
        producer = tape.producer
        for k, out in enumerate(outputs):
            if out._value.dtype.kind in "fcV":
                watched[id(out)] = out
                producer[id(out)] = (index, k)


def variable_accessed(variable, read):
    """Tells the recording tapes that ``variable`` was read as the tensor ``read``."""
    for tape in STACK.tapes:
        if (tape.watch_accessed and variable.trainable) or id(variable) in tape.variables:
            tape.watch_variable(variable, read)
