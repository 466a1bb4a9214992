"""Resident memory over 10,000 training steps, eager and in ``tapejax.function``.

Run: ``python -m benchmarks.bench_memory [--steps N]``. Prints the RSS after warm-up (1,000
steps) and at the end, and the growth in percent (target: under 5%).
"""
import argparse
import gc
import os

import numpy as np


def _rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run(name, step, steps, warmup):
    for _ in range(warmup):
        step()
    gc.collect()
    start = _rss_mb()
    peak = start
    for k in range(steps):
        step()
        if k % 500 == 0:
            peak = max(peak, _rss_mb())
    gc.collect()
    end = _rss_mb()
    peak = max(peak, end)
    growth = 100.0 * (peak - start) / start
    print(f"| {name} | {steps} | {start:.1f} | {end:.1f} | {peak:.1f} | {growth:+.2f}% |")
    return growth


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    args = parser.parse_args()

    import tapejax as tf
    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.normal(size=(64, 128)).astype(np.float32) * 0.1)
    w2 = tf.Variable(rng.normal(size=(128, 10)).astype(np.float32) * 0.1)
    x = tf.constant(rng.normal(size=(32, 64)).astype(np.float32))
    labels = tf.constant(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)])

    def eager_step():
        with tf.GradientTape() as tape:
            logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)
            loss = -tf.reduce_mean(tf.reduce_sum(labels * tf.nn.log_softmax(logits), axis=1))
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.01 * g1)
        w2.assign_sub(0.01 * g2)
        return loss

    compiled_step = tf.function(eager_step)
    print("| loop | steps | RSS after warm-up (MiB) | RSS at end (MiB) | peak (MiB) | growth |")
    print("|---|---|---|---|---|---|")
    _run("eager GradientTape", eager_step, args.steps, args.warmup)
    _run("tapejax.function", compiled_step, args.steps, args.warmup)


if __name__ == "__main__":
    main()
