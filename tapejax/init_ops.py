"""TF 2's own initializers (``tf.zeros_initializer``, ``tf.ones_initializer``,
``tf.constant_initializer``, ``tf.random_normal_initializer``,
``tf.random_uniform_initializer``): ``initializer(shape, dtype)`` with TF's default dtypes and
dtype checks. Without a ``seed`` random ones draw from the global stream (new values on each
call, as TF); with one, from a stateless stream (the same values each call). Numbers are
JAX's, not TF's.
"""
from . import dtypes
from .ops import array_ops, random_ops
from .tensor import constant


class Initializer:
    """TF's ``init_ops_v2.Initializer``: ``initializer(shape, dtype)`` returns a Tensor;
    ``get_config``/``from_config`` round-trip its arguments."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.__call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config.pop("dtype", None)
        return cls(**config)


def _numeric_or_bool(dtype):
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_inexact or dtype.is_integer or dtype.is_bool):
        raise ValueError("Argument `dtype` expected to be numeric or boolean. "
                         f"Received {dtype!r}.")
    return dtype


class Zeros(Initializer):
    """``tf.zeros_initializer``: zeros (float32 by default)."""

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        return array_ops.zeros(shape, _numeric_or_bool(dtype))


class Ones(Initializer):
    """``tf.ones_initializer``: ones (float32 by default)."""

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        return array_ops.ones(shape, _numeric_or_bool(dtype))


class Constant(Initializer):
    """``tf.constant_initializer``: ``tf.constant(value, dtype, shape)`` (the dtype is
    inferred from ``value`` when not given, as TF)."""

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        return constant(self.value, dtype, shape)

    def get_config(self):
        return {"value": self.value}


class _Random(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def _float(self, dtype):
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating:
            raise ValueError("Argument `dtype` is expected to be floating point. "
                             f"Received: {dtype!r}.")
        return dtype


class RandomNormal(_Random):
    """``tf.random_normal_initializer``: normal draws (mean 0, stddev 0.05 by default)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        dtype = self._float(dtype)
        if self.seed is None:
            return random_ops.normal(shape, self.mean, self.stddev, dtype)
        return random_ops.stateless_normal(shape, [self.seed, 0], self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """``tf.random_uniform_initializer``: uniform draws in ``[minval, maxval)`` (float or
    integer dtypes)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        dtype = dtypes.as_dtype(dtype)
        if not (dtype.is_floating or dtype.is_integer):
            raise ValueError("Argument `dtype` is expected to be floating point or integer. "
                             f"Received: {dtype!r}.")
        if self.seed is None:
            return random_ops.uniform(shape, self.minval, self.maxval, dtype)
        return random_ops.stateless_uniform(shape, [self.seed, 0], self.minval, self.maxval,
                                            dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}
