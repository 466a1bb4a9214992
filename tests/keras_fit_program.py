"""A Keras 3 training program run by ``test_keras_real.py`` twice, in separate processes: on
real TensorFlow and through ``python -m tapejax run`` (Keras binds ``tensorflow`` when it is
imported, so one process cannot hold both). It prints one JSON line of results per case.

Nothing runs on import (pytest collects this folder's modules for doctests)."""
import json
import os
import sys

CASES = {
    # name: (model kind, optimizer, run_eagerly, jit_compile)
    "sequential-adam-eager": ("sequential", "adam", True, False),
    "sequential-adam-compiled": ("sequential", "adam", False, False),
    "functional-sgd-xla": ("functional", "sgd", False, True),
    "functional-adam-auto": ("functional", "adam", False, "auto"),
    # fed by tf.data.Dataset (tapejax's, under the runner): fit, validation, evaluate, predict
    "dataset-adam-compiled": ("dataset", "adam", False, False),
    # SGD: with Adam the sparse Embedding gradients' float rounding (summation order) is scaled
    # up by Adam's normalisation: first-epoch loss within 1e-5, predictions 1e-3 apart after 3
    "embedding-lstm-compiled": ("embedding-lstm", "sgd", False, False),
    "gru-conv1d-eager": ("gru-conv1d", "rmsprop", True, False),
    "conv2d-pool-batchnorm": ("conv2d-bn", "adam", False, False),
}

# Random layers draw from tapejax's (JAX's) generator, not TF's: these cases are compared by
# what does not depend on the numbers drawn (see test_keras_real.py).
RANDOM_CASES = {
    "dropout-noise-compiled": ("dropout", "adam", False, False),
}


def _model(keras, kind):
    layers = keras.layers
    if kind in ("sequential", "dataset"):
        return keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                                 layers.Dense(3)])
    if kind == "functional":
        inputs = keras.Input((5,))
        hidden = layers.Dense(8, activation="tanh")(inputs)
        hidden = layers.Dropout(0.0)(hidden)
        return keras.Model(inputs, layers.Dense(3)(hidden))
    if kind == "embedding-lstm":
        return keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(10, 4),
                                 layers.LSTM(5), layers.Dense(3)])
    if kind == "gru-conv1d":
        return keras.Sequential([keras.Input((6, 2)), layers.Conv1D(4, 3, padding="same"),
                                 layers.GRU(5, return_sequences=True),
                                 layers.SimpleRNN(4), layers.Dense(3)])
    if kind == "conv2d-bn":
        return keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(4, 3),
                                 layers.BatchNormalization(), layers.MaxPooling2D(),
                                 layers.Flatten(), layers.Dense(3)])
    return keras.Sequential([keras.Input((5,)), layers.Dense(16, activation="relu"),
                             layers.Dropout(0.3), layers.GaussianNoise(0.1),
                             layers.BatchNormalization(), layers.Dense(3)])


def _data(kind, rng):
    import numpy as np
    n = 96
    if kind == "embedding-lstm":
        x = rng.integers(0, 10, (n, 6)).astype("int32")
        y = (x[:, 0] % 3).astype("int32")
    elif kind == "gru-conv1d":
        x = rng.standard_normal((n, 6, 2)).astype("float32")
        y = np.argmax(x[:, :3, 0], axis=1).astype("int32")
    elif kind == "conv2d-bn":
        x = rng.standard_normal((n, 6, 6, 2)).astype("float32")
        y = np.argmax(x[:, 0, :3, 0], axis=1).astype("int32")
    else:
        x = rng.standard_normal((n, 5)).astype("float32")
        y = (np.argmax(x[:, :3] + 0.5 * x[:, 3:4], axis=1)).astype("int32")
    return x, y


def run_case(keras, name):
    import numpy as np
    kind, optimizer, eager, jit = {**CASES, **RANDOM_CASES}[name]
    rng = np.random.default_rng(0)
    x, y = _data(kind, rng)
    model = _model(keras, kind)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5
                       for w in model.get_weights()])
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], run_eagerly=eager, jit_compile=jit)
    if kind == "dataset":
        import tensorflow as tf  # tapejax under the runner
        data = tf.data.Dataset.from_tensor_slices((x, y)).map(
            lambda a, b: (a * 2.0, b)).batch(16).prefetch(tf.data.AUTOTUNE)
        valid = tf.data.Dataset.from_tensor_slices((x[:32] * 2.0, y[:32])).batch(8)
        history = model.fit(data, epochs=3, verbose=0, validation_data=valid)
        steps = model.fit(data.repeat(), epochs=1, steps_per_epoch=2, verbose=0)
        return {"history": history.history, "steps": steps.history,
                "evaluate": model.evaluate(data, verbose=0),
                "predict": model.predict(data.map(lambda a, b: a).take(1), verbose=0).tolist(),
                "weights": [w.tolist() for w in model.get_weights()[-1:]]}
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:32], y[:32]))
    result = {"history": history.history,
              "evaluate": model.evaluate(x, y, batch_size=32, verbose=0),
              "predict": model.predict(x[:8], verbose=0).tolist(),
              "weights": [w.tolist() for w in model.get_weights()[-1:]]}
    if name in RANDOM_CASES:  # statistics of the random layers, and inference without them
        result["infer_twice"] = [np.asarray(model(x[:8], training=False)).tolist()
                                 for _ in range(2)]
        ones = np.ones((400, 50), "float32")
        dropped = np.asarray(keras.layers.Dropout(0.3, seed=1)(ones, training=True))
        noise = np.asarray(keras.layers.GaussianNoise(0.5, seed=2)(ones, training=True)) - 1
        uniform = np.asarray(keras.random.uniform((20000,), seed=3))
        result["stats"] = {"kept": float((dropped != 0).mean()),
                           "kept_values": sorted(set(np.round(dropped, 5).ravel().tolist())),
                           "noise_mean": float(noise.mean()), "noise_std": float(noise.std()),
                           "uniform_mean": float(uniform.mean()),
                           "uniform_std": float(uniform.std())}
    return result


if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    keras.config.disable_traceback_filtering()
    print(json.dumps({name: run_case(keras, name) for name in sys.argv[1:]}))
