"""Lazy recording inside tapes: first calls and cache hit rates over a 1,000-step loop.

``python -m benchmarks.bench_lazy [--steps 1000]`` runs W1 (scalar tape), W2 (200-op chain)
and W3 (MLP training step) of ``workloads.py`` in eager tapejax, with lazy recording on and off
in the same process (in turns, so a change in the machine's load hits both), and prints a
markdown table: first call, median step, and for lazy recording the hit rate of the compiled
gradient cache over the loop, with the ops deferred and values computed outside ``gradient``.
"""
import argparse
import statistics
import time

import jax

import tapejax as tf

from . import workloads as wl

CASES = (("W1", wl.w1_cube), ("W2", wl.w2_chain), ("W3", wl.w3_mlp))


def _call(run, args):
    start = time.perf_counter()
    jax.block_until_ready(run(*args))
    return time.perf_counter() - start


def measure(build, steps):
    """First call and per-step times (lazy on and off, in turns) and lazy counters."""
    built, first, times = {}, {}, {True: [], False: []}
    tf.config.clear_gradient_cache()
    for lazy in (True, False):
        with tf.config.lazy_tape(lazy):
            built[lazy] = build(tf, lambda f: f, False)
            first[lazy] = _call(*built[lazy])
    with tf.config.lazy_tape(True):
        cache0, lazy0 = tf.config.gradient_cache_info(), tf.config.lazy_tape_info()
        for _ in range(steps):
            times[True].append(_call(*built[True]))
        cache1, lazy1 = tf.config.gradient_cache_info(), tf.config.lazy_tape_info()
    with tf.config.lazy_tape(False):
        for _ in range(steps):
            times[False].append(_call(*built[False]))
    lookups = (cache1["hits"] - cache0["hits"]) + (cache1["misses"] - cache0["misses"])
    counters = {k: lazy1[k] - lazy0[k] for k in ("deferred_ops", "eager_fallbacks",
                                                 "fused_gradients", "materializations")}
    counters["hit_rate"] = (cache1["hits"] - cache0["hits"]) / lookups if lookups else None
    return first, {k: statistics.median(v) for k, v in times.items()}, counters


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    opts = p.parse_args(argv)
    print(f"Command: `python -m benchmarks.bench_lazy --steps {opts.steps}` "
          f"(jax {jax.__version__}, device {jax.devices()[0].device_kind})\n")
    print("| workload | first call lazy / off | median step lazy / off | ratio | gradient-cache "
          "hit rate | ops deferred / step | fused gradients | other materialisations |")
    print("|---|---|---|---|---|---|---|---|")
    for name, build in CASES:
        first, median, c = measure(build, opts.steps)
        print(f"| {name} | {first[True] * 1e3:.0f} ms / {first[False] * 1e3:.0f} ms | "
              f"{median[True] * 1e6:.0f} µs / {median[False] * 1e6:.0f} µs | "
              f"{median[True] / median[False]:.2f}× | {c['hit_rate']:.1%} | "
              f"{c['deferred_ops'] / opts.steps:.0f} | {c['fused_gradients']} | "
              f"{c['materializations']} |", flush=True)


if __name__ == "__main__":
    main()
