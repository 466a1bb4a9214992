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
}


def _model(keras, kind):
    if kind == "sequential":
        return keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.Dense(3)])
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(8, activation="tanh")(inputs)
    hidden = keras.layers.Dropout(0.0)(hidden)
    return keras.Model(inputs, keras.layers.Dense(3)(hidden))


def run_case(keras, name):
    import numpy as np
    kind, optimizer, eager, jit = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 5)).astype("float32")
    y = (np.argmax(x[:, :3] + 0.5 * x[:, 3:4], axis=1)).astype("int32")
    model = _model(keras, kind)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5
                       for w in model.get_weights()])
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], run_eagerly=eager, jit_compile=jit)
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:32], y[:32]))
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=32, verbose=0),
            "predict": model.predict(x[:8], verbose=0).tolist(),
            "weights": [w.tolist() for w in model.get_weights()[-1:]]}


if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    keras.config.disable_traceback_filtering()
    print(json.dumps({name: run_case(keras, name) for name in sys.argv[1:]}))
