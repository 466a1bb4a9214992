"""``tf.math`` and ``tf.nn`` functions that TF writes in Python on top of its kernels
(``polyval``, ``lbeta``, ``confusion_matrix``, ``compute_average_loss``, moments helpers, ...)
plus the small kernels they need (``cumulative_logsumexp``, ``in_top_k``,
``invert_permutation``, ``betainc``). Composites are built from tapejax ops, so their values,
dtypes and gradients follow TF's formulas.
"""
import collections

import jax.numpy as jnp
import jax.scipy.special as jss
from jax import lax

from .. import dtypes, errors
from . import array_ops, math_ops, nn_ops
from .core import (
    apply,
    attr_int,
    attrs,
    dims_str,
    int_array,
    known_value,
    match_all,
    normalize_axis,
    register,
    require_inexact,
    require_type,
    required_int,
    required_value,
    static_int,
    tf_type_name,
    to_tensor,
)
from .special_ops import _not_differentiated

_REAL = "bfloat16, half, float, double"


# --- kernels --------------------------------------------------------------------------------
def _cumulative_logsumexp(x, *, axis, exclusive, reverse):
    out = lax.cumlogsumexp(x, axis=axis, reverse=reverse)
    if not exclusive:
        return out
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, 1) if reverse else (1, 0)
    start = 1 if reverse else 0
    shifted = jnp.pad(out, pad, constant_values=-jnp.inf)
    return lax.slice_in_dim(shifted, start, start + x.shape[axis], axis=axis)


@register("cumulative_logsumexp", _cumulative_logsumexp, tf_name="CumulativeLogsumexp")
def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``tf.math.cumulative_logsumexp``: ``log(cumsum(exp(x)))`` computed stably; an
    exclusive scan starts at ``-inf``."""
    x = to_tensor(x)
    require_inexact(x, "CumulativeLogsumexp", _REAL)
    axis = int_array(axis, "axis")
    if axis.ndim:
        raise errors.InvalidArgumentError(None, None, (
            f"ScanOp: axis must be a scalar, not {dims_str(axis.shape)} (argument `axis`) "
            "[Op:CumulativeLogsumexp]"))
    axis, rank = int(axis), x.ndim
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(None, None, (
            f"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {axis} "
            "[Op:CumulativeLogsumexp] name: "))
    axis %= rank
    static = attrs(axis=axis, exclusive=bool(exclusive), reverse=bool(reverse))
    return apply(_cumulative_logsumexp, (x,), static, "CumulativeLogsumexp")


def _in_top_k(predictions, targets, *, k):
    if not predictions.shape[1]:  # no classes: no target is in the top k
        return jnp.zeros(targets.shape, bool)
    rows = jnp.arange(predictions.shape[0])
    valid = (targets >= 0) & (targets < predictions.shape[1])
    target = predictions[rows, jnp.clip(targets, 0, predictions.shape[1] - 1)]
    larger = jnp.sum(predictions > target[:, None], axis=1)
    finite = jnp.all(jnp.isfinite(predictions), axis=1)
    return valid & finite & (larger < k)


@register("in_top_k", _in_top_k, differentiable=False, tf_name="InTopKV2")
def in_top_k(targets, predictions, k, name=None):
    """``tf.math.in_top_k``: whether each target's prediction is among the ``k`` largest of its
    row (ties count as in, as TF; a row with a non-finite value or an out-of-range target is
    False). ``targets`` and ``k`` share one integer dtype, as TF converts them."""
    array_ops._string_first(targets, k, "targets")  # TF converts k to targets' dtype
    targets, _ = match_all("InTopKV2", targets=targets, k=k)  # k stays a static value
    require_type(targets, "InTopKV2", "int32, int64")
    predictions = to_tensor(predictions, dtypes.float32)
    if predictions.dtype != dtypes.float32:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of {tf_type_name(predictions.dtype)} is not in the list of "
            "allowed values: float [Op:InTopKV2] name: "))
    if predictions.ndim != 2 or targets.ndim != 1:
        raise errors.InvalidArgumentError(None, None, (
            "predictions must be 2-dimensional and targets 1-dimensional, got "
            f"{predictions.shape} and {targets.shape} [Op:InTopKV2] name: "))
    if targets.shape[0] != predictions.shape[0]:
        raise errors.InvalidArgumentError(None, None, (
            "First dimension of predictions " f"{predictions.shape[0]} must match length of "
            f"targets {targets.shape[0]} [Op:InTopKV2] name: "))
    static = attrs(k=static_int(k, "k", op_name="InTopKV2"))
    return apply(_in_top_k, (predictions, targets), static, "InTopKV2", differentiable=False)


def _invert_permutation(x):
    return jnp.zeros_like(x).at[x].set(jnp.arange(x.shape[0], dtype=x.dtype))


@register("invert_permutation", _invert_permutation, differentiable=False,
          tf_name="InvertPermutation")
def invert_permutation(x, name=None):
    """``tf.math.invert_permutation``: ``y[x[i]] = i``; TF's errors for a non-permutation."""
    x = to_tensor(x)
    if x.dtype not in (dtypes.int32, dtypes.int64):
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of {tf_type_name(x.dtype)} is not in the list of allowed "
            "values: int32, int64 [Op:InvertPermutation] name: "))
    if x.ndim != 1:
        raise errors.InvalidArgumentError(None, None, (
            "invert_permutation expects a 1D vector. [Op:InvertPermutation] name: "))
    values = known_value(x)  # None when a traced function computes it: TF checks at run time
    seen, size = set(), x.shape[0]
    for v in [] if values is None else values.tolist():
        if not 0 <= v < size:
            raise errors.InvalidArgumentError(None, None, (
                f"{v} is not between 0 and {size} [Op:InvertPermutation] name: "))
        if v in seen:
            raise errors.InvalidArgumentError(None, None, (
                f"{v} is duplicated in the input. [Op:InvertPermutation] name: "))
        seen.add(v)
    return apply(_invert_permutation, (x,), (), "InvertPermutation", differentiable=False)


def _betainc(a, b, x):
    return jss.betainc(a, b, x)


@register("betainc", _betainc, tf_name="Betainc")
def betainc(a, b, x, name=None):
    """``tf.math.betainc``: the regularized incomplete beta function; as in TF only ``x`` has a
    gradient (None for ``a`` and ``b``)."""
    a, b, x = match_all("Betainc", a=a, b=b, x=x)
    require_inexact(a, "Betainc", "float, double")
    for (n1, t1), (n2, t2) in (("a", a), ("b", b)), (("a", a), ("x", x)), (("b", b), ("x", x)):
        if t1.ndim and t2.ndim and t1.shape != t2.shape:  # TF broadcasts scalars only
            raise errors.InvalidArgumentError(None, None, (
                f"Shapes of {n1} and {n2} are inconsistent: {dims_str(t1)} vs. {dims_str(t2)} "
                "[Op:Betainc] name: "))
    return apply(_betainc, (_not_differentiated(a), _not_differentiated(b), x), (), "Betainc")


ApproxTopK = collections.namedtuple("ApproxTopK", ["values", "indices"])


def _approx_max_k(x, *, k, axis):
    values, indices = lax.top_k(jnp.moveaxis(x, axis, -1), k)
    return jnp.moveaxis(values, -1, axis), jnp.moveaxis(indices.astype(jnp.int32), -1, axis)


@register("approx_max_k", _approx_max_k, tf_name="ApproxTopK")
def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """``tf.math.approx_max_k``: the ``k`` largest values and their int32 indices along
    ``reduction_dimension``. On CPU TF computes them exactly; so does this (on every device)."""
    x = to_tensor(operand)
    k = attr_int(k, "k", "ApproxTopK")
    require_type(x, "ApproxTopK", "half, bfloat16, float")
    axis = normalize_axis(reduction_dimension, x.ndim, "ApproxTopK")[0]
    return ApproxTopK(*apply(_approx_max_k, (x,), attrs(k=k, axis=axis), "ApproxTopK"))


# --- composites -----------------------------------------------------------------------------
def polyval(coeffs, x, name=None):
    """``tf.math.polyval``: Horner's rule over the list ``coeffs`` (highest power first); an
    empty list gives zeros like ``x``."""
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    x = to_tensor(x)
    if not coeffs:
        return array_ops.zeros_like(x)
    coeffs = [to_tensor(c, x.dtype) for c in coeffs]
    p = coeffs[0]
    for c in coeffs[1:]:
        p = math_ops.add(c, math_ops.multiply(p, x))
    return p


def lbeta(x, name=None):
    """``tf.math.lbeta``: ``sum(lgamma(x)) - lgamma(sum(x))`` over the last axis."""
    x = to_tensor(x)
    lgammas = math_ops.reduce_sum(math_ops.lgamma(x), axis=[-1])
    return math_ops.subtract(lgammas, math_ops.lgamma(math_ops.reduce_sum(x, axis=[-1])))


def is_non_decreasing(x, name=None):
    """``tf.math.is_non_decreasing``: True when each element is >= the one before (flattened)."""
    return _monotone(x, math_ops.less_equal)


def is_strictly_increasing(x, name=None):
    """``tf.math.is_strictly_increasing``: True when each element is > the one before."""
    return _monotone(x, math_ops.less)


def _monotone(x, compare):
    x = array_ops.reshape(to_tensor(x), [-1])
    return math_ops.reduce_all(compare(x[:-1], x[1:]))


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """``tf.math.accumulate_n`` (deprecated in TF): ``tf.math.add_n`` of ``inputs``."""
    return math_ops.add_n(inputs)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32,
                     name=None):
    """``tf.math.confusion_matrix``: ``[labels, predictions]`` counts (or summed ``weights``)
    as a ``num_classes`` square matrix; TF's errors for negative or too large values."""
    labels = math_ops.cast(labels, dtypes.int64)
    predictions = math_ops.cast(predictions, dtypes.int64)
    # Without num_classes the size comes from the values, which must be known; with it, a value
    # a traced function computes (None) is not checked here (TF checks it at run time).
    values = {what: required_value(v, what) if num_classes is None else known_value(v)
              for what, v in (("labels", labels), ("predictions", predictions))}
    for what, v in values.items():
        if v is not None and v.size and v.min() < 0:
            raise errors.InvalidArgumentError(None, None, (
                f"`{what}` contains negative values.  \nCondition x >= 0 did not hold "
                "element-wise."))
    if num_classes is None:
        num_classes = max([int(v.max()) + 1 for v in values.values() if v is not None and v.size]
                          or [0])
    num_classes = required_int(num_classes, "num_classes")
    for what, v in values.items():
        if v is not None and v.size and v.max() >= num_classes:
            raise errors.InvalidArgumentError(None, None, (
                f"`{what}` out of bound\nCondition x < y did not hold element-wise."))
    dtype = dtypes.as_dtype(dtype)
    updates = (array_ops.ones_like(predictions, dtype) if weights is None
               else math_ops.cast(weights, dtype))
    indices = array_ops.stack([labels, predictions], axis=1)
    return array_ops.scatter_nd(indices, updates, [num_classes, num_classes])


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """``tf.nn.compute_average_loss``: the summed (weighted) loss over the global batch size,
    which defaults to the first dimension times the replicas in sync."""
    from ..distribute import get_strategy
    loss = to_tensor(per_example_loss)
    if not loss.dtype.is_floating:
        raise TypeError(f"Invalid dtype {loss.dtype} in `per_example_loss`: expected a "
                        "floating dtype.")
    if sample_weight is not None:
        loss = math_ops.multiply(loss, math_ops.cast(sample_weight, loss.dtype))
    replicas = get_strategy().num_replicas_in_sync
    if global_batch_size is None:
        batch = int(loss.shape[0]) if loss.ndim else 1
        global_batch_size = batch * replicas
    total = math_ops.reduce_sum(loss)
    return math_ops.divide_no_nan(total, math_ops.cast(global_batch_size, loss.dtype))


def scale_regularization_loss(regularization_loss):
    """``tf.nn.scale_regularization_loss``: the (summed, if a list) loss over the replicas in
    sync."""
    from ..distribute import get_strategy
    if isinstance(regularization_loss, (list, tuple)):
        regularization_loss = math_ops.add_n(regularization_loss)
    loss = to_tensor(regularization_loss)
    return math_ops.divide(loss, math_ops.cast(get_strategy().num_replicas_in_sync, loss.dtype))


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """``tf.nn.sufficient_statistics``: ``(count, sum(x - shift), sum((x - shift)**2),
    shift)`` over ``axes``."""
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    x = to_tensor(x)
    axes = list(normalize_axis(axes, x.ndim, "Sum"))
    count = 1
    for a in axes:
        count *= int(x.shape[a])
    counts = to_tensor(float(count), x.dtype)
    if shift is not None:
        shift = to_tensor(shift, x.dtype)
        m = math_ops.reduce_sum(math_ops.subtract(x, shift), axes, keepdims=keepdims)
        v = math_ops.reduce_sum(math_ops.squared_difference(x, shift), axes, keepdims=keepdims)
    else:
        m = math_ops.reduce_sum(x, axes, keepdims=keepdims)
        v = math_ops.reduce_sum(math_ops.square(x), axes, keepdims=keepdims)
    return counts, m, v, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``tf.nn.normalize_moments``: mean and variance from sufficient statistics."""
    divisor = math_ops.reciprocal(to_tensor(counts))
    shifted_mean = math_ops.multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else math_ops.add(shifted_mean, shift)
    variance = math_ops.subtract(math_ops.multiply(variance_ss, divisor),
                                 math_ops.square(shifted_mean))
    return mean, variance


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """``tf.nn.weighted_moments``: the frequency-weighted mean and variance over ``axes``."""
    x = to_tensor(x)
    w = math_ops.cast(frequency_weights, x.dtype)
    axes = list(normalize_axis(axes, x.ndim, "Sum"))
    weighted_sum = math_ops.reduce_sum(math_ops.multiply(w, x), axes, keepdims=True)
    total = math_ops.reduce_sum(math_ops.add(w, array_ops.zeros_like(x)), axes, keepdims=True)
    divisor = math_ops.reciprocal(total)
    mean = math_ops.multiply(weighted_sum, divisor)
    variance = math_ops.multiply(math_ops.reduce_sum(
        math_ops.multiply(w, math_ops.squared_difference(x, mean)), axes, keepdims=True),
        divisor)
    if not keepdims:
        mean = array_ops.squeeze(mean, axes)
        variance = array_ops.squeeze(variance, axes)
    return mean, variance


def batch_norm_with_global_normalization(input, mean, variance, beta, gamma,
                                         variance_epsilon, scale_after_normalization,
                                         name=None):
    """``tf.nn.batch_norm_with_global_normalization``: ``batch_normalization`` with
    ``gamma`` used only when ``scale_after_normalization``."""
    return nn_ops.batch_normalization(input, mean, variance, beta,
                                      gamma if scale_after_normalization else None,
                                      variance_epsilon)

