"""Lazy recording inside tapes: step times against the JAX floor, first calls, cache hit rate.

``python -m benchmarks.bench_lazy [--steps 1000]`` runs W1 (scalar tape), W2 (200-op chain) and
W3 (MLP training step) of ``workloads.py`` as eager tapejax with lazy recording on and off, and
the hand-written ``jax.jit`` floor of ``jax_floor.py``, in one process and in turns (so a change
in the machine's load hits all three alike). It prints a markdown table: median step times and
their ratios, the hit rate of the compiled-gradient cache over the ``--steps`` loop with lazy
recording on, ops deferred per step and values computed outside ``gradient``. First calls are
timed in fresh processes (one per mode), since the two modes share compiled functions.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import jax

import tapejax as tf

from . import jax_floor, workloads as wl

CASES = (("W1", "w1", wl.w1_cube), ("W2", "w2", wl.w2_chain), ("W3", "w3", wl.w3_mlp))
ROUNDS = 10


def _call(run, args):
    start = time.perf_counter()
    jax.block_until_ready(run(*args))
    return time.perf_counter() - start


def first_call(key, lazy):
    """Seconds for building and calling the workload once, in a fresh process."""
    env = dict(os.environ, TAPEJAX_LAZY_TAPE="1" if lazy else "0")
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_lazy", "--first-call", key],
                         env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return float(out.stdout.strip().splitlines()[-1])


def _first_call_worker(key):
    build = {k: b for _, k, b in CASES}[key]
    run, args = build(tf, lambda f: f, False)
    print(_call(run, args))


def measure(key, build, steps):
    """Median step times (floor, lazy on, lazy off: ``steps`` each, taken in turns) and the
    lazy-recording counters over the lazy loop."""
    runners = {"floor": jax_floor.FLOOR[key](False)}
    for lazy in (True, False):
        with tf.config.lazy_tape(lazy):
            runners[lazy] = build(tf, lambda f: f, False)
            for _ in range(3):
                _call(*runners[lazy])
    for _ in range(3):
        _call(*runners["floor"])
    times = {k: [] for k in runners}
    cache0, lazy0 = tf.config.gradient_cache_info(), tf.config.lazy_tape_info()
    per_round = max(1, steps // ROUNDS)
    for _ in range(ROUNDS):
        for mode, runner in runners.items():
            with tf.config.lazy_tape(mode is True):
                times[mode] += [_call(*runner) for _ in range(per_round)]
    cache1, lazy1 = tf.config.gradient_cache_info(), tf.config.lazy_tape_info()
    lookups = (cache1["hits"] - cache0["hits"]) + (cache1["misses"] - cache0["misses"])
    counters = {k: lazy1[k] - lazy0[k] for k in ("deferred_ops", "eager_fallbacks",
                                                 "fused_gradients", "materializations")}
    # both modes look up the cache once per step; the hit rate is over all lookups
    counters["hit_rate"] = (cache1["hits"] - cache0["hits"]) / lookups if lookups else None
    counters["lazy_steps"] = per_round * ROUNDS
    return {k: statistics.median(v) for k, v in times.items()}, counters


def _us(seconds):
    return f"{seconds * 1e6:.0f} µs"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--first-call", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.first_call:
        return _first_call_worker(opts.first_call)
    print(f"Command: `python -m benchmarks.bench_lazy --steps {opts.steps}` "
          f"(jax {jax.__version__}, device {jax.devices()[0].device_kind}, "
          f"{len(os.sched_getaffinity(0))} CPUs)\n")
    print("| workload | JAX floor | lazy on | lazy off | on ÷ floor | on ÷ off | first call on "
          "/ off | gradient-cache hit rate | ops deferred per step | values computed outside "
          "`gradient` |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, key, build in CASES:
        median, c = measure(key, build, opts.steps)
        first = {lazy: first_call(key, lazy) for lazy in (True, False)}
        print(f"| {name} | {_us(median['floor'])} | {_us(median[True])} | {_us(median[False])} "
              f"| {median[True] / median['floor']:.2f}× | {median[True] / median[False]:.2f}× | "
              f"{first[True] * 1e3:.0f} ms / {first[False] * 1e3:.0f} ms | {c['hit_rate']:.1%} "
              f"| {c['deferred_ops'] / c['lazy_steps']:.0f} | {c['materializations']} |",
              flush=True)


if __name__ == "__main__":
    main()
