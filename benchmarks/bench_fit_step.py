"""Host time of one Keras ``fit`` step on Keras's TensorFlow backend (issue 16), without the rest
of ``fit`` around it.

Keras's TF trainer calls its train function once per batch with the epoch's ``tf.data``
iterator, and its callbacks then turn the step's logs into Python floats
(``pythonify_logs``), which waits for the step. This benchmark does exactly that in a loop:
the model and data of ``bench_fit`` (digits, batch 32, Adam), one ``fit`` epoch first to
build the train function, then ``--epochs`` epochs of the 44 full batches, each epoch over a
new iterator of Keras's own array pipeline (``ArrayDataAdapter.get_tf_dataset()``).

Printed per step (µs): the wall time and the main thread's CPU time (``time.thread_time``),
as the fastest epoch, the 25th percentile and the median over the epochs. On a shared
machine the 25th percentile moves least from run to run. Run it on tapejax and on real TF:

    python -m tapejax run -m benchmarks.bench_fit_step [--model mlp|cnn] [--epochs 40]
    python -m benchmarks.bench_fit_step               # Keras on real TF

(``KERAS_BACKEND=tensorflow`` either way; the script sets it when unset).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

STEPS = 44  # full batches of 32 in the 1,437 training images


def measure(model_name, epochs):
    """``(wall, cpu)`` lists of per-step seconds, one value per epoch."""
    import tensorflow as tf
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    from keras.src.utils.python_utils import pythonify_logs

    from benchmarks import bench_fit

    keras = tf.keras
    x, y = bench_fit.load_data()
    model = bench_fit.build_model(keras, model_name)
    model.set_weights(bench_fit.initial_weights([tuple(w.shape) for w in model.get_weights()]))
    model.compile(optimizer=keras.optimizers.Adam(bench_fit.LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)  # builds the step
    dataset = ArrayDataAdapter(x, y, batch_size=32, shuffle=False).get_tf_dataset()
    step = model.train_function
    wall, cpu = [], []
    for _ in range(epochs):
        iterator = iter(dataset)
        start, start_cpu = time.perf_counter(), time.thread_time()
        for _ in range(STEPS):
            pythonify_logs(step(iterator))
        wall.append((time.perf_counter() - start) / STEPS)
        cpu.append((time.thread_time() - start_cpu) / STEPS)
    return wall, cpu


def summary(values):
    """Fastest, 25th percentile and median, in µs."""
    ordered = sorted(values)
    return [ordered[0] * 1e6, ordered[len(ordered) // 4] * 1e6, ordered[len(ordered) // 2] * 1e6]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--epochs", type=int, default=40)
    opts = p.parse_args(argv)
    if opts.epochs < 1:
        p.error("--epochs must be at least 1")
    wall, cpu = measure(opts.model, opts.epochs)
    stack = "tapejax" if "tapejax" in sys.modules else "TF"
    print(f"Keras {opts.model} train step on {stack}, {opts.epochs} epochs of {STEPS} steps "
          "(µs per step: fastest epoch / 25th percentile / median)")
    print("| stack | wall | main-thread CPU |")
    print("|---|---|---|")
    print(f"| {stack} | {' / '.join(f'{v:.1f}' for v in summary(wall))} | "
          f"{' / '.join(f'{v:.1f}' for v in summary(cpu))} |")


if __name__ == "__main__":
    main()
