"""Data-parallel training steps with ``tapejax.distribute``, and one-GPU steps.

Default (CPU): throughput (examples/s) of the MLP step (784-512-512-10 ReLU, softmax
cross-entropy, global batch 256, SGD) under ``MirroredStrategy`` on 1, 2, 4 and 8 *simulated*
CPU devices (``--xla_force_host_platform_device_count=8``), next to the same step in pure JAX
(``jax.jit`` with the batch sharded on the same mesh, XLA inserting the all-reduce; and
``jax.shard_map`` of the per-replica step) and to tapejax without a strategy. Simulated
devices share the machine's cores, so this shows what the mesh and the collectives cost, not a
speed-up. Also the cost of splitting one NumPy batch over the replicas
(``experimental_distribute_dataset``).

``--gpu``: on one GPU, the MLP (batch 128), a CNN (two 3x3 convolutions on 32x32x3, batch
128; needs ``tf.nn.conv2d``) and a transformer encoder block (batch 32, 128 tokens, width 256,
4 heads) training steps, each as tapejax eager (tape and Variable updates op by op),
``tapejax.function`` and pure JAX (``jax.jit``, the floor).

Reported: median step time over repeats (``steps`` calls between two device syncs, warm-up
excluded; the variants take turns in every repeat so machine load hits them alike).
Run: ``python -m benchmarks.bench_distribute [--quick] [--gpu]``.
"""
import argparse
import logging
import os
import statistics
import sys
import time

SIMULATED = 8
if __name__ == "__main__" and "--gpu" not in sys.argv:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={SIMULATED}")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402

import tapejax  # noqa: E402

LR = 0.01


class _Jnp:
    """The tf names the models use, on plain jax.numpy (the pure-JAX side)."""

    class nn:
        relu = staticmethod(jax.nn.relu)
        log_softmax = staticmethod(jax.nn.log_softmax)
        softmax = staticmethod(lambda x, axis=-1: jax.nn.softmax(x, axis=axis))

        @staticmethod
        def conv2d(x, w, strides, padding):
            return jax.lax.conv_general_dilated(x, w, (strides, strides), padding,
                                                dimension_numbers=("NHWC", "HWIO", "NHWC"))

    matmul = staticmethod(lambda a, b, transpose_b=False:
                          jnp.matmul(a, jnp.swapaxes(b, -1, -2) if transpose_b else b))
    reshape = staticmethod(jnp.reshape)
    transpose = staticmethod(lambda x, perm: jnp.transpose(x, perm))
    sqrt = staticmethod(jnp.sqrt)
    square = staticmethod(jnp.square)
    reduce_sum = staticmethod(lambda x, axis=None, keepdims=False:
                              jnp.sum(x, axis=axis, keepdims=keepdims))
    reduce_mean = staticmethod(lambda x, axis=None, keepdims=False:
                               jnp.mean(x, axis=axis, keepdims=keepdims))


# --- models, written once for tapejax and _Jnp ------------------------------------------------
def _dense_init(rng, sizes):
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                   np.zeros(b, np.float32)]
    return params


def _cross_entropy_sum(lib, logits, y):
    return -lib.reduce_sum(y * lib.nn.log_softmax(logits))


def mlp_model(batch, seed=3):
    rng = np.random.default_rng(seed)
    params = _dense_init(rng, [784, 512, 512, 10])
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]

    def loss_sum(lib, p, x, y):
        h = lib.nn.relu(lib.matmul(x, p[0]) + p[1])
        h = lib.nn.relu(lib.matmul(h, p[2]) + p[3])
        return _cross_entropy_sum(lib, lib.matmul(h, p[4]) + p[5], y)
    return params, x, y, loss_sum


def cnn_model(batch, seed=4):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((3, 3, 3, 32)) * 0.2).astype(np.float32),
              np.zeros(32, np.float32),
              (rng.standard_normal((3, 3, 32, 64)) * 0.06).astype(np.float32),
              np.zeros(64, np.float32)] + _dense_init(rng, [64, 10])
    x = rng.standard_normal((batch, 32, 32, 3)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]

    def loss_sum(lib, p, x, y):
        h = lib.nn.relu(lib.nn.conv2d(x, p[0], strides=1, padding="SAME") + p[1])
        h = lib.nn.relu(lib.nn.conv2d(h, p[2], strides=1, padding="SAME") + p[3])
        pooled = lib.reduce_mean(h, axis=[1, 2])
        return _cross_entropy_sum(lib, lib.matmul(pooled, p[4]) + p[5], y)
    return params, x, y, loss_sum


def transformer_model(batch, seed=5, tokens=128, width=256, heads=4):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
              for _ in range(4)]  # wq, wk, wv, wo
    params += _dense_init(rng, [width, 4 * width, width]) + _dense_init(rng, [width, 10])
    x = rng.standard_normal((batch, tokens, width)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    head = width // heads

    def norm(lib, h):
        mean = lib.reduce_mean(h, axis=-1, keepdims=True)
        var = lib.reduce_mean(lib.square(h - mean), axis=-1, keepdims=True)
        return (h - mean) / lib.sqrt(var + 1e-5)

    def split(lib, h):
        return lib.transpose(lib.reshape(h, [batch, tokens, heads, head]), [0, 2, 1, 3])

    def loss_sum(lib, p, x, y):
        q, k, v = (split(lib, lib.matmul(x, w)) for w in p[:3])
        scores = lib.matmul(q, k, transpose_b=True) / float(np.sqrt(head))
        attended = lib.matmul(lib.nn.softmax(scores, axis=-1), v)
        merged = lib.reshape(lib.transpose(attended, [0, 2, 1, 3]), [batch, tokens, width])
        h = norm(lib, x + lib.matmul(merged, p[3]))
        hidden = lib.nn.relu(lib.matmul(h, p[4]) + p[5])
        h = norm(lib, h + lib.matmul(hidden, p[6]) + p[7])
        logits = lib.matmul(lib.reduce_mean(h, axis=1), p[8]) + p[9]
        return _cross_entropy_sum(lib, logits, y)
    return params, x, y, loss_sum


# --- timing ----------------------------------------------------------------------------------
def measure(variants, steps, repeats):
    """Median seconds per step per variant (``step, sync, args``), taking turns."""
    times = {name: [] for name in variants}
    for step, sync, args in variants.values():
        for _ in range(3):
            sync(step(*args))
    for _ in range(repeats):
        for name, (step, sync, args) in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                out = step(*args)
            sync(out)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def _tapejax_sync(out):
    return out.numpy()


def _jax_sync(out):
    return out.block_until_ready()


# --- CPU: the MLP step on simulated devices ----------------------------------------------------
def tapejax_distributed(strategy, params, x, y, loss_sum):
    """The TF custom-training-loop step: per-replica loss over the global batch, all-reduced
    gradients, SGD on mirrored Variables, one ``tapejax.function``."""
    batch = len(x)
    with strategy.scope():
        variables = [tapejax.Variable(p) for p in params]

    def step_fn(x, y):
        with tapejax.GradientTape() as tape:
            loss = loss_sum(tapejax, variables, x, y) / float(batch)
        grads = tape.gradient(loss, variables)
        grads = tapejax.distribute.get_replica_context().all_reduce("SUM", grads)
        for v, g in zip(variables, grads):
            v.assign_sub(LR * g)
        return loss

    @tapejax.function
    def step(x, y):
        return strategy.reduce("SUM", strategy.run(step_fn, args=(x, y)), axis=None)
    (xd, yd), = strategy.experimental_distribute_dataset([(x, y)])
    return step, _tapejax_sync, (xd, yd)


def jax_sharded(devices, params, x, y, loss_sum):
    """Pure JAX data parallelism: ``jax.jit`` with the batch sharded on the mesh."""
    mesh = Mesh(np.array(devices), ("batch",))
    replicated = NamedSharding(mesh, PartitionSpec())
    split = NamedSharding(mesh, PartitionSpec("batch"))
    batch = len(x)

    def update(params, x, y):
        loss, grads = jax.value_and_grad(lambda p: loss_sum(_Jnp, p, x, y) / batch)(params)
        return [p - LR * g for p, g in zip(params, grads)], loss
    update = jax.jit(update, donate_argnums=0)
    state = [[jax.device_put(p, replicated) for p in params]]

    def step(x, y):
        state[0], loss = update(state[0], x, y)
        return loss
    return step, _jax_sync, (jax.device_put(x, split), jax.device_put(y, split))


def jax_shard_map(devices, params, x, y, loss_sum):
    """Pure JAX, per-replica: ``jax.shard_map`` of the local step (JAX all-reduces the
    gradient of the replicated parameters when it transposes their broadcast)."""
    mesh = Mesh(np.array(devices), ("batch",))
    replicated, split = PartitionSpec(), PartitionSpec("batch")
    batch = len(x)

    def local(params, x, y):
        loss, grads = jax.value_and_grad(lambda p: loss_sum(_Jnp, p, x, y) / batch)(params)
        return [p - LR * g for p, g in zip(params, grads)], jax.lax.psum(loss, "batch")
    update = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(replicated, split, split),
                                   out_specs=(replicated, replicated)), donate_argnums=0)
    state = [[jax.device_put(p, NamedSharding(mesh, replicated)) for p in params]]

    def step(x, y):
        state[0], loss = update(state[0], x, y)
        return loss
    return step, _jax_sync, tuple(jax.device_put(a, NamedSharding(mesh, split)) for a in (x, y))


def run_cpu(quick):
    devices = jax.devices()
    if len(devices) < SIMULATED:
        sys.exit(f"needs {SIMULATED} devices; run as `python -m benchmarks.bench_distribute` "
                 f"(it sets --xla_force_host_platform_device_count) or set XLA_FLAGS yourself")
    repeats, steps, batch = (5, 5, 256) if quick else (15, 10, 256)
    params, x, y, loss_sum = mlp_model(batch)
    variants = {"tapejax, no strategy": tapejax_distributed(
        tapejax.distribute.get_strategy(), params, x, y, loss_sum)}
    for n in (1, 2, 4, 8):
        strategy = tapejax.distribute.MirroredStrategy(devices[:n])
        variants[f"tapejax, {n} replicas"] = tapejax_distributed(strategy, params, x, y,
                                                                 loss_sum)
        variants[f"jax.jit, {n} devices"] = jax_sharded(devices[:n], params, x, y, loss_sum)
        variants[f"jax.shard_map, {n} devices"] = jax_shard_map(devices[:n], params, x, y,
                                                                loss_sum)
    results = measure(variants, steps, repeats)
    split = {}
    for n in (2, 8):
        strategy = tapejax.distribute.MirroredStrategy(devices[:n])
        start = time.perf_counter()
        for _ in range(20):
            (xd, yd), = strategy.experimental_distribute_dataset([(x, y)])
        xd._stacked._value.block_until_ready()
        split[n] = (time.perf_counter() - start) / 20
    return batch, results, split


def report_cpu(batch, results, split):
    print(f"jax {jax.__version__}, {SIMULATED} simulated CPU devices on {os.cpu_count()} cores; "
          f"MLP 784-512-512-10, global batch {batch}")
    print(f"{'variant':26s} {'step (ms)':>10s} {'examples/s':>11s}")
    for name, seconds in results.items():
        print(f"{name:26s} {seconds * 1e3:10.2f} {batch / seconds:11.0f}")
    for n, seconds in split.items():
        print(f"split one NumPy batch over {n} replicas: {seconds * 1e3:.2f} ms")


# --- GPU: one device, three models -------------------------------------------------------------
def tapejax_variant(params, x, y, loss_sum, compiled):
    variables = [tapejax.Variable(p) for p in params]
    batch = len(x)

    def step(x, y):
        with tapejax.GradientTape() as tape:
            loss = loss_sum(tapejax, variables, x, y) / float(batch)
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(LR * g)
        return loss
    return (tapejax.function(step) if compiled else step), _tapejax_sync, \
        (tapejax.constant(x), tapejax.constant(y))


def jax_variant(params, x, y, loss_sum):
    batch = len(x)

    def update(params, x, y):
        loss, grads = jax.value_and_grad(lambda p: loss_sum(_Jnp, p, x, y) / batch)(params)
        return [p - LR * g for p, g in zip(params, grads)], loss
    update = jax.jit(update, donate_argnums=0)
    state = [[jnp.asarray(p) for p in params]]

    def step(x, y):
        state[0], loss = update(state[0], x, y)
        return loss
    return step, _jax_sync, (jnp.asarray(x), jnp.asarray(y))


def run_gpu(quick):
    if jax.default_backend() != "gpu":
        sys.exit(f"--gpu needs JAX's CUDA build and a GPU; JAX's backend is "
                 f"{jax.default_backend()!r} (pip install 'tapejax[cuda]')")
    repeats = 5 if quick else 15
    cases = [("mlp b128", mlp_model(128), 20), ("transformer b32", transformer_model(32), 5)]
    if hasattr(tapejax.nn, "conv2d"):
        cases.insert(1, ("cnn b128", cnn_model(128), 10))
    else:
        print("cnn: skipped, tapejax has no tf.nn.conv2d yet")
    rows = []
    for name, (params, x, y, loss_sum), steps in cases:
        variants = {"tapejax eager": tapejax_variant(params, x, y, loss_sum, False),
                    "tapejax.function": tapejax_variant(params, x, y, loss_sum, True),
                    "jax.jit": jax_variant(params, x, y, loss_sum)}
        rows.append((name, len(x), measure(variants, steps, repeats)))
    return rows


def report_gpu(rows):
    print(f"jax {jax.__version__}, {jax.devices()[0].device_kind}")
    print(f"{'model':16s} {'variant':17s} {'step (ms)':>10s} {'examples/s':>11s} "
          f"{'vs jax.jit':>10s}")
    for name, batch, results in rows:
        floor = results["jax.jit"]
        for variant, seconds in results.items():
            print(f"{name:16s} {variant:17s} {seconds * 1e3:10.3f} {batch / seconds:11.0f} "
                  f"{seconds / floor:9.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--gpu", action="store_true", help="the one-GPU steps")
    arguments = parser.parse_args()
    logging.getLogger("tapejax").setLevel(logging.ERROR)  # one step function per strategy
    if arguments.gpu:
        report_gpu(run_gpu(arguments.quick))
    else:
        report_cpu(*run_cpu(arguments.quick))
