"""Control flow: ``tf.cond``, ``tf.switch_case`` and ``tf.while_loop``.

With concrete values (eager mode) these are plain Python, exactly as TF eager runs them, so a
tape records the ops of the branch actually taken. When the predicate, index or loop state is a
JAX tracer (inside ``jax.jit`` or ``tapejax.function``) they become ``lax.switch`` and
``lax.while_loop`` (or a ``lax.scan`` of ``maximum_iterations`` steps, which unlike
``lax.while_loop`` can be differentiated in reverse mode).

A traced construct is recorded on the tapes as one node. Its inputs are the predicate, the loop
state and the outside Tensors the branches read, found by tracing each branch once with a
stand-in tape that records everything; when the node is replayed for a gradient, those Tensors'
values are swapped in for the ones the branches see.
"""
import contextlib

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import nest
from .._recording import eager_ops, paused, recording_on, variable_accessed
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..tensor_shape import TensorShape
from .core import apply, attrs


def _is_traced(x):
    return isinstance(x, TensorLike) and isinstance(x.__jax_array__(), jax.core.Tracer)


# --- finding and substituting the Tensors a branch reads ----------------------------------------
class _Everything(dict):
    """The ``watched`` map of a tape that watches every Tensor."""

    def __contains__(self, key):
        return True


class _Capture:
    """A stand-in tape: records every differentiable op run while it is the only tape."""

    persistent = False
    watch_accessed = True
    paused = False

    def __init__(self):
        self.notes = {}
        self.nodes = []
        self.watched = _Everything()
        self.producer = {}
        self.variables = {}
        self.reads = []
        self.structure, self.leaves, self.leaf_index = [], [], {}

    def watch_variable(self, variable, read):
        self.reads.append((variable, read))

    def watch_tensor(self, tensor):
        pass


def _outside_tensors(fn, example_args):
    """The outside Tensors that ``fn(*Tensors(example_args))`` reads, and its result structure.

    Inner values are tracers of a throwaway trace; outside ones are concrete or are among
    the constants that trace closes over.
    """
    capture = _Capture()
    result = []

    def traced(*arrays):
        out = fn(*[Tensor(a) for a in arrays])
        result.append(out)
        return _leaves(out)
    with recording_on([capture]), eager_ops():
        consts = {id(c) for c in jax.make_jaxpr(traced)(*example_args).consts}
    found = {}
    candidates = [x for node in capture.nodes for x in node.inputs]
    candidates += [read for _, read in capture.reads]
    for x in candidates:
        if isinstance(x, Tensor) and id(x) not in capture.producer and id(x) not in found:
            if not isinstance(x._value, jax.core.Tracer) or id(x._value) in consts:
                found[id(x)] = x
    for variable, read in capture.reads:  # the real tapes see the reads, as if run eagerly
        if id(read) in found:
            variable_accessed(variable, read)
    return list(found.values()), result[0]


def _merge(groups, exclude=()):
    merged = []
    for group in groups:
        for t in group:
            if all(t is not m for m in merged) and all(t is not e for e in exclude):
                merged.append(t)
    return merged


@contextlib.contextmanager
def _substituted(refs, values):
    """Runs with each referenced Tensor holding the given value (tapes paused)."""
    tensors = [r.deref() for r in refs]
    saved = [t._value for t in tensors]
    for t, v in zip(tensors, values):
        t._value = v
    try:
        with paused():
            yield
    finally:
        for t, v in zip(tensors, saved):
            t._value = v


def _leaves(structure):
    """The arrays of a branch result (Tensors, Variables or Python values)."""
    return [convert_to_tensor(x)._value for x in nest.flatten(structure)]


def _rebuild(structure, tensors):
    return nest.pack_sequence_as(structure, list(tensors))


# --- cond / switch_case -------------------------------------------------------------------------
def _run_switch(index, *values, branches, captured):
    def branch(fn):
        def run(operands):
            with _substituted(captured, operands):
                return _leaves(fn())
        return run
    return tuple(lax.switch(index, [branch(fn) for fn in branches], list(values)))


def _traced_switch(index, branches):
    found = [_outside_tensors(fn, ()) for fn in branches]
    captured = _merge(tensors for tensors, _ in found)
    static = attrs(branches=tuple(branches), captured=tuple(t.ref() for t in captured))
    outputs = apply(_run_switch, (index, *captured), static, "Case")
    return _rebuild(found[0][1], outputs)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``tf.cond``: ``true_fn()`` if ``pred`` else ``false_fn()``.

    Eagerly only the chosen branch runs (and is recorded). With a traced ``pred`` both branches
    are traced into one ``lax.switch``; they must then return the same structure and dtypes.
    """
    if true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if _is_traced(pred):
        index = apply(_as_index, (pred,), (), "Cast", differentiable=False)
        return _traced_switch(index, [false_fn, true_fn])
    return true_fn() if np.asarray(convert_to_tensor(pred)) else false_fn()


def _as_index(pred):
    return jnp.asarray(pred).astype(jnp.int32).reshape(())


def _branches(branch_fns, default, branch_index):
    if not isinstance(branch_index, TensorLike):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    pairs = list(branch_fns.items()) if isinstance(branch_fns, dict) else list(branch_fns)
    if all(callable(fn) for fn in pairs):
        pairs = list(enumerate(pairs))
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
        key, fn = pair
        if not isinstance(key, int):
            raise TypeError(f"key must be a Python `int`, got {type(key)}")
        if not callable(fn):
            raise TypeError(f"fn for key {key} must be callable.")
    keys = [key for key, _ in pairs]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        raise ValueError(f"branch indices (keys) must form contiguous range of [0 to "
                         f"{len(keys)}) but found {{{','.join(map(str, sorted(keys)))}}}")
    actions = [fn for _, fn in sorted(pairs, key=lambda p: p[0])]
    if default is not None:
        actions.append(default)
    return actions


def _clamped_index(index, *, count):
    index = index.astype(jnp.int32)
    return jnp.where((index < 0) | (index >= count), count - 1, index)


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``tf.switch_case``: runs ``branch_fns[branch_index]``; an index out of range runs
    ``default`` (or the last branch when there is none)."""
    branches = _branches(branch_fns, default, branch_index)
    index = apply(_clamped_index, (branch_index,), attrs(count=len(branches)), "Case",
                  differentiable=False)
    if _is_traced(index):
        return _traced_switch(index, branches)
    return branches[int(index)]()


# --- while_loop ---------------------------------------------------------------------------------
def _run_while(*values, cond, body, captured, structure, count, maximum_iterations):
    state, operands = list(values[:count]), values[count:]

    def wrap(arrays):
        return _rebuild(structure.value, [Tensor(a) for a in arrays])

    def keep_going(arrays):
        with _substituted(captured, operands):
            return jnp.reshape(convert_to_tensor(cond(*wrap(arrays)))._value, ())

    def step(arrays):
        with _substituted(captured, operands):
            return _leaves(body(*wrap(arrays)))

    if maximum_iterations is None:
        return tuple(lax.while_loop(keep_going, step, state))

    def scan_step(carry, _):
        arrays, done = carry
        go = jnp.logical_and(jnp.logical_not(done), keep_going(arrays))
        arrays = lax.cond(go, step, list, arrays)
        return (arrays, jnp.logical_not(go)), None

    (final, _), _ = lax.scan(scan_step, (state, jnp.asarray(False)), None,
                             length=maximum_iterations)
    return tuple(final)


def _traced_while(cond, body, loop_vars, maximum_iterations):
    tensors = [convert_to_tensor(x) for x in nest.flatten(loop_vars)]

    def run(fn):
        return lambda *ts: fn(*_rebuild(loop_vars, ts))
    found = [_outside_tensors(run(fn), [t._value for t in tensors])[0] for fn in (cond, body)]
    captured = _merge(found, exclude=tensors)
    static = attrs(cond=cond, body=body, captured=tuple(t.ref() for t in captured),
                   structure=_Structure(loop_vars), count=len(tensors),
                   maximum_iterations=maximum_iterations)
    outputs = apply(_run_while, (*tensors, *captured), static, "While")
    return _rebuild(loop_vars, outputs)


class _Structure:
    """Loop variables' structure as a static attribute (equal when the nesting is equal)."""

    __slots__ = ("value", "_key")

    def __init__(self, value):
        self.value = value
        self._key = repr(nest.map_structure(lambda _: 0, value))

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Structure) and other._key == self._key


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """``tf.while_loop``: repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``
    (at most ``maximum_iterations`` times); returns the final ``loop_vars``, as Tensors.

    ``body`` must return the structure of ``loop_vars`` (TF2's rule). Once the loop state or
    condition is traced the rest of the loop is one ``lax.while_loop``, or with
    ``maximum_iterations`` a reverse-differentiable ``lax.scan``.
    """
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    loop_vars = nest.map_structure(
        lambda x: x._tapejax_read() if isinstance(x, TensorLike) and type(x) is not Tensor
        else x, loop_vars)
    if not loop_vars:
        raise ValueError("'loop_vars' must be provided.")
    limit = None
    if maximum_iterations is not None:
        if _is_traced(maximum_iterations):
            raise TypeError("'maximum_iterations' must be a concrete value: it sets the length "
                            "of the traced loop.")
        limit = np.asarray(maximum_iterations)
        if limit.ndim != 0:
            raise ValueError("'maximum_iterations' must be a scalar. Received shape: "
                             f"{TensorShape(limit.shape)}")
        limit = int(limit)
    def shape_of(values):  # what TF's eager loop compares after each step
        return list(values) if limit is None else [0, values]
    structure = nest.map_structure(lambda _: 0, shape_of(loop_vars))
    count = 0
    while True:
        if limit is not None and count >= limit:
            break
        if any(_is_traced(x) for x in nest.flatten(loop_vars)):
            return _traced_while(cond, body, loop_vars, None if limit is None else limit - count)
        go = cond(*loop_vars)
        if _is_traced(go):
            return _traced_while(cond, body, loop_vars, None if limit is None else limit - count)
        if not go:
            break
        loop_vars = body(*loop_vars)
        nest.assert_same_structure(structure, shape_of(loop_vars))
        count += 1
    return nest.map_structure(convert_to_tensor, loop_vars)
