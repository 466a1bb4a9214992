"""``tf.data`` iterators inside ``tapejax.function``: each call consumes fresh elements, as TF's
``IteratorGetNext`` op does, checked against TensorFlow."""
import numpy as np
import pytest

import tapejax
from helpers import assert_same
from tf_oracle import same_error

X = np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32)
Y = np.arange(7)


def _dataset(tf):
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(3)


def keras_loop(tf):
    """Keras 3's TF trainer: a step function on ``iterator.get_next()`` wrapped in an Optional,
    called until OutOfRangeError, one new iterator per epoch; a tape and a Variable inside."""
    w = tf.Variable(np.ones((3, 1), np.float32))

    @tf.function(reduce_retracing=True)
    def one_step(data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.matmul(x, w) - tf.cast(y, tf.float32)[:, None]) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return {"loss": loss, "n": tf.shape(x)[0]}

    @tf.function(reduce_retracing=True)
    def multi_step(iterator):
        return tf.experimental.Optional.from_value(one_step(iterator.get_next()))

    logs = []
    for _ in range(2):
        iterator = iter(_dataset(tf))
        while True:
            try:
                optional = multi_step(iterator)
            except tf.errors.OutOfRangeError:
                break
            assert bool(optional.has_value())
            logs.append(optional.get_value())
    return logs, w.read_value()


def optional_loop(tf):
    """``get_next_as_optional`` in a function: the flag turns False at the end."""
    step = tf.function(lambda it: it.get_next_as_optional())
    iterator = iter(tf.data.Dataset.range(3).map(lambda v: v * 2))
    values = []
    while True:
        optional = step(iterator)
        if not optional.has_value():
            return values, repr(optional.element_spec)
        values.append(optional.get_value())


def closed_over(tf):
    """An iterator the function closes over, two elements per call."""
    iterator = iter(tf.data.Dataset.range(6).map(lambda v: {"v": v}))

    @tf.function
    def pair():
        return iterator.get_next()["v"] + 10 * iterator.get_next()["v"]
    out = [pair(), pair(), pair()]
    with pytest.raises(tf.errors.OutOfRangeError):
        pair()
    return out


def made_inside(tf):
    """An iterator made inside the function starts over on every call (TF's semantics too)."""
    @tf.function
    def first_two():
        it = iter(tf.data.Dataset.range(5))
        return it.get_next() + it.get_next()
    return [first_two(), first_two()]


def array_pipeline(tf, data, batch, map_func=None):
    """Keras's ``ArrayDataAdapter`` pipeline: batches of indices zipped with the whole arrays,
    mapped through ``tf.gather``, options set, prefetched."""
    n = len(data[0])
    indices = tf.data.Dataset.from_tensor_slices(np.arange(n)).batch(batch)
    zipped = tf.data.Dataset.zip((indices, tf.data.Dataset.from_tensors(data).repeat()))
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    grab = map_func or (lambda i, arrays: tuple(tf.gather(a, i, axis=0) for a in arrays))
    return zipped.map(grab, num_parallel_calls=tf.data.AUTOTUNE).with_options(
        options).prefetch(tf.data.AUTOTUNE)


def keras_array_loop(tf):
    """Keras's fit on NumPy arrays: a new pipeline and iterator per epoch, a training step
    on each batch (tapejax runs the pipeline's last map inside the step's program)."""
    w = tf.Variable(np.ones((3, 1), np.float32))
    x = X + np.float32(0.5)
    y = (Y % 2).astype(np.float32)

    @tf.function
    def step(iterator):
        xb, yb = iterator.get_next()
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.matmul(xb, w)[:, 0] - yb) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss, tf.shape(xb)[0]

    logs = []
    for _ in range(3):
        iterator = iter(array_pipeline(tf, (x, y), 3))
        while True:
            try:
                logs.append(step(iterator))
            except tf.errors.OutOfRangeError:
                break
    return logs, w.read_value()


def maps_of_one_shape(tf):
    """Two pipelines alike but for their map function, through one function."""
    f = tf.function(lambda it: it.get_next())
    doubled = iter(tf.data.Dataset.range(6).batch(2).map(lambda v: v * 2))
    tripled = iter(tf.data.Dataset.range(6).batch(2).map(lambda v: v * 3))
    out = [f(doubled), f(tripled), f(doubled), f(tripled)]

    def scaled(k):  # one code object, closures holding different values
        return iter(tf.data.Dataset.range(4).batch(2).map(lambda v: v * k))
    by_default = [iter(tf.data.Dataset.range(4).batch(2).map(lambda v, k=k: v + k))
                  for k in (5, 7)]
    return out + [f(scaled(2)), f(scaled(4)), f(by_default[0]), f(by_default[1])]


def stateful_map(tf):
    """A map reading a Variable and one drawing random numbers (not left to the function)."""
    v = tf.Variable(10, dtype=tf.int64)
    f = tf.function(lambda it: it.get_next())
    iterator = iter(tf.data.Dataset.range(4).map(lambda x: x + v))
    out = [f(iterator), f(iterator)]
    noisy = iter(tf.data.Dataset.range(2).map(lambda x: tf.random.uniform([3]) * 0.0 + 1.0))
    return out + [f(noisy), f(noisy)]


def mixed_consumers(tf):
    """A map returning a dict with a Python number, read through ``get_next_as_optional`` and
    ``get_next`` of two functions, then an iterator read by a function and on the host in
    turns."""
    ds = tf.data.Dataset.range(7).batch(3).map(
        lambda v: {"a": v * 2, "b": tf.cast(v, tf.float32) / 2.0, "c": 5}).prefetch(2)
    iterator = iter(ds)
    optional = tf.function(lambda it: it.get_next_as_optional())
    total = tf.function(lambda it: tf.reduce_sum(it.get_next()["a"]))
    first = optional(iterator)
    out = [first.get_value(), total(iterator), optional(iterator).has_value(),
           optional(iterator).has_value()]
    pairs = iter(tf.data.Dataset.from_tensor_slices(np.arange(10.0, dtype=np.float32)).batch(
        4).map(lambda v: (v, v * v)))
    square = tf.function(lambda it: it.get_next()[1])
    return out + [square(pairs), next(pairs)[0], square(pairs)]


def map_failing_on_last_batch(tf):
    """A map that compiles for the full batches but not for the smaller last one: the call
    meeting it raises the map's own error, as TF's iterator does."""
    pairs = iter(tf.data.Dataset.from_tensor_slices(
        {"x": np.arange(6.0, dtype=np.float32), "y": np.arange(6)}).batch(2).map(
        lambda d: (d["x"] * 2, d["y"] + 1)))
    column = iter(tf.data.Dataset.range(7).batch(3).map(lambda v: tf.reshape(v, [3, 1])))
    f = tf.function(lambda it: it.get_next())
    out = [f(pairs), f(column), f(column)]
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(column)
    return out


def prefetched_bad_element(tf):
    """A prefetched pipeline whose third element cannot be made: the first two calls return
    their elements and the third raises (tapejax makes each next element while the call
    before it runs, and keeps the error for the call that asks for that element)."""
    def values():
        yield np.float32(1.0)
        yield np.float32(2.0)
        yield np.zeros(2, np.float32)  # not the signature's shape
        yield np.float32(4.0)
    ds = tf.data.Dataset.from_generator(
        values, output_signature=tf.TensorSpec([], tf.float32)).prefetch(1)
    f = tf.function(lambda it: it.get_next() * 2.0)
    iterator = iter(ds)
    out = [f(iterator), f(iterator)]
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(iterator)
    return out


@pytest.mark.parametrize("program", [keras_loop, optional_loop, closed_over, made_inside,
                                     keras_array_loop, maps_of_one_shape, stateful_map,
                                     mixed_consumers, map_failing_on_last_batch,
                                     prefetched_bad_element],
                         ids=lambda p: p.__name__)
def test_iterator_in_function_as_tensorflow(real_tf, program):
    ours, theirs = program(tapejax), program(real_tf)
    if isinstance(ours, tuple) and isinstance(ours[-1], str):
        assert ours[-1] == theirs[-1]
        ours, theirs = ours[:-1], theirs[:-1]
    assert_same(ours, theirs)


def test_one_trace_per_element_shape():
    """A new iterator each epoch reuses the trace; the smaller last batch traces once more
    (XLA needs static shapes; TF traces once with a None dimension)."""
    f = tapejax.function(lambda it: tapejax.reduce_sum(it.get_next()[0]))
    for _ in range(3):
        iterator = iter(_dataset(tapejax))
        for _ in range(3):
            f(iterator)
        with pytest.raises(tapejax.errors.OutOfRangeError, match="End of sequence"):
            f(iterator)
    assert f.experimental_get_tracing_count() == 2


def test_last_map_runs_in_the_consuming_function(monkeypatch):
    """The pipeline's last map runs inside the step's program: the host makes no call of it
    per batch, and a new pipeline per epoch with the same map function reuses the step's
    traces (one per batch shape)."""
    from tapejax.data import _dataset
    host_maps = []
    mapped = _dataset._CompiledMap.mapped
    monkeypatch.setattr(_dataset._CompiledMap, "mapped", lambda self, element: (
        host_maps.append(1), mapped(self, element))[1])
    tf = tapejax
    step = tf.function(lambda it: tf.reduce_sum(it.get_next()[0]))
    totals = []
    for _ in range(3):
        iterator = iter(array_pipeline(tf, (X, Y), 3))
        totals.append([float(step(iterator)) for _ in range(3)])
        with pytest.raises(tf.errors.OutOfRangeError):
            step(iterator)
    assert host_maps == []
    assert step.experimental_get_tracing_count() == 2
    expected = [float(X[k:k + 3].sum()) for k in (0, 3, 6)]
    np.testing.assert_allclose(totals, [expected] * 3, rtol=1e-6)
    # the same pipeline iterated on the host maps each batch there
    batches = list(array_pipeline(tf, (X, Y), 3))
    assert len(host_maps) == 3
    np.testing.assert_array_equal(batches[2][1].numpy(), Y[6:])


@pytest.mark.parametrize("prefetch", [False, True])
def test_prefetch_makes_the_next_element_while_the_program_runs(prefetch):
    """With ``prefetch`` in the pipeline, an iterator feeding a function makes its next
    element as soon as a call's program is running (TF's prefetch makes it on a thread of its
    own); without it, only when a call asks. The values are the same either way."""
    made = []

    def values():
        for k in range(4):
            made.append(k)
            yield np.float32(k)
    ds = tapejax.data.Dataset.from_generator(
        values, output_signature=tapejax.TensorSpec([], tapejax.float32))
    iterator = iter(ds.prefetch(1) if prefetch else ds)
    f = tapejax.function(lambda it: it.get_next() + 1.0)
    seen = []
    for _ in range(4):
        seen.append((float(f(iterator)), len(made)))
    with pytest.raises(tapejax.errors.OutOfRangeError):
        f(iterator)
    ahead = 1 if prefetch else 0
    assert seen == [(k + 1.0, min(k + 1 + ahead, 4)) for k in range(4)]


def test_map_compile_check_is_made_once_per_shape(monkeypatch):
    """Whether the last map can run inside the function is checked once per element shape
    of the pipeline, not again for every epoch's new iterator."""
    from tapejax.data import _dataset
    checks = []
    check = _dataset._CompiledMap._check_fusable
    monkeypatch.setattr(_dataset._CompiledMap, "_check_fusable", lambda self, element: (
        checks.append(1), check(self, element))[1])
    step = tapejax.function(lambda it: tapejax.reduce_sum(it.get_next()[0]))
    pipeline = array_pipeline(tapejax, (X, Y), 3)
    for _ in range(3):
        iterator = iter(pipeline)
        for _ in range(3):
            step(iterator)
    assert len(checks) == 2  # batches of 3 and the last one of 1


def _rebuilt_pipelines(tf):
    """The same map code in a new pipeline each time, as Keras builds one per ``fit``: after
    the closure's state changes, a new pipeline maps with the new state (TF traces every
    ``map`` anew)."""
    scale = [2.0]

    def pipeline():
        return tf.data.Dataset.range(3).map(lambda v: tf.cast(v, tf.float32) * scale[0])
    first = [float(v) for v in pipeline()]
    again = [float(v) for v in pipeline()]
    scale[0] = 3.0
    return first, again, [float(v) for v in pipeline()]


def test_a_new_pipeline_maps_with_the_state_of_its_time(real_tf):
    assert _rebuilt_pipelines(tapejax) == _rebuilt_pipelines(real_tf)


def test_an_identical_map_in_a_new_pipeline_compiles_nothing():
    """A new pipeline's map traces anew (TF's semantics) but, when its program is the one an
    earlier pipeline compiled, runs that compiled program."""
    from tapejax import _function_program
    shared = _function_program._SHARED

    def run(k):
        return [int(v) for v in tapejax.data.Dataset.range(4).map(lambda v: v * k)]
    assert run(7) == [0, 7, 14, 21]
    hits = shared.hits
    assert run(7) == [0, 7, 14, 21]
    assert shared.hits == hits + 1
    assert run(5) == [0, 5, 10, 15]  # another constant: another program
    assert shared.hits == hits + 1


def test_new_pipelines_give_no_retracing_warning(real_tf, caplog):
    """A pipeline built anew many times (Keras's per ``fit``) traces its map each time, and
    TF gives no retracing warning for it; neither does tapejax."""
    import logging

    def warnings(lib, logger):
        with caplog.at_level(logging.WARNING, logger=logger):
            before = len(caplog.records)
            for n in range(12):  # a map before the last stage, as Keras's permutation
                ds = lib.data.Dataset.range(1).map(lambda v: v + n).batch(1)
                assert [v.numpy().tolist() for v in ds] == [[n]]
            return [r.getMessage() for r in caplog.records[before:] if "retracing" in
                    r.getMessage()]
    assert warnings(tapejax, "tapejax") == warnings(real_tf, "tensorflow") == []


def test_end_of_sequence_as_tensorflow(real_tf):
    def program(tf):
        f = tf.function(lambda it: it.get_next())
        iterator = iter(tf.data.Dataset.range(1))
        f(iterator)
        f(iterator)
    same_error(real_tf, program)


def test_get_next_in_staged_loop_is_not_implemented():
    iterator = iter(tapejax.data.Dataset.range(5))

    @tapejax.function
    def loop():
        return tapejax.while_loop(lambda i, s: i < 2,
                                  lambda i, s: (i + 1, s + iterator.get_next()),
                                  [tapejax.constant(0), tapejax.constant(0, tapejax.int64)])
    with pytest.raises(NotImplementedError, match=r"`get_next\(\)`.*tf.while_loop"):
        loop()

    @tapejax.function
    def branch(flag):
        return tapejax.cond(flag, lambda: iterator.get_next_as_optional().has_value(),
                            lambda: tapejax.constant(False))
    with pytest.raises(NotImplementedError, match="get_next_as_optional"):
        branch(tapejax.constant(True))


def test_for_over_outside_iterator_is_not_implemented():
    iterator = iter(tapejax.data.Dataset.range(3))

    @tapejax.function
    def total():
        s = tapejax.constant(0, tapejax.int64)
        for v in iterator:
            s += v
        return s
    with pytest.raises(NotImplementedError, match="`for` loop over a tf.data iterator"):
        total()


def test_string_elements_are_not_fed():
    iterator = iter(tapejax.data.Dataset.from_tensor_slices(["a", "b"]))
    f = tapejax.function(lambda it: it.get_next())
    with pytest.raises(NotImplementedError, match="string elements"):
        f(iterator)


def test_optional_leaves_pass_through_a_function(real_tf):
    """Keras's generator adapter yields ``Optional.empty(None)`` for a missing sample weight."""
    results = []
    for lib in (tapejax, real_tf):
        ds = lib.data.Dataset.from_generator(
            lambda lib=lib: iter([(np.float32(2), lib.experimental.Optional.empty(None))] * 2),
            output_signature=(lib.TensorSpec((), lib.float32), lib.OptionalSpec(None)))
        def step(it, lib=lib):
            x, optional = it.get_next()
            return x * 3 if isinstance(optional, lib.experimental.Optional) else x
        f = lib.function(step)
        iterator = iter(ds)
        results.append([f(iterator), f(iterator)])
    assert_same(results[0], results[1])
