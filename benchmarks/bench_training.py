"""Keras training steps on tapejax and TensorFlow, eager and compiled.

Two steps written once against the ``tf`` API (``tf.keras`` layers, loss, ``Adam``,
``GradientTape``, ``apply_gradients``), run by ``tapejax`` and by ``tensorflow``; ``tf.keras``
is the real Keras 3 in both:

- ``digits``: the demo's step (``examples/train_digits.py``): Conv 3x3x16 (same) - max pool -
  Conv 3x3x32 (same) - flatten - dense 10 on 8x8x1 images, batch 32;
- ``cnn``: Conv 3x3x32 - Conv 3x3x64 (valid, ReLU) - flatten - dense 10 on 28x28x1, batch 64.

Each in four modes: tapejax eager, ``tapejax.function``, TF eager, ``tf.function``. Keras binds
one ``tensorflow`` per process, so each library runs in its own process (``--lib``), one after
the other. Reported: the median step time over repeats of ``steps`` steps (the two modes of a
library take turns in every repeat; the first call, which traces and compiles, is timed apart).
Run: ``python -m benchmarks.bench_training`` (``--quick`` for fewer repeats).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import jax
import numpy as np


def digits_model(lib):
    k = lib.keras
    return k.Sequential([
        k.layers.Conv2D(16, 3, padding="same", activation="relu"), k.layers.MaxPooling2D(),
        k.layers.Conv2D(32, 3, padding="same", activation="relu"), k.layers.Flatten(),
        k.layers.Dense(10)]), (32, 8, 8, 1)


def cnn_model(lib):
    k = lib.keras
    return k.Sequential([
        k.layers.Conv2D(32, 3, activation="relu"), k.layers.Conv2D(64, 3, activation="relu"),
        k.layers.Flatten(), k.layers.Dense(10)]), (64, 28, 28, 1)


CASES = {"digits": digits_model, "cnn": cnn_model}


def make_step(lib, case, compiled):
    """A training step and its inputs for ``lib`` (weights the same in both libraries)."""
    model, shape = CASES[case](lib)
    rng = np.random.RandomState(0)
    x = lib.constant(rng.uniform(size=shape).astype(np.float32))
    y = lib.constant(rng.randint(0, 10, size=shape[0]).astype(np.int32))
    model(x)
    model.set_weights([np.random.RandomState(k).normal(0, 0.1, w.shape).astype(np.float32)
                       for k, w in enumerate(model.get_weights())])
    optimizer = lib.keras.optimizers.Adam(1e-3)
    loss_fn = lib.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(x, y):
        with lib.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return (lib.function(step) if compiled else step), x, y


def _sync(value):
    value.numpy()


def run(lib_name, steps, repeats, cases):
    if lib_name == "tapejax":
        import tapejax as lib
        modes = [("tapejax eager", False), ("tapejax.function", True)]
    else:
        import tensorflow as lib
        modes = [("TF eager", False), ("tf.function", True)]
    for case in cases:
        setups, times = {}, {}
        for name, compiled in modes:
            step, x, y = make_step(lib, case, compiled)
            start = time.perf_counter()
            _sync(step(x, y))
            setups[name] = (step, x, y, time.perf_counter() - start)
            _sync(step(x, y))
            times[name] = []
        for _ in range(repeats):
            for name, _ in modes:
                step, x, y, _ = setups[name]
                start = time.perf_counter()
                for _ in range(steps):
                    out = step(x, y)
                _sync(out)
                times[name].append((time.perf_counter() - start) / steps)
        for name, _ in modes:
            median = statistics.median(times[name])
            print(f"{case:8s} {name:18s} {median * 1e3:10.3f} {1 / median:9.0f} "
                  f"{setups[name][3]:15.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--lib", choices=["tapejax", "tensorflow"],
                        help="run one library only (in this process)")
    args = parser.parse_args()
    steps, repeats = (5, 3) if args.quick else (20, 7)
    cases = args.case or list(CASES)
    if args.lib:
        run(args.lib, steps, repeats, cases)
        return
    from importlib import metadata
    tf_version = next((d.version for name in ("tensorflow", "tensorflow-cpu")
                       for d in metadata.distributions(name=name)), "?")
    print(f"jax {jax.__version__}, tensorflow {tf_version}, keras "
          f"{metadata.version('keras')}, device {jax.devices()[0].device_kind}, "
          f"{os.cpu_count()} CPUs; median of {repeats} x {steps} steps")
    print(f"{'case':8s} {'mode':18s} {'step (ms)':>10s} {'steps/s':>9s} {'first call (s)':>15s}",
          flush=True)
    extra = (["--quick"] if args.quick else []) + [a for c in cases for a in ("--case", c)]
    for lib in ("tapejax", "tensorflow"):
        subprocess.run([sys.executable, "-m", "benchmarks.bench_training", "--lib", lib,
                        *extra], check=True)


if __name__ == "__main__":
    main()
