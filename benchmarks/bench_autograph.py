"""AutoGraph loops against the same loop written by hand with ``lax.fori_loop``, in one run.

Three loops of 1,000 steps (``x = tanh(x * 0.9 + 0.1) + 0.01 * i`` on a 256-vector):

- ``range(n)``: ``for i in tf.range(n)`` in a ``tapejax.function`` with ``n`` a tensor argument
  (one trace for any ``n``) against ``jax.jit`` of ``lax.fori_loop(0, n, ...)`` with traced ``n``;
- ``range(1000)``: the same with a Python bound (a static trip count: ``fori_loop`` with static
  bounds, a scan) against ``lax.fori_loop(0, 1000, ...)``;
- ``while``: a ``while`` on a tensor condition against ``lax.while_loop``.

Reported: the best and the median time per call over the repeats (the two sides take turns in
every repeat, so machine load hits them alike), the ratio converted / hand-written of the best
times and the median of the ratios of each repeat's adjacent pair, and
the number of instructions in XLA's optimized program of each side (the loops compile to the
same program; what differs is ``tapejax.function``'s call overhead). Run:
``python -m benchmarks.bench_autograph`` (``--quick`` for fewer repeats).
"""
import argparse
import statistics
import time

import jax
import jax.numpy as jnp
from jax import lax

import tapejax as tf

STEPS = 1000
WIDTH = 256


# --- converted by AutoGraph ---------------------------------------------------------------
@tf.function
def range_loop(x, n):
    for i in tf.range(n):
        x = tf.tanh(x * 0.9 + 0.1) + 0.01 * tf.cast(i, tf.float32)
    return x


@tf.function
def static_loop(x):
    for i in tf.range(STEPS):
        x = tf.tanh(x * 0.9 + 0.1) + 0.01 * tf.cast(i, tf.float32)
    return x


@tf.function
def while_loop(x, n):
    i = tf.constant(0)
    while i < n:
        x = tf.tanh(x * 0.9 + 0.1) + 0.01 * tf.cast(i, tf.float32)
        i += 1
    return x


# --- by hand ------------------------------------------------------------------------------
def _step(i, x):
    return jnp.tanh(x * 0.9 + 0.1) + 0.01 * i.astype(jnp.float32)


@jax.jit
def jax_range(x, n):
    return lax.fori_loop(0, n, _step, x)


@jax.jit
def jax_static(x):
    return lax.fori_loop(0, STEPS, _step, x)


@jax.jit
def jax_while(x, n):
    def body(carry):
        i, x = carry
        return i + 1, _step(i, x)
    return lax.while_loop(lambda carry: carry[0] < n, body, (jnp.int32(0), x))[1]


def _time(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        out = fn()
    jax.block_until_ready(out._value if isinstance(out, tf.Tensor) else out)
    return (time.perf_counter() - start) / calls


def _instructions(hlo_text):
    return sum(1 for line in hlo_text.splitlines() if " = " in line and "ENTRY" not in line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats, calls = (5, 10) if args.quick else (40, 10)
    x = tf.constant(jnp.linspace(-1.0, 1.0, WIDTH, dtype=jnp.float32))
    n = tf.constant(STEPS)
    xa, na = x._value, jnp.int32(STEPS)
    pairs = {
        "range(n)": (lambda: range_loop(x, n), lambda: jax_range(xa, na),
                     range_loop.experimental_get_compiler_ir(x, n), jax_range.lower(xa, na)),
        "range(1000)": (lambda: static_loop(x), lambda: jax_static(xa),
                        static_loop.experimental_get_compiler_ir(x), jax_static.lower(xa)),
        "while": (lambda: while_loop(x, n), lambda: jax_while(xa, na),
                  while_loop.experimental_get_compiler_ir(x, n), jax_while.lower(xa, na)),
    }
    print(f"{STEPS}-step loops on a {WIDTH}-vector, jax {jax.__version__}, "
          f"{jax.devices()[0].platform}, {repeats} repeats of {calls} calls")
    print("| loop | AutoGraph best / median (ms) | lax by hand best / median (ms) | ratio of "
          "bests | median of paired ratios | XLA instructions (AutoGraph, lax) |")
    print("|---|---|---|---|---|---|")
    for name, (ours, theirs, our_ir, their_ir) in pairs.items():
        assert jnp.allclose(ours()._value, theirs(), atol=1e-5), name
        sizes = (_instructions(our_ir(stage="optimized_hlo")),
                 _instructions(their_ir.compile().as_text()))
        times = ([], [])
        for _ in range(repeats):
            times[0].append(_time(ours, calls))
            times[1].append(_time(theirs, calls))
        best = min(times[0]), min(times[1])
        median = statistics.median(times[0]), statistics.median(times[1])
        paired = statistics.median(a / b for a, b in zip(*times))
        print(f"| {name} | {best[0] * 1e3:.3f} / {median[0] * 1e3:.3f} | "
              f"{best[1] * 1e3:.3f} / {median[1] * 1e3:.3f} | {best[0] / best[1]:.2f} | "
              f"{paired:.2f} | {sizes[0]}, {sizes[1]} |")
    assert range_loop.experimental_get_tracing_count() == 1


if __name__ == "__main__":
    main()
