"""XLA:CPU's convolution options on the W6 CNN step (issue 20): which one to use by default.

Runs the pure-JAX W6 step (``jax_floor.w6``: conv 3x3x32, max-pool, conv 3x3x64, max-pool,
dense; 28x28x1, batch 64; value and gradient, SGD) under several XLA flag sets and one layout
variant, each in its own process, the processes taking turns (``--rounds``, each a few calls),
and checks that every variant's first loss and gradients equal the default's.

Variants: ``default`` (this jaxlib: YNNPACK fusions for dots and convolutions), ``eigen-conv``
(YNNPACK for dots only, so convolutions use XLA's own emitter), ``xnn-conv`` (convolutions
through XNNPACK), ``onednn`` (``--xla_cpu_use_onednn``, convolutions not taken by YNNPACK),
``nchw`` (default flags, the step written channels-first: NCHW/OIHW).

Run: ``python -m benchmarks.bench_cpu_conv [--rounds N] [--calls N] [--variants a,b]
[--workload w3|w6|w7]`` (W3 and W7 show what a flag does to the other workloads).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOT_ONLY = "--xla_cpu_experimental_ynn_fusion_type=LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"
VARIANTS = {
    "default": "",
    "eigen-conv": DOT_ONLY,
    "xnn-conv": DOT_ONLY + " --xla_cpu_experimental_xnn_fusion_type="
                           "LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION",
    "onednn": DOT_ONLY + " --xla_cpu_use_onednn=true",
    "nchw": "",
}


def _step(variant, workload="w6"):
    import jax
    import jax.numpy as jnp
    from jax import lax

    from benchmarks import jax_floor, workloads as wl
    if variant != "nchw":
        return jax_floor.FLOOR[workload](False)
    d = wl.data_w6(False)

    def conv(x, k):
        return lax.conv_general_dilated(x, k, (1, 1), "SAME",
                                        dimension_numbers=("NCHW", "OIHW", "NCHW"))

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_fn(params, x, y):
        k1, c1, k2, c2, w, b = params
        h = pool(jax.nn.relu(conv(x, k1) + c1[:, None, None]))
        h = pool(jax.nn.relu(conv(h, k2) + c2[:, None, None]))
        h = jnp.transpose(h, (0, 2, 3, 1))  # the dense layer reads NHWC order, as the floor's
        logits = h.reshape(h.shape[0], -1) @ w + b
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))

    k1, c1, k2, c2, w, b = d["params"]
    params = [jnp.transpose(jnp.asarray(k1), (3, 2, 0, 1)), c1,
              jnp.transpose(jnp.asarray(k2), (3, 2, 0, 1)), c2, w, b]
    run = jax_floor._sgd_runner(loss_fn, params, 0.01)
    x = jnp.transpose(jnp.asarray(d["x"]), (0, 3, 1, 2))

    def nhwc_run(x, y):  # gradients back in the floor's layouts, to compare them
        loss, grads = run(x, y)
        g1, gc1, g2, gc2, gw, gb = grads
        return loss, [jnp.transpose(g1, (2, 3, 1, 0)), gc1, jnp.transpose(g2, (2, 3, 1, 0)),
                      gc2, gw, gb]
    return nhwc_run, (x, jnp.asarray(d["y"]))


def child(variant, rounds, calls, workload):
    """One variant's process: first call, then a timing slice each time the parent says go."""
    import jax
    import numpy as np
    run, args = _step(variant, workload)
    start = time.perf_counter()
    loss, grads = jax.block_until_ready(run(*args))
    first = time.perf_counter() - start
    print(json.dumps({"first": first, "loss": float(loss),
                      "grads": [np.asarray(g).ravel()[:64].tolist() for g in grads]}), flush=True)
    times = []
    for _ in range(rounds):
        sys.stdin.readline()
        start = time.perf_counter()
        for _ in range(calls):
            out = run(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / calls)
        print("done", flush=True)
    print(json.dumps({"times": times}), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--calls", type=int, default=3)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--workload", default="w6", choices=["w3", "w6", "w7"],
                   help="the floor workload to time (the nchw variant is W6's)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.child:
        child(opts.child, opts.rounds, opts.calls, opts.workload)
        return 0
    import numpy as np
    procs, firsts = {}, {}
    for name in opts.variants.split(","):
        env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT,
                   XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + " " + VARIANTS[name]).strip())
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_cpu_conv", "--child", name, "--rounds",
             str(opts.rounds), "--calls", str(opts.calls), "--workload", opts.workload],
            cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        firsts[name] = json.loads(procs[name].stdout.readline())
    for _ in range(opts.rounds):  # in turns: each variant times while the others wait
        for proc in procs.values():
            proc.stdin.write("go\n")
            proc.stdin.flush()
            proc.stdout.readline()
    ref = firsts["default"] if "default" in firsts else next(iter(firsts.values()))
    print(f"{opts.workload.upper()} step, XLA:CPU variants; {opts.rounds} rounds of "
          f"{opts.calls} calls in turns; load average {os.getloadavg()[0]:.1f}")
    print("| variant | XLA_FLAGS added | first call (s) | best (ms) | median (ms) | "
          "max rel. diff vs default |")
    print("|---|---|---:|---:|---:|---:|")
    for name, proc in procs.items():
        times = json.loads(proc.stdout.readline())["times"]
        proc.wait()
        first = firsts[name]
        diff = max(abs(first["loss"] - ref["loss"]) / abs(ref["loss"]), *(
            float(np.max(np.abs(np.subtract(a, b))) / max(np.max(np.abs(b)), 1e-30))
            for a, b in zip(first["grads"], ref["grads"])))
        print(f"| {name} | `{VARIANTS[name] or '(none)'}` | {first['first']:.2f} | "
              f"{min(times) * 1e3:.1f} | {sorted(times)[len(times) // 2] * 1e3:.1f} | "
              f"{diff:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
