"""Keras 3's ``TensorBoard`` callback during ``fit``: run by ``test_keras_tensorboard.py`` with
``import tensorflow as tf`` (real TF, the oracle) or ``import tapejax as tf``, each in its own
process. ``LIB DIR`` trains a small model from fixed weights with per-batch scalars, weight
histograms and a validation split, writing TensorBoard logs to ``DIR``. ``records(DIR)`` reads
them back with TensorBoard's own event reader (the test calls it in its real-TF process): per
run, every record's step, tag, plugin and value.

Nothing runs on import (pytest collects this folder's modules for doctests)."""
import glob
import json
import os
import sys

import numpy as np

RNG = np.random.RandomState(3)
X = RNG.normal(size=(48, 4)).astype(np.float32)
Y = (X.sum(axis=1) > 0).astype(np.int32)
WEIGHTS = [RNG.normal(size=s).astype(np.float32) * 0.5 for s in [(4, 5), (5,), (5, 2), (2,)]]


def train(tf, logdir):
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(5, "relu"),
                                 tf.keras.layers.Dense(2)])
    model.set_weights(WEIGHTS)
    model.compile(tf.keras.optimizers.SGD(0.1),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    board = tf.keras.callbacks.TensorBoard(logdir, histogram_freq=1, update_freq="batch")
    model.fit(X, Y, epochs=2, batch_size=12, shuffle=False, verbose=0, validation_split=0.25,
              callbacks=[board])


def records(logdir):
    """Every event of every run, as TensorBoard reads it."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util
    out = {}
    for run in sorted(os.listdir(logdir)):
        events = []
        for path in sorted(glob.glob(os.path.join(logdir, run, "events.out.tfevents.*"))):
            for event in EventFileLoader(path).Load():
                if not event.HasField("summary"):
                    events.append([event.step, event.WhichOneof("what")])
                for value in event.summary.value:
                    array = tensor_util.make_ndarray(value.tensor)
                    shown = (json.loads(array.reshape(-1)[0])["class_name"]
                             if array.dtype == object else array.tolist())
                    events.append([event.step, value.tag,
                                   value.metadata.plugin_data.plugin_name, array.dtype.str,
                                   shown])
        out[run] = events
    return out


if __name__ == "__main__":
    lib, logdir = sys.argv[1], sys.argv[2]
    if lib == "tensorflow":
        import tensorflow as tf
    else:
        import tapejax as tf
    train(tf, logdir)
