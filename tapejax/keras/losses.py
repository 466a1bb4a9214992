"""``tf.keras.losses``: Keras 3's losses and their ``sum_over_batch_size`` reduction.

``loss(y_true, y_pred, sample_weight=None)`` converts both to float32, computes the per-example
loss and reduces it: the (weighted) sum divided by the number of per-example values, as Keras.
Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` when ``from_logits`` is False.
"""
from .. import dtypes
from ..ops.array_ops import squeeze, where
from ..ops.clip_ops import clip_by_value
from ..ops.math_ops import cast, log, reduce_mean, reduce_sum, square
from ..ops.nn_ops import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from ..tensor import convert_to_tensor

EPSILON = 1e-7
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean")


def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype == dtypes.float32 else cast(x, dtypes.float32)


def mean_squared_error(y_true, y_pred):
    """Per-example ``mean(square(y_pred - y_true), axis=-1)``."""
    return reduce_mean(square(_float(y_pred) - _float(y_true)), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-example mean over ``axis`` of the binary cross-entropy."""
    y_true, y_pred = _float(y_true), _float(y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * log(p) + (1 - y_true) * log(1 - p))
    return reduce_mean(values, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-example cross-entropy with one-hot (or soft) targets."""
    y_true, y_pred = _float(y_true), _float(y_pred)
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = y_pred / reduce_sum(y_pred, axis, keepdims=True)
    p = clip_by_value(p, EPSILON, 1.0 - EPSILON)
    return -reduce_sum(y_true * log(p), axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Per-example cross-entropy with integer class targets (a trailing 1 is squeezed)."""
    y_pred = _float(y_pred)
    y_true = convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, axis=-1)
    labels = cast(y_true, dtypes.int32)
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = where(valid, labels, 0 * labels)
    logits = y_pred if from_logits else log(clip_by_value(y_pred, EPSILON, 1 - EPSILON))
    values = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if ignore_class is not None:
        values = where(valid, values, 0.0 * values)
    return values


class Loss:
    """Base class: subclasses define ``call(y_true, y_pred)`` returning per-example losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError("Invalid value for argument `reduction`. Expected one of "
                             "{'sum_over_batch_size', 'sum', 'none', None, 'mean'}. Received: "
                             f"reduction={reduction}")
        self.name = name or type(self).__name__
        self.reduction = reduction
        self.dtype = dtypes.as_dtype(dtype or "float32")

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            weight = _float(sample_weight)
            while weight.ndim > values.ndim and weight.shape[-1] == 1:
                weight = squeeze(weight, axis=-1)
            values = values * weight
        if self.reduction in (None, "none") or values.ndim == 0:
            return values
        total = reduce_sum(values)
        if self.reduction == "sum":
            return total
        count = values.shape.num_elements()
        return total / float(count) if count else total * 0.0

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class LossFunctionWrapper(Loss):
    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared differences over the last axis, then ``sum_over_batch_size``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (``from_logits``: on sigmoid logits)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with one-hot targets (``from_logits``: on softmax logits)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy with integer targets (``from_logits``: on softmax logits)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class)

