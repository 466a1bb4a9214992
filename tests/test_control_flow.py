"""``tf.cond``, ``tf.switch_case`` and ``tf.while_loop``: eager (Python) and traced (lax)."""
import threading

import jax
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, numeric_gradients, same_error

X = np.float32(1.5)
V = np.array([0.5, -1.0, 2.0], np.float32)


def tensor(value):
    return tapejax.Tensor(value)


# --- eager: TF's results and gradients on the same programs -----------------------------------
EAGER = {
    "cond_true": (lambda tf, x: tf.cond(x > 1.0, lambda: x * x, lambda: x + 1.0), X),
    "cond_false": (lambda tf, x: tf.cond(x > 2.0, lambda: x * x, lambda: x + 1.0), X),
    "cond_python_pred": (lambda tf, x: tf.cond(False, lambda: x, lambda: [x * 3.0, x]), X),
    "cond_structure": (lambda tf, x: tf.cond(x < 2.0, lambda: {"a": x, "b": (x * x, 2.0 * x)},
                                             lambda: {"a": x, "b": (x, x)}), X),
    "switch_case": (lambda tf, x: tf.switch_case(tf.constant(1), [lambda: x, lambda: x * x]), X),
    "switch_case_default": (lambda tf, x: tf.switch_case(
        tf.constant(7), [lambda: x, lambda: x * x], default=lambda: -x), X),
    "switch_case_last_when_out_of_range": (lambda tf, x: tf.switch_case(
        tf.constant(-1), [lambda: x, lambda: x * 3.0]), X),
    "switch_case_dict": (lambda tf, x: tf.switch_case(
        tf.constant(0), {1: lambda: x, 0: lambda: x * 5.0}), X),
    "switch_case_pairs": (lambda tf, x: tf.switch_case(
        tf.constant(np.int64(1)), [(1, lambda: x * x * x), (0, lambda: x)]), X),
    "while": (lambda tf, x: tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * x),
                                          (0, 1.0)), X),
    "while_list": (lambda tf, v: tf.while_loop(lambda s: tf.reduce_sum(s) < 10.0,
                                               lambda s: [s * 2.0], [v]), np.abs(V)),
    "while_max_iterations": (lambda tf, x: tf.while_loop(
        lambda i, s: i < 10, lambda i, s: (i + 1, s + x * x), (0, x), maximum_iterations=4), X),
    "while_zero_iterations": (lambda tf, x: tf.while_loop(
        lambda s: s > 100.0, lambda s: (s * x,), (x,)), X),
    "while_dict": (lambda tf, x: tf.while_loop(
        lambda d: d["n"] < 2, lambda d: [{"n": d["n"] + 1, "v": d["v"] * x}],
        [{"n": 0, "v": x}]), X),
}


@pytest.mark.parametrize("case", sorted(EAGER))
def test_eager_matches_tensorflow(real_tf, case):
    fn, *args = EAGER[case]
    compare(real_tf, fn, *args)


def test_eager_cond_runs_only_the_chosen_branch():
    ran = []
    tapejax.cond(tapejax.constant(True), lambda: ran.append("t"), lambda: ran.append("f"))
    assert ran == ["t"]


def test_eager_while_converts_python_values_to_tensors(real_tf):
    ours = tapejax.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    theirs = real_tf.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    assert isinstance(ours, tuple) and type(ours[0]) is tapejax.Tensor
    assert int(ours[0]) == int(theirs[0]) == 3 and ours[0].dtype.name == theirs[0].dtype.name


ERRORS = {
    "cond_missing_true_fn": lambda tf: tf.cond(True, None, lambda: 2),
    "cond_not_callable": lambda tf: tf.cond(True, 1, lambda: 2),
    "cond_vector_pred": lambda tf: tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2),
    "while_cond_not_callable": lambda tf: tf.while_loop(1, lambda i: i, [0]),
    "while_body_not_callable": lambda tf: tf.while_loop(lambda i: True, 1, [0]),
    "while_no_loop_vars": lambda tf: tf.while_loop(lambda: True, lambda: (), []),
    "while_body_not_a_sequence": lambda tf: tf.while_loop(lambda i: i < 10, lambda i: i + 1, [0]),
    "while_structure_changes": (lambda tf: tf.while_loop(
        lambda i: i < 3, lambda i: (i + 1, i), [0]), False),
    "while_list_becomes_tuple": (lambda tf: tf.while_loop(
        lambda i: i < 10, lambda i: (i + 1,), [0], maximum_iterations=3), False),
    "while_vector_limit": lambda tf: tf.while_loop(
        lambda i: i < 3, lambda i: (i + 1,), (0,), maximum_iterations=[3]),
    "switch_python_index": lambda tf: tf.switch_case(1, [lambda: 1, lambda: 2]),
    "switch_float_index": lambda tf: tf.switch_case(tf.constant(1.0), [lambda: 1, lambda: 2]),
    "switch_keys": lambda tf: tf.switch_case(tf.constant(1), {1: lambda: 1, 2: lambda: 2}),
    "switch_empty": lambda tf: tf.switch_case(tf.constant(0), []),
    "switch_entry": lambda tf: tf.switch_case(tf.constant(0), [1, 2]),
    "switch_string": lambda tf: tf.switch_case(tf.constant(0), "ab"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


# --- traced: lax.switch / while_loop / scan, recorded on the tape as one node ------------------
def test_traced_cond_value_and_gradient():
    def f(a, w):
        a, w = tensor(a), tapejax.Variable(w)
        with tapejax.GradientTape() as tape:
            y = tapejax.cond(a > 0, lambda: a * w * w, lambda: a + w)
        return y._value, tape.gradient(y, w)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0), np.float32(3.0)), [18.0, 12.0])
    np.testing.assert_allclose(jax.jit(f)(np.float32(-2.0), np.float32(3.0)), [1.0, 1.0])


def test_traced_cond_gradient_reaches_the_predicate_inputs_only_through_branches():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            y = tapejax.cond(a > 1.0, lambda: tapejax.square(a), lambda: 3.0 * a)
        return tape.gradient(y, a)._value
    assert float(jax.jit(f)(np.float32(2.0))) == 4.0
    assert float(jax.jit(f)(np.float32(0.5))) == 3.0


def test_traced_cond_under_vmap():
    def f(a):
        a = tensor(a)
        return tapejax.cond(a > 0, lambda: a * 2.0, lambda: -a)._value
    np.testing.assert_allclose(jax.vmap(f)(V), [1.0, 1.0, 4.0])


def test_traced_cond_returns_structures():
    def f(a):
        a = tensor(a)
        out = tapejax.cond(a > 0, lambda: {"x": a, "n": (a * 2.0, 1)},
                           lambda: {"x": -a, "n": (a, 2)})
        assert isinstance(out, dict) and isinstance(out["n"], tuple)
        return out["x"]._value, out["n"][0]._value, out["n"][1]._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(-1.0)), [1.0, -1.0, 2.0])


@pytest.mark.parametrize("index, expected", [(0, (2.0, 1.0)), (1, (4.0, 4.0)), (2, (8.0, 12.0)),
                                             (5, (8.0, 12.0)), (-1, (8.0, 12.0))])
def test_traced_switch_case(index, expected):
    def f(idx, a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            y = tapejax.switch_case(tensor(idx), [lambda: a, lambda: a * a, lambda: a * a * a])
        return y._value, tape.gradient(y, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.int32(index), np.float32(2.0)), expected)


def test_traced_while_with_maximum_iterations_is_differentiable():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            i, s = tapejax.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * a),
                                      (0, tapejax.constant(1.0)), maximum_iterations=10)
        return i._value, s._value, tape.gradient(s, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [4, 16.0, 32.0])


def test_traced_while_stops_at_maximum_iterations():
    def f(a):
        i, s = tapejax.while_loop(lambda i, s: s < 1e6, lambda i, s: (i + 1, s * tensor(a)),
                                  (0, tapejax.constant(1.0)), maximum_iterations=3)
        return i._value, s._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [3, 8.0])


def test_traced_while_without_limit_uses_lax_while_loop():
    def f(a):
        a = tensor(a)
        i, s = tapejax.while_loop(lambda i, s: s < 100.0, lambda i, s: (i + 1, s * a),
                                  (0, tapejax.constant(1.0)))
        return i._value, s._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [7, 128.0])
    assert "while" in str(jax.make_jaxpr(f)(np.float32(2.0)))


def test_loop_turns_traced_when_the_condition_does():
    """Concrete loop state but a traced condition: the loop continues as a lax loop."""
    def f(limit):
        limit = tensor(limit)
        (n,) = tapejax.while_loop(lambda n: n < limit, lambda n: (n + 1.0,), (0.0,))
        return n._value
    assert float(jax.jit(f)(np.float32(5.0))) == 5.0


def test_traced_control_flow_matches_tensorflow_function(real_tf):
    """Values and gradients of a traced program equal TF's tf.function on the same program."""
    def program(tf, a, w):
        with tf.GradientTape() as tape:
            tape.watch([a, w])
            _, s = tf.while_loop(lambda i, s: i < 3,
                                 lambda i, s: (i + 1, tf.cond(s > 1.0, lambda: s * w,
                                                              lambda: s + w)),
                                 (0, a), maximum_iterations=5)
            y = tf.switch_case(tf.cast(s > 2.0, tf.int32), [lambda: s, lambda: s * s])
        return (y, *tape.gradient(y, [a, w]))

    a, w = np.float32(0.7), np.float32(1.3)
    theirs = real_tf.function(lambda a, w: program(real_tf, a, w))(real_tf.constant(a),
                                                                   real_tf.constant(w))
    ours = jax.jit(lambda a, w: [t._value for t in program(tapejax, tensor(a), tensor(w))])(a, w)
    np.testing.assert_allclose(ours, [t.numpy() for t in theirs], rtol=1e-5)


def test_second_order_through_traced_cond():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as outer:
            outer.watch(a)
            with tapejax.GradientTape() as inner:
                inner.watch(a)
                y = tapejax.cond(a > 0, lambda: a * a * a, lambda: a)
            dy = inner.gradient(y, a)
        return dy._value, outer.gradient(dy, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [12.0, 12.0])


def test_numerical_gradient_through_eager_control_flow():
    numeric_gradients(lambda tf, x, v: tf.while_loop(
        lambda i, s: i < 3, lambda i, s: (i + 1, tf.cond(tf.reduce_sum(s) > 0.0,
                                                         lambda: s * x, lambda: s - x)),
        (0, v))[1], X, V)


def test_traced_limit_must_be_concrete():
    def f(n):
        return tapejax.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,),
                                  maximum_iterations=tensor(n))[0]._value
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(f)(np.int32(3))


# --- capture by closure conversion: no Tensor is overwritten, no cache holds one ---------------
def test_other_threads_never_see_a_stand_in_for_a_captured_tensor():
    """While one thread traces a cond over ``x``, another reading ``x`` sees its own value."""
    x = tapejax.constant(V)
    original = x._value
    in_branch, checked, seen, done = threading.Event(), threading.Event(), [], []

    def reader():
        while in_branch.wait(10) and not done:
            in_branch.clear()
            seen.append(x._value)
            checked.set()

    def branch():
        in_branch.set()
        checked.wait(5)
        checked.clear()
        return x * 2.0

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        def f(a):
            with tapejax.GradientTape() as tape:
                tape.watch(x)
                y = tapejax.cond(tensor(a) > 0, branch, lambda: x)
            return tape.gradient(y, x)._value
        np.testing.assert_allclose(jax.jit(f)(np.float32(1.0)), [2.0, 2.0, 2.0])
    finally:
        done.append(True)
        in_branch.set()
        thread.join()
    assert seen and all(value is original for value in seen)


def _held(obj, seen=None):
    """Every object reachable from a cache key or entry through containers and jaxprs."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    if isinstance(obj, (tuple, list)):
        children = list(obj)
    elif isinstance(obj, dict):
        children = list(obj.keys()) + list(obj.values())
    elif isinstance(obj, jax.extend.core.ClosedJaxpr):
        children = list(obj.consts) + [p for eqn in obj.jaxpr.eqns for p in eqn.params.values()]
    elif hasattr(obj, "deref"):
        children = [obj.deref()]
    else:
        children = []
    for child in children:
        yield from _held(child, seen)


def _taped_control_flow(a, w0):
    a, w = tensor(a), tapejax.Variable(w0)
    with tapejax.GradientTape() as tape:
        y = tapejax.cond(a > 0, lambda: a * w * w, lambda: a + w)
        _, s = tapejax.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * w + a), (0, y),
                                      maximum_iterations=4)
        z = tapejax.switch_case(tapejax.cast(a, tapejax.int32), [lambda: s, lambda: s * w])
    return [g._value for g in tape.gradient(z, [w, a])]


def test_no_cache_holds_a_tensor_or_tracer_after_a_jit_of_taped_control_flow():
    from tapejax import _backprop, _lazy
    np.testing.assert_allclose(jax.jit(_taped_control_flow)(np.float32(1.0), np.float32(0.5)),
                               jax.jit(_taped_control_flow)(np.float32(1.0), np.float32(0.5)))
    caches = {"gradient": list(_backprop.CACHE.entries),
              "plans": list(_backprop._SELECTIONS.items()),
              "avals": list(_lazy._AVALS), "graphs": list(_lazy._GRAPHS)}
    programs = 0
    for name, entries in caches.items():
        for obj in _held(entries):
            assert not isinstance(obj, (tapejax.Tensor, tapejax.Variable, jax.core.Tracer)), name
            assert getattr(obj, "__module__", None) != __name__, (name, obj)  # the branches
            if isinstance(obj, jax.extend.core.ClosedJaxpr) and not obj.consts:
                programs += 1
    assert programs >= 5  # two cond branches, the loop's condition and body, two cases


def test_branches_are_traced_once_per_construct(real_tf):
    """Python side effects of a branch run once per trace, as in TF's graph building."""
    def count(lib):
        calls = []

        @lib.function
        def f(x):
            def branch(k):
                return lambda: calls.append(k) or x * float(k)
            y = lib.cond(x > 0, branch(1), branch(2))
            return lib.while_loop(lambda s: calls.append("c") or s < 10.0,
                                  lambda s: calls.append("b") or (s * 2.0,), (y,))
        f(lib.constant(1.5))
        f(lib.constant(2.5))
        return sorted(map(str, calls))
    assert count(tapejax) == count(real_tf)


def _captured_gradients(tf, mode):
    """Gradients w.r.t. Variables and tensors that cond, while_loop and switch_case close over."""
    v = tf.Variable(np.array([0.5, -1.0, 2.0], np.float32))
    u = tf.Variable(1.25)

    def step(x, k):
        with tf.GradientTape() as tape:
            tape.watch(x)
            h = x * 2.0  # a tensor computed outside the branches, captured by them
            y = tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.reduce_sum(v * h * x) * u,
                        lambda: tf.reduce_sum(v - h))
            _, s = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * u + v * x),
                                 (0, h), maximum_iterations=5)
            z = tf.switch_case(k, [lambda: tf.reduce_sum(s) * u, lambda: y * tf.reduce_sum(v),
                                   lambda: tf.reduce_sum(h * s)])
            total = y + z
        return [total] + tape.gradient(total, [v, u, x, h])

    if mode == "function":
        step = tf.function(step)
    results = []
    for x, k in ((V, 0), (-V, 1), (V, 2), (V, 7)):
        args = (tf.constant(x), tf.constant(k))
        if mode == "jit":
            results.append(jax.jit(lambda x, k: [None if t is None else t._value
                                                 for t in step(tensor(x), tensor(k))])(
                x, np.int32(k)))
        else:
            results.append([None if t is None else t.numpy() for t in step(*args)])
    return results


@pytest.mark.parametrize("mode", ["eager", "function", "jit"])
def test_gradients_wrt_captured_variables_and_tensors_match_tensorflow(real_tf, mode):
    theirs = _captured_gradients(real_tf, "function" if mode == "jit" else mode)
    ours = _captured_gradients(tapejax, mode)
    for a, b in zip(ours, theirs):
        assert [x is None for x in a] == [y is None for y in b]
        for x, y in zip(a, b):
            if y is not None:
                np.testing.assert_allclose(np.asarray(x), y, rtol=1e-5, atol=1e-6)


def _assigning_branches(tf):
    v, w = tf.Variable(1.0), tf.Variable(10.0)

    @tf.function
    def f(x):
        y = tf.cond(x > 0, lambda: v.assign_add(x) * 2.0, lambda: w.assign(x) * 3.0)
        z = tf.switch_case(tf.cast(x, tf.int32), [
            lambda: v.read_value(),
            lambda: tf.cond(x > 1.5, lambda: w.assign_add(1.0), lambda: w.read_value())])
        return y, z, v.read_value(), w.read_value()
    return [[float(t) for t in f(tf.constant(x))] + [float(v.numpy()), float(w.numpy())]
            for x in (2.0, -1.0, 1.0, 0.5)]


def test_branches_assigning_variables_in_a_function_match_tensorflow(real_tf):
    assert _assigning_branches(tapejax) == _assigning_branches(real_tf)


def _assigning_loop(tf):
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        return tf.while_loop(lambda s: s < x, lambda s: (s + v.assign_add(1.0),), (0.0,))
    return [(float(f(tf.constant(x))[0]), float(v.numpy())) for x in (3.0, 10.0, -1.0)]


def test_assigning_inside_a_traced_while_loop_matches_tensorflow(real_tf):
    """The body's assignments are carried through the loop: each step reads the new value."""
    assert _assigning_loop(tapejax) == _assigning_loop(real_tf)


def test_traced_while_folds_a_constant_maximum_iterations(real_tf):
    """Keras's RNN passes ``maximum_iterations=tf.reduce_max(steps)``: staged in a function, a
    constant TF's graph folds; tapejax folds it too, so the loop stays differentiable."""
    def program(tf, a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            limit = tf.reduce_max(3) + tf.shape(a)[0] - 2
            _, s = tf.while_loop(lambda i, s: True, lambda i, s: (i + 1, s * a),
                                 (0, tf.ones_like(a)), maximum_iterations=limit)
        return s, tape.gradient(s, a)
    a = np.array([0.5, 2.0], np.float32)
    theirs = real_tf.function(lambda a: program(real_tf, a))(real_tf.constant(a))
    ours = tapejax.function(lambda a: program(tapejax, a))(tapejax.constant(a))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)


def test_traced_while_with_input_dependent_maximum_iterations_raises():
    @tapejax.function
    def f(a):
        return tapejax.while_loop(lambda i: True, lambda i: (i + 1,), (0,),
                                  maximum_iterations=tapejax.cast(a[0], tapejax.int32))
    with pytest.raises(TypeError, match="'maximum_iterations' must be a concrete value"):
        f(tapejax.constant([3.0]))


@pytest.mark.parametrize("dynamic", [False, True])
def test_traced_while_carries_tensor_arrays(real_tf, dynamic):
    """Keras's RNN carries TensorArrays (read one step, write the output) through the loop."""
    def program(tf, x, w):
        with tf.GradientTape() as tape:
            tape.watch(w)
            steps = tf.shape(x)[0]
            inputs = tf.TensorArray(tf.float32, size=4).unstack(x)
            outputs = tf.TensorArray(tf.float32, size=0 if dynamic else 4, dynamic_size=dynamic,
                                     element_shape=[3])

            def body(t, out, h):
                h = tf.tanh(inputs.read(t) * w + h)
                return t + 1, out.write(t, h), h
            _, out, h = tf.while_loop(lambda t, *_: t < steps, body,
                                      (tf.constant(0), outputs, tf.zeros([3])),
                                      maximum_iterations=tf.reduce_max(4))
            stacked = out.stack()
            loss = tf.reduce_sum(stacked)
        return stacked, h, tape.gradient(loss, w)
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    w = np.float32(0.7)
    theirs = real_tf.function(lambda x, w: program(real_tf, x, w))(real_tf.constant(x),
                                                                   real_tf.constant(w))
    ours = tapejax.function(lambda x, w: program(tapejax, x, w))(tapejax.constant(x),
                                                                 tapejax.constant(w))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-5)
