"""First-step latency: the first call in a fresh process, cold and warm compilation cache, vs TF.

``python -m benchmarks.bench_first_call [--workloads w1,w2,w3,w6,w7] [--quick]`` runs, for each
workload of ``workloads.py``, one fresh process per column: TF eager, ``tf.function``, tapejax
eager and ``tapejax.function``, the tapejax ones twice on one new, empty compilation-cache
directory (cold: the first run compiles and writes; warm: the second run loads). Each process
builds the workload and times its first call (tracing, compilation or cache loads, one run; the
import is not included). For tapejax it also sums JAX's own timers over that call: tracing to a
jaxpr and lowering to MLIR, and the XLA compile (cold) or cache load (warm). It prints a
markdown table; the last column is warm ``tapejax.function`` ÷ ``tf.function``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from .compare import ROOT, Framework, _worker_env

COLUMNS = (("tf-eager", None), ("tf-function", None), ("tapejax-eager", "cold"),
           ("tapejax-eager", "warm"), ("tapejax-function", "cold"), ("tapejax-function", "warm"))
TRACE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                "/jax/core/compile/jaxpr_to_mlir_module_duration")
XLA_EVENT = "/jax/core/compile/backend_compile_duration"  # compile, or load from the cache


def worker(framework, name, quick):
    """Builds ``name`` under ``framework``, times its first call and prints one JSON line."""
    fw = Framework(framework, "cpu", quick)
    timers = {"trace_s": 0.0, "xla_s": 0.0}
    if fw.module is not None and framework.startswith("tapejax"):
        from jax import monitoring

        def listen(event, duration, **kwargs):
            if event in TRACE_EVENTS:
                timers["trace_s"] += duration
            elif event == XLA_EVENT:
                timers["xla_s"] += duration
        monitoring.register_event_duration_secs_listener(listen)
    run, args = fw.build(name)
    before = dict(timers)
    start = time.perf_counter()
    fw.sync(run(*args))
    record = {"first_call_s": time.perf_counter() - start}
    record.update({k: timers[k] - before[k] for k in timers})
    if framework.startswith("tapejax"):
        record["cache"] = fw.module.config.compilation_cache_info()
    print(json.dumps(record))


def first_call(framework, name, quick, cache_dir):
    env = _worker_env(framework, "cpu", len(os.sched_getaffinity(0)))
    if cache_dir is not None:
        env["TAPEJAX_COMPILATION_CACHE"] = cache_dir
    argv = [sys.executable, "-m", "benchmarks.bench_first_call", "--worker", framework, name]
    out = subprocess.run(argv + (["--quick"] if quick else []), env=env, capture_output=True,
                         text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{framework} {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(seconds):
    return f"{seconds * 1e3:.0f} ms"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="w1,w2,w3,w6,w7")
    p.add_argument("--quick", action="store_true", help="the smoke-test shapes")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.worker:
        return worker(*opts.worker, opts.quick)
    load = os.getloadavg()[0]
    print(f"Command: `python -m benchmarks.bench_first_call --workloads {opts.workloads}"
          f"{' --quick' if opts.quick else ''}` ({len(os.sched_getaffinity(0))} CPUs, "
          f"1-minute load {load:.1f} at the start)\n")
    print("| workload | TF eager | tf.function | tapejax eager cold / warm | tapejax.function "
          "cold / warm | warm function: JAX trace+lower / XLA load | cold function: XLA compile "
          "| warm function ÷ tf.function |")
    print("|---|---|---|---|---|---|---|---|")
    for name in opts.workloads.split(","):
        with tempfile.TemporaryDirectory(prefix="tapejax-first-call-") as tmp:
            r = {}
            for framework, state in COLUMNS:
                cache = os.path.join(tmp, framework) if state else None
                r[framework, state] = first_call(framework, name, opts.quick, cache)
        warm, cold = r["tapejax-function", "warm"], r["tapejax-function", "cold"]
        for fw in ("tapejax-eager", "tapejax-function"):
            if r[fw, "warm"]["cache"]["misses"]:  # the warm run should compile nothing
                print(f"<!-- {fw} {name}: {r[fw, 'warm']['cache']['misses']} cache misses "
                      "in the warm run -->")
        tf_fn = r["tf-function", None]["first_call_s"]
        print(f"| {name.upper()} | {_ms(r['tf-eager', None]['first_call_s'])} | {_ms(tf_fn)} | "
              f"{_ms(r['tapejax-eager', 'cold']['first_call_s'])} / "
              f"{_ms(r['tapejax-eager', 'warm']['first_call_s'])} | "
              f"{_ms(cold['first_call_s'])} / {_ms(warm['first_call_s'])} | "
              f"{_ms(warm['trace_s'])} / {_ms(warm['xla_s'])} | {_ms(cold['xla_s'])} | "
              f"{warm['first_call_s'] / tf_fn:.2f}× |", flush=True)
    print(f"\n1-minute load {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
