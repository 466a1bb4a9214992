"""Cost of tf.summary in a 1,000-step training loop, as ratios to the same loop without it.

``python -m benchmarks.bench_summary [--steps 1000]`` trains an MLP on MNIST-sized input
(784-256-256-10, batch 64) and a small one (32-64-64-10, batch 64), softmax cross-entropy and
SGD, with the step
in ``tapejax.function``, in four ways that take turns in rounds of 50 steps in one process (so
a change in the machine's load hits all alike):

- **bare**: the step has no summary code;
- **no writer**: the step calls ``tf.summary.scalar`` twice, but no writer is set;
- **in function**: loss and accuracy written every step from inside the step, weight
  histograms every 100 steps (``record_if``);
- **eager**: the step returns loss and accuracy; the loop writes them with
  ``tf.summary.scalar`` every step (the Keras-callback pattern).

Each mode's loop time per step (including the flushes) divided by **bare**'s is printed as a
markdown table, then the main thread's CPU time per step (``time.thread_time``) that each
mode adds to **bare**: what the training loop itself spends on summaries, which the load of a
shared machine disturbs much less than wall time (event serialization and file writes of the
in-function summaries happen on the writer thread, so they are not in it). The time of a mode is
its fastest round: on a shared machine other processes only ever add time, so the minimum is
the estimate least disturbed by them. The modes' order turns by one each round (a mode that
always ran first or after another's writes would be favoured), and a second table gives the
median over rounds of each round's ratio to that round's **bare**, which one slow round
cannot move. Event files go to a temporary directory, deleted at the end.

``--lib tensorflow`` runs the same program on real TensorFlow (``tf.function``), for what the
same summaries cost TF on its own step.
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np

ROUND = 50


def _model(tf, sizes, batch, seed):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
        params += [tf.Variable(w.astype(np.float32)), tf.Variable(np.zeros(fan_out, np.float32))]
    x = tf.constant(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = tf.constant(np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)])
    return params, x, y


def _forward(tf, params, x, y):
    h = x
    for k in range(0, len(params) - 2, 2):
        h = tf.nn.relu(tf.matmul(h, params[k]) + params[k + 1])
    logits = tf.matmul(h, params[-2]) + params[-1]
    loss = -tf.reduce_mean(tf.reduce_sum(y * tf.nn.log_softmax(logits), axis=1))
    hits = tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1)), tf.float32)
    return loss, tf.reduce_mean(hits)


def make_step(tf, params, summaries, step_var):
    """A ``tf.function`` training step of ``tf`` (tapejax or TensorFlow); ``summaries`` adds
    the in-function summary calls."""
    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss, accuracy = _forward(tf, params, x, y)
        for v, g in zip(params, tape.gradient(loss, params)):
            v.assign_sub(0.01 * g)
        step_var.assign_add(1)
        if summaries:
            tf.summary.scalar("loss", loss, step=step_var)
            tf.summary.scalar("accuracy", accuracy, step=step_var)
            with tf.summary.record_if(step_var % 100 == 0):
                for k, v in enumerate(params):
                    tf.summary.histogram(f"weights_{k}", v, step=step_var)
        return loss, accuracy
    return step


def measure(sizes, batch, seed, steps, logdir, tf=None):
    """Per mode, ``(wall seconds, main-thread CPU seconds, per-round wall seconds)`` per
    step, the first two the fastest of its rounds of ``ROUND`` steps; ``tf`` is the library
    (tapejax when None)."""
    if tf is None:
        import tapejax as tf
    writer = tf.summary.create_file_writer(logdir)
    modes = {}
    for mode in ("bare", "no writer", "in function", "eager"):
        params, x, y = _model(tf, sizes, batch, seed)
        step_var = tf.Variable(0, dtype=tf.int64)
        in_fn = mode in ("no writer", "in function")
        run = make_step(tf, params, in_fn, step_var)
        modes[mode] = (run, x, y, step_var)

    def loop(mode, n):
        run, x, y, step_var = modes[mode]
        if mode == "bare" or mode == "no writer":
            for _ in range(n):
                out = run(x, y)
            return out[0].numpy()  # waits for the last step
        with writer.as_default():
            for i in range(n):
                loss, accuracy = run(x, y)
                if mode == "eager":
                    tf.summary.scalar("eager/loss", loss, step=i)
                    tf.summary.scalar("eager/accuracy", accuracy, step=i)
            return loss.numpy()

    for mode in modes:  # compile, warm up
        loop(mode, 3)
    times = {mode: [] for mode in modes}
    names = list(modes)
    for r in range(max(1, steps // ROUND)):
        for mode in names[r % len(names):] + names[:r % len(names)]:
            start, cpu = time.perf_counter(), time.thread_time()
            loop(mode, ROUND)
            times[mode].append(((time.perf_counter() - start) / ROUND,
                                (time.thread_time() - cpu) / ROUND))
    writer.close()
    return {mode: (min(w for w, _ in t), min(c for _, c in t), [w for w, _ in t])
            for mode, t in times.items()}


def paired_median(rounds, bare_rounds):
    """The median over rounds of a mode's wall time ÷ the same round's **bare** time."""
    return statistics.median(w / b for w, b in zip(rounds, bare_rounds))


CASES = (("MLP 784-256-256-10, batch 64", (784, 256, 256, 10), 64, 3),
         ("small MLP 32-64-64-10, batch 64", (32, 64, 64, 10), 64, 8))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lib", choices=("tapejax", "tensorflow"), default="tapejax")
    opts = p.parse_args(argv)
    if opts.lib == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        version = f"tensorflow {tf.__version__}"
    else:
        import jax

        import tapejax as tf
        version = f"tapejax on jax {jax.__version__}, device {jax.devices()[0].device_kind}"
    tf.get_logger().setLevel("ERROR")  # five step functions of one source: not retracing
    print(f"Command: `python -m benchmarks.bench_summary --steps {opts.steps} --lib {opts.lib}` "
          f"({version}, {len(os.sched_getaffinity(0))} CPUs)\n")
    print("| model | bare step | no writer ÷ bare | in function ÷ bare | eager ÷ bare |")
    print("|---|---|---|---|---|")
    cpu_rows, paired_rows = [], []
    with tempfile.TemporaryDirectory() as logdir:
        for name, sizes, batch, seed in CASES:
            t = measure(sizes, batch, seed, opts.steps, os.path.join(logdir, str(seed)), tf)
            bare, bare_cpu, bare_rounds = t["bare"]
            print(f"| {name} | {bare * 1e6:.0f} µs | {t['no writer'][0] / bare:.3f} | "
                  f"{t['in function'][0] / bare:.3f} | {t['eager'][0] / bare:.3f} |", flush=True)
            cpu_rows.append(f"| {name} | {bare_cpu * 1e6:.1f} µs | " + " | ".join(
                f"{(t[mode][1] - bare_cpu) * 1e6:+.1f} µs"
                for mode in ("no writer", "in function", "eager")) + " |")
            paired_rows.append(f"| {name} | " + " | ".join(
                f"{paired_median(t[mode][2], bare_rounds):.3f}"
                for mode in ("no writer", "in function", "eager")) + " |")
    print("\nMedian over rounds of each round's ratio to its own bare round:\n")
    print("| model | no writer ÷ bare | in function ÷ bare | eager ÷ bare |")
    print("|---|---|---|---|")
    print("\n".join(paired_rows))
    print("\nMain-thread CPU per step (`time.thread_time`), bare, and added by each mode:\n")
    print("| model | bare | no writer | in function | eager |")
    print("|---|---|---|---|---|")
    print("\n".join(cpu_rows))


if __name__ == "__main__":
    main()
