"""``explain_gradient``: why ``tape.gradient(target, source)`` is ``None`` (beyond TF).

It reads what the tape recorded: whether the source was watched, its dtype, whether the target
was recorded at all, and the notes the tape keeps on values that left the differentiable graph
(a non-differentiable op, a non-floating output, ``stop_recording``), with where they were made.
"""
from . import _backprop, _graph
from .tape import _is_variable
from .tensor import Tensor, TensorLike


def _note_for(state, tensor):
    note = state.notes.get(id(tensor))
    if note is not None and note.value() is tensor:
        return note
    return None


def _describe(note):
    if note.cause == "stop_recording":
        return (f"it was computed under `tape.stop_recording()` (by `{note.op}` at "
                f"{note.site}), so the tape did not record it")
    if note.cause == "non-floating output":
        return (f"the path goes through `{note.op}` at {note.site}, whose output has a "
                f"non-floating dtype; only float and complex values carry gradients")
    return (f"the path goes through the non-differentiable op `{note.op}` at {note.site} "
            f"(TF registers no gradient for it)")


def _source_problem(state, source):
    if _is_variable(source):
        entry = state.variables.get(id(source))
        if entry is None:
            if not source.trainable:
                return (f"the source {source.name} is a non-trainable Variable, which tapes do "
                        f"not watch automatically (call tape.watch on it)")
            if not state.watch_accessed:
                return (f"the source {source.name} was not watched: the tape was created with "
                        f"watch_accessed_variables=False and tape.watch was not called on it")
            return (f"the source {source.name} was not read by any op while the tape was "
                    f"recording")
        return None
    if not source.dtype.is_inexact:
        return (f"the source has dtype {source.dtype.name}; gradients exist only for floating "
                f"and complex tensors")
    if id(source) not in state.watched:
        return ("the source was not watched: call tape.watch(source) before using it, or use "
                "a trainable tf.Variable")
    return None


def _cut_on_path(state, target):
    """A note on a value the recorded computation of ``target`` used, if any."""
    seen, stack = set(), [target]
    made = _graph.outputs_of(state.structure)
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        note = _note_for(state, tensor)
        if note is not None:
            return note
        where = state.producer.get(id(tensor))
        if where is not None:
            stack.extend(x for x in state.nodes[made[where][0]].inputs if isinstance(x, Tensor))
    return None


def explain_gradient(tape, target, source):
    """Says in words why ``tape.gradient(target, source)`` is (or is not) ``None``.

    Call it before ``gradient`` on a non-persistent tape (``gradient`` releases what it
    recorded), or on a persistent tape at any time.

    >>> import tapejax as tf
    >>> x = tf.constant(2.0)
    >>> with tf.GradientTape(persistent=True) as tape:
    ...   y = x * x
    >>> print(tf.explain_gradient(tape, y, x))  # doctest: +ELLIPSIS
    None because the source was not watched: call tape.watch(source) ...
    """
    state = tape._tape
    if state is None:
        raise RuntimeError("This non-persistent tape has already computed its gradient and "
                           "released what it recorded; call explain_gradient before gradient, "
                           "or use GradientTape(persistent=True).")
    if not isinstance(source, TensorLike) or not isinstance(target, TensorLike):
        raise TypeError("explain_gradient expects a Tensor or Variable as target and source.")
    problem = _source_problem(state, source)
    if problem:
        return f"None because {problem}."
    if _is_variable(target):
        target = target._tensor
    if not target.dtype.is_inexact:
        note = _note_for(state, target)
        where = f" ({_describe(note)})" if note else ""
        return f"None because the target has dtype {target.dtype.name}{where}."
    if id(target) not in state.producer and id(target) not in state.watched:
        note = _note_for(state, target)
        if note is not None:
            return f"None because {_describe(note)}."
        return ("None because the target was computed outside the tape: before the `with` "
                "block started or after it ended, so no op producing it was recorded.")
    groups = [list(state.variables[id(source)][1])] if _is_variable(source) else [[source]]
    plan = _backprop.plan(state, [target], groups)
    if plan.targets and plan.groups[0]:
        return "Connected: the gradient is not None."
    note = _cut_on_path(state, target)
    if note is not None:
        return f"None because {_describe(note)}."
    return "None because the recorded computation of the target does not use the source."
