"""``tf.nn`` convolution and pooling against real TensorFlow: values, gradients, errors."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, numeric_gradients, same_error

R = np.random.RandomState(1)
IMG = R.normal(size=(2, 7, 6, 3)).astype(np.float32)
W33 = R.normal(size=(3, 3, 3, 4)).astype(np.float32)
LOGITS = R.normal(size=(4, 5)).astype(np.float32)
TIES = np.array([[1, 3, 3, 0], [3, 2, 1, 1], [0, 0, 2, 2], [1, 2, 2, 1]],
                np.float32).reshape(1, 4, 4, 1)


def f32(*shape):
    return R.normal(size=shape).astype(np.float32)


CONV = {
    "conv2d_same": (lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME"), IMG, W33),
    "conv2d_valid_stride2": (lambda tf, x, w: tf.nn.conv2d(x, w, [2, 2], "VALID"), IMG, W33),
    "conv2d_same_stride2": (lambda tf, x, w: tf.nn.conv2d(x, w, [1, 2, 3, 1], "SAME"), IMG, W33),
    "conv2d_dilated": (lambda tf, x, w: tf.nn.conv2d(x, w, 1, "SAME", dilations=2), IMG, W33),
    "conv2d_explicit": (lambda tf, x, w: tf.nn.conv2d(
        x, w, 1, [[0, 0], [1, 2], [0, 1], [0, 0]]), IMG, W33),
    "conv2d_even_kernel": (lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"), IMG, f32(2, 4, 3, 2)),
    "conv1d": (lambda tf, x, w: tf.nn.conv1d(x, w, 2, "SAME"), IMG[:, 0], W33[0]),
    "conv2d_batch_dims": (lambda tf, x, w: tf.nn.conv2d(x, w, [2, 2], "SAME"),
                          IMG.reshape((1,) + IMG.shape), W33),  # extra leading batch axes
    "conv1d_batch_dims": (lambda tf, x, w: tf.nn.conv1d(x, w, 2, "SAME"), IMG, W33[0]),
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


CONV_NUMERIC = [
    (lambda tf, x, w: tf.nn.conv2d(x, w, 2, "SAME"), IMG[:1, :5, :5, :2], W33[:, :2, :2]),
    (lambda tf, x, w: tf.nn.conv2d_transpose(x, w, [1, 6, 6, 2], 2, "SAME"), IMG[:1, :3, :3, :2],
     W33[:2, :2, :2, :2]),
    (lambda tf, x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"), IMG[:1, :4, :4, :2],
     W33[:2, :2, :2, :2]),
    (lambda tf, x: tf.nn.max_pool2d(x, 2, 1, "SAME"), IMG[:1, :4, :4, :1]),
    (lambda tf, x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), IMG[:1, :5, :4, :1]),
    (lambda tf, x, w: tf.nn.conv1d_transpose(x, w, [1, 8, 2], 2), IMG[:1, 0, :4, :2],
     W33[0, :, :2, :2]),
    (lambda tf, x: tf.nn.pool(x, [2, 2], "MAX", dilations=[2, 1]), IMG[:1, :4, :4, :1]),
]


@pytest.mark.parametrize("case", CONV_NUMERIC, ids=lambda c: "")
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
    "depth_to_space_block": lambda tf: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 4]), 1),
    "depth_to_space_depth": lambda tf: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 6]), 2),
    "space_to_depth_size": lambda tf: tf.nn.space_to_depth(tf.zeros([1, 5, 4, 1]), 2),
    "pool_type": lambda tf: tf.nn.pool(IMG, [2, 2], "MIN"),
    "pool_dilated_same": lambda tf: tf.nn.pool(IMG, [2, 2], "MAX", padding="SAME",
                                               dilations=[2, 2]),
    "lrn_int": (lambda tf: tf.nn.lrn(tf.zeros([1, 1, 1, 2], tf.int32)), False),
    "conv_filter_rank": (lambda tf: tf.nn.conv2d(IMG, W33[0], 1, "SAME"), False),
    "conv1d_filter_rank": (lambda tf: tf.nn.conv1d(IMG[:, 0], W33[0, 0], 1, "SAME"), False),
    "conv1d_input_rank_1": (lambda tf: tf.nn.conv1d(IMG[0, 0, 0], W33[0], 1, "SAME"), False),
    "conv_transpose_input_rank": (lambda tf: tf.nn.conv2d_transpose(
        IMG[0], W33, [2, 7, 6, 4], 1), False),
    "conv_transpose_filter_rank": (lambda tf: tf.nn.conv2d_transpose(
        IMG, W33[0], [2, 7, 6, 4], 1), False),
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
