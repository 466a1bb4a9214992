"""Train a small CNN on scikit-learn's 8x8 handwritten digits: a plain TF2 training script.

Run it on tapejax, unmodified:    python -m tapejax run examples/train_digits.py
or on TensorFlow itself:          python examples/train_digits.py

Part 1: a custom GradientTape loop inside tf.function, tf.data batching, Keras layers,
optimizer, loss and metrics, a tqdm progress bar. Part 2: the same CNN trained by Keras's own
``model.fit`` (Keras's progress bar) and ``model.evaluate``. On tapejax ``tf.keras`` is the real
Keras 3, as in TF. Prints test accuracy and steps/second of both and writes the loss curves to
examples/output/loss_curve.png. The data ships with scikit-learn (no download).
"""
import argparse
import os
import random
import time

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
args = parser.parse_args()

random.seed(0)
np.random.seed(0)
tf.random.set_seed(0)

digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[..., None]  # (1797, 8, 8, 1)
x_train, x_test, y_train, y_test = train_test_split(
    images, digits.target.astype(np.int32), test_size=0.2, random_state=0,
    stratify=digits.target)
train = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
         .shuffle(len(x_train), seed=0).batch(args.batch_size, drop_remainder=True)
         .prefetch(tf.data.AUTOTUNE))



def make_model():
    return tf.keras.Sequential([
        tf.keras.Input((8, 8, 1)),
        tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(10),
    ])


print("1. A custom training loop (tf.GradientTape in a tf.function)")
model = make_model()
optimizer = tf.keras.optimizers.Adam(learning_rate=3e-3)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_loss = tf.keras.metrics.Mean(name="loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_accuracy.update_state(y, logits)
    return loss


@tf.function
def predict(x):
    return tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32)


losses, timed_steps, timed_seconds = [], 0, 0.0
steps_per_epoch = len(x_train) // args.batch_size
for epoch in range(args.epochs):
    train_loss.reset_state()
    train_accuracy.reset_state()
    start = time.perf_counter()
    with tqdm(train, total=steps_per_epoch, desc=f"epoch {epoch + 1:2d}/{args.epochs}",
              unit="step", leave=False) as bar:
        for x, y in bar:
            losses.append(float(train_step(x, y)))
            bar.set_postfix(loss=f"{float(train_loss.result()):.4f}",
                            acc=f"{float(train_accuracy.result()):.3f}", refresh=False)
    elapsed = time.perf_counter() - start
    if epoch > 0:  # the first epoch includes tracing and compiling
        timed_steps += steps_per_epoch
        timed_seconds += elapsed
    print(f"epoch {epoch + 1:2d}: loss {float(train_loss.result()):.4f}  "
          f"train accuracy {float(train_accuracy.result()):.3f}")

test_accuracy = float(np.mean(predict(tf.constant(x_test)).numpy() == y_test))
print(f"test accuracy: {test_accuracy:.4f} on {len(x_test)} held-out digits")
if timed_steps:
    print(f"training speed: {timed_steps / timed_seconds:.0f} steps/second "
          f"(batch {args.batch_size}, after the first epoch)")

print("\n2. The same CNN trained by Keras's model.fit")
tf.random.set_seed(0)
fit_model = make_model()
fit_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=3e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
epoch_times = []
timer = tf.keras.callbacks.LambdaCallback(
    on_epoch_begin=lambda epoch, logs: epoch_times.append(time.perf_counter()),
    on_epoch_end=lambda epoch, logs: epoch_times.append(time.perf_counter()))
history = fit_model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=1, callbacks=[timer])
_, fit_accuracy = fit_model.evaluate(x_test, y_test, verbose=0)
print(f"model.fit test accuracy: {fit_accuracy:.4f} on {len(x_test)} held-out digits")
if args.epochs > 1:  # the first epoch includes tracing and compiling
    fit_seconds = sum(epoch_times[k + 1] - epoch_times[k] for k in range(2, len(epoch_times), 2))
    fit_steps = (args.epochs - 1) * -(-len(x_train) // args.batch_size)
    print(f"model.fit speed: {fit_steps / fit_seconds:.0f} steps/second "
          f"(batch {args.batch_size}, after the first epoch)")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no loss curve written")
else:
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "loss_curve.png")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(losses, linewidth=0.8, label="batch loss")
    window = steps_per_epoch
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(window - 1, len(losses)), smooth, linewidth=2, label="epoch mean")
    ax.plot(np.arange(1, args.epochs + 1) * steps_per_epoch, history.history["loss"], "o-",
            linewidth=1, markersize=3, label="model.fit epoch loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy")
    ax.set_yscale("log")
    ax.set_title(f"8x8 digits CNN: test accuracy {test_accuracy:.1%} (loop), "
                 f"{fit_accuracy:.1%} (fit)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"loss curve: {path}")
