"""tapejax.function: tracing rules, Variable state, tapes across calls, errors, against real TF."""
import logging
import re
import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tapejax as tf
from helpers import assert_same

function_module = sys.modules["tapejax.function"]


def _data(seed=0, n=16, d_in=4, d_out=3):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d_in)).astype(np.float32),
            rng.standard_normal((n, d_out)).astype(np.float32),
            rng.standard_normal((d_in, d_out)).astype(np.float32) * 0.1)


def _sequence_counts(lib, calls, **options):
    """Tracing counts after each call of the same call sequence, in ``lib``."""
    @lib.function(**options)
    def f(x, n=1):
        return x * n
    counts = []
    for args in calls:
        f(*[lib.constant(a) if isinstance(a, np.ndarray) else a for a in args])
        counts.append(f.experimental_get_tracing_count())
    return counts


# --- tracing rules ------------------------------------------------------------------------
def test_same_shapes_trace_once_new_shape_traces_again():
    traces = []

    @tf.function
    def f(x):
        traces.append(1)  # Python side effects run at trace time only
        return x * 2.0

    for _ in range(3):
        f(tf.ones([2]))
    assert f.experimental_get_tracing_count() == 1 and len(traces) == 1
    f(tf.ones([3]))
    assert f.experimental_get_tracing_count() == 2 and len(traces) == 2
    f(tf.ones([2], tf.float64))
    assert f.experimental_get_tracing_count() == 3


def test_input_signature_traces_once_for_any_batch():
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):
        return tf.reduce_sum(x, axis=1)

    for n in (1, 2, 5):
        assert_same(f(tf.ones([n, 3])), tf.constant(np.full([n], 3.0, np.float32)))
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("calls", [
    [(np.ones(2, np.float32),), (np.ones(2, np.float32),), (np.ones(3, np.float32),)],
    [(np.ones(2, np.float32), 2), (np.ones(2, np.float32), 3), (np.ones(2, np.float32), 2)],
    [(np.ones(2, np.float32), 1), (np.ones(2, np.float32),), (np.ones(2, np.float32), 1.0)],
    [(np.ones(2, np.float32),), (np.ones(2, np.float64),), (np.ones([2, 1], np.float32),)],
])
def test_trace_counts_match_tf(real_tf, calls):
    assert _sequence_counts(tf, calls) == _sequence_counts(real_tf, calls)


def test_reduce_retracing_counts_match_tf(real_tf):
    calls = [(np.ones(n, np.float32),) for n in (2, 3, 4, 5)] + [(np.ones([2, 2], np.float32),)]
    ours = _sequence_counts(tf, calls, reduce_retracing=True)
    assert ours == _sequence_counts(real_tf, calls, reduce_retracing=True)


def test_keyword_and_default_arguments_share_a_trace():
    @tf.function
    def f(x, n=2, *, scale=1.0):
        return x * n * scale

    x = tf.ones([2])
    f(x)
    f(x, 2)
    f(x, n=2)
    f(n=2, x=x, scale=1.0)
    assert f.experimental_get_tracing_count() == 1
    assert_same(f(x, scale=3.0), tf.constant([6.0, 6.0]))
    assert f.experimental_get_tracing_count() == 2


def _varargs_results(lib):
    """Values, tracing counts and a binding error of functions taking ``*args``, in ``lib``."""
    @lib.function
    def total(*xs):
        return sum(xs[1:], xs[0])

    @lib.function
    def first(x, *rest):
        return x * len(rest)

    one, two = lib.constant([1.0, 2.0]), lib.constant([3.0, 4.0])
    out = [total(one).numpy().tolist(), total(one, two).numpy().tolist(),
           total(two, one).numpy().tolist(), total.experimental_get_tracing_count(),
           first(one, 5, 6).numpy().tolist(), first(one, 5, 7).numpy().tolist(),
           first.experimental_get_tracing_count()]
    try:
        first()
    except TypeError as error:
        out.append(str(error).splitlines()[0])
    return out


def test_functions_taking_varargs_trace_and_bind_as_tf(real_tf):
    """``*args`` calls skip the signature binding but keep TF's keys (a Python value in the
    varargs is part of the key) and its binding error for a missing positional argument."""
    assert _varargs_results(tf) == _varargs_results(real_tf)


def test_numpy_arguments_are_traced_as_tensors():
    @tf.function
    def f(x):
        return x + 1

    assert_same(f(np.ones(3, np.float32)), tf.constant([2.0, 2.0, 2.0]))
    assert_same(f(np.zeros(3, np.float32)), tf.constant([1.0, 1.0, 1.0]))
    assert f.experimental_get_tracing_count() == 1


def test_outputs_keep_structure_and_python_values():
    @tf.function
    def f(x):
        return {"double": x * 2, "pair": (x, None), "count": 3}

    out = f(tf.constant(1.0))
    assert_same(out["double"], tf.constant(2.0))
    assert out["pair"][1] is None
    assert_same(out["count"], tf.constant(3))  # TF returns Python numbers as tensors


def test_get_concrete_function_with_specs():
    @tf.function
    def f(x, n):
        return x * n

    cf = f.get_concrete_function(tf.TensorSpec([2], tf.float32), 3)
    assert f.experimental_get_tracing_count() == 1
    assert_same(cf(tf.ones([2])), tf.constant([3.0, 3.0]))
    assert f.experimental_get_tracing_count() == 1
    assert isinstance(cf.structured_outputs, tf.TensorSpec)
    assert cf.structured_input_signature[0][0] == tf.TensorSpec([2], tf.float32, name="x")  # as TF
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        cf(tf.ones([2]), 4)


def test_excessive_retracing_warns_as_tf(real_tf, caplog):
    def warned_calls(lib, logger):
        @lib.function
        def f(x):
            return x

        when = []
        with caplog.at_level(logging.WARNING, logger=logger):
            for n in range(12):
                before = len(caplog.records)
                f(lib.ones([n + 1]) if n % 3 else lib.ones([1]))
                if any("triggered tf.function retracing" in r.getMessage()
                       for r in caplog.records[before:]):
                    when.append(n)
        return when, [r.getMessage() for r in caplog.records]

    ours, messages = warned_calls(tf, "tapejax")
    assert ours == warned_calls(real_tf, "tensorflow")[0] == [5, 7]
    assert messages[0].startswith("5 out of the last 6 calls to <function ")
    assert messages[0].endswith("https://www.tensorflow.org/api_docs/python/tf/function for  "
                                "more details.")


def test_trace_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(function_module, "CACHE_SIZE", 4)

    @tf.function
    def f(x, k):
        return x + k

    for k in range(10):
        f(tf.constant(1.0), k)
    assert len(f._fast.entries) <= 4
    assert sum(len(c) for c in f._concrete.values()) <= 4
    assert f.experimental_get_tracing_count() == 10


# --- Variables ----------------------------------------------------------------------------
def _train(lib, steps, compiled, data):
    x, y, w0 = data
    w = lib.Variable(w0)
    b = lib.Variable(np.zeros(w0.shape[1], np.float32))
    xs, ys = lib.constant(x), lib.constant(y)

    def step(x, y):
        with lib.GradientTape() as tape:
            loss = lib.reduce_mean(lib.square(lib.matmul(x, w) + b - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
        return loss

    step = lib.function(step) if compiled else step
    for _ in range(steps):
        loss = step(xs, ys)
    return w, b, loss, step


def test_training_loop_matches_tf_function_and_eager(real_tf):
    data = _data()
    w, b, loss, step = _train(tf, 200, True, data)
    tw, tb, tloss, _ = _train(real_tf, 200, True, data)
    ew, eb, eloss, _ = _train(tf, 200, False, data)
    assert step.experimental_get_tracing_count() == 1
    for ours, theirs in ((w, tw), (b, tb), (loss, tloss), (w, ew), (b, eb), (loss, eloss)):
        assert_same(ours.read_value() if hasattr(ours, "assign") else ours,
                    theirs.read_value() if hasattr(theirs, "assign") else theirs,
                    rtol=1e-4, atol=1e-5)


def test_variable_buffers_are_donated_unless_held():
    w = tf.Variable(np.ones(4, np.float32))

    @tf.function
    def bump():
        w.assign_add(tf.ones([4]))

    bump()
    trace = next(iter(bump._fast.entries.values()))
    assert trace.donating._cache_size() == 1 and trace.plain._cache_size() == 0
    held = w.read_value()  # a user-visible value must survive later calls (TF semantics)
    bump()
    assert trace.plain._cache_size() == 1
    np.testing.assert_array_equal(held.numpy(), np.full(4, 2.0, np.float32))
    np.testing.assert_array_equal(w.numpy(), np.full(4, 3.0, np.float32))


def test_donation_check_counts_references_as_this_interpreter_does():
    """``_donation.only_holder`` reads CPython's reference counts: a call's argument adds
    exactly one reference (the caller's stack slot is moved into the callee, not copied), and
    ``sys.getrefcount`` one more. If an interpreter counts otherwise, donation would delete a
    buffer the user still holds, or never happen: this test fails first."""
    from tapejax._donation import only_holder

    class Holder:  # stands for the Variable: its slot holds the Tensor
        pass

    def fresh():
        holder = Holder()
        holder._stored = tf.constant(np.ones(3, np.float32))
        return holder

    # computed outside ``assert``: pytest's rewriting keeps the parts of an asserted expression
    lone = sys.getrefcount(object())  # only getrefcount's argument
    holder = fresh()
    in_slot = sys.getrefcount(holder._stored)  # the slot and the argument
    reads = [holder._stored]  # as ``_Trace.run`` reads: the slot and ``reads``
    alone = only_holder(reads[0], 4)
    extra = reads[0]  # a user's reference to the Tensor
    tensor_held = only_holder(reads[0], 4)
    del extra
    array = reads[0]._value  # a user's reference to the array
    array_held = only_holder(reads[0], 4)
    del array
    again = only_holder(reads[0], 4)
    assert (lone, in_slot, alone, tensor_held, array_held, again) == (1, 2, True, False, False,
                                                                      True)


def test_variables_read_assigned_created_shared():
    read_only = tf.Variable(2.0)
    write_only = tf.Variable(0.0)
    shared = tf.Variable(1.0)

    @tf.function
    def f(x):
        write_only.assign(x * read_only)
        shared.assign_add(1.0)
        return read_only * x

    @tf.function
    def g():
        shared.assign(shared * 10.0)
        return shared.read_value()

    assert_same(f(tf.constant(3.0)), tf.constant(6.0))
    assert (read_only.numpy(), write_only.numpy(), shared.numpy()) == (2.0, 6.0, 2.0)
    read_only.assign(5.0)  # eager changes are seen by the compiled function (not frozen)
    assert_same(f(tf.constant(1.0)), tf.constant(5.0))
    assert write_only.numpy() == 5.0
    assert_same(g(), tf.constant(30.0))
    f(tf.constant(1.0))
    assert shared.numpy() == 31.0
    assert f.experimental_get_tracing_count() == 1


def test_variables_created_on_first_call_as_tf(real_tf):
    def make(lib):
        class Dense:
            def __init__(self):
                self.w = None
                self.traces = 0

            @lib.function
            def __call__(self, x):
                self.traces += 1
                if self.w is None:
                    self.w = lib.Variable(lib.ones([x.shape[-1], 2]) * 0.5)
                self.w.assign_add(lib.ones([x.shape[-1], 2]))
                return lib.matmul(x, self.w)
        return Dense()

    ours, theirs = make(tf), make(real_tf)
    for _ in range(3):
        assert_same(ours(tf.ones([1, 3])), theirs(real_tf.ones([1, 3])))
    assert ours.traces == theirs.traces
    assert ours.__call__.experimental_get_tracing_count() == \
        theirs.__call__.experimental_get_tracing_count()
    assert_same(ours.w.read_value(), theirs.w.read_value())


def test_module_variables_via_self_and_separate_instances():
    class Counter:
        def __init__(self, start):
            self.v = tf.Variable(start)

        @tf.function
        def add(self, x):
            self.v.assign_add(x)
            return self.v.read_value()

    a, b = Counter(1.0), Counter(10.0)
    a.add(tf.constant(1.0))
    b.add(tf.constant(2.0))
    a.add(tf.constant(1.0))
    assert (a.v.numpy(), b.v.numpy()) == (3.0, 12.0)
    assert a.add.experimental_get_tracing_count() == 1
    assert a.add is a.add and a.add is not b.add


def test_method_of_a_class_without_weak_references():
    class Slotted:
        __slots__ = ("v",)

        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function
        def double(self):
            self.v.assign(self.v * 2.0)
            return self.v.read_value()

    s = Slotted()
    s.double()
    assert_same(s.double(), tf.constant(4.0))


def test_variables_passed_as_arguments_share_a_trace(real_tf):
    def run(lib):
        @lib.function
        def bump(v, by):
            v.assign_add(by)
            return v.read_value()

        v1, v2 = lib.Variable(1.0), lib.Variable(5.0)
        out = [bump(v1, lib.constant(1.0)), bump(v2, lib.constant(2.0))]
        return out, v1.numpy(), v2.numpy(), bump.experimental_get_tracing_count()

    ours, theirs = run(tf), run(real_tf)
    assert_same(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def test_concurrent_calls_from_threads():
    total = tf.Variable(0.0)

    @tf.function
    def add(x):
        total.assign_add(x)
        return x * 2.0

    results = []

    def worker(k):
        for _ in range(50):
            results.append(float(add(tf.constant(float(k)))))

    threads = [threading.Thread(target=worker, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert total.numpy() == 150.0
    assert sorted(set(results)) == [2.0, 4.0]
    assert add.experimental_get_tracing_count() == 1


def test_variable_first_read_inside_a_nested_jax_trace():
    w = tf.Variable(2.0)

    @tf.function
    def f(x):
        branch = jax.lax.cond(x._value > 0, lambda a: (tf.Tensor(a) * w)._value,
                              lambda a: a, x._value)
        return tf.Tensor(branch) + w

    assert_same(f(tf.constant(3.0)), tf.constant(8.0))
    w.assign(10.0)
    assert_same(f(tf.constant(3.0)), tf.constant(40.0))
    assert_same(f(tf.constant(-3.0)), tf.constant(7.0))


def test_integer_variables_and_numpy_inside(real_tf):
    steps = tf.Variable(0)

    @tf.function
    def count():
        steps.assign_add(1)
        return steps.read_value()

    count()
    assert_same(count(), tf.constant(2))
    for lib in (tf, real_tf):
        v = lib.Variable(1.0)
        with pytest.raises(NotImplementedError):
            lib.function(lambda: v.numpy(), autograph=False)()


def test_method_with_input_signature():
    class Scale:
        def __init__(self):
            self.k = tf.Variable(3.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.k

    s = Scale()
    assert_same(s(tf.ones([2])), tf.constant([3.0, 3.0]))
    assert_same(s([1.0, 2.0, 3.0]), tf.constant([3.0, 6.0, 9.0]))
    assert s.__call__.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="Binding inputs"):
        s(tf.ones([2, 2]))


def test_get_concrete_function_creating_variables():
    made = []

    @tf.function
    def f(x):
        if not made:
            made.append(tf.Variable(tf.ones([2])))
        return x * made[0]

    cf = f.get_concrete_function(tf.TensorSpec([2], tf.float32))
    assert_same(cf(tf.constant([2.0, 3.0])), tf.constant([2.0, 3.0]))

    late = []

    @tf.function
    def g(x):
        if not late:
            late.append(tf.Variable(x * 2.0))
        return x

    with pytest.raises(ValueError, match="depends on an argument given as a TensorSpec"):
        g.get_concrete_function(tf.TensorSpec([2], tf.float32))


def test_nested_functions_and_trace_counts():
    @tf.function
    def inner(x):
        return x * 2.0

    @tf.function
    def outer(x):
        return inner(x) + inner(x + 1.0)

    assert_same(outer(tf.constant(1.0)), tf.constant(6.0))
    outer(tf.constant(2.0))
    assert outer.experimental_get_tracing_count() == 1
    assert inner.experimental_get_tracing_count() == 1


# --- tapes and functions ------------------------------------------------------------------
def test_outer_tape_differentiates_through_a_call(real_tf):
    x0, y0, w0 = _data(1)

    def run(lib):
        w = lib.Variable(w0)

        @lib.function
        def loss_fn(x, y):
            return lib.reduce_sum(lib.square(lib.tanh(lib.matmul(x, w)) - y))

        x = lib.constant(x0)
        with lib.GradientTape() as tape:
            tape.watch(x)
            loss = loss_fn(x, lib.constant(y0))
        return tape.gradient(loss, [w, x])

    assert_same(run(tf), run(real_tf), rtol=1e-4, atol=1e-5)


def test_outer_tape_sees_no_gradient_through_assignments(real_tf):
    def run(lib):
        v = lib.Variable(1.0)

        @lib.function
        def f(x):
            v.assign(x * 3.0)
            return v * 1.0 + x

        x = lib.constant(2.0)
        with lib.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    assert_same(run(tf), run(real_tf))


def test_second_order_through_a_call(real_tf):
    def run(lib):
        @lib.function
        def first(x):
            with lib.GradientTape() as inner:
                inner.watch(x)
                y = x * x * x
            return inner.gradient(y, x)

        x = lib.constant([1.0, 2.0])
        with lib.GradientTape() as outer:
            outer.watch(x)
            dy = first(x)
        return dy, outer.gradient(dy, x)

    assert_same(run(tf), run(real_tf))


def test_inner_tape_watch_variable_with_watch_accessed_false():
    v = tf.Variable(3.0)

    @tf.function
    def f():
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(v)
            y = v * v
        return tape.gradient(y, v)

    assert_same(f(), tf.constant(6.0))


def test_function_reuses_the_eager_gradient_cache():
    tf.config.clear_gradient_cache()
    data = _data(2)
    _train(tf, 1, False, data)
    misses = tf.config.gradient_cache_info()["misses"]
    _train(tf, 1, True, data)
    info = tf.config.gradient_cache_info()
    assert info["misses"] == misses and info["hits"] >= 1


def test_jit_of_function_with_assignments_raises():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        v.assign_add(x)
        return x

    with pytest.raises(RuntimeError, match="assigns Variables"):
        jax.jit(lambda a: f(tf.Tensor(a))._value)(jnp.float32(1.0))


# --- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["if", "while"])
def test_python_control_flow_on_traced_tensor(real_tf, kind):
    def body(lib):
        def f(x):
            if kind == "if":
                if x > 0:
                    return x
                return -x
            while x > 0:
                x = x - 1.0
            return x
        return lib.function(f, autograph=False)

    with pytest.raises(real_tf.errors.OperatorNotAllowedInGraphError):
        body(real_tf)(real_tf.constant(1.0))
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError) as info:
        body(tf)(tf.constant(1.0))
    assert isinstance(info.value, TypeError)
    assert "tf.cond" in str(info.value) and "tf.while_loop" in str(info.value)
    assert "ConcretizationTypeError" not in str(info.value)


def test_python_scalar_of_traced_tensor_is_type_error(real_tf):
    with pytest.raises(TypeError, match="float()"):
        real_tf.function(lambda x: float(x), autograph=False)(real_tf.constant(1.0))
    with pytest.raises(TypeError, match="float()"):
        tf.function(lambda x: float(x))(tf.constant(1.0))


def test_concretization_inside_jax_code_is_explained():
    @tf.function
    def f(x):
        return jnp.zeros(int(jnp.sum(x._value)))

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="tf.cond"):
        f(tf.ones([2]))


def test_creating_variables_on_later_calls(real_tf):
    for lib in (tf, real_tf):
        made = []

        @lib.function
        def later(x):
            if x.shape.rank == 1 and not made:
                made.append(lib.Variable(1.0))
            return x

        later(lib.constant(1.0))
        with pytest.raises(ValueError, match="Creating variables on a non-first call"):
            later(lib.constant([1.0]))

        @lib.function
        def always(x):
            return lib.Variable(1.0) + x

        with pytest.raises(ValueError, match="only supports singleton tf.Variables"):
            always(lib.constant(1.0))


@pytest.mark.parametrize("bad", [
    lambda lib: lib.ones([2, 4]),
    lambda lib: lib.ones([2, 3], lib.float64),
    lambda lib: "text",
])
def test_wrong_input_signature_is_type_error(real_tf, bad):
    for lib in (tf, real_tf):
        f = lib.function(lambda x: x, input_signature=[lib.TensorSpec([None, 3], lib.float32)])
        with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
            f(bad(lib))


def test_input_signature_converts_python_and_numpy(real_tf):
    for value in ([[1.0, 2.0, 3.0]], np.ones((2, 3), np.float64)):
        outs = []
        for lib in (tf, real_tf):
            f = lib.function(lambda x: x * 2, input_signature=[lib.TensorSpec([None, 3])])
            outs.append(f(value))
        assert_same(*outs)


def test_invalid_input_signature(real_tf):
    for lib in (tf, real_tf):
        with pytest.raises(TypeError, match="input_signature must be a possibly nested"):
            lib.function(lambda x: x, input_signature=[1])


# --- tf.print -----------------------------------------------------------------------------
def test_print_runs_each_call_not_at_trace_time(capsys):
    @tf.function
    def f(x):
        tf.print("x is", x)
        return x

    f(tf.constant(1.0))
    f(tf.constant(2.5))
    assert capsys.readouterr().err == "x is 1\nx is 2.5\n"


@pytest.mark.parametrize("make", [
    lambda lib: (lib.constant([1.5, 2.0, 3.25]), "hi", 3, lib.constant(7)),
    lambda lib: (lib.reshape(lib.range(100), [10, 10]),),
    lambda lib: (lib.reshape(lib.range(80), [10, 2, 4]),),
    lambda lib: (lib.constant([np.nan, np.inf, -np.inf, -0.0, 1e-8, 123456789.0]),),
    lambda lib: (lib.constant(1 / 3), lib.constant(0.1, lib.float64), lib.constant([True, False])),
    lambda lib: (["a", 1, lib.constant(2.5)], {"b": lib.constant(1), "a": "s"}, None),
])
def test_print_format_matches_tf(real_tf, capfd, make):
    real_tf.print(*make(real_tf))
    theirs = capfd.readouterr().err
    tf.print(*make(tf))
    assert capfd.readouterr().err == theirs


def test_print_summarize_and_separators(real_tf, capfd):
    real_tf.print(real_tf.range(10), real_tf.range(3), summarize=2, sep="|", end="!\n")
    theirs = capfd.readouterr().err
    tf.print(tf.range(10), tf.range(3), summarize=2, sep="|", end="!\n")
    assert capfd.readouterr().err == theirs
    tf.print(tf.range(10), summarize=-1, output_stream=sys.stdout)
    assert capfd.readouterr().out == "[0 1 2 3 4 5 6 7 8 9]\n"


# --- the "tf.function" guide: leaking tensors, Python side effects, retracing ------------------
def _leak(lib):
    """The guide's ``leaky_function``: a tensor of the trace stored in a Python global."""
    box = {}

    @lib.function
    def leaky_function(a):
        box["x"] = a + 1  # Bad: leaks a tensor of the trace
        return a + 2
    assert int(leaky_function(lib.constant(1))) == 3
    return box["x"]


def _outcome(fn):
    try:
        fn()
    except Exception as error:  # the class and message are what is compared
        return type(error).__name__, str(error)
    return None, None


LEAK_USES = {
    "numpy": lambda lib, x: x.numpy(),
    "eager_op": lambda lib, x: x + 1,
    "tf_op": lambda lib, x: lib.add(x, 1),
    "captured_by_another_function": lambda lib, x: lib.function(lambda b: b + x)(lib.constant(2)),
    "numpy_conversion": lambda lib, x: np.asarray(x),
    "bool": lambda lib, x: bool(x),
}


@pytest.mark.parametrize("use", sorted(LEAK_USES))
def test_leaked_tensor_used_outside_its_function_raises_as_tf(real_tf, use):
    (ours, our_text), (theirs, their_text) = [
        _outcome(lambda: LEAK_USES[use](lib, _leak(lib))) for lib in (tf, real_tf)]
    assert ours == theirs and ours is not None
    if "out of scope" in their_text:  # TF names the graph tensor (<tf.Tensor 'add:0' ...>)
        assert our_text.split(">", 1)[1] == their_text.split(">", 1)[1].split("\n\n")[0]
    elif ours == "AttributeError":
        assert our_text == their_text


def test_leaked_shape_and_dtype_stay_readable(real_tf):
    for lib in (tf, real_tf):
        x = _leak(lib)
        assert x.shape.as_list() == [] and x.dtype.name == "int32"


def _side_effects(lib):
    """The guide's side-effect patterns: what runs at trace time and what runs per call."""
    traced, external = [], []

    @lib.function
    def f(x):
        traced.append(x.dtype.name)  # Python side effect: once per trace
        return x

    @lib.function
    def side_effect(x):
        external.append(x)

    @lib.function
    def buggy_consume_next(iterator):
        return lib.constant(next(iterator))  # the iterator is read once, at trace time

    for x in (lib.constant(1), lib.constant(2), lib.constant([1, 2])):
        f(x)
    for _ in range(3):
        side_effect(1)
    iterator = iter([1, 2, 3])
    values = [int(buggy_consume_next(iterator)) for _ in range(3)]
    return traced, len(external), values, f.experimental_get_tracing_count()


def test_python_side_effects_follow_tracing_as_in_tf(real_tf):
    assert _side_effects(tf) == _side_effects(real_tf)


def _retracing(lib):
    """The guide's retracing rules: a trace per dtype, per Python value, not per tensor value."""
    @lib.function
    def double(a):
        return a + a

    @lib.function
    def f(x):
        return x
    counts = []
    for a in (lib.constant(1), lib.constant(1.1), lib.constant(2)):
        double(a)
        counts.append(double.experimental_get_tracing_count())
    for x in (1, 1, 2, lib.constant(1), lib.constant(2)):
        f(x)
        counts.append(f.experimental_get_tracing_count())
    return counts


def test_retracing_counts_follow_the_guide(real_tf):
    assert _retracing(tf) == _retracing(real_tf)


# --- methods with input_signature, get_concrete_function and concrete-function calls ----------
def _binding_cases(lib):
    """Calls of a tf.function method with an input_signature, of its concrete functions and of a
    plain function's concrete function, as ``name -> thunk``."""
    class Model(lib.Module):
        def __init__(self):
            self.v = lib.Variable(2.0)

        @lib.function(input_signature=[lib.TensorSpec([None], lib.float32)])
        def scale(self, x):
            return x * self.v

        @lib.function
        def shift(self, x, y=1.0):
            return x * self.v + y

    @lib.function
    def add(a, b):
        return a + b

    m = Model()
    vec = lib.constant([1.0, 2.0])
    no_args = m.scale.get_concrete_function()
    shifted = m.shift.get_concrete_function(lib.TensorSpec([2], lib.float32))
    both = m.shift.get_concrete_function(lib.TensorSpec([2], lib.float32),
                                         y=lib.TensorSpec([], lib.float32))
    pair = add.get_concrete_function(lib.TensorSpec([], lib.float32),
                                     lib.TensorSpec([], lib.float32))
    one, two = lib.constant(1.0), lib.constant(2.0)
    return {
        "method": lambda: m.scale(vec),
        "method_keyword": lambda: m.scale(x=vec),
        "method_python_list": lambda: m.scale([1.0, 2.0]),
        "method_wrong_dtype": lambda: m.scale(lib.constant([1, 2])),
        "method_too_many": lambda: m.scale(vec, vec),
        "method_unknown_keyword": lambda: m.shift(vec, z=1.0),
        "method_missing": lambda: m.shift(),
        "no_args_signature": lambda: no_args.structured_input_signature,
        "no_args_call": lambda: no_args(lib.constant([1.0, 2.0, 3.0])),
        "no_args_call_keyword": lambda: no_args(x=lib.constant([1.0, 2.0, 3.0])),
        "spec_keyword_signature": lambda: m.scale.get_concrete_function(
            x=lib.TensorSpec([None], lib.float32)).structured_input_signature,
        "tensor_signature": lambda: m.scale.get_concrete_function(vec).structured_input_signature,
        "nested_names": lambda: lib.function(lambda x, d: x[0] + d["k"]).get_concrete_function(
            [lib.TensorSpec([]), lib.TensorSpec([])],
            {"k": lib.TensorSpec([])}).structured_input_signature,
        "own_name_kept": lambda: lib.function(lambda x: x).get_concrete_function(
            lib.TensorSpec([], name="mine")).structured_input_signature,
        "literal_signature": lambda: shifted.structured_input_signature,
        "literal_omitted": lambda: shifted(vec),
        "literal_keyword_tensor": lambda: shifted(x=vec),
        "literal_same": lambda: shifted(vec, 1.0),
        "literal_different": lambda: shifted(vec, 2.0),
        "literal_keyword_different": lambda: shifted(vec, y=2.0),
        "literal_too_many": lambda: shifted(vec, 1.0, 3),
        "literal_none": lambda: shifted(),
        "specs_positional": lambda: both(vec, lib.constant(3.0)),
        "specs_keyword": lambda: both(vec, y=lib.constant(3.0)),
        "specs_python_value": lambda: both(vec, 3.0),
        "specs_missing": lambda: both(vec),
        "specs_unknown_keyword": lambda: both(vec, z=lib.constant(3.0)),
        "keywords_any_order": lambda: pair(b=one, a=two),
        "duplicate_argument": lambda: pair(one, a=two),
        "missing_argument": lambda: pair(one),
        "wrong_dtype": lambda: pair(lib.constant(1), lib.constant(2)),
        "python_numbers": lambda: pair(1, 2),
        "string": lambda: pair("a", 2),
    }


def _first_line(text):
    text = re.sub(r"__inference_(\w+?)_\d+", r"__inference_\1_N", text.split("\n")[0])
    return text.split(" [Op:")[0]


def test_method_signature_and_concrete_function_binding_as_tf(real_tf):
    ours, theirs = _binding_cases(tf), _binding_cases(real_tf)
    for name in theirs:
        results = []
        for lib_cases in (ours, theirs):
            try:
                results.append(("value", lib_cases[name]()))
            except Exception as error:  # class and message are compared
                results.append((type(error).__name__, _first_line(str(error))))
        (kind, ours_out), (their_kind, theirs_out) = results
        assert kind == their_kind, (name, ours_out, theirs_out)
        if kind != "value":
            # TF infers a (None,) output shape symbolically where tapejax knows the traced one
            if "TensorSpec(shape=(None,)" in theirs_out.split(" -> ")[-1]:
                ours_out, theirs_out = ours_out.split(" -> ")[0], theirs_out.split(" -> ")[0]
            assert ours_out == theirs_out, name
        elif isinstance(theirs_out, tuple):
            assert repr(ours_out) == repr(theirs_out), name
        else:
            np.testing.assert_allclose(ours_out.numpy(), theirs_out.numpy(), err_msg=name)


def test_constant_outputs_come_back_from_the_host():
    """Outputs that are constants of the program (a literal, a captured tensor) keep their
    values and dtypes, come from the host rather than from the run, and a tape through the
    call still differentiates the other outputs."""
    captured = tf.constant([1.0, 2.0])

    @tf.function
    def f(x):
        return x * 2.0, tf.constant(True), captured, tf.constant(3, tf.int64)

    x = tf.constant([1.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, flag, c, n = f(x)
        loss = tf.reduce_sum(y * c)
    assert bool(flag) and flag.dtype == tf.bool
    assert c.numpy().tolist() == [1.0, 2.0] and n.dtype == tf.int64 and int(n) == 3
    assert tape.gradient(loss, x).numpy().tolist() == [2.0, 4.0]
    trace, = f.get_concrete_function(x)._traces.values()
    assert [k for k, _ in trace.constant_outputs] == [1, 2, 3]
