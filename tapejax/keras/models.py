"""``tf.keras.Model`` (subclass it and write ``call``) and ``tf.keras.Sequential``.

Both are layers: calling one runs ``call``; weights are collected from the tracked sublayers in
Keras's order. ``compile``/``fit``/``evaluate``/``predict`` are not provided: tapejax supports
custom training loops (``GradientTape`` + ``optimizer.apply_gradients``).
"""
from ..ops.array_ops import zeros
from .layers import Layer

NO_FIT = ("tapejax.keras models have no `{method}()`: write the training loop with "
          "tf.GradientTape and optimizer.apply_gradients (see the README).")


class Model(Layer):
    """``tf.keras.Model`` for subclassing: set layers as attributes, define ``call``.

    >>> import tapejax as tf
    >>> class Net(tf.keras.Model):
    ...   def __init__(self):
    ...     super().__init__()
    ...     self.hidden = tf.keras.layers.Dense(4, activation="relu")
    ...     self.out = tf.keras.layers.Dense(2)
    ...   def call(self, x):
    ...     return self.out(self.hidden(x))
    >>> net = Net()
    >>> net(tf.ones([1, 3])).shape
    TensorShape([1, 2])
    >>> [v.shape.as_list() for v in net.trainable_variables]
    [[3, 4], [4], [4, 2], [2]]
    """

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("tapejax has no functional Keras API (keras.Input): "
                                      "subclass tf.keras.Model or use tf.keras.Sequential.")
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.built = True

    def compile(self, *args, **kwargs):
        raise NotImplementedError(NO_FIT.format(method="compile"))

    def fit(self, *args, **kwargs):
        raise NotImplementedError(NO_FIT.format(method="fit"))

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError(NO_FIT.format(method="evaluate"))

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's output on ``x`` (one call, inference mode)."""
        return self(x, training=False)

    def summary(self, print_fn=print):
        """Prints each tracked layer with its output count of parameters."""
        lines = [f'Model: "{self.name}"']
        for layer in self.layers:
            lines.append(f"  {layer.name} ({type(layer).__name__}): "
                         f"{layer.count_params()} params")
        lines.append(f"Total params: {self.count_params()}")
        for line in lines:
            print_fn(line)


class Sequential(Model):
    """``tf.keras.Sequential``: a stack of layers, each called on the previous one's output.

    When the first layer was given ``input_shape``, the model is built at once."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        self._layers.append(layer)
        first = self._layers[0]._input_shape_arg
        if len(self._layers) == 1 and first is not None:
            self.build((None,) + tuple(first))
        elif self.built and first is not None:
            self.build((None,) + tuple(first))

    def pop(self):
        layer = self._layers.pop()
        return layer

    def build(self, input_shape=None):
        if input_shape is not None and all(d is not None for d in input_shape[1:]):
            x = zeros([1] + list(input_shape[1:]), self.dtype)
            for layer in self._layers:
                x = layer(x, training=False)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x
