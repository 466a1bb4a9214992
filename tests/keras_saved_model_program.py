"""Keras models in ``tf.saved_model``: run by ``test_saved_model_keras.py`` with real TF (the
oracle) and with tapejax, each in its own processes.

``save LIB DIR`` builds three models (Sequential, functional with two inputs and two outputs,
subclassed with a dict output), sets the same weights, and writes each with
``model.export(format="tf_saved_model")``, ``tf.saved_model.save`` and a
``keras.export.ExportArchive`` (two endpoints, a variable collection); prints the models'
outputs. ``load LIB DIR`` runs in a fresh process that imports only ``tapejax``/``tensorflow``
(none of the models' code), loads every directory and prints what the loaded objects give:
endpoint and signature outputs, signature structures and Variables. One JSON line each.

Nothing runs on import (pytest collects this folder's modules for doctests)."""
import json
import sys

import numpy as np

RNG = np.random.RandomState(3)
X = RNG.normal(size=(5, 4)).astype(np.float32)
B = RNG.normal(size=(5, 3)).astype(np.float32)


def _weights(model):
    rng = np.random.RandomState(7)
    return [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]


def _models(keras):
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                                   keras.layers.Dense(2)])
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    hidden = keras.layers.Dense(3, activation="tanh")(keras.layers.Concatenate()([a, b]))
    functional = keras.Model([a, b], [keras.layers.Dense(2)(hidden), hidden])

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(3, activation="tanh")
            self.out = keras.layers.Dense(2)

        def build(self, input_shape):  # without it Keras records no input shape on tapejax
            self.hidden.build(input_shape)  # (it would trace call in a tf FuncGraph)
            self.out.build((None, 3))

        def call(self, x):
            h = self.hidden(x)
            return {"h": h, "y": self.out(h)}

    subclassed = Subclassed()
    subclassed(X)
    inputs = {"sequential": X, "functional": [X, B], "subclassed": X}
    models = {"sequential": sequential, "functional": functional, "subclassed": subclassed}
    for model in models.values():
        model.set_weights(_weights(model))
    return models, inputs


def _numpy(x):
    if isinstance(x, dict):
        return {k: _numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_numpy(v) for v in x]
    return np.asarray(x).tolist()


def save(tf, keras, directory):
    models, inputs = _models(keras)
    out = {}
    for name, model in models.items():
        out[name] = _numpy(model(inputs[name]))
        model.export(f"{directory}/{name}_export", format="tf_saved_model", verbose=False)
        tf.saved_model.save(model, f"{directory}/{name}_save")
    model = models["sequential"]
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("call", model.call,
                         input_signature=[keras.InputSpec(shape=(None, 4), dtype="float32")])
    fn = tf.function(lambda x: model(x) * 2.0)
    fn(X)
    archive.add_endpoint("doubled", fn)
    archive.add_variable_collection("kernels", [model.layers[0].kernel, model.layers[1].kernel])
    archive.write_out(f"{directory}/archive", verbose=False)
    return out


def _signature(sig):
    args, kwargs = sig.structured_input_signature
    return {"args": [repr(a) for a in args],
            "kwargs": {k: [v.shape.as_list(), v.dtype.name] for k, v in kwargs.items()},
            "outputs": {k: [v.shape.as_list(), v.dtype.name]
                        for k, v in sig.structured_outputs.items()}}


def _variables(values):
    return [[v.name, bool(v.trainable), np.asarray(v.numpy()).tolist()] for v in values]


def load(tf, directory):
    feeds = {"sequential": [X], "functional": [[X, B]], "subclassed": [X]}
    out = {}
    for name, args in feeds.items():
        exported = tf.saved_model.load(f"{directory}/{name}_export")
        sigs = exported.signatures
        flat = [X, B] if name == "functional" else [X]
        by_name = {"a": X, "b": B}  # the functional model's inputs; the others have one
        feed = {k: tf.constant(by_name.get(k, X))
                for k in sigs["serve"].structured_input_signature[1]}
        saved = tf.saved_model.load(f"{directory}/{name}_save")
        default_names = sorted(saved.signatures["serving_default"].structured_input_signature[1])
        out[name] = {
            "serve": _numpy(exported.serve(*args)),
            "signatures": sorted(sigs),
            "serve_signature": _numpy(sigs["serve"](**feed)),
            "serving_default": _numpy(sigs["serving_default"](**feed)),
            "structure": _signature(sigs["serving_default"]),
            "variables": _variables(exported.variables),
            "trainable": [v.name for v in exported.trainable_variables],
            "non_trainable": [v.name for v in exported.non_trainable_variables],
            "saved_signatures": sorted(saved.signatures),
            "saved_structure": _signature(saved.signatures["serving_default"]),
            "saved_default": _numpy(saved.signatures["serving_default"](
                **{k: tf.constant(v) for k, v in zip(default_names, flat)})),
        }
    archive = tf.saved_model.load(f"{directory}/archive")
    y, doubled = archive.call(X), archive.doubled(X)
    archive.kernels[1].assign(archive.kernels[1] * 0.0)  # the loaded functions read them
    out["archive"] = {
        "signatures": sorted(archive.signatures),
        "call": _numpy(y),
        "doubled": _numpy(doubled),
        "kernels": _variables(archive.kernels),
        "after_assign": _numpy(archive.signatures["serving_default"](tf.constant(X))),
    }
    return out


def main():
    lib, action, directory = sys.argv[1:4]
    if lib == "tensorflow":
        import keras
        import tensorflow as tf
    else:
        import tapejax as tf
        keras = tf.keras if action == "save" else None
    result = save(tf, keras, directory) if action == "save" else load(tf, directory)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
