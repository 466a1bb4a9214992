"""``tf.keras`` in a plain ``import tapejax as tf`` process is the real Keras 3: the same
program run by ``test_keras_plain_import.py`` twice, in separate processes, with
``import tensorflow as tf`` (real TF, the oracle) and with ``import tapejax as tf``. It prints
one JSON line: per case, numbers (weights, slots, outputs, gradients, losses, metric values)
and error messages, compared by the test.

Covers what tapejax's hand-written Keras was tested for: optimizers (every update rule, clipping,
weight decay, schedules, eager and in ``tf.function``), layers in a custom ``GradientTape`` loop
given the same weights, losses with their gradients, metrics, Keras's errors, Keras weights in a
``tf.train.Checkpoint``; and ``model.fit``.

Nothing runs on import (pytest collects this folder's modules for doctests)."""
import json
import sys
import warnings

import numpy as np

RNG = np.random.RandomState(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)
W0 = RNG.normal(size=(3, 2)).astype(np.float32)
B0 = RNG.normal(size=(2,)).astype(np.float32)
IMAGES = RNG.normal(size=(2, 6, 6, 3)).astype(np.float32)
VECTORS = RNG.normal(size=(4, 5)).astype(np.float32)
SEQUENCES = RNG.normal(size=(2, 3, 5)).astype(np.float32)

OPTIMIZERS = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd_momentum": ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(learning_rate=0.05)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.05, amsgrad=True)),
    "adamw": ("AdamW", dict(learning_rate=0.05, weight_decay=0.1)),
    "rmsprop_centered_momentum": ("RMSprop", dict(learning_rate=0.01, momentum=0.5,
                                                  centered=True)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0)),
    "nadam": ("Nadam", dict(learning_rate=0.05)),
    "global_clipnorm": ("Adam", dict(learning_rate=0.05, global_clipnorm=0.5)),
    "clipvalue": ("RMSprop", dict(learning_rate=0.01, clipvalue=0.1)),
    "weight_decay": ("SGD", dict(learning_rate=0.1, momentum=0.9, weight_decay=0.05)),
}
SCHEDULES = {
    "exponential_staircase": ("ExponentialDecay", dict(initial_learning_rate=0.1,
                                                       decay_steps=5, decay_rate=0.5,
                                                       staircase=True)),
    "piecewise": ("PiecewiseConstantDecay", dict(boundaries=[5, 12], values=[0.1, 0.05, 0.01])),
    "cosine_warmup": ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=10,
                                          warmup_target=0.1, warmup_steps=5)),
}
LAYERS = {
    "dense": (lambda k: k.layers.Dense(3, activation="relu"), VECTORS),
    "dense_rank3": (lambda k: k.layers.Dense(4, activation="tanh"), SEQUENCES),
    "conv2d_same_strided": (lambda k: k.layers.Conv2D(2, (3, 2), strides=2, padding="same"),
                            IMAGES),
    "conv2d_dilated": (lambda k: k.layers.Conv2D(2, 2, dilation_rate=2, use_bias=False),
                       IMAGES),
    "max_pool": (lambda k: k.layers.MaxPooling2D(), IMAGES),
    "avg_pool_same": (lambda k: k.layers.AveragePooling2D(pool_size=(4, 4), strides=(3, 3),
                                                          padding="same"), IMAGES),
    "flatten": (lambda k: k.layers.Flatten(), IMAGES),
    "layer_norm_axes": (lambda k: k.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5),
                        SEQUENCES),
    "batch_norm_training": (lambda k: k.layers.BatchNormalization(), IMAGES),
    "relu_options": (lambda k: k.layers.ReLU(max_value=0.5, negative_slope=0.1,
                                             threshold=0.2), VECTORS),
    "softmax": (lambda k: k.layers.Softmax(), VECTORS),
}
LOSSES = {
    "mse": (lambda k: k.losses.MeanSquaredError(), "regression"),
    "bce": (lambda k: k.losses.BinaryCrossentropy(), "binary_probs"),
    "bce_logits_smooth": (lambda k: k.losses.BinaryCrossentropy(from_logits=True,
                                                                label_smoothing=0.1),
                          "binary_logits"),
    "cce_logits": (lambda k: k.losses.CategoricalCrossentropy(from_logits=True,
                                                              label_smoothing=0.2),
                   "onehot_logits"),
    "scce": (lambda k: k.losses.SparseCategoricalCrossentropy(), "sparse_probs"),
    "scce_sum": (lambda k: k.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  reduction="sum"),
                 "sparse_logits"),
}


def _np(value):
    return np.asarray(value).tolist()


def _train(tf, opt, compiled, steps=20):
    w = tf.Variable(W0, name="w")
    b = tf.Variable(B0, name="b")

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        grads = tape.gradient(loss, [w, b])
        return opt.apply_gradients(zip(grads, [w, b]))

    if compiled:
        step = tf.function(step)
    for _ in range(steps):
        step(tf.constant(X), tf.constant(Y))
    return {"weights": [_np(w.numpy()), _np(b.numpy())],
            "slots": [_np(v.numpy()) for v in opt.variables],
            "slot_dtypes": [str(v.numpy().dtype) for v in opt.variables],
            "iterations": int(opt.iterations.numpy()),
            "iterations_dtype": str(opt.iterations.dtype)}


def optimizers(tf):
    out = {}
    for name, (cls, kwargs) in OPTIMIZERS.items():
        for compiled in (False, True):
            if compiled or name in ("sgd_momentum", "adam"):
                opt = getattr(tf.keras.optimizers, cls)(**kwargs)
                out[f"{name}-{'function' if compiled else 'eager'}"] = _train(tf, opt, compiled)
    for name, (cls, kwargs) in SCHEDULES.items():
        schedule = getattr(tf.keras.optimizers.schedules, cls)(**kwargs)
        out[f"schedule-{name}"] = _train(tf, tf.keras.optimizers.Adam(schedule), True)
        out[f"schedule-{name}-values"] = [
            [float(schedule(step).numpy()), schedule(step).dtype.name]
            for step in (0, 3, 5, 7, 12, 30)]
    return out


def _random_weights(layer):
    rng = np.random.RandomState(1)
    return [rng.uniform(0.5, 1.5, size=w.shape).astype(np.float32) for w in layer.get_weights()]


def layers(tf):
    out = {}
    for name, (make, x) in LAYERS.items():
        layer = make(tf.keras)
        x = tf.constant(x)
        layer(x)  # build
        layer.set_weights(_random_weights(layer))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.sin(tf.range(y.shape[-1], dtype=tf.float32) + 1.0))
        grads = tape.gradient(loss, [x] + list(layer.trainable_variables))
        out[name] = {"y": _np(y.numpy()), "grads": [_np(g.numpy()) for g in grads],
                     "weights": [_np(w) for w in layer.get_weights()]}
    return out


def _loss_data(kind):
    rng = np.random.RandomState(2)
    logits = rng.normal(size=(4, 3)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([0, 2, 1, 2], np.int32)
    onehot = np.eye(3, dtype=np.float32)[labels]
    binary = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float32)
    return {"regression": (logits * 0.5, logits), "binary_probs": (binary, probs),
            "binary_logits": (binary, logits), "onehot_logits": (onehot, logits),
            "sparse_probs": (labels, probs), "sparse_logits": (labels, logits)}[kind]


def losses_and_metrics(tf):
    out = {}
    for name, (make, kind) in LOSSES.items():
        y_true, y_pred = _loss_data(kind)
        for weight in (None, np.array([1.0, 0.5, 2.0, 0.0], np.float32)):
            pred = tf.constant(y_pred)
            with tf.GradientTape() as tape:
                tape.watch(pred)
                loss = make(tf.keras)(tf.constant(y_true), pred, sample_weight=weight)
            out[f"{name}-{'unweighted' if weight is None else 'weighted'}"] = [
                _np(loss.numpy()), loss.dtype.name, _np(tape.gradient(loss, pred).numpy())]
    labels, logits = _loss_data("sparse_logits")
    mean = tf.keras.metrics.Mean()
    sparse = tf.keras.metrics.SparseCategoricalAccuracy()
    categorical = tf.keras.metrics.CategoricalAccuracy()
    values = [float(mean.result())]
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state(tf.constant([4.0, 8.0]), sample_weight=[1.0, 0.0])
    sparse.update_state(tf.constant(labels), tf.constant(logits))
    sparse.update_state(tf.constant(labels[:2, None]), tf.constant(logits[:2]))
    categorical.update_state(np.eye(3, dtype=np.float32)[labels], logits)
    values += [float(m.result()) for m in (mean, sparse, categorical)]
    values += [sparse.name, categorical.name, mean.result().dtype.name]
    mean.reset_state()
    values.append(float(mean.result()))
    in_function = tf.keras.metrics.Mean()

    @tf.function
    def update(x):
        in_function.update_state(x)
        return in_function.result()
    values.append([float(update(tf.constant(float(k)))) for k in range(3)])
    out["metrics"] = values
    return out


def _error(make):
    try:
        make()
    except Exception as error:  # the class and message are compared
        return [type(error).__name__, str(error)]
    return None


def errors_and_slices(tf):
    out = {"constructor_errors": [_error(make) for make in (
        lambda: tf.keras.optimizers.Adam(learning_rate=1),
        lambda: tf.keras.optimizers.Adam(clipnorm=1.0, clipvalue=2.0),
        lambda: tf.keras.optimizers.Adam(foo=1),
        lambda: tf.keras.optimizers.SGD(momentum=2.0))]}
    opt = tf.keras.optimizers.SGD(0.1)
    opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])
    out["unknown_variable"] = _error(
        lambda: opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))]))
    a, b = tf.Variable([1.0, 2.0], name="a"), tf.Variable(3.0, name="b")
    opt = tf.keras.optimizers.SGD(0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.apply_gradients([(None, a), (tf.constant(1.0), b)])
    out["none_gradient"] = [[str(w.message) for w in caught if "Gradients do not exist"
                             in str(w.message)], _np(a.numpy()), _np(b.numpy()),
                            _error(lambda: opt.apply_gradients([(None, a)]))]
    params = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(params, [2, 0, 2]) * [[1.0, 2.0]])
    grad = tape.gradient(loss, params)
    tf.keras.optimizers.SGD(0.5).apply_gradients([(grad, params)])
    out["indexed_slices"] = _np(params.numpy())
    out["aliases"] = [tf.optimizers.Adam is tf.keras.optimizers.Adam,
                      tf.losses.MeanSquaredError is tf.keras.losses.MeanSquaredError,
                      tf.metrics.Mean is tf.keras.metrics.Mean,
                      tf.initializers.GlorotUniform is tf.keras.initializers.GlorotUniform]
    return out


def checkpoint(tf):
    """Keras weights through ``tf.train.Checkpoint`` held by a ``tf.Module`` (Keras objects
    themselves: ``test_keras_checkpoint.py``)."""
    import tempfile
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    model.set_weights([W0 * 0 + 1, B0])
    holder = tf.Module()
    holder.weights = [v.value for v in model.weights]
    ckpt = tf.train.Checkpoint(holder=holder)
    path = ckpt.write(tempfile.mkdtemp() + "/ckpt")
    for v in model.weights:
        v.assign(tf.zeros(v.shape))
    ckpt.read(path).assert_consumed()
    return {"restored": [_np(w) for w in model.get_weights()],
            "keys": [name for name, _ in tf.train.list_variables(path)],
            "forward": _np(model(tf.constant(X)).numpy())}


def fit(tf):
    """``compile``/``fit``/``evaluate`` of a small MLP from the same weights."""
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4, "relu"),
                                 tf.keras.layers.Dense(2)])
    rng = np.random.RandomState(3)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(tf.keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(X, Y, verbose=0)}


SECTIONS = {"fit": fit, "checkpoint": checkpoint, "optimizers": optimizers, "layers": layers,
            "losses_and_metrics": losses_and_metrics, "errors_and_slices": errors_and_slices}


if __name__ == "__main__":
    if sys.argv[1] == "tapejax":
        import tapejax as tf
    else:
        import tensorflow as tf
    results = {name: section(tf) for name, section in SECTIONS.items()}
    if sys.argv[1] == "tapejax":  # nothing of the real TensorFlow was imported
        results["real_tf_modules"] = sorted(
            name for name, module in sys.modules.items()
            if "site-packages/tensorflow/" in (getattr(module, "__file__", None) or ""))
    print(json.dumps(results))
