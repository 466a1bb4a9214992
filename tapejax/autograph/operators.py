"""AutoGraph's operators for tapejax: Python control flow on tensors staged as ``tf.cond`` and
``tf.while_loop``, as TF's AutoGraph stages them (names and arguments are the converter's).

A statement is staged when its predicate (or iterated value) is a traced tensor, or, for a
``for`` over a tensor, when the code runs inside a ``tapejax.function`` trace; otherwise it runs
as plain Python, exactly as the unconverted code would. The converter passes the symbols a block
changes as ``get_state``/``set_state`` closures; staged blocks take and return them as loop
variables or branch outputs and are checked with TF's rules (shape and dtype kept by a loop,
defined in both branches), with TF's messages.
"""
import contextlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from malt.operators import variables as ag_variables

from .. import data, nest
from .._capture import TRACE, _BranchCapture
from .._recording import STACK, paused
from ..debugging import Assert
from ..ops import array_ops, math_ops
from ..ops.control_flow_ops import _is_traced, _traced_while, cond, loop_predicate, while_loop
from ..printing import print_ as tf_print
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..tensor_array import TensorArray

RETURN_IN_LOOP = ("a return statement cannot be placed inside this TensorFlow loop; this may "
                  "happen if a return statement depends on a static Python condition such as a "
                  "hyperparameter")
SHAPE_CHANGED = ("'{name}' has shape {first} before the loop, but shape {second} after one "
                 "iteration. Use tf.autograph.experimental.set_loop_options to set shape "
                 "invariants.")
SHAPE_VARIES = ("'{name}' has shape {first} before the loop, but shape {second} after one "
                "iteration. shape_invariants allow that in TF, but tapejax stages the loop with "
                "XLA, where a loop variable keeps its shape; pad it to a fixed shape or use a "
                "tf.TensorArray.")
DTYPE_CHANGED = "'{name}' has dtype {first} before the loop, but dtype {second} after one iteration"
UNDEFINED_BEFORE_LOOP = "'{name}' must be defined before the loop."
DYNAMIC_TENSOR_ARRAY = (
    "A TensorArray with dynamic_size=True can grow only in a staged loop with a static number "
    "of iterations and no break or return (JAX arrays have static shapes): iterate over a "
    "tf.range with Python bounds or a tensor, give the array a size, or bound the loop with "
    "tf.autograph.experimental.set_loop_options(maximum_iterations=...)")
BRANCH_UNDEFINED = "'{name}' must also be initialized in the {branch} branch"
BRANCH_DTYPE = ("'{name}' has dtype {first} in the main branch, but dtype {second} in the else "
                "branch")
BRANCH_SHAPE = ("'{name}' has shape {first} in the main branch, but shape {second} in the else "
                "branch")
BRANCH_STRUCTURE = ("'{name}' must have the same nested structure in the main and else "
                    "branches")
NONE_IN_BRANCH = "'{name}' is None at the end of the {branch} branch."
RETURN_IN_ONE_BRANCH = "the {branch} branch must also have a return statement."
_TYPES_LINK = ("\nSee https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/"
               "autograph/g3doc/reference/limitations.md#consistency-of-control-flow-types for "
               "more info.")
WHILE_BECAME_TENSOR = (
    "The condition of while loop started as non-Tensor, then changed to Tensor. This may "
    "happen either because variables changed type, or when a break or return statement inside "
    "the loop depends on a Tensor condition. In both cases, changing to a TF loop should remove "
    "the error." + _TYPES_LINK)
BREAK_IN_PYTHON_FOR = (
    "break and return statements which depend on a TF condition are not supported in Python "
    "for loops. Did you intend to make it a TF loop?" + _TYPES_LINK)


def _in_graph():
    return TRACE.capture is not None


def _tensor_like(x):
    return isinstance(x, TensorLike)


class TracedRange:
    """``tf.range(start, limit, delta)`` with traced bounds, as a ``for`` loop iterates it.

    JAX arrays have static shapes, so the range itself is never built: ``for_stmt`` loops over
    its indices. It is made only where building the range would fail (a traced bound).
    """

    def __init__(self, start, limit, delta, dtype):
        self.start, self.limit, self.delta, self.dtype = start, limit, delta, dtype


def _range_dtype(values, dtype):
    if dtype is not None:
        return dtype
    order = ["int32", "int64", "float32", "float64"]
    found = [convert_to_tensor(v).dtype for v in values]
    return max(found, key=lambda d: order.index(d.name) if d.name in order else 0)


def make_range(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range`` in converted code: a ``TracedRange`` when a bound is computed from the
    traced function's inputs."""
    if limit is None:
        start, limit = 0, start
    if not any(_is_traced(v) for v in (start, limit, delta)):
        return array_ops.range(start, limit, delta, dtype=dtype, name=name)
    try:  # bounds the trace knows (``tf.shape(x)[0]``): the range itself, usable as a tensor
        return array_ops.range(start, limit, delta, dtype=dtype, name=name)
    except NotImplementedError:  # computed from the inputs: only a loop can iterate it
        pass
    dtype = _range_dtype((start, limit, delta), dtype)
    start, limit = (math_ops.cast(convert_to_tensor(v), dtype) for v in (start, limit))
    if not _is_traced(delta):  # a constant step stays one: its sign picks the loop test
        delta = convert_to_tensor(np.asarray(delta.numpy() if _tensor_like(delta) else delta,
                                             dtype.as_numpy_dtype))
    return TracedRange(start, limit, math_ops.cast(convert_to_tensor(delta), dtype), dtype)


# --- loop state ---------------------------------------------------------------------------------
_TENSOR = object()  # marks a state leaf carried as one tensor


def _fresh(values):
    """``values`` with each TensorArray copied, so a staged block never mutates the original."""
    return tuple(nest.map_structure(
        lambda x: x._copy() if isinstance(x, TensorArray) else x, v) for v in values)


def _pack(values, grow=0):
    """The tensors a staged construct carries for a state tuple, and how to rebuild it:
    tensors (Python numbers converted, as TF), TensorArrays as their buffer (``grow`` more rows
    for a dynamic-size one); other Python values stay as they are."""
    tensors, specs = [], []
    for value in values:
        kinds = []
        for leaf in nest.flatten(value):
            if isinstance(leaf, TensorArray):
                parts = leaf._loop_parts(grow)
                tensors.extend(parts)
                kinds.append((leaf, len(parts)))
            elif isinstance(leaf, (TensorLike, bool, int, float, np.ndarray, np.generic)):
                tensors.append(convert_to_tensor(leaf))
                kinds.append(_TENSOR)
            else:
                kinds.append((leaf,))
        specs.append((value, kinds))
    return tensors, specs


def _leaf(kind, it):
    if kind is _TENSOR:
        return next(it)
    if len(kind) == 2:
        return kind[0]._from_loop_parts([next(it) for _ in range(kind[1])])
    return kind[0]


def _unpack(specs, tensors):
    it = iter(tensors)
    out = []
    for value, kinds in specs:
        leaves = [_leaf(k, it) for k in kinds]
        out.append(nest.pack_sequence_as(value, leaves) if nest.is_nested(value)
                   else leaves[0])
    return tuple(out)


def _check_loop_entry(names, values):
    for name, value in zip(names, values):
        if isinstance(value, ag_variables.UndefinedReturnValue):
            raise NotImplementedError(RETURN_IN_LOOP)
        if isinstance(value, ag_variables.Undefined):
            raise ValueError(UNDEFINED_BEFORE_LOOP.format(name=name))


def _needs_probe(values):
    return any(isinstance(v, ag_variables.Undefined) or
               (isinstance(v, TensorArray) and v._buffer is None and
                not v.element_shape.is_fully_defined())
               for v in values)


def _probe(body, get_state, set_state, init, extra):
    """Runs the body once abstractly (``jax.eval_shape``, tapes paused) and fills in what the
    loop cannot start without, as TF does: zeros for a variable first defined in the loop,
    the element shape of a TensorArray first written in the loop."""
    after = []

    def once(*arrays):
        set_state(_fresh(init))
        body(tuple(Tensor(a) for a in arrays))
        after.append(tuple(get_state()))
        return 0
    with paused(), _writes_kept_apart():  # a probe assigns nothing
        jax.eval_shape(once, *[jax.ShapeDtypeStruct(t.shape, t.dtype.as_numpy_dtype)
                               for t in extra])
    filled = []
    for before, later in zip(init, after[0]):
        if isinstance(before, ag_variables.Undefined) and isinstance(later, TensorLike):
            before = array_ops.zeros(later.shape, later.dtype)
        elif isinstance(before, TensorArray) and isinstance(later, TensorArray):
            before = before._copy()
            before._element_shape = later.element_shape
        filled.append(before)
    return tuple(filled)


def _check_loop_step(names, before, after, invariants):
    """TF's checks after one step; a shape change that ``shape_invariants`` allow in TF cannot
    be staged (``NotImplementedError``)."""
    for name, b, a in zip(names, before, after):
        for x, y in zip(nest.flatten(b), nest.flatten(a)):
            if isinstance(x, TensorArray) or not _tensor_like(x):
                continue
            y = convert_to_tensor(y)
            if invariants and x.dtype == y.dtype and tuple(x.shape) != tuple(y.shape):
                raise NotImplementedError(
                    SHAPE_VARIES.format(name=name, first=x.shape, second=y.shape))
            _check_same(name, x, y, DTYPE_CHANGED, SHAPE_CHANGED)


def _check_same(name, x, y, dtype_message, shape_message):
    """TF's checks between two values of one variable: dtype (TypeError), shape (ValueError)."""
    if x.dtype != y.dtype:
        raise TypeError(dtype_message.format(name=name, first=x.dtype.name, second=y.dtype.name))
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(shape_message.format(name=name, first=x.shape, second=y.shape))


def _maximum_iterations(opts):
    loop_opts = (opts or {})
    limit = loop_opts.get("maximum_iterations")
    if limit is None or isinstance(limit, (int, np.integer)):
        return limit
    if _is_traced(limit):
        raise TypeError("set_loop_options(maximum_iterations=...) must be a Python int or a "
                        "concrete tensor: it sets the length of the staged loop")
    return int(convert_to_tensor(limit).numpy())


def _staged_loop(test, body, get_state, set_state, names, opts, extra=(), has_break=True,
                 exact=False, first=None):
    """Runs ``while test(): body()`` as one staged loop over the converter's state.

    ``extra`` are leading loop variables the caller threads through ``test``/``body`` (the
    index of a ``for``); ``test(extra)`` and ``body(extra)`` return the new ``extra``.
    ``first`` is the value ``test`` already gave on the current state, if it ran.
    """
    init = tuple(get_state())
    if any(isinstance(v, ag_variables.UndefinedReturnValue) for v in init):
        raise NotImplementedError(RETURN_IN_LOOP)
    if _needs_probe(init):
        init = _probe(body, get_state, set_state, init, extra)
    _check_loop_entry(names, init)
    limit = _maximum_iterations(opts)
    if any(isinstance(v, TensorArray) and v.dynamic_size for v in nest.flatten(list(init))) \
            and (limit is None or has_break):
        raise NotImplementedError(DYNAMIC_TENSOR_ARRAY)
    tensors, specs = _pack(init, grow=limit or 0)
    before = _unpack(specs, tensors)
    n_extra = len(extra)

    def loop_test(*values):
        set_state(_unpack(specs, values[n_extra:]))
        return test(tuple(values[:n_extra]))

    def loop_body(*values):
        set_state(_unpack(specs, values[n_extra:]))
        new_extra = body(tuple(values[:n_extra]))
        new_state = tuple(get_state())
        _check_loop_step(names, before, new_state, bool((opts or {}).get("shape_invariants")))
        new_tensors, _ = _pack(new_state)
        return tuple(new_extra) + tuple(new_tensors)

    final = _run_loop(loop_test, loop_body, tuple(extra) + tuple(tensors), limit, exact, first)
    set_state(_unpack(specs, tuple(final)[n_extra:]))


def _direct():
    """True when no tape records inside this trace (the usual case in a function): blocks are
    staged with ``lax`` directly, each traced once. Under a recording tape they go through
    ``tf.cond``/``tf.while_loop``, which record one node for the tape."""
    return not STACK.tapes


@contextlib.contextmanager
def _writes_kept_apart():
    """Inside a function trace, a branch capture over the function's for the block staged in
    it: reads go through, Variable assignments stay in it (they are values of the block's own
    JAX trace). Yields it, or None outside a function trace."""
    parent = TRACE.capture
    if parent is None:
        yield None
        return
    layer = _BranchCapture(parent)
    TRACE.capture = layer
    try:
        yield layer
    finally:
        TRACE.capture = parent


def _apart(fn, writes):
    """``fn`` with its Variable assignments kept apart; appends to ``writes`` if it made any."""
    def run():
        with _writes_kept_apart() as layer:
            out = fn()
        if layer is not None and layer.written:
            writes.append(True)
        return out
    return run


def _arrays(tensors):
    return [convert_to_tensor(t)._value for t in tensors]


def _scalar_bool(value):
    return loop_predicate(value)._value


class _ConditionAssigns(Exception):
    """Raised while staging a loop whose condition assigns a Variable."""


def _run_loop(loop_test, loop_body, init, limit, exact, first=None):
    """The final loop variables: ``lax.while_loop`` (no bound), ``lax.fori_loop`` with static
    bounds (``exact``: the loop runs ``limit`` times) or a ``lax.scan`` of ``limit`` guarded
    steps; the last two are reverse-differentiable.

    Variables the body assigns are carried as extra loop variables after the others (found by
    staging again until no assigned Variable is left out) and assigned their final values.
    A condition that assigns runs at the end of each step instead (``_condition_after_step``).
    ``first`` is the condition's value on ``init`` if it already ran."""
    if not _direct():
        if first is not None:
            return _traced_while(loop_test, loop_body, init, limit, first)
        return while_loop(loop_test, loop_body, init, maximum_iterations=limit)
    try:
        return _run_direct(loop_test, loop_body, init, limit, exact)
    except _ConditionAssigns:
        return _condition_after_step(loop_test, loop_body, init, limit, first)


def _condition_after_step(loop_test, loop_body, init, limit, first):
    """As ``control_flow_ops._condition_after_step``, over the converter's flat state."""
    def body(*values):
        out = tuple(loop_body(*values[:-1]))
        return out + (loop_predicate(loop_test(*out)),)
    go = loop_predicate(loop_test(*init) if first is None else first)
    return _run_direct(lambda *values: values[-1], body, tuple(init) + (go,), limit,
                       False)[:-1]


def _run_direct(loop_test, loop_body, init, limit, exact):
    count = len(init)
    carried = []

    def seed(layer, arrays):  # each staged call starts from the carried values alone
        layer.values.clear()
        for variable, array in zip(carried, arrays[count:]):
            layer.seed(variable, Tensor(array))

    def keep_going(arrays):
        layer = TRACE.capture
        if layer is None:
            return _scalar_bool(loop_test(*[Tensor(a) for a in arrays]))
        seed(layer, arrays)
        before = dict(layer.values)
        go = _scalar_bool(loop_test(*[Tensor(a) for a in arrays[:count]]))
        if any(layer.values.get(k) is not before.get(k) for k in layer.written):
            raise _ConditionAssigns
        return go

    def step(arrays):
        layer = TRACE.capture
        if layer is None:
            return _arrays(loop_body(*[Tensor(a) for a in arrays]))
        seed(layer, arrays)
        out = _arrays(loop_body(*[Tensor(a) for a in arrays[:count]]))
        return out + [layer.read(variable)._value for variable in carried]

    state = _arrays(init)
    while True:
        with _writes_kept_apart() as layer:
            values = state + [variable._tapejax_read()._value for variable in carried]
            final = _lax_loop(keep_going, step, values, limit, exact)
        new = [] if layer is None else [
            v for v in layer.written.values() if all(v is not w for w in carried)]
        if not new:
            break
        carried += new
    for variable, value in zip(carried, final[count:]):
        TRACE.capture.write(variable, value)
    return [Tensor(a) for a in final[:count]]


def _lax_loop(keep_going, step, state, limit, exact):
    if limit is None:
        final = lax.while_loop(keep_going, step, state)
    elif exact:  # the first loop variable is the step count: fori_loop's own counter
        def counted(j, arrays):
            return step([j.astype(state[0].dtype)] + list(arrays))[1:]
        final = [state[0] + limit] + list(lax.fori_loop(0, limit, counted, state[1:]))
    else:
        def guarded(carry, _):
            arrays, done = carry
            go = jnp.logical_and(jnp.logical_not(done), keep_going(arrays))
            arrays = lax.cond(go, step, list, arrays)
            return (arrays, jnp.logical_not(go)), None
        (final, _), _ = lax.scan(guarded, (state, jnp.asarray(False)), None, length=limit)
    return final


def while_stmt(test, body, get_state, set_state, symbol_names, opts):
    """A ``while`` loop: Python while the condition is a Python value or a concrete tensor,
    a ``tf.while_loop`` from the first traced condition on."""
    go = test()
    if _is_traced(go):
        _staged_loop(lambda extra: test(), lambda extra: body() or (), get_state, set_state,
                     symbol_names, opts, first=go)
        return
    while go:
        body()
        go = test()
        if _is_traced(go):
            raise NotImplementedError(WHILE_BECAME_TENSOR)


FOR_OVER_ITERATOR = ("tapejax.function: a `for` loop over a tf.data iterator made outside the "
                     "function is not supported (TF stages it as a loop whose length is not "
                     "known when tracing); loop over the dataset, or call `get_next()` a fixed "
                     "number of times")


def for_stmt(iter_, extra_test, body, get_state, set_state, symbol_names, opts):
    """A ``for`` loop: a ``tf.while_loop`` over a traced range or (inside a function) a tensor's
    rows; a Python loop over anything else (a ``tf.data.Dataset`` yields host batches)."""
    if isinstance(iter_, TracedRange):
        _range_loop(iter_, extra_test, body, get_state, set_state, symbol_names, opts)
    elif _tensor_like(iter_) and (_is_traced(iter_) or _in_graph()):
        _tensor_loop(convert_to_tensor(iter_), extra_test, body, get_state, set_state,
                     symbol_names, opts)
    else:
        if isinstance(iter_, data.Iterator) and iter_._fed_in_trace():
            raise NotImplementedError(FOR_OVER_ITERATOR)
        if isinstance(iter_, data.Dataset) or not _tensor_like(iter_):
            iterator = iter(iter_)
        else:
            iterator = iter(convert_to_tensor(iter_))
        for target in iterator:
            if extra_test is not None:
                go = extra_test()
                if _is_traced(go):
                    raise NotImplementedError(BREAK_IN_PYTHON_FOR)
                if not go:
                    break
            body(target)


def _range_loop(rng, extra_test, body, get_state, set_state, names, opts):
    start, limit, delta = rng.start, rng.limit, rng.delta
    sign = None if _is_traced(delta) else np.sign(delta.numpy())

    def test(extra):
        (i,) = extra
        if sign is None:
            inside = math_ops.logical_or(math_ops.logical_and(delta > 0, i < limit),
                                         math_ops.logical_and(delta < 0, i > limit))
        else:
            inside = i < limit if sign > 0 else i > limit
        return inside if extra_test is None else math_ops.logical_and(inside, extra_test())

    def step(extra):
        (i,) = extra
        body(i)
        return (i + delta,)

    _staged_loop(test, step, get_state, set_state, names, opts, extra=(start,),
                 has_break=extra_test is not None)


def _tensor_loop(tensor, extra_test, body, get_state, set_state, names, opts):
    if tensor.shape.rank == 0:
        raise TypeError("Cannot iterate over a scalar tensor.")
    n = tensor.shape[0]
    opts = dict(opts or {})
    limit = _maximum_iterations(opts)
    opts["maximum_iterations"] = n if limit is None else min(n, limit)

    def test(extra):
        inside = extra[0] < n
        return inside if extra_test is None else math_ops.logical_and(inside, extra_test())

    def step(extra):
        body(array_ops.gather(tensor, extra[0]))
        return (extra[0] + 1,)

    _staged_loop(test, step, get_state, set_state, names, opts,
                 extra=(convert_to_tensor(np.int32(0)),), has_break=extra_test is not None,
                 exact=extra_test is None)


# --- conditionals -------------------------------------------------------------------------------
def _branch_outputs(values, names, branch):
    for name, value in zip(names, values):
        if isinstance(value, ag_variables.Undefined):
            raise ValueError(BRANCH_UNDEFINED.format(name=name, branch=branch))
        if isinstance(value, ag_variables.UndefinedReturnValue):
            raise ValueError(RETURN_IN_ONE_BRANCH.format(branch=branch))
        if value is None:
            raise ValueError(NONE_IN_BRANCH.format(name=name, branch=branch))
    return values


def _check_branches(names, main, other):
    for name, a, b in zip(names, main, other):
        try:
            nest.assert_same_structure(a, b)
        except (TypeError, ValueError):
            raise TypeError(BRANCH_STRUCTURE.format(name=name)) from None
        for x, y in zip(nest.flatten(a), nest.flatten(b)):
            if isinstance(x, TensorArray) or isinstance(y, TensorArray):
                continue
            x, y = _as_checked(x), _as_checked(y)
            if x is not None and y is not None:
                _check_same(name, x, y, BRANCH_DTYPE, BRANCH_SHAPE)


def _as_checked(x):
    if isinstance(x, (TensorLike, bool, int, float, np.ndarray, np.generic)):
        return convert_to_tensor(x)
    return None


def if_stmt(cond_value, body, orelse, get_state, set_state, symbol_names, nouts):
    """An ``if`` statement: ``tf.cond`` on a traced predicate, Python ``if`` otherwise."""
    if not _is_traced(cond_value):
        return body() if cond_value else orelse()
    init = tuple(get_state())
    names = tuple(symbol_names)[:nouts]
    results, layout = {}, []

    def branch(fn, label):
        def run():
            set_state(_fresh(init))
            fn()
            values = _branch_outputs(tuple(get_state())[:nouts], names, label)
            other = results.get("else" if label == "main" else "main")
            if other is not None:
                main, rest = (values, other) if label == "main" else (other, values)
                _check_branches(names, main, rest)
            results[label] = values
            tensors, specs = _pack(values)
            layout[:] = [specs]
            return tuple(tensors) if tensors else (convert_to_tensor(np.int32(0)),)
        return run

    final = None
    if _direct():
        writes = []
        final = [Tensor(a) for a in lax.cond(
            _scalar_bool(cond_value), _apart(lambda: _arrays(branch(body, "main")()), writes),
            _apart(lambda: _arrays(branch(orelse, "else")()), writes))]
        if writes:  # staged again: tf.cond carries the assigned Variables out of its branches
            final = None
            results.clear()
    if final is None:
        final = cond(cond_value, branch(body, "main"), branch(orelse, "else"))
    outputs = _unpack(layout[0], tuple(final)) if nouts else ()
    set_state(outputs + init[nouts:])


def if_exp(cond_value, if_true, if_false, expr_repr):
    """``a if c else b``: ``tf.cond`` on a traced predicate."""
    if not _is_traced(cond_value):
        return if_true() if cond_value else if_false()
    if not _direct():
        return cond(cond_value, if_true, if_false)
    layout = []

    def run(fn):
        def staged():
            tensors, specs = _pack((fn(),))
            layout[:] = [specs]
            return _arrays(tensors)
        return staged
    writes = []
    arrays = lax.cond(_scalar_bool(cond_value), _apart(run(if_true), writes),
                      _apart(run(if_false), writes))
    if writes:  # staged again: tf.cond carries the assigned Variables out of its branches
        return cond(cond_value, if_true, if_false)
    return _unpack(layout[0], [Tensor(a) for a in arrays])[0]


# --- logical operators, builtins, assert ---------------------------------------------------------
def not_(a):
    return math_ops.logical_not(a) if _tensor_like(a) else not a


def and_(a, b):
    a_val = a()
    if _tensor_like(a_val):
        return math_ops.logical_and(a_val, convert_to_tensor(b()))
    return a_val and b()


def or_(a, b):
    a_val = a()
    if _tensor_like(a_val):
        return math_ops.logical_or(a_val, convert_to_tensor(b()))
    return a_val or b()


def assert_stmt(expression1, expression2):
    """``assert`` (with the ASSERT_STATEMENTS feature): ``tf.debugging.Assert`` on a tensor."""
    if not callable(expression2):
        raise ValueError(f"{expression2} must be a callable")
    if _tensor_like(expression1):
        return Assert(expression1, [expression2()])
    assert expression1, expression2()
    return None


def print_(*objects, **kwargs):
    """``print`` (with the BUILTIN_FUNCTIONS feature): ``tf.print`` when a tensor is printed."""
    if any(_tensor_like(x) for x in nest.flatten(list(objects))):
        unsupported = set(kwargs) - {"sep", "end", "file"}
        if unsupported:
            raise ValueError(f"invalid keyword arguments: {sorted(unsupported)}")
        return tf_print(*objects, sep=kwargs.get("sep", " "), end=kwargs.get("end", "\n"),
                        output_stream=kwargs.get("file") or sys.stdout)
    return print(*objects, **kwargs)

