"""``tf.keras.metrics``: running metrics whose state (``total``, ``count``) lives in Variables.

``update_state`` accumulates, ``result()`` returns ``total / count`` (0 before any update, as
Keras's ``divide_no_nan``), ``reset_state`` zeroes them; calling a metric updates and returns the
result. They work eagerly and inside ``tapejax.function``.
"""
import numpy as np

from .. import dtypes
from ..module import camel_to_snake
from ..ops.array_ops import squeeze
from ..ops.math_ops import argmax, cast, divide_no_nan, equal, reduce_sum
from ..tensor import convert_to_tensor
from ..variables import Variable
from .layers import _auto_name


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``; state in ``variables``."""

    def __init__(self, name=None, dtype=None):
        self.name = name or _auto_name(camel_to_snake(type(self).__name__))
        self.dtype = dtypes.as_dtype(dtype or "float32")
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        value = np.zeros(shape, (dtypes.as_dtype(dtype) if dtype else self.dtype)
                         .as_numpy_dtype)
        variable = Variable(value, trainable=False, name=name)
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        return list(self._variables)

    def reset_state(self):
        for v in self._variables:
            v.assign(np.zeros(v.shape, v.dtype.as_numpy_dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}


class Mean(Metric):
    """The (weighted) mean of the values seen.

    >>> import tapejax as tf
    >>> m = tf.keras.metrics.Mean()
    >>> m.update_state([1.0, 3.0]); m.update_state(5.0)
    >>> float(m.result())
    3.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values = cast(convert_to_tensor(values), self.dtype)
        if sample_weight is None:
            self.total.assign_add(reduce_sum(values))
            self.count.assign_add(cast(values.shape.num_elements(), self.dtype))
            return
        weight = cast(convert_to_tensor(sample_weight), self.dtype)
        while weight.ndim > values.ndim and weight.shape[-1] == 1:
            weight = squeeze(weight, axis=-1)
        weight = weight + 0.0 * values
        self.total.assign_add(reduce_sum(values * weight))
        self.count.assign_add(reduce_sum(weight))

    def result(self):
        return divide_no_nan(self.total.read_value(), self.count.read_value())


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)`` over all examples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred)`` equals the integer label, else 0.0."""
    y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, axis=-1)
    predicted = cast(argmax(y_pred, axis=-1), y_true.dtype) if y_true.dtype.is_integer else \
        cast(argmax(y_pred, axis=-1), dtypes.float32)
    labels = y_true if y_true.dtype.is_integer else cast(y_true, dtypes.float32)
    return cast(equal(labels, predicted), dtypes.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred)`` equals ``argmax(y_true)``, else 0.0."""
    return cast(equal(argmax(y_true, axis=-1), argmax(y_pred, axis=-1)), dtypes.float32)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max prediction equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max prediction equals the arg-max of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)
