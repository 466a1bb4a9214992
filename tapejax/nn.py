"""``tf.nn``: activations, losses, convolution, pooling and normalization."""
from .ops.math_ops import tanh as tanh  # noqa: F401
from .ops.nn_ops import (  # noqa: F401
    atrous_conv2d as atrous_conv2d, avg_pool as avg_pool, avg_pool1d as avg_pool1d,
    avg_pool2d as avg_pool2d, avg_pool3d as avg_pool3d,
    batch_normalization as batch_normalization, bias_add as bias_add, conv1d as conv1d,
    conv1d_transpose as conv1d_transpose, conv2d as conv2d,
    conv2d_transpose as conv2d_transpose, conv3d as conv3d,
    conv3d_transpose as conv3d_transpose, conv_transpose as conv_transpose,
    convolution as convolution, crelu as crelu, depth_to_space as depth_to_space,
    depthwise_conv2d as depthwise_conv2d, dropout as dropout, elu as elu,
    embedding_lookup as embedding_lookup, gelu as gelu, l2_loss as l2_loss,
    leaky_relu as leaky_relu, local_response_normalization as local_response_normalization,
    log_poisson_loss as log_poisson_loss, log_softmax as log_softmax, lrn as lrn,
    max_pool as max_pool, max_pool1d as max_pool1d, max_pool2d as max_pool2d,
    max_pool3d as max_pool3d, moments as moments, pool as pool, relu as relu, relu6 as relu6,
    selu as selu, separable_conv2d as separable_conv2d, sigmoid as sigmoid,
    sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits, silu as silu,
    softmax as softmax, softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits,
    softplus as softplus, softsign as softsign, space_to_depth as space_to_depth,
    sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits,
    swish as swish, weighted_cross_entropy_with_logits as weighted_cross_entropy_with_logits,
    zero_fraction as zero_fraction,
)
from .ops.composite_ops import (  # noqa: F401,E402
    approx_max_k as approx_max_k,
    batch_norm_with_global_normalization as batch_norm_with_global_normalization,
    compute_average_loss as compute_average_loss, in_top_k as in_top_k,
    normalize_moments as normalize_moments, scale_regularization_loss as scale_regularization_loss,
    sufficient_statistics as sufficient_statistics, weighted_moments as weighted_moments,
)
from .ops.math_ops import l2_normalize as l2_normalize, top_k as top_k  # noqa: F401,E402
from .ops.index_ops import space_to_batch as space_to_batch  # noqa: F401,E402
