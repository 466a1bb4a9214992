"""TF's ``IndexedSlices`` gradients (issue #14): a tape's gradient w.r.t. the params of
``gather``/``embedding_lookup``/``sparse_read`` is sparse exactly where TF's is (axis 0, no
batch dimensions, every use a row read), with TF's values, indices order, dense_shape and
dtypes. Each program runs under TF and tapejax; the suite runs it with lazy recording on
and off (``TAPEJAX_LAZY_TAPE=0``).
"""
import re

import numpy as np
import pytest

import tapejax

_TABLE = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def _describe(g):
    """A gradient as plain data: its kind, and its parts' values and dtypes."""
    if g is None:
        return None
    if isinstance(g, (list, tuple)):
        return [_describe(x) for x in g]
    if type(g).__name__ == "IndexedSlices":
        shape = None if g.dense_shape is None else (g.dense_shape.numpy().tolist(),
                                                     g.dense_shape.dtype.name)
        return ("IndexedSlices", g.values.numpy().tolist(), g.values.dtype.name,
                g.indices.numpy().tolist(), g.indices.dtype.name, shape)
    if hasattr(g, "numpy"):
        return ("Tensor", np.asarray(g.numpy()).tolist(), g.dtype.name)
    return g


def _close(ours, theirs):
    if isinstance(theirs, (list, tuple)) and isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _close(a, b)
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6), (ours, theirs)
    else:
        assert ours == theirs, (ours, theirs)


def _same(real_tf, program):
    theirs = _describe(program(real_tf))
    ours = _describe(program(tapejax))
    _close(ours, theirs)
    return ours


def _grad(body, sources=None, **kwargs):
    """A program: ``body(tf, v)`` under a tape, its gradient w.r.t. ``sources(v)`` (else v)."""
    def program(tf):
        v = tf.Variable(_TABLE)
        with tf.GradientTape() as tape:
            y = body(tf, v)
        return tape.gradient(y, v if sources is None else sources(v), **kwargs)
    return program


_SUM = "reduce_sum"
CASES = {
    "gather": lambda tf, v: tf.reduce_sum(tf.gather(v, [2, 0, 2]) * [[1.0, 2.0]]),
    "embedding_lookup": lambda tf, v: tf.reduce_sum(tf.nn.embedding_lookup(v, [2, 0, 2])),
    "embedding_lookup_max_norm": lambda tf, v: tf.reduce_sum(
        tf.nn.embedding_lookup(v, [1, 2], max_norm=3.0) ** 2),
    "sparse_read": lambda tf, v: tf.reduce_sum(v.sparse_read([2, 0, 2]) ** 2),
    "scalar_index": lambda tf, v: tf.reduce_sum(tf.gather(v, 1) * 3.0),
    "matrix_indices": lambda tf, v: tf.reduce_sum(tf.gather(v, [[1, 0], [2, 2]])),
    "int64_indices": lambda tf, v: tf.reduce_sum(
        tf.gather(v, tf.constant([1, 0], tf.int64))),
    "empty_indices": lambda tf, v: tf.reduce_sum(tf.gather(v, tf.constant([], tf.int32))),
    "axis_tensor_0": lambda tf, v: tf.reduce_sum(tf.gather(v, [1], axis=tf.constant(0))),
    "batch_dims_0": lambda tf, v: tf.reduce_sum(tf.gather(v, [1], batch_dims=0)),
    "two_gathers": lambda tf, v: (tf.reduce_sum(tf.gather(v, [1]))
                                  + tf.reduce_sum(tf.gather(v, [0, 0]) * 3.0)),
    "three_gathers_order": lambda tf, v: (tf.reduce_sum(tf.gather(v, [2]) * 3.0)
                                          + tf.reduce_sum(tf.gather(v, [1]))
                                          + tf.reduce_sum(tf.gather(v, [0]) * 2.0)),
    "mixed_index_dtypes": lambda tf, v: (tf.reduce_sum(tf.gather(v, [1]))
                                         + tf.reduce_sum(tf.gather(v, tf.constant([0], tf.int64)))),
    "indices_from_params": lambda tf, v: tf.reduce_sum(tf.gather(v, tf.argmax(v, axis=0))),
    "chained_gathers": lambda tf, v: tf.reduce_sum(
        tf.gather(v, [1]) * tf.reduce_sum(tf.gather(v, [2]))),
    "gather_of_gather": lambda tf, v: tf.reduce_sum(tf.gather(tf.gather(v, [2, 1]), [1])),
    "through_identity": lambda tf, v: tf.reduce_sum(tf.gather(tf.identity(v), [1])),
    "through_cast": lambda tf, v: tf.reduce_sum(tf.gather(tf.cast(v, tf.float64), [1])),
    "read_value": lambda tf, v: tf.reduce_sum(tf.gather(v.read_value(), [1])),
    "convert_to_tensor": lambda tf, v: tf.reduce_sum(tf.gather(tf.convert_to_tensor(v), [1])),
    "gather_output_is_target": lambda tf, v: tf.gather(v, [0]),
    # TF's dense cases
    "gather_and_dense_use": lambda tf, v: (tf.reduce_sum(tf.gather(v, [2, 0, 2]))
                                           + tf.reduce_sum(v * 2.0)),
    "axis_1": lambda tf, v: tf.reduce_sum(tf.gather(v, [1, 0], axis=1)),
    "axis_minus_rank": lambda tf, v: tf.reduce_sum(tf.gather(v, [1], axis=-2)),
    "mixed_axes": lambda tf, v: (tf.reduce_sum(tf.gather(v, [0]))
                                 + tf.reduce_sum(tf.gather(v, [1], axis=1))),
    "gather_of_computed": lambda tf, v: tf.reduce_sum(tf.gather(v * 1.0, [1, 0])),
    "gather_of_reshape": lambda tf, v: tf.reduce_sum(tf.gather(tf.reshape(v, [3, 2]), [1])),
    "gather_nd": lambda tf, v: tf.reduce_sum(tf.gather_nd(v, [[1, 0]])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_of_a_gathered_variable(real_tf, case):
    _same(real_tf, _grad(CASES[case]))


def test_batch_dims_1_is_dense(real_tf):
    def program(tf):
        v = tf.Variable(np.ones([2, 3], np.float32))
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(v, [[0, 1], [1, 2]], batch_dims=1))
        return tape.gradient(y, v)
    assert _same(real_tf, program)[0] == "Tensor"


def test_watched_tensor_source(real_tf):
    def program(tf):
        x = tf.constant(_TABLE)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.gather(x, [2, 0, 2]))
        return [tape.gradient(y, x), tape.gradient(y, x, unconnected_gradients="zero"),
                tape.gradient([y, x], x), tape.jacobian(y, x)]
    assert [g[0] for g in _same(real_tf, program)] == [
        "IndexedSlices", "IndexedSlices", "Tensor", "Tensor"]


@pytest.mark.parametrize("dtype", ["float16", "float64", "bfloat16"])
def test_dtypes(real_tf, dtype):
    def program(tf):
        v = tf.Variable(tf.ones([3, 2], getattr(tf, dtype)))
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(v, [1, 1]))
        g = tape.gradient(y, v)
        return [g, tf.cast(g.values, tf.float32)]
    _same(real_tf, lambda tf: program(tf)[1:] + [program(tf)[0].indices])


def test_output_gradients_and_several_sources(real_tf):
    def program(tf):
        v, w = tf.Variable(_TABLE), tf.Variable(2.0)
        with tf.GradientTape(persistent=True) as tape:
            rows = tf.gather(v, [1, 0])
            y = tf.reduce_sum(rows) * w
        return [tape.gradient(rows, v, output_gradients=tf.constant([[1.0, 2.0], [3.0, 4.0]])),
                tape.gradient(y, [v, w, v]),
                tape.gradient([y, y], v),
                tape.gradient(w * 2.0, v, unconnected_gradients="zero")]
    _same(real_tf, program)


def test_second_order(real_tf):
    def program(tf):
        v = tf.Variable(_TABLE)
        out = []
        for dense in (False, True):
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    y = tf.reduce_sum(tf.gather(v, [1, 1]) ** 2)
                g = inner.gradient(y, v)
                out.append(g)
                s = (tf.reduce_sum(tf.convert_to_tensor(g) ** 2) if dense
                     else tf.reduce_sum(g.values))
            out.append(outer.gradient(s, v))
        return out
    _same(real_tf, program)


def test_inside_a_function(real_tf):
    def program(tf):
        v = tf.Variable(_TABLE)

        @tf.function
        def step(idx):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(tf.gather(v, idx) ** 2)
            return tape.gradient(y, v)

        return [step(tf.constant([0, 2, 0])), step(tf.constant([1]))]
    assert [g[0] for g in _same(real_tf, program)] == ["IndexedSlices"] * 2


def test_consumers_of_slices(real_tf):
    """What training code does with the gradient: densify it, clip it, apply it."""
    def program(tf):
        v = tf.Variable(_TABLE)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(v, [0, 2, 0]) * [[1.0, 2.0]])
        g = tape.gradient(y, v)
        (clipped,), norm = tf.clip_by_global_norm([g], 1.0)
        dense = tf.convert_to_tensor(g)
        v.assign_sub(0.1 * tf.convert_to_tensor(clipped))
        return [g, clipped, norm, dense, tf.add(g, 1.0), v.read_value(),
                tf.clip_by_norm(g, 1.0), tf.clip_by_value(g, 0.0, 1.5), tf.norm(g),
                tf.add_n([g, g]), tf.multiply(g, 2.0), tf.is_tensor(g), g.shape.as_list(),
                g.dtype.name]
    _same(real_tf, program)


def test_sparse_read_errors(real_tf):
    def program(tf):
        v = tf.Variable(_TABLE)
        out = []
        for indices in ([5], [0.5]):
            try:
                v.sparse_read(indices)
            except Exception as error:
                found = re.search(r"indices\[0\] = .*\[Op:\w+\]", str(error))
                out.append((type(error).__name__, found and found.group(0)))
        out.append(v.sparse_read([[0, 1]]).shape.as_list())
        return out
    _same(real_tf, program)


def test_slices_as_a_target_raise(real_tf):
    def program(tf):
        v = tf.Variable(_TABLE)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                y = tf.reduce_sum(tf.gather(v, [1, 1]) ** 2)
            g = inner.gradient(y, v)
        try:
            outer.gradient(g, v)
        except AttributeError as error:
            return str(error)
    _same(real_tf, program)


def test_variable_scatter_methods(real_tf):
    """What Keras's TF optimizers do with an IndexedSlices gradient (``scatter_add`` ...)."""
    def program(tf):
        v = tf.Variable(_TABLE)
        delta = tf.IndexedSlices(tf.constant([[1.0, 1.0], [2.0, 2.0]]), tf.constant([2, 2]),
                                 tf.constant([3, 2]))
        out = []
        for method in ("scatter_add", "scatter_sub", "scatter_update", "scatter_max",
                       "scatter_min", "scatter_mul", "scatter_div"):
            v.assign(_TABLE)
            out += [getattr(v, method)(delta).read_value(), v.read_value()]
        for bad in (tf.constant([1.0]), tf.IndexedSlices(tf.constant([[1.0, 1.0]]), [5]),
                    tf.IndexedSlices(tf.constant([[1, 1]]), [0])):
            try:
                v.scatter_add(bad)
            except Exception as error:
                found = re.search(r"indices\[0\] = .*\[Op:\w+\]", str(error))
                out += [(type(error).__name__, found and found.group(0)), v.read_value()]
        return out
    _same(real_tf, program)


def test_sparse_update_inside_a_function(real_tf):
    """Keras's compiled SGD step on an Embedding: the gradient crosses the function body as
    IndexedSlices, is cast (staying sparse, shape known) and applied with ``scatter_sub``."""
    def program(tf):
        v = tf.Variable(_TABLE)

        @tf.function
        def step(idx):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(tf.gather(v, idx) ** 2)
            g = tf.cast(tape.gradient(y, v), tf.float32)
            v.scatter_sub(tf.IndexedSlices(0.1 * g.values, g.indices, g.dense_shape))
            return g, g.shape.as_list(), tf.cast(-g, tf.float64)

        g, shape, negated = step(tf.constant([0, 2, 0]))
        return [g, shape, negated, type(g).__name__, v.read_value()]
    _same(real_tf, program)
