"""``tf.keras.layers``: Keras 3's ``Layer`` and the layers custom training loops use.

A layer builds its weights (tapejax Variables) on its first call from the input shape, then
runs tapejax ops, so tapes see every weight read and the layer works inside
``tapejax.function`` (weights created on the first call only). ``weights`` and
``trainable_variables`` follow Keras's order: the layer's own weights in creation order
(trainable first), then each tracked sublayer's, in the order the sublayers were assigned.
Floating inputs are cast to the layer's dtype (float32), as Keras's autocast.
"""
import inspect
import math
import random
import threading
import warnings

import numpy as np

from .. import _tracking, dtypes, nest
from ..module import camel_to_snake
from ..ops.array_ops import gather, reshape, where
from ..ops.linalg_ops import tensordot
from ..ops.math_ops import cast, matmul, rsqrt
from ..ops.nn_ops import avg_pool2d, bias_add, conv2d, max_pool2d, moments
from ..ops.random_ops import Generator
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..variables import Variable
from . import activations, initializers

_NAME_COUNTS = {}
_CONTEXT = threading.local()  # the ``training`` value of the enclosing layer calls


def _auto_name(prefix):
    count = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _pair(value, name):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received: "
                         f"{name}={value}")
    return value


def _not_implemented(layer, **arguments):
    """``NotImplementedError`` naming the first argument given a value tapejax does not
    implement (regularizers, LoRA, ...): Keras accepts them, and dropping one silently would
    change the training."""
    for name, value in arguments.items():
        if value is not None:
            raise NotImplementedError(
                f"tapejax's {type(layer).__name__} does not implement `{name}` (got {value!r}); "
                f"leave it None (add a penalty to the loss yourself for a regularizer).")


class Layer:
    """``tf.keras.layers.Layer``: override ``build(input_shape)`` and ``call(inputs, ...)``.

    >>> import tapejax as tf
    >>> layer = tf.keras.layers.Dense(3, kernel_initializer="ones")
    >>> layer(tf.ones([2, 4])).numpy().tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    >>> [w.name for w in layer.trainable_variables]
    ['kernel:0', 'bias:0']
    """

    def __init__(self, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        self._tracking()
        _not_implemented(self, activity_regularizer=activity_regularizer)
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else (
            (input_dim,) if input_dim is not None else None)
        if self._input_shape_arg is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When "
                          "using Sequential models, prefer using an `Input(shape)` object as "
                          "the first layer in the model instead.", stacklevel=2)
        self.name = name if name is not None else _auto_name(camel_to_snake(
            type(self).__name__))
        self.trainable = trainable
        self.dtype = dtypes.as_dtype(dtype or "float32")
        self.autocast = autocast
        self.built = False

    def _tracking(self):
        d = self.__dict__
        d.setdefault("_layers", [])
        d.setdefault("_trainable_variables", [])
        d.setdefault("_non_trainable_variables", [])
        d.setdefault("_seed_generators", [])

    def __setattr__(self, name, value):
        if not name.startswith("__"):
            self._tracking()
            for leaf in nest.flatten(value) if nest.is_nested(value) else [value]:
                if isinstance(leaf, Layer) and leaf is not self and \
                        not any(leaf is x for x in self._layers):
                    self._layers.append(leaf)
        object.__setattr__(self, name, value)
        _tracking.changed(self)  # a checkpoint restored before this attribute existed

    # --- weights ----------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Creates a weight Variable of ``shape``, initialized by ``initializer``."""
        self._tracking()
        _not_implemented(self, regularizer=regularizer)
        dtype = dtypes.as_dtype(dtype or self.dtype)
        shape = () if shape is None else tuple(int(d) for d in shape)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, trainable=trainable, name=name or "variable", dtype=dtype,
                            constraint=constraint)
        (self._trainable_variables if trainable else self._non_trainable_variables).append(
            variable)
        return variable

    def _collect(self, attribute):
        out, seen = [], set()
        for v in self._trainable_variables + self._non_trainable_variables + [
                g.state for g in self._seed_generators if attribute == "variables"]:
            if id(v) not in seen:
                out.append(v)
                seen.add(id(v))
        for layer in self._layers:
            for v in getattr(layer, attribute):
                if id(v) not in seen:
                    out.append(v)
                    seen.add(id(v))
        return out

    @property
    def weights(self):
        """Own weights (creation order), then those of the sublayers."""
        return self._collect("weights")

    @property
    def variables(self):
        """``weights`` plus random-generator states."""
        return self._collect("variables")

    @property
    def trainable_weights(self):
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [v for v in self.weights if not v.trainable] if self.trainable else self.weights

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable] if self.trainable else []

    @property
    def non_trainable_variables(self):
        return [v for v in self.variables if not v.trainable] if self.trainable else \
            self.variables

    @property
    def layers(self):
        return list(self._layers)

    @property
    def losses(self):
        return []

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Assigns NumPy arrays to ``weights``, in order (shapes must match, as Keras)."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(own)} weights.")
        for variable, value in zip(own, weights):
            if tuple(variable.shape) != tuple(np.shape(value)):
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)} is "
                                 "not compatible with provided weight shape "
                                 f"{tuple(np.shape(value))}.")
            variable.assign(np.asarray(value, variable.dtype.as_numpy_dtype))

    def count_params(self):
        return int(sum(math.prod(v.shape) for v in self.weights))

    # --- calling ----------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    def _convert(self, x):
        if isinstance(x, (Tensor, np.ndarray, np.generic, float, int, list)) or \
                isinstance(x, TensorLike):
            x = convert_to_tensor(x)
            if self.autocast and x.dtype.is_floating and x.dtype != self.dtype:
                x = cast(x, self.dtype)
        return x

    def __call__(self, *args, **kwargs):
        self._tracking()
        if args:
            args = (nest.map_structure(self._convert, args[0]),) + args[1:]
        training = kwargs.get("training")
        if training is None:
            training = getattr(_CONTEXT, "training", None)
        if _accepts_training(type(self)):
            if training is not None:
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
        else:
            kwargs.pop("training", None)
        if not self.built:
            first = nest.flatten(args[0])[0] if args else None
            shape = tuple(first.shape.as_list()) if isinstance(first, TensorLike) else None
            self.build(shape)
            self.built = True
        outer = getattr(_CONTEXT, "training", None)
        _CONTEXT.training = training
        try:
            return self.call(*args, **kwargs)
        finally:
            _CONTEXT.training = outer

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_TRAINING_ARG = {}


def _accepts_training(cls):
    flag = _TRAINING_ARG.get(cls)
    if flag is None:
        params = inspect.signature(cls.call).parameters
        flag = _TRAINING_ARG[cls] = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return flag


# --- core layers ---------------------------------------------------------------------------
class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _not_implemented(self, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, lora_rank=lora_rank)
        if not isinstance(units, int) or units <= 0:
            raise ValueError("Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer,
                                      name="kernel", constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, inputs):
        if inputs.ndim == 2:
            x = matmul(inputs, self.kernel)
        else:
            x = tensordot(inputs, self.kernel, [[inputs.ndim - 1], [0]])
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)


class Conv2D(Layer):
    """2-D convolution (``tf.nn.conv2d``) plus bias and activation; kernel
    ``(kh, kw, in_channels, filters)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _not_implemented(self, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer)
        if groups != 1:
            raise NotImplementedError("tapejax's Conv2D supports groups=1 only.")
        self.filters = filters
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.padding = padding.lower()
        if self.padding not in ("valid", "same"):
            raise ValueError("The `padding` argument must be one of 'valid', 'same'. Received: "
                             f"padding={padding}")
        self.data_format = data_format or "channels_last"
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint

    def _format(self):
        return "NHWC" if self.data_format == "channels_last" else "NCHW"

    def build(self, input_shape):
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        self.kernel = self.add_weight(self.kernel_size + (channels, self.filters),
                                      self.kernel_initializer, name="kernel",
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, inputs):
        x = conv2d(inputs, self.kernel, strides=list(self.strides),
                   padding=self.padding.upper(), data_format=self._format(),
                   dilations=list(self.dilation_rate))
        if self.bias is not None:
            x = bias_add(x, self.bias, data_format=self._format())
        return self.activation(x)


class _Pooling2D(Layer):
    _pool = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = padding.lower()
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        return type(self)._pool(inputs, ksize=list(self.pool_size), strides=list(self.strides),
                                padding=self.padding.upper(),
                                data_format="NHWC" if self.data_format == "channels_last"
                                else "NCHW")


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows (``tf.nn.max_pool2d``); strides default to the pool."""
    _pool = max_pool2d


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows (``tf.nn.avg_pool2d``, padding not counted)."""
    _pool = avg_pool2d


class Flatten(Layer):
    """Reshapes ``(batch, ...)`` to ``(batch, prod(...))``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        return reshape(inputs, [-1, math.prod(inputs.shape.as_list()[1:])])


class Dropout(Layer):
    """While ``training``: zeros inputs with probability ``rate``, scales the rest by
    ``1 / (1 - rate)``. The mask comes from a ``tapejax.random.Generator`` (seeded by ``seed``,
    or from Python's ``random`` as Keras's seed generators), so JAX's numbers, not TF's."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        generator = Generator.from_seed(seed if seed is not None else
                                        random.randint(1, int(1e9)))
        self._seed_generators.append(generator)
        self._generator = generator

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape.as_list()
        if self.noise_shape is not None:
            shape = [s if n is None else n for n, s in zip(self.noise_shape, shape)]
        keep = self._generator.uniform(shape, dtype=inputs.dtype) >= self.rate
        if self.rate == 1:
            return inputs * 0.0
        return where(keep, inputs / (1.0 - self.rate), 0.0 * inputs)


class Embedding(Layer):
    """Rows of an ``(input_dim, output_dim)`` table looked up by integer ids."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, **kwargs):
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        _not_implemented(self, embeddings_regularizer=embeddings_regularizer, weights=weights,
                         lora_rank=lora_rank)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = mask_zero

    def build(self, input_shape=None):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings",
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        if inputs.dtype not in (dtypes.int32, dtypes.int64):
            inputs = cast(inputs, dtypes.int32)
        return gather(self.embeddings, inputs)


def _axes(axis, rank):
    return sorted(a % rank for a in (axis if isinstance(axis, (list, tuple)) else [axis]))


def _broadcast(value, axes, rank):
    """A per-feature vector reshaped to broadcast against a rank-``rank`` input on ``axes``."""
    if axes == list(range(rank - len(axes), rank)):
        return value
    shape = [1] * rank
    for a, d in zip(axes, value.shape.as_list()):
        shape[a] = d
    return reshape(value, shape)


class LayerNormalization(Layer):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis`` of each example."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        _not_implemented(self, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint)
        if rms_scaling:
            raise NotImplementedError("tapejax's LayerNormalization has no rms_scaling.")
        self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape):
        self._axes = _axes(self.axis, len(input_shape))
        shape = tuple(input_shape[a] for a in self._axes)
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma") \
            if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta") \
            if self.center else None

    def call(self, inputs):
        mean, variance = moments(inputs, self._axes, keepdims=True)
        out = (inputs - mean) * rsqrt(variance + self.epsilon)
        rank = inputs.ndim
        if self.gamma is not None:
            out = out * _broadcast(self.gamma, self._axes, rank)
        if self.beta is not None:
            out = out + _broadcast(self.beta, self._axes, rank)
        return out


class BatchNormalization(Layer):
    """Normalizes with the batch's statistics while ``training`` (updating the moving mean
    and variance by ``momentum``) and with the moving statistics otherwise."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        kwargs.pop("renorm", None)
        super().__init__(**kwargs)
        _not_implemented(self, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale
        self._initializers = [initializers.get(i) for i in (
            gamma_initializer, beta_initializer, moving_mean_initializer,
            moving_variance_initializer)]

    def build(self, input_shape):
        rank = len(input_shape)
        self._feature_axis = self.axis % rank
        shape = (input_shape[self._feature_axis],)
        gamma_init, beta_init, mean_init, var_init = self._initializers
        self.gamma = self.add_weight(shape, gamma_init, name="gamma") if self.scale else None
        self.beta = self.add_weight(shape, beta_init, name="beta") if self.center else None
        self.moving_mean = self.add_weight(shape, mean_init, name="moving_mean",
                                           trainable=False)
        self.moving_variance = self.add_weight(shape, var_init, name="moving_variance",
                                               trainable=False)

    def call(self, inputs, training=None, mask=None):
        rank = inputs.ndim
        axes = [self._feature_axis]
        if training and self.trainable:
            reduce = [a for a in range(rank) if a != self._feature_axis]
            mean, variance = moments(inputs, reduce)
            self.moving_mean.assign(self.moving_mean * self.momentum +
                                    mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum +
                                        variance * (1.0 - self.momentum))
        else:
            mean, variance = self.moving_mean.read_value(), self.moving_variance.read_value()
        inv = rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + self.beta
        return inputs * _broadcast(inv, axes, rank) + _broadcast(offset, axes, rank)


class ReLU(Layer):
    """``relu`` with Keras's ``max_value``, ``negative_slope`` and ``threshold``."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. Received: "
                             f"max_value={max_value}")
        for arg, value in (("negative_slope", negative_slope), ("threshold", threshold)):
            if value is None or value < 0.0:
                raise ValueError(f"{arg} of a ReLU layer cannot be None or a negative value. "
                                 f"Received: {arg}={value}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, \
            threshold

    def call(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)


class Softmax(Layer):
    """``softmax`` over ``axis`` (masked entries get zero probability)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = where(cast(mask, dtypes.bool), inputs, inputs * 0.0 - 1e9)
        return activations.softmax(inputs, axis=self.axis)


class Activation(Layer):
    """Applies an activation function given by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

