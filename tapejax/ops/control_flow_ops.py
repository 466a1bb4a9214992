"""Control flow: ``tf.cond``, ``tf.switch_case`` and ``tf.while_loop``.

With concrete values (eager mode) these are plain Python, exactly as TF eager runs them, so a
tape records the ops of the branch actually taken. When the predicate, index or loop state is a
JAX tracer (inside ``jax.jit`` or ``tapejax.function``) they become ``lax.switch`` and
``lax.while_loop`` (or a ``lax.scan`` of ``maximum_iterations`` steps, which unlike
``lax.while_loop`` can be differentiated in reverse mode).

A traced construct is recorded on the tapes as one node. Each branch, condition and body is
closure-converted once (``_capture.closure_convert``): its program takes the values it closes
over as explicit inputs, and the Tensors they belong to are the node's inputs beside the
predicate and the loop state. The node's attributes hold only those programs and integers, so
the gradient caches keyed on them hold no Tensor and no user callable, and no Tensor is ever
overwritten to trace.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend.core import jaxpr_as_fun

from .. import nest
from .._capture import TRACE, closure_convert
from .._fold import folded_value
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..tensor_shape import TensorShape
from .core import apply, attrs


def _is_traced(x):
    return isinstance(x, TensorLike) and isinstance(x.__jax_array__(), jax.core.Tracer)


def _rebuild(structure, tensors):
    return nest.pack_sequence_as(structure, list(tensors))


def _merge(closures):
    """All closures' closed-over inputs (each once), and per closure the positions of its own."""
    merged, uses = [], []
    for closure in closures:
        positions = []
        for x in closure.closed_over:
            k = next((k for k, m in enumerate(merged) if m is x), None)
            if k is None:
                k = len(merged)
                merged.append(x)
            positions.append(k)
        uses.append(tuple(positions))
    return merged, tuple(uses)


def _bind(program, positions, operands):
    """``program`` as a function of its own arguments, its closed-over inputs taken from
    ``operands``."""
    run = jaxpr_as_fun(program)
    closed_over = [operands[k] for k in positions]
    return lambda *args: run(*closed_over, *args)


# --- cond / switch_case -------------------------------------------------------------------------
def _run_switch(index, *operands, branches, uses, layouts):
    def branch(program, positions, layout):
        run = _bind(program, positions, operands)
        n, codes = layout  # results, then per assigned Variable an output or a passed operand

        def call():
            out = run()
            return list(out[:n]) + [out[c] if c >= 0 else operands[-c - 1] for c in codes]
        return call
    return tuple(lax.switch(index, [branch(*b) for b in zip(branches, uses, layouts)]))


def _traced_switch(index, branches):
    closures = [closure_convert(fn, ()) for fn in branches]
    closed_over, uses = _merge(closures)
    written = []  # Variables any branch assigns (in a function trace): every branch returns them
    for closure in closures:
        written += [v for v in closure.written if all(v is not w for w in written)]
    layouts = []
    for closure in closures:
        n = len(closure.program.jaxpr.outvars) - len(closure.written)
        codes = []
        for variable in written:
            k = next((k for k, w in enumerate(closure.written) if w is variable), None)
            if k is None:  # not assigned in this branch: its value before the construct
                current = TRACE.capture.read(variable)
                k = next((k for k, x in enumerate(closed_over) if x is current), None)
                if k is None:
                    k = len(closed_over)
                    closed_over.append(current)
                codes.append(-k - 1)
            else:
                codes.append(n + k)
        layouts.append((n, tuple(codes)))
    static = attrs(branches=tuple(c.program for c in closures), uses=uses, layouts=tuple(layouts))
    outputs = apply(_run_switch, (index, *closed_over), static, "Case")
    n = layouts[0][0]
    for variable, value in zip(written, outputs[n:]):
        TRACE.capture.write(variable, value._value)
    return _rebuild(closures[0].structure, outputs[:n])


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``tf.cond``: ``true_fn()`` if ``pred`` else ``false_fn()``.

    Eagerly only the chosen branch runs (and is recorded), and so it does in a trace when
    ``pred`` is made of constants and shapes (its branch may then use sizes computed from
    them). Otherwise both branches are traced into one ``lax.switch``; they must then return
    the same structure and dtypes.
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
        known = folded_value(pred.__jax_array__())
        if known is None or np.ndim(known) != 0:
            index = apply(_as_index, (pred,), (), "Cast", differentiable=False)
            return _traced_switch(index, [false_fn, true_fn])
        return true_fn() if known else false_fn()  # the trace knows it: as TF's smart_cond
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
def _run_while(*values, cond, body, uses, count, maximum_iterations):
    state, operands = list(values[:count]), values[count:]
    test, step = (_bind(p, u, operands) for p, u in zip((cond, body), uses))

    def keep_going(arrays):
        return test(*arrays)[0]

    def advance(arrays):  # the body's own outputs: the loop state (its writes are carried in it)
        return list(step(*arrays))[:count]

    if maximum_iterations is None:
        return tuple(lax.while_loop(keep_going, advance, state))

    def scan_step(carry, _):
        arrays, done = carry
        go = jnp.logical_and(jnp.logical_not(done), keep_going(arrays))
        arrays = lax.cond(go, advance, list, arrays)
        return (arrays, jnp.logical_not(go)), None

    (final, _), _ = lax.scan(scan_step, (state, jnp.asarray(False)), None,
                             length=maximum_iterations)
    return tuple(final)


def _is_tensor_array(x):
    return type(x).__name__ == "TensorArray" and hasattr(x, "_loop_parts")


def _flat_state(loop_vars, grow=0):
    """The tensors a traced loop carries for ``loop_vars`` (a TensorArray as its buffer, and
    its element count when dynamic-size, ``grow`` more rows), and each leaf's part count."""
    tensors, parts = [], []
    for leaf in nest.flatten(loop_vars):
        if _is_tensor_array(leaf):
            leaf_parts = leaf._loop_parts(grow)
            tensors.extend(convert_to_tensor(t) for t in leaf_parts)
            parts.append(len(leaf_parts))
        else:
            tensors.append(convert_to_tensor(leaf))
            parts.append(0)
    return tensors, parts


def _state_from(loop_vars, parts, tensors):
    """``loop_vars`` rebuilt from the tensors :func:`_flat_state` made."""
    it = iter(tensors)
    leaves = []
    for leaf, n in zip(nest.flatten(loop_vars), parts):
        leaves.append(leaf._from_loop_parts([next(it) for _ in range(n)]) if n else next(it))
    return _rebuild(loop_vars, leaves)


WHILE_SHAPE_CHANGED = (
    "Loop variable {k} enters the loop with shape {first}, but has shape {second} after one "
    "iteration. To allow the shape to vary across iterations, use the `shape_invariants` "
    "argument of tf.while_loop to specify a less-specific shape.")
WHILE_SHAPE_VARIES = (
    "Loop variable {k} enters the loop with shape {first}, but has shape {second} after one "
    "iteration. shape_invariants allow that in TF, but tapejax stages the loop with XLA, where "
    "a loop variable keeps its shape; pad it to a fixed shape or use a tf.TensorArray.")


def _check_shapes(tensors, out, invariants):
    """TF's error for a loop variable whose shape changed in a step; with ``shape_invariants``
    (which allow it in TF) ``NotImplementedError``: a staged loop keeps its shapes."""
    for k, (x, y) in enumerate(zip(tensors, out)):
        if tuple(x.shape) != tuple(y.shape):
            first, second = TensorShape(x.shape), TensorShape(y.shape)
            if invariants:
                raise NotImplementedError(WHILE_SHAPE_VARIES.format(k=k, first=first,
                                                                    second=second))
            raise ValueError(WHILE_SHAPE_CHANGED.format(k=k, first=first, second=second))


def _convert_loop(cond, body, loop_vars, tensors, parts, carried, invariants=False):
    """``cond`` and ``body`` closure-converted, taking the loop state and then the values of
    the ``carried`` Variables (reads see those; the body returns their new values)."""
    count = len(tensors)

    def seeded(ts):
        for variable, tensor in zip(carried, ts[count:]):
            TRACE.capture.seed(variable, tensor)
        return _state_from(loop_vars, parts, ts[:count])

    def test(*ts):
        return [jnp.reshape(convert_to_tensor(cond(*seeded(ts)))._value, ())]

    def step(*ts):
        result = body(*seeded(ts))
        out = _flat_state(result)[0]
        if len(out) != count:  # carried values must not shift into the loop state's place
            nest.assert_same_structure(loop_vars, result, check_types=False)
        _check_shapes(tensors, out, invariants)
        return out + [TRACE.capture.read(variable) for variable in carried]
    example = [t._value for t in tensors] + [TRACE.capture.read(v)._value for v in carried]
    return [closure_convert(fn, example) for fn in (test, step)]


def _traced_while(cond, body, loop_vars, maximum_iterations, first=None, invariants=False):
    """The staged loop; ``first`` is the condition's value on ``loop_vars`` if it already ran,
    ``invariants`` whether ``shape_invariants`` were given."""
    if any(_is_tensor_array(x) and x.dynamic_size for x in nest.flatten(loop_vars)) \
            and maximum_iterations is None:
        raise NotImplementedError(
            "A dynamic-size TensorArray carried through a traced tf.while_loop needs "
            "maximum_iterations: it sets how many rows the staged buffer can grow by")
    tensors, parts = _flat_state(loop_vars, maximum_iterations or 0)
    # Variables the body assigns (only inside a function trace) are carried as extra loop state,
    # found by tracing until the body assigns no Variable that is not carried yet.
    carried = []
    while True:
        closures = _convert_loop(cond, body, loop_vars, tensors, parts, carried, invariants)
        if closures[0].written:
            return _condition_after_step(cond, body, loop_vars, maximum_iterations, first,
                                         invariants)
        new = [v for v in closures[1].written if all(v is not w for w in carried)]
        if not new:
            break
        carried += new
    initial = [variable._tapejax_read() for variable in carried]
    closed_over, uses = _merge(closures)
    count = len(tensors) + len(carried)
    static = attrs(cond=closures[0].program, body=closures[1].program, uses=uses,
                   count=count, maximum_iterations=maximum_iterations)
    outputs = apply(_run_while, (*tensors, *initial, *closed_over), static, "While")
    for variable, value in zip(carried, outputs[len(tensors):]):
        TRACE.capture.write(variable, value._value)
    return _state_from(loop_vars, parts, outputs[:len(tensors)])


def loop_predicate(value):
    """A loop condition's value as a scalar bool Tensor."""
    return Tensor(jnp.reshape(convert_to_tensor(value)._value, ()).astype(bool))


def _condition_after_step(cond, body, loop_vars, maximum_iterations, first, invariants):
    """A loop whose condition assigns Variables: the condition runs on entry (unless it already
    ran: ``first``) and at the end of each step, its value carried as a loop variable, so it
    runs once more than the body and sees each step's assignments, as TF runs it."""
    def step(state, go):
        state = body(*state)
        state = state if isinstance(state, (list, tuple)) else [state]
        return state, loop_predicate(cond(*state))
    go = loop_predicate(cond(*loop_vars) if first is None else first)
    state, _ = _traced_while(lambda state, go: go, step, (loop_vars, go), maximum_iterations,
                             invariants=invariants)
    return state


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
        if _is_traced(maximum_iterations):  # a constant that staging made a tracer?
            folded = folded_value(maximum_iterations.__jax_array__())
            if folded is not None:
                maximum_iterations = folded
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
    invariants = shape_invariants is not None
    while True:
        if limit is not None and count >= limit:
            break
        remaining = None if limit is None else limit - count
        if any(_is_traced(x) for x in nest.flatten(loop_vars)):
            return _traced_while(cond, body, loop_vars, remaining, invariants=invariants)
        go = cond(*loop_vars)
        if _is_traced(go):
            return _traced_while(cond, body, loop_vars, remaining, go, invariants)
        if not go:
            break
        loop_vars = body(*loop_vars)
        nest.assert_same_structure(structure, shape_of(loop_vars))
        count += 1
    return nest.map_structure(lambda x: x if _is_tensor_array(x) else convert_to_tensor(x),
                              loop_vars)
