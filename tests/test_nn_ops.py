"""``tf.nn`` ops against real TensorFlow: values, dtypes, gradients and errors."""
import jax
import numpy as np
import pytest

import tapejax
from tf_compare import compare, numeric_gradients, same_error

R = np.random.RandomState(0)
KINKS = np.array([-3.0, -1.0, 0.0, 0.5, 3.0, 6.0, 7.0], np.float32)
LOGITS = R.normal(size=(4, 5)).astype(np.float32)
IMG = R.normal(size=(2, 7, 6, 3)).astype(np.float32)
W33 = R.normal(size=(3, 3, 3, 4)).astype(np.float32)
TIES = np.array([[1, 3, 3, 0], [3, 2, 1, 1], [0, 0, 2, 2], [1, 2, 2, 1]],
                np.float32).reshape(1, 4, 4, 1)
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


CONV = {
    "conv2d_same": (lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"), IMG, W33),
    "conv2d_valid_stride2": (lambda tf, x, w: tf.nn.conv2d(x, w, [2, 2], "VALID"), IMG, W33),
    "conv2d_same_stride2": (lambda tf, x, w: tf.nn.conv2d(x, w, [1, 2, 3, 1], "SAME"), IMG, W33),
    "conv2d_dilated": (lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2), IMG, W33),
    "conv2d_explicit": (lambda tf, x, w: tf.nn.conv2d(
        x, w, 1, [[0, 0], [1, 2], [0, 1], [0, 0]]), IMG, W33),
    "conv2d_even_kernel": (lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"), IMG, f32(2, 4, 3, 2)),
    "conv1d": (lambda tf, x, w: tf.nn.conv1d(x, w, 2, "SAME"), IMG[:, 0], W33[0]),
    "conv1d_valid_list_stride": (lambda tf, x, w: tf.nn.conv1d(x, w, [1, 1, 1], "VALID"),
                                 IMG[:, 0], W33[0]),
    "conv3d": (lambda tf, x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
               f32(1, 4, 5, 5, 2), f32(2, 3, 3, 2, 3)),
    "depthwise": (lambda tf, x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
                  IMG, f32(3, 3, 3, 2)),
    "depthwise_stride": (lambda tf, x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID"),
                         IMG, f32(3, 2, 3, 2)),
    "depthwise_dilated": (lambda tf, x, w: tf.nn.depthwise_conv2d(
        x, w, [1, 1, 1, 1], "SAME", dilations=[2, 2]), IMG, f32(3, 3, 3, 1)),
    "transpose_same": (lambda tf, x, w: tf.nn.conv2d_transpose(x, w, [2, 14, 12, 4], 2, "SAME"),
                       IMG, f32(3, 3, 4, 3)),
    "transpose_same_odd": (lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, [2, 13, 11, 4], 2, "SAME"), IMG, f32(3, 3, 4, 3)),
    "transpose_valid": (lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, [2, 15, 13, 4], 2, "VALID"), IMG, f32(3, 3, 4, 3)),
    "transpose_valid_extra": (lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, [2, 16, 14, 4], 2, "VALID"), IMG, f32(3, 3, 4, 3)),
    "transpose_stride1": (lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, [2, 7, 6, 2], 1, "SAME"), IMG, f32(2, 4, 2, 3)),
    "transpose_stride3_even_kernel": (lambda tf, x, w: tf.nn.conv2d_transpose(
        x, w, [2, 20, 17, 2], [3, 3], "SAME"), IMG, f32(4, 2, 2, 3)),
    "max_pool2d_same": (lambda tf, x: tf.nn.max_pool2d(x, 3, 2, "SAME"), IMG),
    "max_pool2d_valid": (lambda tf, x: tf.nn.max_pool2d(x, [1, 2, 3, 1], [1, 2, 1, 1], "VALID"),
                         IMG),
    "max_pool2d_ties": (lambda tf, x: tf.nn.max_pool2d(x, 2, 1, "VALID"), TIES),
    "max_pool2d_ties_same": (lambda tf, x: tf.nn.max_pool2d(x, 3, 2, "SAME"), TIES),
    "max_pool2d_explicit": (lambda tf, x: tf.nn.max_pool2d(
        x, 2, 2, [[0, 0], [1, 1], [1, 0], [0, 0]]), IMG),
    "avg_pool2d_same": (lambda tf, x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), IMG),
    "avg_pool2d_valid": (lambda tf, x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), IMG),
    "max_pool_1d": (lambda tf, x: tf.nn.max_pool(x, 2, 2, "SAME"), IMG[:, 0]),
    "avg_pool3d": (lambda tf, x: tf.nn.avg_pool3d(x, 2, 2, "SAME"), f32(1, 3, 4, 5, 2)),
    "max_pool3d": (lambda tf, x: tf.nn.max_pool3d(x, [2, 2, 3], 1, "VALID"), f32(1, 3, 4, 5, 2)),
    "avg_pool1d": (lambda tf, x: tf.nn.avg_pool1d(x, 3, 2, "SAME"), IMG[:, 0]),
    "convolution_1d": (lambda tf, x, w: tf.nn.convolution(x, w, 2, "SAME"), IMG[:, 0], W33[0]),
    "convolution_2d_dilated": (lambda tf, x, w: tf.nn.convolution(x, w, padding="SAME",
                                                                  dilations=2), IMG, W33),
    "convolution_3d": (lambda tf, x, w: tf.nn.convolution(x, w, data_format="NDHWC"),
                       f32(1, 4, 5, 5, 2), f32(2, 3, 3, 2, 3)),
    "conv1d_transpose": (lambda tf, x, w: tf.nn.conv1d_transpose(x, w, [2, 12, 2], 2),
                         IMG[:, 0], f32(3, 2, 3)),
    "conv3d_transpose": (lambda tf, x, w: tf.nn.conv3d_transpose(x, w, [1, 4, 9, 9, 2], 2),
                         f32(1, 2, 5, 5, 3), f32(2, 3, 3, 2, 3)),
    "conv_transpose_valid": (lambda tf, x, w: tf.nn.conv_transpose(
        x, w, [2, 15, 13, 4], 2, "VALID"), IMG, f32(3, 3, 4, 3)),
    "atrous_conv2d": (lambda tf, x, w: tf.nn.atrous_conv2d(x, w, 2, "VALID"), IMG, W33),
    "separable_conv2d": (lambda tf, x, d, p: tf.nn.separable_conv2d(
        x, d, p, [1, 1, 1, 1], "SAME"), IMG, f32(3, 3, 3, 2), f32(1, 1, 6, 4)),
    "separable_conv2d_strided": (lambda tf, x, d, p: tf.nn.separable_conv2d(
        x, d, p, [1, 2, 2, 1], "VALID"), IMG, f32(2, 2, 3, 1), f32(1, 1, 3, 2)),
    "pool_max_dilated": (lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", dilations=[2, 1]), IMG),
    "pool_max_dilated_ties": (lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", dilations=[1, 2]),
                              TIES),
    "pool_avg_dilated": (lambda tf, x: tf.nn.pool(x, [3, 2], "AVG", dilations=[1, 2]), IMG),
    "pool_max_same": (lambda tf, x: tf.nn.pool(x, [3, 3], "MAX", padding="SAME"), IMG),
    "pool_avg_strided_1d": (lambda tf, x: tf.nn.pool(x, [3], "AVG", strides=[2]), IMG[:, 0]),
    "depth_to_space": (lambda tf, x: tf.nn.depth_to_space(x, 2), f32(2, 3, 2, 8)),
    "space_to_depth": (lambda tf, x: tf.nn.space_to_depth(x, 2), f32(2, 4, 6, 3)),
    "crelu": (lambda tf, x: tf.nn.crelu(x, axis=0), LOGITS),
    "lrn": (lambda tf, x: tf.nn.local_response_normalization(x, 1, 0.5, 0.3, 0.75), IMG),
    "lrn_defaults": (lambda tf, x: tf.nn.lrn(x), f32(1, 2, 2, 12)),
    "log_poisson": (lambda tf, t, x: tf.nn.log_poisson_loss(t, x), np.abs(LOGITS) * 2, LOGITS),
    "log_poisson_full": (lambda tf, t, x: tf.nn.log_poisson_loss(t, x, compute_full_loss=True),
                         np.abs(LOGITS) * 2 + 0.1, LOGITS),
}


@pytest.mark.parametrize("case", sorted(CONV))
def test_conv_and_pool_match_tensorflow(real_tf, case):
    fn, *args = CONV[case]
    compare(real_tf, fn, *args, rtol=1e-4, atol=1e-5)


def test_zero_fraction(real_tf):
    compare(real_tf, lambda tf: tf.nn.zero_fraction(tf.nn.relu(LOGITS)), grad=False)


def test_nchw_block_ops_match_nhwc():
    x = f32(2, 3, 2, 8)
    nchw = np.transpose(x, [0, 3, 1, 2])
    for op in (tapejax.nn.depth_to_space, ):
        ours = op(nchw, 2, data_format="NCHW").numpy()
        np.testing.assert_array_equal(np.transpose(ours, [0, 2, 3, 1]), op(x, 2).numpy())
    y = f32(2, 4, 6, 3)
    ours = tapejax.nn.space_to_depth(np.transpose(y, [0, 3, 1, 2]), 2, "NCHW").numpy()
    np.testing.assert_array_equal(np.transpose(ours, [0, 2, 3, 1]),
                                  tapejax.nn.space_to_depth(y, 2).numpy())


def test_max_pool_of_integers(real_tf):
    compare(real_tf, lambda tf: tf.nn.max_pool2d(tf.constant([[[[1], [5]], [[3], [2]]]]), 2, 1,
                                                 "SAME"), grad=False)


NUMERIC = [
    (lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"), IMG[:1, :5, :5, :2], W33[:, :2, :2]),
    (lambda tf, x, w: tf.nn.conv2d_transpose(x, w, [1, 6, 6, 2], 2, "SAME"), IMG[:1, :3, :3, :2],
     W33[:2, :2, :2, :2]),
    (lambda tf, x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"), IMG[:1, :4, :4, :2],
     W33[:2, :2, :2, :2]),
    (lambda tf, x: tf.nn.max_pool2d(x, 2, 1, "SAME"), IMG[:1, :4, :4, :1]),
    (lambda tf, x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), IMG[:1, :5, :4, :1]),
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
    (lambda tf, x, w: tf.nn.conv1d_transpose(x, w, [1, 8, 2], 2), IMG[:1, 0, :4, :2],
     W33[0, :, :2, :2]),
    (lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", dilations=[2, 1]), IMG[:1, :4, :4, :1]),
]


@pytest.mark.parametrize("case", NUMERIC, ids=lambda c: "")
def test_numerical_gradients(case):
    fn, *args = case
    numeric_gradients(fn, *args, rtol=1e-5, atol=1e-6)


ERRORS = {
    "conv_strides_length": lambda tf: tf.nn.conv2d(IMG, W33, [1, 2, 2], "VALID"),
    "conv_batch_strides": lambda tf: tf.nn.conv2d(IMG, W33, [2, 1, 1, 1], "VALID"),
    "conv_channels": lambda tf: tf.nn.conv2d(IMG, tf.zeros([3, 3, 2, 4]), 1, "SAME"),
    "conv_padding": (lambda tf: tf.nn.conv2d(IMG, W33, 1, "FOO"), False),
    "conv_lowercase_padding": (lambda tf: tf.nn.conv2d(IMG, W33, 1, "same"), False),
    "conv_negative_output": lambda tf: tf.nn.conv2d(IMG, tf.zeros([9, 3, 3, 4]), 1, "VALID"),
    "conv_dtypes": (lambda tf: tf.nn.conv2d(tf.constant(IMG), tf.cast(W33, tf.float64), 1,
                                            "SAME"), False),  # oneDNN names its kernel
    # oneDNN builds of TF word these two differently: compare the class only.
    "depthwise_strides": (lambda tf: tf.nn.depthwise_conv2d(IMG, tf.zeros([3, 3, 3, 2]), [2, 2],
                                                            "SAME"), False),
    "depthwise_channels": (lambda tf: tf.nn.depthwise_conv2d(IMG, tf.zeros([3, 3, 2, 2]),
                                                             [1, 1, 1, 1], "SAME"), False),
    "pool_ksize_length": lambda tf: tf.nn.max_pool2d(IMG, [1, 3, 3], [1, 2, 2, 1], "VALID"),
    "pool_batch": lambda tf: tf.nn.max_pool2d(IMG, [2, 2, 2, 1], 2, "SAME"),
    "pool_negative_output": lambda tf: tf.nn.max_pool2d(IMG, 8, 1, "VALID"),
    "avg_pool_explicit": lambda tf: tf.nn.avg_pool2d(IMG, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]),
    "avg_pool_int": (lambda tf: tf.nn.avg_pool2d(tf.cast(IMG, tf.int32), 2, 2, "SAME"), False),
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
    "depth_to_space_block": lambda tf: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 4]), 1),
    "depth_to_space_depth": lambda tf: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 6]), 2),
    "space_to_depth_size": lambda tf: tf.nn.space_to_depth(tf.zeros([1, 5, 4, 1]), 2),
    "log_poisson_shapes": lambda tf: tf.nn.log_poisson_loss([1.0, 2.0], [1.0, 2.0, 3.0]),
    "pool_type": lambda tf: tf.nn.pool(IMG, [2, 2], "MIN"),
    "pool_dilated_same": lambda tf: tf.nn.pool(IMG, [2, 2], "MAX", padding="SAME",
                                               dilations=[2, 2]),
    "lrn_int": (lambda tf: tf.nn.lrn(tf.zeros([1, 1, 1, 2], tf.int32)), False),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


@pytest.mark.parametrize("filters, output_shape, message", [
    ([3, 3, 4, 3], [2, 16, 12, 4], "Size of out_backprop doesn't match computed: actual = 7, "
                                   "computed = 8"),
    ([3, 3, 4, 2], [2, 14, 12, 4], "filter and out_backprop must have the same out_depth"),
    ([3, 3, 4, 3], [2, 14, 12, 5], "input depth must be evenly divisible by filter depth"),
])
def test_conv2d_transpose_shape_errors(filters, output_shape, message):
    """TF's reference kernel raises these (oneDNN builds raise AbortedError instead)."""
    with pytest.raises(tapejax.errors.InvalidArgumentError, match=message):
        tapejax.nn.conv2d_transpose(IMG, tapejax.zeros(filters), output_shape, 2, "SAME")


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
