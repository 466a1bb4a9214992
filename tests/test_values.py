"""Tensor, Variable, dtypes and conversion: TF's API on JAX arrays."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tapejax as tf
from helpers import primitives_dispatched


def test_tensor_basics():
    t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.shape.as_list() == [2, 3] and t.shape.rank == 2
    assert t.dtype == tf.float32 and t.dtype.name == "float32" and t.ndim == 2
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().dtype == np.float32
    assert len(t) == 2 and [r.shape for r in t] == [(3,), (3,)]
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(7)) == 7
    assert bool(tf.constant(True)) and not bool(tf.constant(0.0))
    assert np.asarray(t).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert jnp.asarray(t).shape == (2, 3)
    assert t.device.endswith("CPU:0")
    assert isinstance(tf.constant(5.0).numpy(), np.float32)
    assert f"{tf.constant(2.0):.2f}" == "2.00"


def test_indexing_like_tf():
    t = tf.reshape(tf.range(24), (2, 3, 4))
    np_t = np.arange(24).reshape(2, 3, 4)
    for index in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (0, None, slice(1, 3)),
                  (slice(None, None, -1),), (1, Ellipsis, slice(0, 4, 2)), tf.constant(1)]:
        expected = np_t[int(index) if isinstance(index, tf.Tensor) else index]
        np.testing.assert_array_equal(t[index].numpy(), expected)
    with pytest.raises(TypeError, match="Only integers, slices"):
        t[[0, 1]]


def test_tensor_index_gradient():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x[1] * x[2]
    np.testing.assert_array_equal(g.gradient(y, x).numpy(), [0.0, 3.0, 2.0])


def test_tensors_are_pytrees():
    t = tf.constant([1.0, 2.0])
    leaves, tree = jax.tree_util.tree_flatten({"a": t})
    assert len(leaves) == 1
    doubled = jax.jit(lambda d: jax.tree_util.tree_map(lambda a: a * 2, d))({"a": t})
    assert isinstance(doubled["a"], tf.Tensor)
    np.testing.assert_array_equal(doubled["a"].numpy(), [2.0, 4.0])
    out = jax.vmap(lambda row: tf.reduce_sum(row * row))(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(np.asarray(out), [5.0, 25.0])


def test_ops_on_traced_tensors_inside_jit():
    @jax.jit
    def f(t):
        return tf.nn.relu(tf.matmul(t, t)) - 1.0

    out = f(tf.constant([[1.0, -2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(out.numpy(), [[-1.0, -1.0], [14.0, 9.0]])


def test_tape_inside_jax_jit():
    @jax.jit
    def grad_of_cube(x):
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x * x
        return g.gradient(y, x)

    assert float(grad_of_cube(tf.constant(5.0))) == 75.0


def test_constant_inference_and_shape():
    assert tf.constant(1).dtype == tf.int32 and tf.constant(1.0).dtype == tf.float32
    assert tf.constant(True).dtype == tf.bool and tf.constant(1j).dtype == tf.complex128
    assert tf.constant(2**40).dtype == tf.int64
    assert tf.constant(np.float64(1.0)).dtype == tf.float64
    assert tf.constant([1, 2.5]).dtype == tf.float32
    assert tf.constant(7.0, shape=(2, 2)).numpy().tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tf.constant([1, 2, 3, 4], shape=[2, 2]).shape == (2, 2)
    assert tf.constant(1, dtype=tf.float64).dtype == tf.float64
    assert tf.convert_to_tensor(2, dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor("x" and 2.5, dtype_hint=tf.int32).dtype == tf.float32
    assert tf.convert_to_tensor(tf.Variable(1.0)).dtype == tf.float32
    with pytest.raises(ValueError, match="unsupported type"):
        tf.convert_to_tensor(None)


def test_all_dtypes_round_trip():
    for name in ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32",
                 "int64", "uint8", "bool", "complex64", "complex128"):
        dtype = getattr(tf, name)
        t = tf.zeros((2,), dtype)
        assert t.dtype is dtype and t.dtype.name == name
        assert tf.as_dtype(name) is dtype and tf.as_dtype(dtype.as_numpy_dtype) is dtype
    assert tf.float32.is_floating and tf.int8.is_integer and tf.complex64.is_complex
    assert tf.bfloat16.is_floating and tf.bool.is_bool
    assert tf.float32 == "float32" and tf.float32 != tf.float64
    assert tf.as_dtype("string") is tf.string and tf.as_dtype(object) is tf.string
    with pytest.raises(TypeError):
        tf.as_dtype("text")


def test_half_precision_arithmetic_keeps_dtype():
    for dtype in (tf.float16, tf.bfloat16):
        x = tf.constant([1.0, 2.0], dtype)
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.reduce_sum(x * x * 0.5 + 1)
        grad = g.gradient(y, x)
        assert y.dtype == dtype and grad.dtype == dtype
        np.testing.assert_allclose(grad.numpy().astype(np.float32), [1.0, 2.0])


def test_variable_api():
    v = tf.Variable([1.0, 2.0], name="weights")
    assert v.name == "weights:0" and v.trainable and v.shape == (2,) and v.dtype == tf.float32
    assert v.assign([3.0, 4.0]) is v
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.read_value().numpy(), [3.5, 4.5])
    assert v.assign([0.0, 0.0], read_value=False) is None
    np.testing.assert_array_equal((v + 1.0).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal((2.0 * v).numpy(), [0.0, 0.0])
    assert tf.Variable(lambda: tf.ones((3,))).shape == (3,)
    assert tf.Variable(1, dtype=tf.float32).dtype == tf.float32
    assert not tf.Variable(1.0, trainable=False).trainable
    assert tf.Variable(1.0).ref() != tf.Variable(1.0).ref()


def test_variable_refs_are_identity_keys():
    a, b = tf.Variable(1.0), tf.Variable(1.0)
    refs = {a.ref(): "a", b.ref(): "b"}
    assert refs[a.ref()] == "a" and refs[b.ref()] == "b" and a.ref().deref() is a


def test_variable_is_a_pytree():
    v = tf.Variable([1.0, 2.0], name="w")
    doubled = jax.tree_util.tree_map(lambda a: a * 2, v)
    assert isinstance(doubled, tf.Variable) and doubled.name == "w:0"
    np.testing.assert_array_equal(doubled.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_assign_inside_tape_does_not_carry_gradient():
    x = tf.constant(2.0)
    v = tf.Variable(0.0)
    with tf.GradientTape() as g:
        g.watch(x)
        v.assign(x * 3.0)
        y = v * x
    # TF: the assignment is not differentiable; only the direct use of x counts.
    assert float(g.gradient(y, x)) == 6.0


def test_comparisons_and_equality():
    t = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal((t == 1.0).numpy(), [True, False])
    np.testing.assert_array_equal((t != 1.0).numpy(), [False, True])
    assert (t == None) is False  # noqa: E711 - TF's rule under test
    np.testing.assert_array_equal((t < 2.0).numpy(), [True, False])
    with pytest.raises(TypeError, match="unhashable"):
        _ = {t: 1}


def test_eager_constants_reach_the_device_on_jaxs_compiled_call_path(monkeypatch):
    """``tf.constant`` and ``tf.convert_to_tensor`` of Python and NumPy values hand the array
    to a compiled call (JAX's C++ path), with no ``device_put`` dispatched from Python."""
    def make():
        return [tf.constant(1.5), tf.convert_to_tensor([1, 2], tf.int64),
                tf.constant(np.ones((2, 3), np.float16)), tf.constant(2**40)]
    make()
    made = []
    assert primitives_dispatched(monkeypatch, lambda: made.extend(make())) == []
    assert [t.dtype for t in made] == [tf.float32, tf.int64, tf.float16, tf.int64]
    assert [t.numpy().tolist() for t in made] == [1.5, [1, 2], [[1.0] * 3] * 2, 2**40]
    assert not any(t._value.weak_type for t in made)
