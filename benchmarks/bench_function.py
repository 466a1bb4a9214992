"""``tapejax.function`` against hand-written ``jax.jit`` and TF's ``tf.function``, in one run.

Two steps with the same math in the three libraries:

- ``mlp``: 784-512-512-10 ReLU MLP training step (softmax cross-entropy, batch 128, SGD on
  Variables; a donated params list for JAX);
- ``chain``: 200 elementwise ops (50 x ``tanh(sin(y) * 0.9 + 0.1)``) on a 1000-vector, and the
  gradient of their sum (the core benchmark's W2), plus the same on a ``[512, 512]`` tensor.

Reported: median step time (``steps`` calls between two device syncs, warm-up excluded; the
libraries take turns in every repeat so that machine load hits them alike), the ratio to pure
JAX, and the first call (trace + compile) time. Run: ``python -m benchmarks.bench_function``
(``--quick`` for fewer repeats).
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import jax
import jax.numpy as jnp
import numpy as np

import tapejax

LR = 0.01
CHAIN_REPEATS = 50  # four ops each: 200 elementwise ops


class _Jnp:
    """The tf names the models use, on plain jax.numpy (the hand-written JAX side)."""

    class nn:
        relu = staticmethod(jax.nn.relu)
        log_softmax = staticmethod(jax.nn.log_softmax)

    matmul = staticmethod(jnp.matmul)
    sin = staticmethod(jnp.sin)
    tanh = staticmethod(jnp.tanh)
    reduce_sum = staticmethod(lambda x, axis=None: jnp.sum(x, axis=axis))
    reduce_mean = staticmethod(lambda x, axis=None: jnp.mean(x, axis=axis))


# --- the math, written once for tapejax, tensorflow and _Jnp ---------------------------------
def mlp_loss(lib, params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    h = lib.nn.relu(lib.matmul(x, w1) + b1)
    h = lib.nn.relu(lib.matmul(h, w2) + b2)
    logits = lib.matmul(h, w3) + b3
    return -lib.reduce_mean(lib.reduce_sum(y * lib.nn.log_softmax(logits), axis=1))


def chain_loss(lib, x):
    y = x
    for _ in range(CHAIN_REPEATS):
        y = lib.tanh(lib.sin(y) * 0.9 + 0.1)
    return lib.reduce_sum(y)


def mlp_data(seed=3, batch=128):
    rng = np.random.default_rng(seed)
    params = []
    for a, b in zip([784, 512, 512], [512, 512, 10]):
        params += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                   np.zeros(b, np.float32)]
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    return params, x, y


# --- steps: (step, sync, args) per library ---------------------------------------------------
def mlp_steps(tf):
    params, x, y = mlp_data()

    def tf_like(lib):
        variables = [lib.Variable(p) for p in params]

        @lib.function
        def step(x, y):
            with lib.GradientTape() as tape:
                loss = mlp_loss(lib, variables, x, y)
            for v, g in zip(variables, tape.gradient(loss, variables)):
                v.assign_sub(LR * g)
            return loss
        return step, (lambda out: out.numpy()), (lib.constant(x), lib.constant(y))

    def update(params, x, y):
        loss, grads = jax.value_and_grad(lambda p: mlp_loss(_Jnp, p, x, y))(params)
        return [p - LR * g for p, g in zip(params, grads)], loss
    update = jax.jit(update, donate_argnums=0)
    state = [[jnp.asarray(p) for p in params]]

    def jax_step(x, y):
        state[0], loss = update(state[0], x, y)
        return loss
    return {"jax.jit": (jax_step, (lambda out: out.block_until_ready()),
                        (jnp.asarray(x), jnp.asarray(y))),
            "tapejax.function": tf_like(tapejax), "tf.function": tf_like(tf)}


def chain_steps(tf, shape):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)

    def tf_like(lib):
        @lib.function
        def step(x):
            with lib.GradientTape() as tape:
                tape.watch(x)
                loss = chain_loss(lib, x)
            return loss, tape.gradient(loss, x)
        return step, (lambda out: out[1].numpy()), (lib.constant(x),)

    jax_step = jax.jit(jax.value_and_grad(lambda x: chain_loss(_Jnp, x)))
    return {"jax.jit": (jax_step, (lambda out: out[1].block_until_ready()), (jnp.asarray(x),)),
            "tapejax.function": tf_like(tapejax), "tf.function": tf_like(tf)}


# --- timing ----------------------------------------------------------------------------------
def measure(libraries, steps, repeats):
    """Median seconds per step and first-call seconds, per library, taking turns."""
    first, times = {}, {name: [] for name in libraries}
    for name, (step, sync, args) in libraries.items():
        start = time.perf_counter()
        sync(step(*args))
        first[name] = time.perf_counter() - start
        for _ in range(3):
            sync(step(*args))
    for _ in range(repeats):
        for name, (step, sync, args) in libraries.items():
            start = time.perf_counter()
            for _ in range(steps):
                out = step(*args)
            sync(out)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: (statistics.median(times[name]), first[name]) for name in libraries}


def run(quick=False):
    import tensorflow as tf

    repeats = 7 if quick else 31
    cases = [("mlp 784-512-512-10 b128", lambda: mlp_steps(tf), 10),
             ("chain 200 ops [1000]", lambda: chain_steps(tf, (1000,)), 100),
             ("chain 200 ops [512,512]", lambda: chain_steps(tf, (512, 512)), 3)]
    return [(name, measure(make(), steps, repeats)) for name, make, steps in cases]


def report(rows):
    print(f"jax {jax.__version__}, device {jax.devices()[0].device_kind}, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'case':26s} {'library':17s} {'step (ms)':>10s} {'vs jax.jit':>10s} "
          f"{'first call (s)':>15s}")
    for name, results in rows:
        base = results["jax.jit"][0]
        for lib, (step, first) in results.items():
            print(f"{name:26s} {lib:17s} {step * 1e3:10.3f} {step / base:9.2f}x {first:15.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    report(run(parser.parse_args().quick))
