"""``tf.__internal__`` and the private ``tensorflow.python.*`` paths Keras imports, against TF."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tapejax
from tapejax import _tf_compat_v1  # tf.compat.v1 under the redirect


def _tracking_program(tf, data_structures):
    T = tf.__internal__.tracking
    out = []
    a = T.AutoTrackable()
    a.l = [1, 2]
    a.d = {"k": 1}
    a.v = tf.Variable(1.0)
    a.t = T.AutoTrackable()
    out.append((type(a.l).__name__, type(a.d).__name__, isinstance(a.d, dict),
                isinstance(a.l, list), isinstance(a.l, data_structures.ListWrapper)))
    out.append(list(a._trackable_children()))
    out.append([ref.name for ref in a._checkpoint_dependencies])
    try:
        a._track_trackable(3, "z")
    except TypeError as e:
        out.append(str(e))
    b = T.Trackable()
    b._track_trackable(a.t, "x")
    try:
        b._track_trackable(a.v, "x")
    except ValueError as e:
        out.append(str(e))
    out.append((b._lookup_dependency("x") is a.t, b._lookup_dependency("nope")))
    b._track_trackable(a.v, "x", overwrite=True)
    out.append(b._lookup_dependency("x") is a.v)
    lw = data_structures.ListWrapper([1, tf.Variable(2.0)])
    out.append((list(lw._trackable_children()), lw == [1, lw[1]],
                repr(data_structures.ListWrapper([1]))))
    dw = data_structures._DictWrapper({"a": 1})
    out.append((repr(dw), dw == {"a": 1}, isinstance(dw, T.Trackable)))

    class M(T.AutoTrackable):
        @T.no_automatic_dependency_tracking
        def f(self):
            self.q = [1]
            self.w = tf.Variable(1.0)
            return self._self_setattr_tracking

    m = M()
    out.append((m.f(), type(m.q).__name__, list(m._trackable_children()), m._self_setattr_tracking))
    out.append((isinstance(tf.Variable(1.0), T.Trackable),
                isinstance(tf.constant(1.0), T.Trackable),
                isinstance(tf.constant(1.0), tf.__internal__.types.Tensor),
                isinstance(tf.Variable(1.0), tf.__internal__.types.Tensor)))
    del a.t
    out.append(list(a._trackable_children()))
    return out


def test_tracking_matches_tf(real_tf):
    from tensorflow.python.trackable import data_structures as tf_ds

    from tapejax import _autotrackable
    assert _tracking_program(tapejax, _autotrackable) == _tracking_program(real_tf, tf_ds)


def _smart_cond_program(tf):
    sc = tf.__internal__.smart_cond.smart_cond
    out = [sc(True, lambda: 1, lambda: 2), sc(0, lambda: 1, lambda: 2),
           float(sc(tf.constant(3.0) > 4, lambda: tf.constant(1.0), lambda: tf.constant(2.0)))]
    traced = tf.function(lambda x: sc(x > 0, lambda: x * 2, lambda: x * 3))
    out.append(float(traced(tf.constant(-1.0))))
    for args in [(5, lambda: 1, lambda: 2), (True, 3, lambda: 1), (True, lambda: 1, 3)]:
        try:
            sc(*args)
        except TypeError as e:
            out.append(str(e))
    out.append(tf.__internal__.tf2.enabled())
    eager = [isinstance(tf.constant(1.0), tf.__internal__.EagerTensor)]
    tf.function(lambda x: eager.append(isinstance(x, tf.__internal__.EagerTensor)) or x)(
        tf.constant(1.0))
    out.append(eager)
    return out


def test_smart_cond_tf2_eager_tensor_match_tf(real_tf):
    assert _smart_cond_program(tapejax) == _smart_cond_program(real_tf)


def test_keras_variable_protocols():
    """A class deriving from ``types.Tensor`` with ``__tf_tensor__`` and
    ``_should_act_as_resource_variable`` (Keras's ``Variable``) converts, is a tensor and is
    differentiated through its ``handle``, as in TF."""

    class Wrapped(tapejax.__internal__.types.Tensor):
        _should_act_as_resource_variable = True

        def __init__(self, value):
            self.handle = tapejax.Variable(value)

        def __tf_tensor__(self, dtype=None, name=None):
            return tapejax.convert_to_tensor(self.handle, dtype=dtype)

    w = Wrapped(2.0)
    assert tapejax.is_tensor(w)
    assert float(tapejax.convert_to_tensor(w)) == 2.0
    with tapejax.GradientTape() as tape:
        y = tapejax.convert_to_tensor(w) ** 2
    assert float(tape.gradient(y, w)) == 4.0


def test_dynamic_update_slice_matches_tf(real_tf):
    from tensorflow.compiler.tf2xla.python.xla import dynamic_update_slice as theirs

    from tapejax._tf_paths import dynamic_update_slice as ours
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    u = -np.ones((2, 2), np.float32)
    for start in ([0, 1], [2, 3], [-1, 0]):  # the last two are clamped
        np.testing.assert_array_equal(ours(x, u, start).numpy(), theirs(x, u, start).numpy())
    with tapejax.GradientTape() as tape:
        xt = tapejax.constant(x)
        ut = tapejax.constant(u)
        tape.watch([xt, ut])
        y = tapejax.reduce_sum(ours(xt, ut, [1, 1]) * 2.0)
    gx, gu = tape.gradient(y, [xt, ut])
    assert gx.numpy().sum() == 2 * (12 - 4) and np.all(gu.numpy() == 2)


def _run_redirected(code):
    script = textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)


def test_private_paths_resolve_under_redirect():
    result = _run_redirected("""
        from tapejax import compat
        compat.install()
        from tensorflow.python.trackable.data_structures import ListWrapper, _DictWrapper
        from tensorflow.python.eager import context
        from tensorflow.python.ops.math_ops import is_nan
        from tensorflow.python.framework.config import is_op_determinism_enabled
        from tensorflow.compiler.tf2xla.python.xla import dynamic_update_slice
        import tensorflow as tf
        assert ListWrapper.__module__ == "tapejax._autotrackable"
        assert tf.__internal__.tracking.Trackable is tf.Variable.__mro__[2]
        context.context().clear_kernel_cache()
        context.async_wait()
        print(bool(is_nan(tf.constant(float("nan")))), is_op_determinism_enabled())
        from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops
        try:
            sparse_csr_matrix_ops.sparse_matrix_sparse_mat_mul
        except AttributeError as e:
            print(e)
        try:
            import tensorflow.python.framework.nope
        except ModuleNotFoundError as e:
            print(e)
        """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "True False"
    assert "tapejax does not provide `tensorflow.python.ops.linalg.sparse." \
        "sparse_csr_matrix_ops.sparse_matrix_sparse_mat_mul`" in lines[1]
    assert "tapejax does not provide the module `tensorflow.python.framework.nope`" in lines[2]


_FUNC_GRAPH_PROGRAM = """
    import os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    import keras
    import tensorflow as tf

    with tf.__internal__.FuncGraph("scratch").as_default():
        p = tf.compat.v1.placeholder(shape=[None, 4], dtype=tf.float32)
        q = tf.matmul(p, tf.ones([4, 5]))
        r = tf.reduce_sum(tf.cast(q > 0, tf.int64), axis=0)
        s = tf.concat([p, p], axis=0)
        u = tf.compat.v1.placeholder(tf.int32, [None, None, 3])
        v = u + tf.transpose(u, [1, 0, 2])  # unknown dimensions meet, as TF lets them
        print(p.shape, q.shape, q.dtype.name, r.shape, r.dtype.name, s.shape,
              tf.shape(q).shape, tf.shape(q).dtype.name, v.shape, tf.reduce_max(u, 1).shape)
    try:
        tf.compat.v1.placeholder(tf.float32, [2])
    except RuntimeError as e:
        print("RuntimeError", e)

    class Scale(keras.layers.Layer):  # no compute_output_shape: Keras uses a FuncGraph
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return tf.concat([x * self.w, tf.reduce_sum(x, axis=-1, keepdims=True)], axis=-1)

    inputs = keras.Input((3,))
    hidden = Scale()(inputs)
    print(hidden.shape, hidden.dtype)
    halves = keras.layers.Lambda(lambda t: tf.nn.relu(t[:, :2]) * 2.0)(hidden)
    print(halves.shape, halves.dtype)
    model = keras.Model(inputs, keras.layers.Dense(2, kernel_initializer="ones")(halves))
    model.compile("sgd", "mse")
    print(model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0, epochs=2).history["loss"])
"""


def test_func_graph_placeholders_infer_shapes_as_tensorflow():
    """``tf.__internal__.FuncGraph`` with ``tf.compat.v1.placeholder`` gives TF's static
    shapes and dtypes, so a functional Keras model with a custom layer that does not compute
    its output shape (and a ``Lambda`` layer) builds and trains as on TF."""
    program = textwrap.dedent(_FUNC_GRAPH_PROGRAM)
    ours = _run_redirected("from tapejax import compat\ncompat.install()\n" + program)
    assert ours.returncode == 0, ours.stderr[-3000:]
    theirs = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    assert ours.stdout.splitlines() == theirs.stdout.splitlines()


def test_func_graph_never_computes_and_names_what_needs_values():
    """Ops in a FuncGraph are shape inference only: nothing is computed, a value that must be
    concrete raises ``NotImplementedError`` naming the FuncGraph, and a shape error is TF's
    graph-construction ``ValueError``. Tapes outside see nothing of it."""
    with tapejax.GradientTape() as tape:
        w = tapejax.Variable([1.0, 2.0])
        with tapejax.__internal__.FuncGraph("g").as_default():
            p = _tf_compat_v1.placeholder(tapejax.float32, [None, 2])
            y = p * w
            assert y.shape.as_list() == [None, 2]
            with pytest.raises(NotImplementedError, match="FuncGraph"):
                y.numpy()
            with pytest.raises(NotImplementedError, match="FuncGraph"):
                tapejax.range(tapejax.shape(p)[0])  # a size XLA needs before it runs
            with pytest.raises(ValueError, match=r"Incompatible shapes.*\[Op:add\]"):
                p + tapejax.ones([3])
            assert tapejax.gather(tapejax.ones([5, 3]), tapejax.cast(p, tapejax.int32)).shape \
                .as_list() == [None, 2, 3]
            assert tapejax.reshape(p, [-1]).shape.as_list() == [None]
            batch = tapejax.shape(p)[0]  # sizes read from a placeholder's shape, as TF's
            assert tapejax.reshape(p, [batch, 1, 2]).shape.as_list() == [None, 1, 2]
            assert tapejax.reshape(p, [batch, -1]).shape.as_list() == [None, None]
            assert tapejax.reshape(p, tapejax.shape(p)).shape.as_list() == [None, 2]
            assert tapejax.zeros([batch, 5]).shape.as_list() == [None, 5]
            ones = tapejax.ones(tapejax.shape(p), tapejax.int32)
            assert ones.shape.as_list() == [None, 2] and ones.dtype == tapejax.int32
            assert tapejax.fill([batch, 3], 2.0).shape.as_list() == [None, 3]
            assert tapejax.zeros_like(p).shape.as_list() == [None, 2]
            assert (tapejax.ones_like(p) + p).shape.as_list() == [None, 2]
            n = tapejax.size(p, out_type=tapejax.int64)
            assert n.shape.as_list() == [] and n.dtype == tapejax.int64
        loss = tapejax.reduce_sum(w * w)
    assert tape.gradient(loss, w).numpy().tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="not compatible with eager execution"):
        _tf_compat_v1.placeholder(tapejax.float32, [2])
