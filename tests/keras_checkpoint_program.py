"""Keras 3 objects in a ``tf.train.Checkpoint``: run by ``test_keras_checkpoint.py`` with
``import tensorflow as tf`` (real TF, the oracle) and ``import tapejax as tf``, each in its own
process. ``write DIR`` trains a Sequential model one Adam step and saves
``Checkpoint(model=, optimizer=)`` to ``DIR``; ``read DIR`` restores the other library's
checkpoint into a fresh model and optimizer (built, and a lazily built one). Prints one JSON
line: weights, optimizer variables, and the load statuses' outcomes.

Nothing runs on import (pytest collects this folder's modules for doctests)."""
import json
import sys

import numpy as np

RNG = np.random.RandomState(1)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)
WEIGHTS = [RNG.normal(size=s).astype(np.float32) for s in [(3, 4), (4,), (4, 2), (2,)]]


def _model(tf, built=True):
    layers = [tf.keras.layers.Dense(4, "relu"), tf.keras.layers.Dense(2)]
    return tf.keras.Sequential(([tf.keras.Input((3,))] if built else []) + layers)


def _state(model, optimizer):
    return {"weights": [np.asarray(w).tolist() for w in model.get_weights()],
            "optimizer": [np.asarray(v.numpy()).tolist() for v in optimizer.variables]}


def _outcome(check):
    try:
        check()
        return "ok"
    except Exception as error:  # the class is what is compared
        return type(error).__name__


def write(tf, directory):
    model = _model(tf)
    model.set_weights(WEIGHTS)
    optimizer = tf.keras.optimizers.Adam(0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(tf.constant(X)) - Y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(directory + "/ckpt")
    return dict(_state(model, optimizer), path=path)


def read(tf, directory):
    path = tf.train.latest_checkpoint(directory)
    out = {}
    model, optimizer = _model(tf), tf.keras.optimizers.Adam(0.5)
    optimizer.build(model.trainable_variables)
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(path)
    out["consumed"] = _outcome(status.assert_consumed)
    out["existing"] = _outcome(status.assert_existing_objects_matched)
    out["built"] = _state(model, optimizer)
    # restored before the optimizer has slots and before the model has weights
    model, optimizer = _model(tf, built=False), tf.keras.optimizers.Adam(0.5)
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(path)
    status.expect_partial()
    out["lazy_existing"] = _outcome(status.assert_existing_objects_matched)
    out["lazy_consumed_before"] = _outcome(status.assert_consumed)
    model(tf.constant(X))
    optimizer.build(model.trainable_variables)
    out["lazy_consumed_after"] = _outcome(status.assert_consumed)
    out["lazy"] = _state(model, optimizer)
    return out


if __name__ == "__main__":
    if sys.argv[1] == "tapejax":
        import tapejax as tf
    else:
        import tensorflow as tf
    action = {"write": write, "read": read}[sys.argv[2]]
    print(json.dumps(action(tf, sys.argv[3])))
