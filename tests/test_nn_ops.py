"""``tf.nn`` activations, losses, normalization and dropout against real TensorFlow
(convolution and pooling: ``test_conv_ops.py``)."""
import jax
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, numeric_gradients, same_error

R = np.random.RandomState(0)
KINKS = np.array([-3.0, -1.0, 0.0, 0.5, 3.0, 6.0, 7.0], np.float32)
LOGITS = R.normal(size=(4, 5)).astype(np.float32)
IMG = R.normal(size=(2, 7, 6, 3)).astype(np.float32)
PROBS = np.abs(R.normal(size=(4, 5))).astype(np.float32)
PROBS /= PROBS.sum(axis=1, keepdims=True)


def f32(*shape):
    return R.normal(size=shape).astype(np.float32)


ACTIVATIONS = {
    "relu": lambda tf, x: tf.nn.relu(x),
    "relu6": lambda tf, x: tf.nn.relu6(x),
    "leaky_relu": lambda tf, x: tf.nn.leaky_relu(x),
    "leaky_relu_small": lambda tf, x: tf.nn.leaky_relu(x, alpha=0.01),
    "leaky_relu_steep": lambda tf, x: tf.nn.leaky_relu(x, alpha=2.0),
    "elu": lambda tf, x: tf.nn.elu(x),
    "selu": lambda tf, x: tf.nn.selu(x),
    "gelu": lambda tf, x: tf.nn.gelu(x),
    "gelu_tanh": lambda tf, x: tf.nn.gelu(x, approximate=True),
    "silu": lambda tf, x: tf.nn.silu(x),
    "silu_beta": lambda tf, x: tf.nn.silu(x, beta=2.0),
    "swish": lambda tf, x: tf.nn.swish(x),
    "softplus": lambda tf, x: tf.nn.softplus(x),
    "softsign": lambda tf, x: tf.nn.softsign(x),
    "sigmoid": lambda tf, x: tf.nn.sigmoid(x),
    "tanh": lambda tf, x: tf.nn.tanh(x),
    "softmax": lambda tf, x: tf.nn.softmax(x),
    "log_softmax": lambda tf, x: tf.nn.log_softmax(x),
    "l2_loss": lambda tf, x: tf.nn.l2_loss(x),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_at_kinks(real_tf, name):
    compare(real_tf, ACTIVATIONS[name], KINKS)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis(real_tf, name):
    compare(real_tf, lambda tf, x: getattr(tf.nn, name)(x, axis=0), LOGITS)


def test_silu_tensor_beta_gets_a_gradient(real_tf):
    compare(real_tf, lambda tf, x, b: tf.nn.silu(x, beta=b), KINKS, np.float32(1.5))


@pytest.mark.parametrize("case", [
    lambda tf: tf.nn.relu6(tf.constant([-1, 3, 9])),
    lambda tf: tf.nn.leaky_relu(tf.constant([-1, 2])),
    lambda tf: tf.nn.relu(tf.constant([-1.0, 2.0], tf.float64)),
    lambda tf: tf.nn.elu(tf.constant([-1.0, 2.0], tf.float16)),
])
def test_activation_dtypes(real_tf, case):
    compare(real_tf, lambda tf: case(tf), grad=False)


NN = {
    "bias_add": (lambda tf, x, b: tf.nn.bias_add(x, b), IMG, f32(3)),
    "bias_add_nchw": (lambda tf, x, b: tf.nn.bias_add(x, b, data_format="NCHW"), IMG, f32(7)),
    "moments": (lambda tf, x: tf.nn.moments(x, [0, 1, 2]), IMG),
    "moments_keepdims": (lambda tf, x: tf.nn.moments(x, [1], keepdims=True), LOGITS),
    "batch_norm": (lambda tf, x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
                   LOGITS, f32(5), np.abs(f32(5)), f32(5), f32(5)),
    "batch_norm_no_affine": (lambda tf, x, m, v: tf.nn.batch_normalization(
        x, m, v, None, None, 0.01), LOGITS, f32(5), np.abs(f32(5))),
    "batch_norm_python_stats": (lambda tf, x: tf.nn.batch_normalization(
        x, 0.5, 2.0, 0.1, 3.0, 1e-3), LOGITS),
    "batch_norm_float64_input": (lambda tf, x, m, v, o, s: tf.nn.batch_normalization(
        tf.cast(x, tf.float64), m, v, o, s, 1e-3), LOGITS, f32(5), np.abs(f32(5)), f32(5),
        f32(5)),  # the statistics stay float32; the result is cast to x's dtype
    "embedding": (lambda tf, p: tf.nn.embedding_lookup(p, [[0, 3], [1, 1]]), f32(4, 3)),
    "embedding_shards": (lambda tf, a, b: tf.nn.embedding_lookup([a, b], [4, 0, 2, 3]),
                         f32(3, 2), f32(2, 2)),
    "embedding_max_norm": (lambda tf, p: tf.nn.embedding_lookup(p, [0, 3, 3], max_norm=1.0),
                           f32(4, 3) * 2),
    "sigmoid_xent": (lambda tf, z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                     np.array([1.0, 0.0, 0.3, 1.0], np.float32),
                     np.array([0.0, -2.0, 1.5, 30.0], np.float32)),
    "weighted_xent": (lambda tf, z, x, q: tf.nn.weighted_cross_entropy_with_logits(z, x, q),
                      np.array([1.0, 0.0, 0.3, 1.0], np.float32),
                      np.array([0.0, -2.0, 1.5, 30.0], np.float32), np.float32(2.5)),
    "softmax_xent": (lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
                     PROBS, LOGITS),
    "softmax_xent_unnormalized_labels": (
        lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(z, x), PROBS * 3 - 0.2, LOGITS),
    "softmax_xent_axis0": (lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(
        z, x, axis=0), PROBS, LOGITS),
    "softmax_xent_1d": (lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
                        PROBS[0], LOGITS[0]),
    "sparse_xent": (lambda tf, x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [0, 4, 2, 2], x), LOGITS),
    "sparse_xent_3d": (lambda tf, x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        np.array([[0, 4], [2, 2]], np.int64), x), LOGITS.reshape(2, 2, 5)),
    "sparse_xent_scalar": (lambda tf, x: tf.nn.sparse_softmax_cross_entropy_with_logits(3, x),
                           LOGITS[0]),
}


@pytest.mark.parametrize("case", sorted(NN))
def test_nn_ops_match_tensorflow(real_tf, case):
    fn, *args = NN[case]
    compare(real_tf, fn, *args, rtol=2e-5)


def test_softmax_xent_gradient_is_tfs_kernel_not_the_true_derivative(real_tf):
    """With labels that do not sum to one TF's logits gradient is softmax - labels."""
    labels = PROBS * 3 - 0.2
    _, grads = compare(real_tf, lambda tf, x: tf.nn.softmax_cross_entropy_with_logits(
        tapejax.constant(labels) if tf is tapejax else tf.constant(labels), x), LOGITS)
    weights = np.random.RandomState(1234).uniform(0.5, 1.5, size=(4,)).astype(np.float32)
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grads[0].numpy(), weights[:, None] * (softmax - labels),
                               rtol=1e-5, atol=1e-6)
    true = weights[:, None] * (softmax * labels.sum(axis=1, keepdims=True) - labels)
    assert not np.allclose(grads[0].numpy(), true, atol=1e-3)


@pytest.mark.parametrize("case", [
    lambda tf: tf.nn.moments(tf.constant([1, 2, 4]), [0]),
    lambda tf: tf.nn.moments(tf.constant([1.0, 2.0], tf.float16), [0]),
    lambda tf: tf.nn.softmax_cross_entropy_with_logits([[1, 0]], [[1.0, 2.0]]),
    lambda tf: tf.nn.softmax_cross_entropy_with_logits(PROBS[:1], LOGITS),  # TF's labels
    # gradient fails for broadcast labels, so only values are compared
    lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        [1], tf.constant([[1.0, 2.0]], tf.float16)),
])
def test_nn_dtypes(real_tf, case):
    compare(real_tf, lambda tf: case(tf), grad=False)


def test_zero_fraction(real_tf):
    compare(real_tf, lambda tf: tf.nn.zero_fraction(tf.nn.relu(LOGITS)), grad=False)


NUMERIC = [
    (lambda tf, x: tf.nn.moments(x, [0]), LOGITS),
    (lambda tf, x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
     LOGITS[:2], f32(5), np.abs(f32(5)) + 0.1, f32(5), f32(5)),
    (lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(z, x), PROBS, LOGITS),
    (lambda tf, z, x: tf.nn.softmax_cross_entropy_with_logits(z, x), PROBS[:1], LOGITS),
    (lambda tf, x: tf.nn.sparse_softmax_cross_entropy_with_logits([0, 4, 2, 2], x), LOGITS),
    (lambda tf, z, x: tf.nn.sigmoid_cross_entropy_with_logits(z, x), PROBS, LOGITS),
    (lambda tf, z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 1.5), PROBS, LOGITS),
    (lambda tf, p: tf.nn.embedding_lookup(p, [0, 3, 3], max_norm=1.0), f32(4, 3) * 2),
    (lambda tf, x: tf.nn.selu(x), LOGITS),
    (lambda tf, x: tf.nn.elu(x), LOGITS),
    (lambda tf, x: tf.nn.gelu(x), LOGITS),
    (lambda tf, x, b: tf.nn.silu(x, b), LOGITS, np.float32(0.7)),
]


@pytest.mark.parametrize("case", NUMERIC, ids=lambda c: "")
def test_numerical_gradients(case):
    fn, *args = case
    numeric_gradients(fn, *args, rtol=1e-5, atol=1e-6)


ERRORS = {
    "bias_add_size": lambda tf: tf.nn.bias_add(IMG, tf.zeros([4])),
    "bias_add_rank": lambda tf: tf.nn.bias_add(IMG, tf.zeros([1, 3])),
    "bias_add_1d": lambda tf: tf.nn.bias_add(tf.zeros([3]), tf.zeros([3])),
    "bias_add_dtype": lambda tf: tf.nn.bias_add(tf.constant(IMG), tf.zeros([3], tf.float64)),
    "moments_axis": lambda tf: tf.nn.moments(IMG, [5]),
    "l2_loss_int": (lambda tf: tf.nn.l2_loss(tf.constant([1, 2])), False),
    "elu_int": (lambda tf: tf.nn.elu(tf.constant([1, 2])), False),
    "gelu_int": lambda tf: tf.nn.gelu(tf.constant([1, 2])),
    "log_softmax_int": (lambda tf: tf.nn.log_softmax(tf.constant([1, 2])), False),
    "embedding_out_of_range": lambda tf: tf.nn.embedding_lookup(tf.zeros([4, 3]), [4]),
    "sigmoid_xent_shape": lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=[1.0, 0.0, 1.0], logits=[1.0, 2.0]),
    "sigmoid_xent_missing": lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(logits=[1.0, 2.0]),
    "sigmoid_xent_int_labels": lambda tf: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=[1, 0], logits=[1.0, 2.0]),
    "weighted_xent_shape": lambda tf: tf.nn.weighted_cross_entropy_with_logits(
        labels=[1.0, 0.0, 0.0], logits=[1.0, 2.0], pos_weight=2.0),
    "softmax_xent_shape": lambda tf: tf.nn.softmax_cross_entropy_with_logits(
        labels=[[1.0, 0.0, 0.0]], logits=[[1.0, 2.0]]),
    "softmax_xent_int_logits": (lambda tf: tf.nn.softmax_cross_entropy_with_logits(
        labels=[[1, 0]], logits=[[1, 2]]), False),
    "sparse_xent_out_of_range": lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 2], logits=[[1.0, 2.0], [3.0, 1.0]]),
    "sparse_xent_negative": lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, -1], logits=[[1.0, 2.0], [3.0, 1.0]]),
    "sparse_xent_rank": lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[[0, 1]], logits=[[1.0, 2.0], [3.0, 1.0]]),
    "sparse_xent_shape": lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 1, 1], logits=[[1.0, 2.0], [3.0, 1.0]]),
    "sparse_xent_float_labels": (lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0.0, 1.0], logits=[[1.0, 2.0], [3.0, 1.0]]), False),
    "dropout_rate_one": lambda tf: tf.nn.dropout(tf.ones([4]), 1.0),
    "dropout_int": lambda tf: tf.nn.dropout(tf.ones([4], tf.int32), 0.5),
    "dropout_rate_dtype": lambda tf: tf.nn.dropout(tf.ones([4]), tf.constant(0.5, tf.float64)),
    "dropout_noise_shape": lambda tf: tf.nn.dropout(tf.ones([2, 4]), 0.5, noise_shape=[3, 4]),
    "stateless_dropout_rate": lambda tf: tf.nn.experimental.stateless_dropout(
        tf.ones([4]), 1.5, seed=[1, 2]),
    "stateless_dropout_seed": lambda tf: tf.nn.experimental.stateless_dropout(
        tf.ones([4]), 0.5, seed=[1]),
    "stateless_dropout_int": lambda tf: tf.nn.experimental.stateless_dropout(
        tf.ones([4], tf.int32), 0.5, seed=[1, 2]),
    "general_dropout_rate": lambda tf: tf.nn.experimental.general_dropout(
        tf.ones([4]), -0.5, tf.random.uniform),
    "log_poisson_shapes": lambda tf: tf.nn.log_poisson_loss([1.0, 2.0], [1.0, 2.0, 3.0]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


def test_sparse_xent_out_of_range_is_nan_when_traced():
    def loss(labels, logits):
        return tapejax.nn.sparse_softmax_cross_entropy_with_logits(
            tapejax.Tensor(labels), tapejax.Tensor(logits))._value
    out = jax.jit(loss)(np.array([1, 7], np.int32), LOGITS[:2])
    assert np.isfinite(out[0]) and np.isnan(out[1])


# --- dropout: TF's random stream is not reproduced, so check its law and its gradient ---------
def test_dropout_values_and_gradient():
    x = tapejax.constant(np.full((200, 50), 2.0, np.float32))
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = tapejax.nn.dropout(x, 0.3)
    out = y.numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    grad = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(grad, kept / np.float32(0.7), rtol=1e-6)


def test_dropout_tensor_rate_and_noise_shape():
    x = tapejax.ones([6, 400])
    rate = tapejax.constant(0.25)
    with tapejax.GradientTape() as tape:
        tape.watch(rate)
        y = tapejax.nn.dropout(x, rate, noise_shape=[1, 400])
    out = y.numpy()
    assert (out == out[0]).all(), "rows share one mask"
    np.testing.assert_allclose(out[out != 0], 1 / 0.75, rtol=1e-6)
    grad = tape.gradient(y, rate).numpy()
    np.testing.assert_allclose(grad, (out != 0).sum() / 0.75 ** 2, rtol=1e-5)


def test_dropout_is_reproducible_with_seeds():
    x = tapejax.ones([64])
    tapejax.random.set_seed(7)
    first = [tapejax.nn.dropout(x, 0.5).numpy() for _ in range(2)]
    tapejax.random.set_seed(7)
    again = [tapejax.nn.dropout(x, 0.5).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])


def test_dropout_rate_zero_returns_the_input():
    x = tapejax.constant([1.0, 2.0])
    assert tapejax.nn.dropout(x, 0.0) is x


# --- tf.nn.experimental: the mask is a function of the seed (JAX's numbers, not TF's) ----------
def test_stateless_dropout_law_seed_and_gradient():
    x = tapejax.constant(np.full((200, 50), 2.0, np.float32))
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = tapejax.nn.experimental.stateless_dropout(x, 0.3, seed=[1, 2])
    out = y.numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), kept / np.float32(0.7), rtol=1e-6)
    again = tapejax.nn.experimental.stateless_dropout(x, 0.3, seed=[1, 2]).numpy()
    other = tapejax.nn.experimental.stateless_dropout(x, 0.3, seed=[1, 3]).numpy()
    np.testing.assert_array_equal(out, again)
    assert not np.array_equal(out, other)


def test_stateless_dropout_noise_shape_traced_in_function():
    """Keras's dropout passes ``noise_shape=[tf.shape(x)[0], 1]`` inside a tf.function."""
    @tapejax.function
    def f(x):
        return tapejax.nn.experimental.stateless_dropout(
            x, 0.5, seed=[3, 4], noise_shape=[tapejax.shape(x)[0], 1])
    x = tapejax.ones([64, 5])
    out = f(x).numpy()
    assert (out == out[:, :1]).all(), "columns share one mask"
    assert 0 < (out[:, 0] != 0).sum() < 64
    np.testing.assert_array_equal(out, f(x).numpy())


def test_general_dropout_uses_the_sampler():
    calls = []

    def sampler(shape, dtype):
        calls.append((list(shape), dtype))
        return tapejax.constant(np.tile([0.1, 0.9], 8).astype(np.float32))
    out = tapejax.nn.experimental.general_dropout(tapejax.ones([16]), 0.5, sampler).numpy()
    np.testing.assert_array_equal(out, np.tile([0.0, 2.0], 8))
    assert calls == [([16], tapejax.float32)]


def test_stateless_dropout_matches_tensorflow_when_rate_is_zero(real_tf):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ours = tapejax.nn.experimental.stateless_dropout(tapejax.constant(x), 0.0, seed=[1, 2])
    theirs = real_tf.nn.experimental.stateless_dropout(real_tf.constant(x), 0.0, seed=[1, 2])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
