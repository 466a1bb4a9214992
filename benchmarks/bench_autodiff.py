"""Issue 7's comparison: Hessian-vector products (forward-over-reverse with
``ForwardAccumulator`` vs nested tapes) and a 512x512 ``jacobian``, tapejax eager vs TF eager.

Run: ``python -m benchmarks.bench_autodiff``. Each framework runs in its own process; the two
processes time in alternating rounds so machine load hits both alike. Prints a markdown table.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

N = 1000  # Rosenbrock dimension for the HVPs
J = 512   # jacobian size


def _cases(tf):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, N).astype(np.float32))
    v = tf.constant(rng.normal(size=N).astype(np.float32))
    w = tf.constant((rng.normal(size=(J, J)) / np.sqrt(J)).astype(np.float32))
    u = tf.constant(rng.normal(size=J).astype(np.float32))

    def rosenbrock(z):
        return tf.reduce_sum(100.0 * tf.square(z[1:] - tf.square(z[:-1])) + tf.square(1.0 - z[:-1]))

    def hvp_forward_over_reverse():
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = rosenbrock(x)
            g = tape.gradient(y, x)
        return acc.jvp(g)

    def hvp_nested_tapes():
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = rosenbrock(x)
            g = inner.gradient(y, x)
            gv = tf.reduce_sum(g * v)
        return outer.gradient(gv, x)

    def jacobian_512():
        with tf.GradientTape() as tape:
            tape.watch(u)
            y = tf.tanh(tf.linalg.matvec(w, u))
        return tape.jacobian(y, u)

    return {"HVP, ForwardAccumulator over GradientTape": hvp_forward_over_reverse,
            "HVP, nested GradientTapes": hvp_nested_tapes,
            "jacobian 512x512": jacobian_512}


def _worker(framework):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if framework == "tf":
        import tensorflow as tf
    else:
        import tapejax as tf
    cases = _cases(tf)
    first, reference = {}, {}
    for name, fn in cases.items():
        t0 = time.perf_counter()
        out = fn().numpy()
        first[name] = time.perf_counter() - t0
        reference[name] = float(np.sum(out))
    print(json.dumps({"first": first, "check": reference}), flush=True)
    for _line in sys.stdin:  # one line per round: time every case once more
        times = {}
        for name, fn in cases.items():
            reps = 3
            t0 = time.perf_counter()
            for _ in range(reps):
                fn().numpy()
            times[name] = (time.perf_counter() - t0) / reps
        print(json.dumps(times), flush=True)


def main(rounds=7):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    procs = {fw: subprocess.Popen([sys.executable, "-m", "benchmarks.bench_autodiff", "--worker",
                                   fw], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=env) for fw in ("tapejax", "tf")}
    heads = {fw: json.loads(p.stdout.readline()) for fw, p in procs.items()}
    for name in heads["tf"]["check"]:
        a, b = heads["tapejax"]["check"][name], heads["tf"]["check"][name]
        assert abs(a - b) <= 1e-3 * max(1.0, abs(b)), (name, a, b)
    samples = {fw: [] for fw in procs}
    for _ in range(rounds):
        for fw, p in procs.items():
            p.stdin.write("go\n")
            p.stdin.flush()
            samples[fw].append(json.loads(p.stdout.readline()))
    for p in procs.values():
        p.stdin.close()
        p.wait(timeout=60)
    print("| case | tapejax eager (ms) | TF eager (ms) | ratio | first call tapejax / TF (s) |")
    print("|---|---|---|---|---|")
    for name in heads["tf"]["check"]:
        ours = statistics.median(s[name] for s in samples["tapejax"]) * 1e3
        theirs = statistics.median(s[name] for s in samples["tf"]) * 1e3
        print(f"| {name} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.3f}x | "
              f"{heads['tapejax']['first'][name]:.2f} / {heads['tf']['first'][name]:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        _worker(sys.argv[2])
    else:
        main()
