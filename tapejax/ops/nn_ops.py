"""Neural-network ops (``tf.nn``): activations, softmax and losses, convolution and pooling.

Values and gradients come from JAX. Where TF's gradient differs from the plain formula's (at
the kinks of ``leaky_relu``/``selu``, and ``softmax_cross_entropy_with_logits`` with labels
that do not sum to one), the JAX function is written so that its own derivative is TF's.
"""
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import dtypes, errors
from .._second_order import comparisons_connect
from ..tensor import Tensor, TensorLike, _is_text
from ..tensor_shape import TensorShape
from . import random_ops
from ._fuse import fused
from .array_ops import concat, concrete, gather, invalid, require_dtype, reshape, shape_invalid
from .clip_ops import _clip_by_norm
from .core import (
    apply,
    attr_int,
    attrs,
    broadcast_shapes,
    dims_str,
    dtype_of,
    int_array,
    match,
    no_kernel,
    normalize_axis,
    register,
    reject_text,
    require_inexact,
    require_numeric,
    required_int,
    required_value,
    select_rank_limit,
    static_float,
    static_int,
    to_tensor,
    unary,
)
from .math_ops import _mean, cast, not_equal, sigmoid, softplus  # noqa: F401 - tf.nn names of tf.math ops

# --- activations ----------------------------------------------------------------------------
relu = unary("relu", comparisons_connect(jax.nn.relu), tf_name="Relu",
             doc="``tf.nn.relu``: max(x, 0); the gradient at 0 is 0, as in TF.", param="features")


@comparisons_connect
def _relu6(x):
    return jnp.where(x > 0, jnp.where(x < 6, x, 6), 0)  # gradient 0 at both kinks, as TF


relu6 = unary("relu6", _relu6, tf_name="Relu6",
              doc="``tf.nn.relu6``: min(max(x, 0), 6); gradient 0 at both kinks, as in TF.",
              param="features")
softsign = unary("softsign", jax.nn.soft_sign, float_only=True, tf_name="Softsign",
                 doc="``tf.nn.softsign``: x / (|x| + 1).", param="features")


@fused
def _elu(x):
    negative = x < 0
    return jnp.where(negative, jnp.expm1(jnp.where(negative, x, 0)), x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@fused
def _selu(x):
    # The kink belongs to the linear side, so the gradient at 0 is ``scale`` (TF's SeluGrad).
    negative = x < 0
    return _SELU_SCALE * jnp.where(negative, _SELU_ALPHA * jnp.expm1(jnp.where(negative, x, 0)),
                                   x)


elu = unary("elu", _elu, float_only=True, tf_name="Elu",
            doc="``tf.nn.elu``: x for x >= 0, exp(x) - 1 otherwise.", param="features")
selu = unary("selu", _selu, float_only=True, tf_name="Selu",
             doc="``tf.nn.selu``: scaled elu; the gradient at 0 is ``scale``, as in TF.",
             param="features")


@fused
def _leaky_relu(x, *, alpha):
    return jnp.where(x > 0, x, x * jnp.asarray(alpha, x.dtype))  # TF: slope alpha at 0


@register("leaky_relu", _leaky_relu, tf_name="LeakyRelu")
def leaky_relu(features, alpha=0.2, name=None):
    """``tf.nn.leaky_relu``: x for x > 0, ``alpha * x`` otherwise (gradient ``alpha`` at 0);
    integer input is computed in float32, as in TF."""
    x = to_tensor(features)
    require_numeric(x, "LeakyRelu", "half, bfloat16, float, double")
    if x.dtype.is_integer:
        x = cast(x, dtypes.float32)
    return apply(_leaky_relu, (x,), attrs(alpha=float(alpha)), "LeakyRelu")


@fused
def _gelu(x, *, approximate):
    return jax.nn.gelu(x, approximate=approximate)


@register("gelu", _gelu, tf_name="Gelu")
def gelu(features, approximate=False, name=None):
    """``tf.nn.gelu``: x * Phi(x), exact (erf) or with TF's tanh approximation."""
    if _is_text(features):
        raise ValueError("`features.dtype` must be a floating point tensor.Received:"
                         "features.dtype=<dtype: 'string'> (argument `features` of tf.nn.gelu)")
    x = to_tensor(features)
    if not x.dtype.is_floating:
        raise ValueError("`features.dtype` must be a floating point tensor.Received:"
                         f"features.dtype={x.dtype}")
    return apply(_gelu, (x,), attrs(approximate=bool(approximate)), "Gelu")


@fused
def _silu(x, beta):
    return x * jax.nn.sigmoid(beta * x)


@register("silu", _silu, tf_name="Silu")
def silu(features, beta=1.0):
    """``tf.nn.silu`` (``tf.nn.swish``): x * sigmoid(beta * x); ``beta`` may be a Tensor."""
    if _is_text(features):  # TF casts ``beta`` to the string dtype
        raise errors.UnimplementedError(None, None, (
            "Cast float to string is not supported (argument `features` of tf.nn.silu) "
            "[Op:Cast] name: "))
    x = to_tensor(features)
    require_inexact(x, "Sigmoid")
    if isinstance(beta, TensorLike):
        x, beta = match(x, beta, "Mul")
    return apply(_silu, (x, beta), (), "Silu")


swish = silu


def _softmax(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


def _log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


def _float_axis(axis, rank, op_name):
    """TF's softmax moves a float ``axis`` (other than the last) with ``tf.range`` and
    ``tf.transpose``, which fail: ``InvalidArgumentError``, or ``TypeError`` when a negative
    one is added to the int32 rank first."""
    if -rank <= axis < 0:
        raise TypeError(errors.CANNOT_CONVERT.format(value=axis, dtype="int32")
                        + f" (argument `axis` of {op_name})")
    raise errors.InvalidArgumentError(None, None, (
        f"A float `axis` ({axis}) is not a dimension index (argument `axis`) [Op:Range] name: "))


def _softmax_api(name, fn, tf_name):
    def api(logits, axis=None, name=None):
        x = to_tensor(logits)
        require_inexact(x, tf_name)
        if isinstance(axis, (float, np.floating)) and axis not in (-1, x.ndim - 1):
            _float_axis(axis, x.ndim, tf_name)
        axis = -1 if axis is None else attr_int(axis, "axis", tf_name)
        if not -x.ndim <= axis < max(x.ndim, 1):
            raise errors.InvalidArgumentError(None, None, (
                f"`axis` {axis} is out of range for a tensor of rank {x.ndim} [Op:{tf_name}]"))
        return apply(fn, (x,), attrs(axis=axis), tf_name)
    api.__doc__ = f"``tf.nn.{name}`` over ``axis`` (default: the last one), on ``jax.nn``."
    return register(name, fn, kind="other", tf_name=tf_name)(api)


softmax = _softmax_api("softmax", _softmax, "Softmax")
log_softmax = _softmax_api("log_softmax", _log_softmax, "LogSoftmax")


def crelu(features, axis=-1, name=None):
    """``tf.nn.crelu``: ``relu`` of ``features`` and of ``-features``, concatenated on ``axis``."""
    x = to_tensor(features)
    return relu(concat([x, -x], axis))


# --- dropout, bias, normalization -----------------------------------------------------------
@fused
def _dropout(x, keep, *, scale):
    return jnp.where(keep, x * jnp.asarray(scale, x.dtype), jnp.zeros((), x.dtype))


@fused
def _dropout_rate(x, keep, rate):
    return jnp.where(keep, x / (1 - rate), jnp.zeros((), x.dtype))


@register("dropout", _dropout, tf_name="Dropout")
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """``tf.nn.dropout``: zeros entries with probability ``rate`` and scales the rest by
    ``1 / (1 - rate)``. The keep mask comes from ``tf.random``'s streams (JAX's numbers, not
    TF's); ``seed`` selects a reproducible stream as in ``tf.random.uniform``."""
    return _dropout_by(x, rate, noise_shape,
                       lambda shape, dtype: random_ops.uniform(shape, dtype=dtype, seed=seed))


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """``tf.nn.experimental.stateless_dropout``: :func:`dropout` with its keep mask a pure
    function of ``seed`` (int ``[2]``), from ``tf.random.stateless_uniform`` (JAX's numbers, not
    TF's: the same seed gives the same mask run after run, but not TF's mask)."""
    return _dropout_by(x, rate, noise_shape, lambda shape, dtype: random_ops.stateless_uniform(
        shape, seed=seed, dtype=dtype, alg="auto_select" if rng_alg is None else rng_alg))


def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """``tf.nn.experimental.general_dropout``: :func:`dropout` with the keep mask drawn by
    ``uniform_sampler(shape=..., dtype=...)`` (uniform numbers in ``[0, 1)``)."""
    return _dropout_by(x, rate, noise_shape,
                       lambda shape, dtype: uniform_sampler(shape=shape, dtype=dtype))


def _noise_dim(given, static):
    """One ``noise_shape`` entry as an int (None: the input's dimension); a Tensor entry is
    read while tracing when it is made of constants (``tf.shape(x)[i]`` in a ``tf.function``),
    as XLA shapes are static."""
    if given is None:
        return static
    return required_int(given, "noise_shape")


def _dropout_by(x, rate, noise_shape, uniform):
    is_number = isinstance(rate, (int, float)) and not isinstance(rate, bool)
    if is_number and not 0 <= rate < 1:
        raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    if not is_number and _is_text(rate):
        raise ValueError(f"`rate` must be a scalar or scalar tensor. Received: rate={rate} "
                         "(argument `rate` of tf.nn.dropout)")
    if _is_text(x):
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         "Received: x_dtype=<dtype: 'string'> (argument `x` of tf.nn.dropout)")
    x = to_tensor(x)
    if not x.dtype.is_floating:
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.dtype}")
    if is_number and rate == 0:
        return x
    if not is_number:
        rate = to_tensor(rate)
        if rate.ndim != 0:
            raise ValueError(f"Shape {rate.shape} must have rank 0")
        if rate.dtype != x.dtype:
            raise ValueError("`x.dtype` must be compatible with `rate.dtype`. Received: "
                             f"x.dtype={x.dtype} and rate.dtype={rate.dtype}")
    shape = x.shape.as_list()
    if noise_shape is not None:
        given = (required_value(noise_shape, "noise_shape").tolist()
                 if isinstance(noise_shape, TensorLike) else list(noise_shape))
        if len(given) == len(shape):
            given = [_noise_dim(g, d) for g, d in zip(given, shape)]
        shape = given
    try:
        broadcast_shapes(tuple(shape), tuple(x.shape))
    except ValueError:
        raise invalid(f"condition {dims_str(shape)}, then {dims_str(x.shape)}, and else [] must be "
                      "broadcastable", "SelectV2") from None
    select_rank_limit(shape, x.shape)
    keep = uniform(shape, x.dtype) >= rate
    if is_number:
        return apply(_dropout, (x, keep), attrs(scale=1 / (1 - rate)), "Dropout")
    return apply(_dropout_rate, (x, keep, rate), (), "Dropout")


@fused
def _bias_add(x, bias, *, axis):
    shape = [1] * x.ndim
    shape[axis] = bias.shape[0]
    return x + bias.reshape(shape)


@register("bias_add", _bias_add, tf_name="BiasAdd")
def bias_add(value, bias, data_format=None, name=None):
    """``tf.nn.bias_add``: adds the 1-D ``bias`` along the channel axis (last, or 1 for
    ``data_format='NC...'``)."""
    x, bias = match(value, bias, "BiasAdd", strict=True)
    if x.ndim < 2:
        raise invalid(f"Input tensor must be at least 2D: {dims_str(x.shape)}", "BiasAdd")
    if bias.ndim != 1:
        raise invalid(f"Biases must be 1D: {dims_str(bias.shape)}", "BiasAdd")
    axis = 1 if data_format is not None and str(data_format).startswith("NC") else x.ndim - 1
    if bias.shape[0] != x.shape[axis]:
        which = "last" if axis == x.ndim - 1 else "channel"
        raise invalid(f"Must provide as many biases as the {which} dimension of the input "
                      f"tensor: {dims_str(bias.shape)} vs. {dims_str(x.shape)}", "BiasAdd")
    return apply(_bias_add, (x, bias), attrs(axis=axis), "BiasAdd")


@fused
def _moments(x, *, axes, keepdims):
    y = x.astype(jnp.float32) if x.dtype == jnp.float16 else x
    mean = _mean(y, axis=axes, keepdims=True)
    # TF stops the gradient through the mean inside the variance.
    deviation = y - lax.stop_gradient(mean)
    variance = _mean(deviation * deviation, axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean.astype(x.dtype), variance.astype(x.dtype)


@register("moments", _moments, tf_name="Moments")
def moments(x, axes, shift=None, keepdims=False, name=None):
    """``tf.nn.moments``: ``(mean, variance)`` over ``axes``, computed as TF (float16 in
    float32, no gradient through the mean inside the variance)."""
    x = to_tensor(x)
    require_numeric(x, "Mean")
    if isinstance(axes, TensorLike) and not keepdims:  # TF squeezes the axes: a list attr
        raise TypeError(f"Expected list for 'axis' argument to 'squeeze' Op, not {axes!r}.")
    axes = normalize_axis(axes, x.ndim, "Mean")
    return apply(_moments, (x,), attrs(axes=axes, keepdims=bool(keepdims)), "Moments")


@fused
def _batch_norm(x, mean, variance, *rest, epsilon, has_offset, has_scale):
    offset = rest[0] if has_offset else None
    scale = rest[-1] if has_scale else None
    inv = lax.rsqrt(variance + jnp.asarray(epsilon, jnp.result_type(variance)))
    if has_scale:
        inv = inv * scale
    shift = offset - mean * inv if has_offset else -mean * inv
    return x * inv.astype(x.dtype) + shift.astype(x.dtype)


@register("batch_normalization", _batch_norm, tf_name="BatchNormalization")
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``tf.nn.batch_normalization``: ``(x - mean) * scale / sqrt(variance + eps) + offset``
    with TF's order of operations: the statistics share ``variance``'s dtype, and the result
    is cast to ``x``'s."""
    x = to_tensor(x)
    require_numeric(x, "Mul")
    if not isinstance(variance, (TensorLike, np.ndarray, np.generic, int, float)):
        raise TypeError(f"unsupported operand type(s) for +: '{type(variance).__name__}' and "
                        "'float' (argument `variance` of tf.nn.batch_normalization)")
    if mean is None:  # TF multiplies it
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor. (argument `mean` of "
                         "tf.nn.batch_normalization)")
    variance = to_tensor(variance)
    inputs = [x, match(variance, mean, "Mul", strict=True)[1], variance]
    for value in (offset, scale):
        if value is not None:
            inputs.append(match(variance, value, "Mul", strict=True)[1])
    static = attrs(epsilon=static_float(variance_epsilon, "variance_epsilon"),
                   has_offset=offset is not None, has_scale=scale is not None)
    return apply(_batch_norm, tuple(inputs), static, "BatchNormalization")


@fused
def _l2_loss(t):
    return jnp.sum(t * t) / 2


l2_loss = unary("l2_loss", _l2_loss, float_only=True, tf_name="L2Loss",
                doc="``tf.nn.l2_loss``: sum(t ** 2) / 2.", param="t")


@register("embedding_lookup", _clip_by_norm, tf_name="EmbeddingLookup")
def embedding_lookup(params, ids, max_norm=None, name=None):
    """``tf.nn.embedding_lookup``: rows of ``params`` (a tensor, or a list of shards split
    along axis 0 by TF's "div" strategy); rows longer than ``max_norm`` are scaled down."""
    if isinstance(params, (list, tuple)):
        params = params[0] if len(params) == 1 else concat(list(params), 0)
    params = to_tensor(params)
    ids = to_tensor(ids)
    rows = gather(params, ids)
    if max_norm is None:
        return rows
    axes = tuple(range(ids.ndim, rows.ndim))
    limit = Tensor(jnp.asarray(max_norm, rows.dtype.as_numpy_dtype))
    return apply(_clip_by_norm, (rows, limit), attrs(axes=axes), "EmbeddingLookup")


@fused
def _zero_fraction(x):
    return jnp.mean((x == 0).astype(jnp.float32))


@register("zero_fraction", _zero_fraction, tf_name="ZeroFraction", differentiable=False)
def zero_fraction(value, name=None):
    """``tf.nn.zero_fraction``: the fraction of zeros in ``value``, as float32."""
    value = to_tensor(value)
    if value.dtype is dtypes.string:  # TF's zero string is b""
        value = not_equal(value, "")
    return apply(_zero_fraction, (value,), (), "ZeroFraction", differentiable=False)


@fused
def _lrn(x, *, radius, bias, alpha, beta):
    squares = lax.reduce_window(x * x, np.zeros((), x.dtype), lax.add, (1, 1, 1, 2 * radius + 1),
                                (1, 1, 1, 1), ((0, 0), (0, 0), (0, 0), (radius, radius)))
    return x / (bias + alpha * squares) ** beta


@register("local_response_normalization", _lrn, tf_name="LRN")
def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5,
                                 name=None):
    """``tf.nn.local_response_normalization`` (``tf.nn.lrn``): each entry divided by
    ``(bias + alpha * sum of squares over 2 * depth_radius + 1 channels) ** beta``."""
    x = to_tensor(input)
    require_dtype(x, ("float16", "bfloat16", "float32"), "LRN", attr="T")
    if x.ndim != 4:
        raise invalid(f"input must be 4-dimensional, got rank {x.ndim}", "LRN")
    return apply(_lrn, (x,), attrs(radius=int(depth_radius), bias=float(bias),
                                   alpha=float(alpha), beta=float(beta)), "LRN")


lrn = local_response_normalization


# --- losses ---------------------------------------------------------------------------------
def _xent_args(name, labels, logits):
    if labels is None or logits is None:
        raise ValueError(f"Both `labels` and `logits` must be provided for {name}"
                         f"Received: labels={labels} and logits={logits}")
    logits, labels = _tensor_or_text(logits), _tensor_or_text(labels)
    if not _shape(labels).is_compatible_with(_shape(logits)):
        raise ValueError("`logits` and `labels` must have the same shape, received "
                         f"({_shape(logits)} vs {_shape(labels)}).")
    return logits, labels


def _tensor_or_text(value):
    """``value`` as a Tensor, or left as it is when it is a string (tapejax has no string
    tensors) so that TF's Python checks of its shape can run first."""
    return value if _is_text(value) else to_tensor(value)


def _shape(value):
    return TensorShape(np.shape(value)) if _is_text(value) else value.shape


@fused
def _sigmoid_xent(labels, logits):
    positive = logits >= 0
    relu_logits = jnp.where(positive, logits, 0)
    neg_abs = jnp.where(positive, -logits, logits)
    return relu_logits - logits * labels + jnp.log1p(jnp.exp(neg_abs))


@register("sigmoid_cross_entropy_with_logits", _sigmoid_xent, tf_name="LogisticLoss")
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """``tf.nn.sigmoid_cross_entropy_with_logits``: max(x, 0) - x * z + log(1 + exp(-|x|))."""
    logits, labels = _xent_args("sigmoid_cross_entropy_with_logits", labels, logits)
    logits, labels = match(logits, labels, "Mul")
    return apply(_sigmoid_xent, (labels, logits), (), "LogisticLoss")


@fused
def _weighted_xent(labels, logits, pos_weight):
    log_weight = 1 + (pos_weight - 1) * labels
    magnitude = jnp.sign(logits) * logits  # |x| with TF's Abs gradient: 0 at 0 (JAX's is 1)
    return (1 - labels) * logits + log_weight * (
        jnp.log1p(jnp.exp(-magnitude)) + jax.nn.relu(-logits))


@register("weighted_cross_entropy_with_logits", _weighted_xent, tf_name="LogisticLoss")
def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """``tf.nn.weighted_cross_entropy_with_logits``: the logistic loss with positive examples
    weighted by ``pos_weight``."""
    logits, labels = _xent_args("weighted_cross_entropy_with_logits", labels, logits)
    if not isinstance(pos_weight, (TensorLike, np.ndarray, np.generic, int, float, complex)):
        raise TypeError(f"unsupported operand type(s) for -: '{type(pos_weight).__name__}' and "
                        "'int' (argument `pos_weight` of tf.nn.weighted_cross_entropy_with_logits)")
    for what, value in (("pos_weight", pos_weight), ("labels", labels)):
        if dtype_of(value) == dtypes.bool:  # TF computes ``1 + (pos_weight - 1) * labels``
            raise TypeError(errors.CANNOT_CONVERT.format(value=1, dtype="bool")
                            + f" (argument `{what}` of tf.nn.weighted_cross_entropy_with_logits)")
    logits, labels = match(logits, labels, "Mul")
    _, pos_weight = match(logits, pos_weight, "Mul")
    return apply(_weighted_xent, (labels, logits, pos_weight), (), "LogisticLoss")


@fused
def _softmax_xent(labels, logits, *, axis):
    dtype = logits.dtype
    if dtype in (jnp.float16, jnp.bfloat16):
        logits = logits.astype(jnp.float32)
    labels = labels.astype(logits.dtype)
    labels, logits = jnp.broadcast_arrays(labels, logits)
    labels, logits = jnp.moveaxis(labels, axis, -1), jnp.moveaxis(logits, axis, -1)
    loss = -jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1), axis=-1)
    # TF's kernel returns softmax - labels as the logits gradient, the true derivative only
    # when the labels sum to one. The added term is zero but has derivative
    # (1 - sum(labels)) * softmax, which turns JAX's derivative into TF's.
    lse = jax.nn.logsumexp(logits, axis=-1)
    loss = loss - (jnp.sum(labels, axis=-1) - 1) * (lse - lax.stop_gradient(lse))
    return loss.astype(dtype)


@register("softmax_cross_entropy_with_logits", _softmax_xent,
          tf_name="SoftmaxCrossEntropyWithLogits")
def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """``tf.nn.softmax_cross_entropy_with_logits``: -sum(labels * log_softmax(logits)) over
    ``axis``; gradients as TF's kernel (logits: softmax - labels; labels: -log_softmax)."""
    op_name = "SoftmaxCrossEntropyWithLogits"
    for value, cast_text in ((labels, "string to float"), (logits, "float to string")):
        if _is_text(value):  # TF casts labels to the logits' dtype
            raise errors.UnimplementedError(None, None, (
                f"Cast {cast_text} is not supported (argument "
                f"`{'labels' if value is labels else 'logits'}` of "
                f"tf.nn.softmax_cross_entropy_with_logits) [Op:Cast] name: "))
    logits, labels = to_tensor(logits), to_tensor(labels)
    require_inexact(logits, op_name)
    if labels.dtype != logits.dtype:
        labels = cast(labels, logits.dtype)
    if axis is None:
        axis = -1
    elif not isinstance(axis, (int, np.integer)):  # TF's kernel takes a float axis, and fails
        axis = static_int(to_tensor(axis), "axis", op_name=op_name)
    if not -logits.ndim <= axis < max(logits.ndim, 1):
        raise invalid(f"axis {axis} is out of range for rank {logits.ndim}", op_name)
    if labels.ndim and logits.ndim and labels.shape != logits.shape and (
            axis % logits.ndim == logits.ndim - 1):
        labels = _kernel_labels(labels, logits, op_name)
    try:
        broadcast_shapes(tuple(labels.shape), tuple(logits.shape))
    except ValueError:
        raise invalid(f"logits and labels must be broadcastable: logits_size="
                      f"{dims_str(_2d(logits.shape))} labels_size={dims_str(_2d(labels.shape))}",
                      op_name) from None
    if labels.ndim != logits.ndim:
        raise invalid(f"logits and labels must be same rank: logits_size={dims_str(logits.shape)}"
                      f" labels_size={dims_str(labels.shape)}", op_name)
    return apply(_softmax_xent, (labels, logits), attrs(axis=axis % max(logits.ndim, 1)),
                 op_name)


def _kernel_labels(labels, logits, op_name):
    """``labels`` as TF's kernel sees them against ``logits``: both flattened to
    ``[rows, classes]``, labels broadcasting (one row or one class), the loss then reshaped to
    the logits' leading shape; reshaped here to broadcast the same way at full rank."""
    (a, label_classes), (b, classes) = _2d(labels.shape), _2d(logits.shape)
    if a not in (1, b) or label_classes not in (1, classes):
        raise invalid(f"logits and labels must be broadcastable: logits_size="
                      f"{dims_str([b, classes])} labels_size={dims_str([a, label_classes])}",
                      op_name)
    rows = a if b == 1 else b
    if rows != b:
        raise invalid(f"Input to reshape is a tensor with {rows} values, but the requested "
                      f"shape has {b}", "Reshape")
    lead = [1] * (logits.ndim - 1) if a == 1 else logits.shape.as_list()[:-1]
    return reshape(labels, lead + [label_classes])


def _2d(shape):
    dims = shape.as_list()
    return [int(np.prod(dims[:-1], dtype=np.int64)), dims[-1]] if dims else [1, 1]


@fused
def _sparse_xent(labels, logits):
    dtype = logits.dtype
    if dtype in (jnp.float16, jnp.bfloat16):
        logits = logits.astype(jnp.float32)
    classes = logits.shape[-1]
    valid = (labels >= 0) & (labels < classes)
    picked = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1),
                                 jnp.where(valid, labels, 0)[..., None], axis=-1)[..., 0]
    return jnp.where(valid, -picked, jnp.nan).astype(dtype)  # NaN out of range, as TF on GPU


@register("sparse_softmax_cross_entropy_with_logits", _sparse_xent,
          tf_name="SparseSoftmaxCrossEntropyWithLogits")
def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: -log_softmax(logits)[label].
    Out-of-range labels raise ``InvalidArgumentError`` eagerly (TF on CPU) and give NaN when
    traced (TF on GPU)."""
    op_name = "SparseSoftmaxCrossEntropyWithLogits"
    labels, logits = _tensor_or_text(labels), _tensor_or_text(logits)
    label_shape, logit_shape = _shape(labels), _shape(logits)
    if label_shape.rank != logit_shape.rank - 1:
        raise ValueError("`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                         f"labels.shape={label_shape} of rank {label_shape.rank} and "
                         f"logits.shape={logit_shape} of rank {logit_shape.rank}")
    labels, logits = to_tensor(labels), to_tensor(logits)
    if labels.shape.as_list() != logits.shape.as_list()[:-1]:
        raise ValueError("`labels.shape` must equal `logits.shape` except for the last "
                         f"dimension. Received: labels.shape={labels.shape} and logits.shape="
                         f"{logits.shape}")
    require_inexact(logits, op_name)
    require_dtype(labels, ("int32", "int64"), op_name, attr="Tlabels")
    values = concrete(labels)
    classes = logits.shape[-1]
    if values is not None and values.size and (values.min() < 0 or values.max() >= classes):
        flat = values.reshape(-1)
        bad = flat[(flat < 0) | (flat >= classes)][0]
        raise invalid(f"Received a label value of {bad} which is outside the valid range of "
                      f"[0, {classes}).  Label values: {' '.join(str(v) for v in flat)}",
                      op_name)
    return apply(_sparse_xent, (labels, logits), (), op_name)


@fused
def _log_poisson(targets, log_input, *, full):
    result = jnp.exp(log_input) - log_input * targets
    if full:
        stirling = (targets * jnp.log(targets) - targets
                    + 0.5 * jnp.log(2 * math.pi * targets))
        result = result + jnp.where((targets >= 0) & (targets <= 1), 0, stirling)
    return result


@register("log_poisson_loss", _log_poisson, tf_name="LogPoissonLoss")
def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``tf.nn.log_poisson_loss``: ``exp(log_input) - log_input * targets`` (plus TF's
    Stirling term for targets above 1 with ``compute_full_loss``)."""
    log_input, targets = _tensor_or_text(log_input), _tensor_or_text(targets)
    if not _shape(log_input).is_compatible_with(_shape(targets)):
        raise ValueError(f"`log_input` and `targets` must have the same shape, received "
                         f"({_shape(log_input)} vs {_shape(targets)}).")
    log_input, targets = match(log_input, targets, "Mul", strict=True)
    return apply(_log_poisson, (targets, log_input), attrs(full=bool(compute_full_loss)),
                 "LogPoissonLoss")


# --- convolution ----------------------------------------------------------------------------
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}
_AVG_POOL_TYPES = "half, bfloat16, float, double"


def _layout(data_format, n, op_name):
    """Input layout string (``NHWC``-style) and the index of its channel axis."""
    spatial = _SPATIAL[n]
    default = "N" + spatial + "C"
    data_format = default if data_format is None else str(data_format)
    if data_format in ("NWC", "NHWC", "NDHWC") and len(data_format) == n + 2:
        return default, n + 1
    if data_format in ("NCW", "NCHW", "NCDHW") and len(data_format) == n + 2:
        return "NC" + spatial, 1
    raise ValueError(f"`data_format` must be one of {default} or NC{spatial} for {op_name}. "
                     f"Received: data_format={data_format}")


def _window(value, n, channel_axis, what, op_name, lengths=None):
    """TF's ``strides``/``ksize``/``dilations`` (int, or list of 1, N or N+2) as N ints."""
    if value is None:
        return (1,) * n
    values = list(value) if isinstance(value, (list, tuple, str)) else [value]
    lengths = lengths or (1, n, n + 2)
    if len(values) not in lengths:
        allowed = ", ".join(str(k) for k in sorted(set(lengths))[:-1]) + f" or {max(lengths)}"
        raise ValueError(f"{what} should be of length {allowed}. Received: {what}={values} of "
                         f"length {len(values)}")
    values = [attr_int(v, what, op_name) for v in values]
    if len(values) == 1:
        return tuple(values) * n
    if len(values) == n:
        return tuple(values)
    if values[0] != 1 or values[channel_axis] != 1:
        kind = "Pooling is not yet supported on the batch dimension." if what == "ksize" else \
            "Current implementation does not yet support strides in the batch and depth " \
            "dimensions."
        raise errors.UnimplementedError(None, None, f"{kind} [Op:{op_name}] name: ")
    return tuple(v for k, v in enumerate(values) if k != 0 and k != channel_axis)


def _padding(padding, n, channel_axis, op_name):
    """``'SAME'``/``'VALID'`` or TF's explicit per-dimension pairs (spatial pairs kept)."""
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise invalid(f"Value for attr 'padding' of \"{padding}\" is not in the list of "
                          "allowed values: \"SAME\", \"VALID\", \"EXPLICIT\"", op_name)
        return padding
    if not isinstance(padding, (list, tuple)) or not (n == 2 or op_name == "MaxPool"):
        # TF takes explicit pairs only in its 2-D convolutions and 1-/2-D max pooling
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    for k, pair in enumerate(padding):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError("When `padding` is a list, each element of `padding` must be a "
                             f"list/tuple of size 2. Received: padding={padding} with element "
                             f"at index {k} of type {type(pair)}")
    pairs = [tuple(attr_int(v, "explicit_paddings", op_name) for v in p) for p in padding]
    if len(pairs) != n + 2:
        raise ValueError(f"When `padding` is a list, it must have {n + 2} pairs of integers. "
                         f"Received: padding={padding}")
    if pairs[0] != (0, 0) or pairs[channel_axis] != (0, 0):
        raise ValueError("The padding of the batch and channel dimensions must be zero. "
                         f"Received: padding={padding}")
    return tuple(p for k, p in enumerate(pairs) if k != 0 and k != channel_axis)


def _spatial_pads(padding, sizes, kernel, strides, dilations, op_name):
    """Per-dimension (before, after) padding, with TF's output-size check."""
    pads = []
    for k, (size, window, stride, rate) in enumerate(zip(sizes, kernel, strides, dilations)):
        effective = (window - 1) * rate + 1
        if padding == "SAME":
            out = -(-size // stride)
            total = max((out - 1) * stride + effective - size, 0)
            pads.append((total // 2, total - total // 2))
        else:
            before, after = (0, 0) if padding == "VALID" else padding[k]
            out = math.trunc((size + before + after - effective + stride) / stride)
            if out < 0:
                raise invalid(f"Computed output size would be negative: {out} [input_size: "
                              f"{size}, effective_filter_size: {effective}, stride: {stride}]",
                              op_name)
            pads.append((before, after))
    return tuple(pads)


def _conv(x, w, *, strides, padding, dilations, layout, groups):
    n = len(strides)
    kernel = _SPATIAL[n] + "IO"
    return lax.conv_general_dilated(x, w, strides, padding, rhs_dilation=dilations,
                                    dimension_numbers=(layout, kernel, layout),
                                    feature_group_count=groups)


def _check_conv_ranks(x, w, n, op_name):
    """TF's kernel errors for a filter of the wrong rank or an input of too low a rank
    (``conv1d`` expands both by one dimension first)."""
    rank = max(n, 2) + 2
    if w.ndim != n + 2:
        shape = ([1] if n == 1 else []) + w.shape.as_list()
        raise invalid(f"filter must be {rank}-dimensional: {dims_str(shape)}", op_name)
    if n == 1 and x.ndim < 2:
        raise invalid(f"Tried to expand dim index -3 for tensor with {x.ndim} dimensions.",
                      "ExpandDims")
    if x.ndim < n + 2:
        raise invalid(f"input must be {rank}-dimensional{dims_str(x.shape)}", op_name)


def _convolve(x, filters, strides, padding, data_format, dilations, n, op_name,
              depthwise=False, stride_lengths=None):
    if n != 1:  # conv1d expands the filters alone first: a string reaches the kernel
        reject_text(filters)
    x, w = match(x, filters, op_name)
    layout, channel = _layout(data_format, n, op_name)
    _check_conv_ranks(x, w, n, op_name)
    if x.ndim > n + 2 and not depthwise:  # TF folds extra leading batch dimensions
        batch = x.shape.as_list()[:x.ndim - n - 1]
        out = _convolve(reshape(x, [-1] + x.shape.as_list()[-(n + 1):]), w, strides, padding,
                        data_format, dilations, n, op_name, stride_lengths=stride_lengths)
        return reshape(out, batch + out.shape.as_list()[1:])
    if x.ndim != n + 2 or w.ndim != n + 2:
        raise ValueError(f"input must be {n + 2}-dimensional and filter must be "
                         f"{n + 2}-dimensional for {op_name}. Received: input.shape={x.shape}, "
                         f"filters.shape={w.shape}")
    strides = _window(strides, n, channel, "strides", op_name, stride_lengths)
    dilations = _window(dilations, n, channel, "dilations", op_name)
    padding = _padding(padding, n, channel, op_name)
    channels = x.shape[channel]
    sizes = [d for k, d in enumerate(x.shape.as_list()) if k not in (0, channel)]
    kernel = w.shape.as_list()[:n]
    if depthwise:
        if w.shape[n] != channels:
            raise invalid(f"input and filter must have the same depth: {channels} vs "
                          f"{w.shape[n]}", op_name)
        w = reshape(w, kernel + [1, channels * w.shape[n + 1]])
        groups = channels
    else:
        if channels % w.shape[n]:
            raise shape_invalid(f"input depth must be evenly divisible by filter depth: "
                                f"{channels} vs {w.shape[n]}", op_name)
        groups = channels // w.shape[n]
    pads = _spatial_pads(padding, sizes, kernel, strides, dilations, op_name)
    static = attrs(strides=strides, padding=pads, dilations=dilations, layout=layout,
                   groups=groups)
    return apply(_conv, (x, w), static, op_name)


@register("conv2d", _conv, tf_name="Conv2D")
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,
           name=None):
    """``tf.nn.conv2d``: filters ``[h, w, in/groups, out]``, TF's ``SAME``/``VALID``/explicit
    padding, strides and dilations as int or list of 1, 2 or 4."""
    return _convolve(input, filters, strides, padding, data_format, dilations, 2, "Conv2D")


@register("conv1d", _conv, tf_name="Conv1D")
def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,
           name=None):
    """``tf.nn.conv1d``: filters ``[w, in, out]``."""
    return _convolve(input, filters, stride, padding, data_format, dilations, 1, "Conv2D",
                     stride_lengths=(1, 3))


@register("conv3d", _conv, tf_name="Conv3D")
def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None,
           name=None):
    """``tf.nn.conv3d``: filters ``[d, h, w, in, out]``."""
    return _convolve(input, filters, strides, padding, data_format, dilations, 3, "Conv3D",
                     stride_lengths=(1, 3, 5))


@register("depthwise_conv2d", _conv, tf_name="DepthwiseConv2dNative")
def depthwise_conv2d(input, filter, strides, padding, data_format=None,
                     dilations=None, name=None):
    """``tf.nn.depthwise_conv2d``: filter ``[h, w, in, multiplier]``, output channel
    ``k * multiplier + m`` from input channel ``k``; ``strides`` has 4 entries."""
    strides = list(strides) if isinstance(strides, (list, tuple)) else [strides]
    if len(strides) != 4:
        raise invalid("Sliding window strides field must specify 4 dimensions",
                      "DepthwiseConv2dNative")
    return _convolve(input, filter, strides, padding, data_format, dilations, 2,
                     "DepthwiseConv2dNative", depthwise=True)


@fused
def _conv_transpose(x, w, *, strides, padding, dilations, layout):
    n = len(strides)
    w = jnp.flip(w, tuple(range(n)))
    return lax.conv_general_dilated(x, w, (1,) * n, padding, lhs_dilation=strides,
                                    rhs_dilation=dilations,
                                    dimension_numbers=(layout, _SPATIAL[n] + "OI", layout))


def _transposed(input, filters, output_shape, strides, padding, data_format, dilations, n,
                op_name, stride_lengths=None):
    reject_text(input)
    reject_text(filters)
    x, w = match(input, filters, op_name)
    layout, channel = _layout(data_format, n, op_name)
    if w.ndim != n + 2:
        raise invalid(f"filter must be {n + 2}-dimensional: {dims_str(w.shape)}", op_name)
    if x.ndim not in (n + 2, n + 3):
        raise invalid(f"input_sizes must be {n + 2} or {n + 3}-dimensional, got: {x.ndim}",
                      op_name)
    strides = _window(strides, n, channel, "strides", op_name, stride_lengths)
    dilations = _window(dilations, n, channel, "dilations", op_name)
    padding = _padding(padding, n, channel, op_name)
    output_shape = int_array(output_shape, "output_shape", "int32").reshape(-1).tolist()
    if len(output_shape) != n + 2 or x.ndim != n + 2 or w.ndim != n + 2:
        raise ValueError(f"`output_shape` must be of length {n + 2}, and input and filters of "
                         f"rank {n + 2}. Received: output_shape={output_shape}, input.shape="
                         f"{x.shape}, filters.shape={w.shape}")
    prefix = "Conv2DCustomBackpropInput: "
    if x.shape[channel] != w.shape[n + 1]:
        raise invalid(prefix + "filter and out_backprop must have the same out_depth", op_name)
    if output_shape[channel] != w.shape[n]:
        raise invalid(prefix + "input depth must be evenly divisible by filter depth", op_name)
    sizes = [d for k, d in enumerate(output_shape) if k not in (0, channel)]
    got = [d for k, d in enumerate(x.shape.as_list()) if k not in (0, channel)]
    kernel = w.shape.as_list()[:n]
    pads = _spatial_pads(padding, sizes, kernel, strides, dilations, op_name)
    transposed = []
    for k, (size, window, stride, rate, (before, after)) in enumerate(
            zip(sizes, kernel, strides, dilations, pads)):
        effective = (window - 1) * rate + 1
        computed = (size + before + after - effective) // stride + 1
        if computed != got[k]:
            raise invalid(f"{prefix}Size of out_backprop doesn't match computed: actual = "
                          f"{got[k]}, computed = {computed} spatial_dim: {k + 1} input: {size} "
                          f"filter: {window} output: {got[k]} stride: {stride} dilation: {rate}",
                          op_name)
        extra = size + before + after - effective - (computed - 1) * stride
        transposed.append((effective - 1 - before, effective - 1 - after + extra))
    static = attrs(strides=strides, padding=tuple(transposed), dilations=dilations,
                   layout=layout)
    return apply(_conv_transpose, (x, w), static, op_name)


@register("conv2d_transpose", _conv_transpose, tf_name="Conv2DBackpropInput")
def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NHWC", dilations=None, name=None):
    """``tf.nn.conv2d_transpose``: the gradient of ``conv2d`` w.r.t. its input; filters
    ``[h, w, out, in]``; ``output_shape`` picks among the sizes a strided conv maps from."""
    return _transposed(input, filters, output_shape, strides, padding, data_format, dilations,
                       2, "Conv2DBackpropInput")


@register("conv1d_transpose", _conv_transpose, tf_name="Conv2DBackpropInput")
def conv1d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NWC", dilations=None, name=None):
    """``tf.nn.conv1d_transpose``: filters ``[w, out, in]``."""
    return _transposed(input, filters, output_shape, strides, padding, data_format, dilations,
                       1, "Conv2DBackpropInput", stride_lengths=(1, 3))


@register("conv3d_transpose", _conv_transpose, tf_name="Conv3DBackpropInputV2")
def conv3d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NDHWC", dilations=None, name=None):
    """``tf.nn.conv3d_transpose``: filters ``[d, h, w, out, in]``."""
    return _transposed(input, filters, output_shape, strides, padding, data_format, dilations,
                       3, "Conv3DBackpropInputV2", stride_lengths=(1, 3, 5))


def conv_transpose(input, filters, output_shape, strides, padding="SAME",
                   data_format=None, dilations=None, name=None):
    """``tf.nn.conv_transpose``: 1-, 2- or 3-D by the length of ``output_shape``."""
    n = len(output_shape) - 2
    api = {1: conv1d_transpose, 2: conv2d_transpose, 3: conv3d_transpose}.get(n)
    if api is None:
        raise ValueError(f"`output_shape` must be of length 3, 4 or 5. Received: "
                         f"output_shape={output_shape} of length {len(output_shape)}.")
    return api(input, filters, output_shape, strides, padding,
               data_format or _layout(None, n, "conv_transpose")[0], dilations)


def convolution(input, filters, strides=None, padding="VALID", data_format=None,
                dilations=None, name=None):
    """``tf.nn.convolution``: 1-, 2- or 3-D convolution by the rank of ``filters``."""
    n = to_tensor(filters).ndim - 2
    if n not in _SPATIAL:
        raise ValueError(f"`filters.shape.rank` must be 3, 4 or 5. Received: filters rank "
                         f"{n + 2}")
    op_name = {1: "Conv2D", 2: "Conv2D", 3: "Conv3D"}[n]
    return _convolve(input, filters, strides, padding, data_format, dilations, n, op_name)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """``tf.nn.atrous_conv2d``: ``conv2d`` with dilation ``rate`` and stride 1."""
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return _convolve(value, filters, 1, padding, None, int(rate), 2, "Conv2D")


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):
    """``tf.nn.separable_conv2d``: ``depthwise_conv2d`` followed by a 1x1 ``conv2d``."""
    depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format,
                                 dilations)
    return _convolve(depthwise, pointwise_filter, 1, "VALID", data_format, None, 2, "Conv2D")


# --- pooling --------------------------------------------------------------------------------
@fused
def _pool(x, *, kind, window, strides, padding, dilation):
    # NumPy (concrete) initial values let JAX pick its differentiable max/sum window reducers.
    if kind == "max":
        init = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
        if any(d != 1 for d in dilation):
            return _dilated_max(x, np.array(init, x.dtype), window, strides, padding, dilation)
        return lax.reduce_window(x, np.array(init, x.dtype), lax.max, window, strides, padding)
    zero = np.zeros((), x.dtype)
    total = lax.reduce_window(x, zero, lax.add, window, strides, padding,
                              window_dilation=dilation)
    counts = lax.reduce_window(jnp.ones(x.shape, x.dtype), zero, lax.add, window, strides,
                               padding, window_dilation=dilation)
    return total / counts  # padded entries are not counted, as TF


def _dilated_max(x, init, window, strides, padding, dilation):
    """Max over dilated windows by stacking their entries (JAX has no VJP for dilated
    ``reduce_window`` max); the gradient goes to the first maximum, as TF's."""
    x = lax.pad(x, init, [(lo, hi, 0) for lo, hi in padding])
    counts = [(n - (w - 1) * d - 1) // s + 1
              for n, w, d, s in zip(x.shape, window, dilation, strides)]
    entries = []
    for offsets in itertools.product(*[range(w) for w in window]):
        start = [o * d for o, d in zip(offsets, dilation)]
        limit = [b + (c - 1) * s + 1 for b, c, s in zip(start, counts, strides)]
        entries.append(lax.slice(x, start, limit, strides))
    stacked = jnp.stack(entries)
    first = jnp.argmax(stacked, axis=0)[None]
    return jnp.take_along_axis(stacked, first, axis=0)[0]


def _pooling(kind, x, ksize, strides, padding, data_format, n, op_name, dilations=None):
    x = to_tensor(x)
    if n is None:
        n = x.ndim - 2
        if n not in _SPATIAL:
            raise ValueError(f"`input.shape.rank` must be 3-5. Received: input.shape={x.shape} "
                             f"of rank {x.ndim}")
    layout, channel = _layout(data_format, n, op_name)
    no_kernel(x.dtype, op_name)
    if kind == "avg":
        require_inexact(x, op_name, _AVG_POOL_TYPES)
    if x.ndim != n + 2:
        raise invalid(f"tensor_in_shape must have {n} spatial dimensions. {x.ndim} 0", op_name)
    window = _window(ksize, n, channel, "ksize", op_name)
    strides = _window(strides, n, channel, "strides", op_name)
    if kind == "avg" and not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    padding = _padding(padding, n, channel, op_name)
    dilations = _window(dilations, n, channel, "dilations", op_name)
    sizes = [d for k, d in enumerate(x.shape.as_list()) if k not in (0, channel)]
    pads = _spatial_pads(padding, sizes, window, strides, dilations, op_name)

    def full(values, fill):
        out = list(values)
        for k in (0, channel):
            out.insert(k, fill)
        return tuple(out)
    static = attrs(kind=kind, window=full(window, 1), strides=full(strides, 1),
                   padding=full(pads, (0, 0)), dilation=full(dilations, 1))
    return apply(_pool, (x,), static, op_name)


def _pool_api(kind, name, n, tf_name, default_format):
    def api(input, ksize, strides, padding, data_format=default_format,
            name=None):
        return _pooling(kind, input, ksize, strides, padding, data_format, n, tf_name)
    api.__doc__ = (f"``tf.nn.{name}``: {kind} over windows of ``ksize`` with TF's padding" +
                   (" (padded entries are not counted)." if kind == "avg" else "."))
    return register(name, _pool, tf_name=tf_name)(api)


max_pool1d = _pool_api("max", "max_pool1d", 1, "MaxPool", "NWC")
max_pool2d = _pool_api("max", "max_pool2d", 2, "MaxPool", "NHWC")
max_pool3d = _pool_api("max", "max_pool3d", 3, "MaxPool3D", "NDHWC")
max_pool = _pool_api("max", "max_pool", None, "MaxPool", None)
avg_pool1d = _pool_api("avg", "avg_pool1d", 1, "AvgPool", "NWC")
avg_pool2d = _pool_api("avg", "avg_pool2d", 2, "AvgPool", "NHWC")
avg_pool3d = _pool_api("avg", "avg_pool3d", 3, "AvgPool3D", "NDHWC")
avg_pool = _pool_api("avg", "avg_pool", None, "AvgPool", None)


def pool(input, window_shape, pooling_type, strides=None, padding="VALID",
         data_format=None, dilations=None, name=None):
    """``tf.nn.pool``: ``"MAX"`` or ``"AVG"`` pooling in 1-3 spatial dimensions, with window
    dilation."""
    n = len(window_shape)
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"{n}-D {pooling_type} pooling is not supported.")
    strides = 1 if strides is None else strides
    dilated = dilations is not None and any(
        d != 1 for d in _window(dilations, n, n + 1, "dilations", "pool"))
    if dilated and any(s != 1 for s in _window(strides, n, n + 1, "strides", "pool")):
        raise ValueError("`strides` > 1 not supported in conjunction with `dilation_rate` > 1. "
                         f"Received: strides={strides} and dilation_rate={dilations}")
    if dilated and padding == "SAME":
        raise ValueError("pooling with 'SAME' padding is not implemented for `dilation_rate` > "
                         f"1. Received: padding={padding} and dilation_rate="
                         f"{np.asarray(dilations)}")
    kind = "max" if pooling_type == "MAX" else "avg"
    op_name = "MaxPool" if kind == "max" else "AvgPool"
    return _pooling(kind, input, list(window_shape), strides, padding, data_format, n, op_name,
                    dilations)


# --- depth <-> space rearrangement ---------------------------------------------------------
@fused
def _depth_to_space(x, *, block, channels_first):
    if channels_first:
        x = jnp.moveaxis(x, 1, -1)
    b, h, w, c = x.shape
    y = x.reshape(b, h, w, block, block, c // block ** 2).transpose(0, 1, 3, 2, 4, 5)
    y = y.reshape(b, h * block, w * block, c // block ** 2)
    return jnp.moveaxis(y, -1, 1) if channels_first else y


@fused
def _space_to_depth(x, *, block, channels_first):
    if channels_first:
        x = jnp.moveaxis(x, 1, -1)
    b, h, w, c = x.shape
    y = x.reshape(b, h // block, block, w // block, block, c).transpose(0, 1, 3, 2, 4, 5)
    y = y.reshape(b, h // block, w // block, block * block * c)
    return jnp.moveaxis(y, -1, 1) if channels_first else y


def _block_args(input, block_size, data_format, op_name):
    x = to_tensor(input)
    block = attr_int(block_size, "block_size", op_name)
    if block < 2:
        raise invalid(f"Value for attr 'block_size' of {block} must be at least minimum 2",
                      op_name)
    if x.ndim != 4:
        raise invalid(f"input rank should be: 4 instead of: {x.ndim}", op_name)
    channels_first = str(data_format).startswith("NC")
    dims = x.shape.as_list()
    h, w, c = (dims[2], dims[3], dims[1]) if channels_first else dims[1:]
    return x, block, channels_first, (h, w, c)


@register("depth_to_space", _depth_to_space, tf_name="DepthToSpace")
def depth_to_space(input, block_size, data_format="NHWC", name=None):
    """``tf.nn.depth_to_space``: moves channel blocks into ``block_size``-sized spatial tiles."""
    x, block, channels_first, (_, _, c) = _block_args(input, block_size, data_format,
                                                      "DepthToSpace")
    if c % (block * block):
        raise invalid(f"Input depth dimension {c} should be divisible by: {block * block}",
                      "DepthToSpace")
    return apply(_depth_to_space, (x,), attrs(block=block, channels_first=channels_first),
                 "DepthToSpace")


@register("space_to_depth", _space_to_depth, tf_name="SpaceToDepth")
def space_to_depth(input, block_size, data_format="NHWC", name=None):
    """``tf.nn.space_to_depth``: moves ``block_size``-sized spatial tiles into channels."""
    x, block, channels_first, (h, w, _) = _block_args(input, block_size, data_format,
                                                      "SpaceToDepth")
    if h % block or w % block:
        raise invalid(f"Image width {w} and height {h} should be divisible by block_size: "
                      f"{block}", "SpaceToDepth")
    return apply(_space_to_depth, (x,), attrs(block=block, channels_first=channels_first),
                 "SpaceToDepth")
