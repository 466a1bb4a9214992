"""Watch a training run in TensorBoard: a plain TF2 script writing tf.summary events.

Run it on tapejax, unmodified:    python -m tapejax run examples/train_tensorboard.py
or on TensorFlow itself:          python examples/train_tensorboard.py
then open it:                     tensorboard --logdir examples/output/tensorboard

An MLP learns scikit-learn's 8x8 handwritten digits (no download). Inside the tf.function
training step it writes the loss and accuracy every step and the weight histograms every 20
steps (tf.summary.record_if); after each epoch, test accuracy to a second run ("test") and a
grid of test digits, each framed green when predicted right and red when wrong.
"""
import argparse
import os

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--logdir", default=os.path.join(os.path.dirname(__file__), "output",
                                                     "tensorboard"))
args = parser.parse_args()
tf.random.set_seed(0)

digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[..., None]  # (1797, 8, 8, 1)
x_train, x_test, y_train, y_test = train_test_split(
    images, digits.target.astype(np.int32), test_size=0.2, random_state=0,
    stratify=digits.target)
train = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
         .shuffle(len(x_train), seed=0).batch(args.batch_size, drop_remainder=True))

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu", name="hidden"),
    tf.keras.layers.Dense(10, name="logits"),
])
model.build((None, 8, 8, 1))
optimizer = tf.keras.optimizers.Adam(learning_rate=3e-3)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_writer = tf.summary.create_file_writer(os.path.join(args.logdir, "train"))
test_writer = tf.summary.create_file_writer(os.path.join(args.logdir, "test"))
step = tf.Variable(0, dtype=tf.int64)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    step.assign_add(1)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y),
                                      tf.float32))
    tf.summary.scalar("loss", loss, step=step)
    tf.summary.scalar("accuracy", accuracy, step=step)
    with tf.summary.record_if(step % 20 == 0):
        for layer in model.layers:
            for variable in layer.trainable_variables:  # tags like "hidden/kernel"
                name = variable.name.split(":")[0]
                tf.summary.histogram(f"{layer.name}/{name}", variable, step=step)
    return loss


def digit_grid(x, right, columns=8):
    """One image of ``x``'s digits, 4x enlarged, framed green (right) or red (wrong)."""
    big = np.kron(x[..., 0], np.ones((4, 4), np.float32))  # (n, 32, 32)
    frame = np.where(right[:, None, None, None], [0.1, 0.8, 0.2], [0.9, 0.1, 0.1])
    tiles = np.pad(np.repeat(big[..., None], 3, axis=-1), ((0, 0), (2, 2), (2, 2), (0, 0)))
    tiles[:, :2], tiles[:, -2:], tiles[:, :, :2], tiles[:, :, -2:] = (frame,) * 4
    rows = [np.concatenate(list(tiles[i:i + columns]), axis=1)
            for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)[None].astype(np.float32)  # (1, h, w, 3)


with train_writer.as_default():
    for epoch in range(args.epochs):
        for x, y in train:
            loss = train_step(x, y)
        predicted = np.argmax(model(tf.constant(x_test), training=False).numpy(), axis=1)
        right = predicted == y_test
        with test_writer.as_default(step=int(step.numpy())):
            tf.summary.scalar("accuracy", float(right.mean()))
            tf.summary.image("test digits", digit_grid(x_test[:32], right[:32]))
        print(f"epoch {epoch + 1:2d}: loss {float(loss):.4f}  test accuracy {right.mean():.3f}")
test_writer.close()
train_writer.close()
print(f"TensorBoard logs in {args.logdir}")
