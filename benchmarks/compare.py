"""Side-by-side benchmark of tapejax, TensorFlow, PyTorch and a pure-JAX floor.

Run ``python -m benchmarks.compare`` (``--help`` for the options). One worker process runs
each (framework, workload) pair (each framework with ``--quick``), so TensorFlow, PyTorch and
JAX never share a process and each pair's peak memory and first call are its own. In a full run
the workers of one workload are alive together and time in turns, so load changes on a shared
machine hit them alike. The pure-JAX floor runs first and its outputs are the reference: every
other worker compares its first call's outputs (loss, gradients, ...) with them, within float32
tolerance, and is timed only if they agree. Results go to ``benchmarks/results/`` as JSON lines,
a markdown table and a PNG chart (see ``report.py``).
"""
import argparse
import ast
import concurrent.futures
import datetime
import gc
import importlib.util
import inspect
import itertools
import json
import os
import platform
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

from . import workloads as wl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")

FRAMEWORKS = ("jax-floor", "tapejax-eager", "tapejax-eager-nolazy", "tapejax-function",
              "tf-eager", "tf-function", "tf-xla", "torch-eager", "torch-compile")
TF_FRAMEWORKS = ("tf-eager", "tf-function", "tf-xla")
JAX_FRAMEWORKS = ("jax-floor", "tapejax-eager", "tapejax-eager-nolazy", "tapejax-function")
TORCH_FRAMEWORKS = ("torch-eager", "torch-compile")  # hand-written PyTorch (torch_peer.py), CPU
EAGER = ("tapejax-eager", "tapejax-eager-nolazy", "tf-eager")
TOLERANCE = {"w8": 1e-3}  # 1000 float32 SGD steps drift more than one step
DEFAULT_TOLERANCE = 1e-4  # float32 reductions and matmuls (the project's tolerance)
ROUNDS = 10  # full runs: timing slices per pair, taken in turns by the frameworks
MAX_REPEATS = 1000


# --- the worker ----------------------------------------------------------------------------
class Framework:
    """How one framework builds, synchronises and reads back a workload."""

    def __init__(self, key, device, quick):
        self.key, self.quick = key, quick
        self.module = None  # the ``tf`` a TF2-code workload receives
        self.versions = {}
        if key in TF_FRAMEWORKS:
            import tensorflow as tf
            threads = len(os.sched_getaffinity(0))
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
            self.module = tf
            self.versions["tensorflow"] = tf.__version__
        elif key in TORCH_FRAMEWORKS:
            if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:  # an empty cache: first calls
                self._inductor_cache = tempfile.TemporaryDirectory()  # compile, as on a first run
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = self._inductor_cache.name
            import torch
            threads = len(os.sched_getaffinity(0))
            torch.set_num_threads(threads)
            torch.set_num_interop_threads(threads)
            self.versions["torch"] = torch.__version__
        else:
            import jax
            if device == "gpu":
                if jax.devices()[0].platform != "gpu":
                    sys.exit(f"--device gpu: JAX sees no GPU (it has {jax.devices()})")
                # full float32 matmuls, not TF32: TensorFlow's CPU outputs are checked with these
                jax.config.update("jax_default_matmul_precision", "highest")
            self.versions["jax"] = jax.__version__
            self.device_name = jax.devices()[0].device_kind
            if key != "jax-floor":
                import tapejax
                self.module = tapejax
                self.versions["tapejax"] = tapejax.__version__

    def wrapper(self):
        """Identity in eager mode, else the framework's ``function`` (AttributeError if absent)."""
        if self.key in EAGER:
            return lambda f: f
        fn = self.module.function
        if self.key == "tf-xla":
            return lambda f: fn(f, jit_compile=True)
        return fn

    def build(self, name):
        if self.key == "jax-floor":
            from .jax_floor import FLOOR
            return FLOOR[name](self.quick)
        if self.key in TORCH_FRAMEWORKS:
            from .torch_peer import TORCH
            return TORCH[name](self.key == "torch-compile", self.quick)
        return wl.WORKLOADS[name](self.module, self.wrapper(), self.quick)

    def sync(self, outputs):
        if self.key in JAX_FRAMEWORKS:
            import jax
            jax.block_until_ready(outputs)
        # TensorFlow's and PyTorch's CPU calls return after their kernels have run.

    def missing(self, name):
        """The first ``tf.<...>`` name the workload (or the wrapper) needs that is absent."""
        if self.module is None:
            return None
        if self.key not in EAGER and not hasattr(self.module, "function"):
            return "tf.function"
        return missing_name(self.module, wl.WORKLOADS[name])


def missing_name(module, workload):
    """The first name ``workload`` reaches as ``tf.a.b`` that ``module`` lacks, or None."""
    for dotted in sorted(tf_names(workload)):
        obj = module
        parts = dotted.split(".")
        for k, part in enumerate(parts):
            if not hasattr(obj, part):
                return "tf." + ".".join(parts[:k + 1])
            obj = getattr(obj, part)
    return None


def tf_names(fn):
    """Dotted names reached as ``tf.a.b`` in ``fn``'s source (nested functions included)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    names = set()
    for node in ast.walk(tree):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if parts and isinstance(node, ast.Name) and node.id == "tf":
            names.add(".".join(reversed(parts)))
    return names


def flatten_values(outputs):
    """Nested lists/tuples of tensors, Variables or arrays as a flat list of NumPy arrays."""
    if isinstance(outputs, (list, tuple)):
        return [a for o in outputs for a in flatten_values(o)]
    value = outputs.numpy() if hasattr(outputs, "numpy") else outputs
    return [np.asarray(value)]


def compare(values, reference, tol):
    """(worst error, failure reason or None); the error is max|a-b| / max|reference| per output."""
    if len(values) != len(reference):
        return float("inf"), f"{len(values)} outputs, expected {len(reference)}"
    worst = 0.0
    for i, (a, b) in enumerate(zip(values, reference)):
        if a.shape != b.shape or a.dtype != b.dtype:
            return float("inf"), f"output {i}: {a.dtype}{list(a.shape)}, expected " \
                                 f"{b.dtype}{list(b.shape)}"
        if not np.all(np.isfinite(a)):
            return float("inf"), f"output {i}: not finite"
        if a.size:
            a, b = a.astype(np.float64), b.astype(np.float64)
            diff, scale = float(np.max(np.abs(a - b))), float(np.max(np.abs(b)))
            worst = max(worst, diff / scale if scale > 0 else diff)
    return worst, (None if worst <= tol else f"max error {worst:.1e} > tolerance {tol:.0e}")


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _timed(run, args, sync):
    start = time.perf_counter()
    out = run(*args)
    sync(out)
    return time.perf_counter() - start, out


def _unknown_attribute(error):
    """The missing name when ``error`` is "module 'tapejax...' has no attribute 'x'"."""
    text = str(error)
    if text.startswith("module 'tapejax") and "has no attribute" in text:
        module = text.split("'")[1].replace("tapejax", "tf", 1)
        return f"{module}.{text.split(chr(39))[3]}"
    return None


def measure(fw, name, opts):
    """One (framework, workload) record: setup, first call, correctness, then timing."""
    record = {"framework": fw.key, "workload": name}
    baseline = _maxrss_mib()
    missing = fw.missing(name)
    if missing:
        return {**record, "status": "n/a", "reason": f"n/a: {missing}"}
    try:
        run, args = fw.build(name)
        first, out = _timed(run, args, fw.sync)
        values = flatten_values(out)
    except AttributeError as e:
        missing = _unknown_attribute(e)
        if missing:
            return {**record, "status": "n/a", "reason": f"n/a: {missing}"}
        return {**record, "status": "error", "reason": f"AttributeError: {e}"}
    except Exception as e:  # reported in the table, never hidden
        return {**record, "status": "error", "reason": f"{type(e).__name__}: {e}"[:300]}
    ref_path = os.path.join(opts.ref, f"{name}.npz")
    if fw.key == "jax-floor":
        np.savez(ref_path, *values)
        error = 0.0
    elif not os.path.exists(ref_path):
        return {**record, "status": "error", "reason": "no reference: the pure-JAX floor failed"}
    else:
        with np.load(ref_path) as ref:
            reference = [ref[f"arr_{i}"] for i in range(len(ref.files))]
        tol = TOLERANCE.get(name, DEFAULT_TOLERANCE)
        error, why = compare(values, reference, tol)
        if why:
            return {**record, "status": "mismatch", "reason": why, "max_error": error}
    del out, values
    heavy = name == "w8"
    for _ in range(1 if heavy or opts.quick else 2):
        _timed(run, args, fw.sync)
    gc.collect()
    min_repeats = 1 if opts.coordinated else 2 if opts.quick else 3 if heavy else 5
    cap = MAX_REPEATS // ROUNDS if opts.coordinated else MAX_REPEATS
    times = []
    for budget in _slices(opts):
        spent, calls = 0.0, 0
        while calls < cap and (calls < min_repeats or spent < budget):
            elapsed, _ = _timed(run, args, fw.sync)
            times.append(elapsed)
            spent += elapsed
            calls += 1
    p25, _, p75 = statistics.quantiles(times, n=4, method="inclusive")
    peak = _maxrss_mib()
    return {**record, "status": "ok", "first_call_s": first,
            "median_s": statistics.median(times), "p25_s": p25, "p75_s": p75,
            "min_s": min(times), "repeats": len(times), "max_error": error,
            "peak_rss_mib": round(peak, 1), "rss_growth_mib": round(peak - baseline, 1)}


def _slices(opts):
    """Timing budgets in seconds: ``--min-time`` once, or (coordinated) one per ``time S``
    line from the parent, answered by ``done`` when spent."""
    if not opts.coordinated:
        yield opts.min_time
        return
    print("ready", flush=True)
    for line in sys.stdin:
        if not line.startswith("time "):
            return
        yield float(line.split()[1])
        print("done", flush=True)


def worker(opts):
    os.sched_setaffinity(0, [int(c) for c in opts.cpus.split(",")])  # before any framework
    fw = Framework(opts.worker, opts.device, opts.quick)
    meta = {"versions": fw.versions, "pid": os.getpid(),
            "device": getattr(fw, "device_name", "cpu") if opts.worker in JAX_FRAMEWORKS
            else "cpu"}
    for name in opts.workloads.split(","):
        record = {**measure(fw, name, opts), **meta}
        with open(opts.record, "a") as f:
            f.write(json.dumps(record) + "\n")


# --- the parent ----------------------------------------------------------------------------
def tensorflow_available():
    return importlib.util.find_spec("tensorflow") is not None


def torch_available():
    return importlib.util.find_spec("torch") is not None


def _worker_env(framework, device, threads):
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    if framework in TF_FRAMEWORKS + TORCH_FRAMEWORKS or device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    if framework in JAX_FRAMEWORKS:
        env["TAPEJAX_LAZY_TAPE"] = "0" if framework == "tapejax-eager-nolazy" else "1"
        # first calls compile, as on a first run (bench_first_call.py measures the cache)
        env.setdefault("TAPEJAX_COMPILATION_CACHE", "0")
        if device == "cpu":
            env["JAX_PLATFORMS"] = "cpu"
        else:
            env.pop("JAX_PLATFORMS", None)
            # the workers of a workload share the GPU: no process may take 75% of it up front
            env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return env


class _Worker:
    """One worker process. Coordinated workers say ``ready`` after their first call, check and
    warm-up, then time one slice per ``time S`` line (answering ``done``) until ``finish``."""

    def __init__(self, framework, names, opts, ref_dir, cpus, coordinated):
        self.framework, self.names, self.timeout = framework, names, opts.worker_timeout
        fd, self.record_path = tempfile.mkstemp(suffix=".jsonl")
        os.close(fd)
        self.stderr = tempfile.TemporaryFile(mode="w+")
        cmd = [sys.executable, "-m", "benchmarks.compare", "--worker", framework,
               "--workloads", ",".join(names), "--ref", ref_dir, "--record", self.record_path,
               "--device", opts.device, "--min-time", str(opts.min_time),
               "--cpus", ",".join(map(str, cpus))]
        cmd += ["--quick"] if opts.quick else []
        cmd += ["--coordinated"] if coordinated else []
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_worker_env(framework, opts.device,
                                                                      len(cpus)),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True)
        self.failure = None

    def wait_for(self, word):
        """True once the worker prints ``word``; False if it ended or timed out first."""
        deadline = time.monotonic() + self.timeout
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        max(deadline - time.monotonic(), 0))
            if not ready:
                self.proc.kill()
                self.failure = f"worker timed out after {self.timeout} s"
                return False
            line = self.proc.stdout.readline()
            if not line:
                return False
            if line.strip() == word:
                return True

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self):
        """Ends the worker; returns its records (an error record for each one it lost)."""
        try:
            self.proc.communicate("finish\n", timeout=self.timeout)
        except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
            self.proc.kill()
            self.proc.wait()
            self.failure = self.failure or f"worker timed out after {self.timeout} s"
        self.stderr.seek(0)
        last = (self.stderr.read().strip().splitlines() or [""])[-1][:300]
        self.stderr.close()
        failure = self.failure or f"worker exited with {self.proc.returncode}: {last}"
        with open(self.record_path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        os.unlink(self.record_path)
        done = {r["workload"] for r in records}
        return records + [{"framework": self.framework, "workload": n, "status": "error",
                           "reason": failure} for n in self.names if n not in done]


def _run_worker(framework, names, opts, ref_dir, cpus):
    """One self-timed worker for ``names`` (quick mode)."""
    return _Worker(framework, names, opts, ref_dir, cpus, coordinated=False).finish()


def _run_interleaved(name, frameworks, opts, ref_dir, cpus):
    """One workload under every framework, a process each, alive together. Each sets up and
    makes its first call alone (the floor first: its outputs are the reference); then they take
    turns timing ``ROUNDS`` slices, so a load change on a shared machine hits all of them."""
    workers, timing = [], []
    for framework in frameworks:
        worker = _Worker(framework, [name], opts, ref_dir, cpus, coordinated=True)
        workers.append(worker)
        if worker.wait_for("ready"):
            timing.append(worker)
    for _ in range(ROUNDS):
        for worker in list(timing):
            worker.send(f"time {opts.min_time / ROUNDS}")
            if not worker.wait_for("done"):
                timing.remove(worker)
    return [r for worker in workers for r in worker.finish()]


def _progress(record):
    line = f"  {record['framework']:<17} {record['workload']:<3} {record['status']:<8}"
    if record["status"] == "ok":
        line += (f" median {record['median_s'] * 1e3:10.3f} ms   first call "
                 f"{record['first_call_s'] * 1e3:10.1f} ms   peak {record['peak_rss_mib']:.0f} MiB")
    else:
        line += " " + record.get("reason", "")
    print(line, flush=True)


def _machine(cpus):
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {len(cpus)} of {os.cpu_count()} logical CPUs used"


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smaller shapes (W4, W6-W8), one worker per framework, few repeats: "
                        "checks the harness and correctness; timings are only indicative")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="accelerator for the two JAX-based runs (tapejax and the floor); "
                        "TensorFlow and PyTorch always run on CPU (tensorflow-cpu, torch's "
                        "CPU build)")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                   help="comma-separated subset of " + ", ".join(FRAMEWORKS))
    p.add_argument("--workloads", default=",".join(wl.WORKLOADS),
                   help="comma-separated subset of " + ", ".join(wl.WORKLOADS))
    p.add_argument("--threads", type=int, default=None,
                   help="CPUs each worker is pinned to (default: all this process may use)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds of timed repeats per pair after warm-up (default 1, quick 0)")
    p.add_argument("--jobs", type=int, default=1,
                   help="with --quick: workers run at once after the floor (default 1; "
                        "concurrent workers disturb each other's timings)")
    p.add_argument("--out", default=RESULTS, help="output folder (default benchmarks/results)")
    p.add_argument("--update-results-md", action="store_true",
                   help="also write the table into benchmarks/RESULTS.md (maintainers)")
    p.add_argument("--worker-timeout", type=int, default=900, help=argparse.SUPPRESS)
    p.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    p.add_argument("--ref", help=argparse.SUPPRESS)
    p.add_argument("--record", help=argparse.SUPPRESS)
    p.add_argument("--cpus", help=argparse.SUPPRESS)
    p.add_argument("--coordinated", action="store_true", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.min_time is None:
        opts.min_time = 0.0 if opts.quick else 1.0
    return opts


def main(argv=None):
    opts = parse(argv)
    if opts.worker:
        return worker(opts)
    from . import report
    frameworks = [f for f in opts.frameworks.split(",") if f]
    names = [n for n in opts.workloads.split(",") if n]
    unknown = sorted(set(frameworks) - set(FRAMEWORKS)) + sorted(set(names) - set(wl.WORKLOADS))
    if unknown:
        sys.exit(f"unknown framework or workload: {', '.join(unknown)}")
    frameworks = [f for f in FRAMEWORKS if f in frameworks or f == "jax-floor"]
    allowed = sorted(os.sched_getaffinity(0))
    cpus = allowed[:opts.threads] if opts.threads else allowed
    have_tf, have_torch = tensorflow_available(), torch_available()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_at_start = round(os.getloadavg()[0], 2)
    meta = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "device": opts.device,
            "quick": opts.quick, "machine": _machine(cpus), "threads": len(cpus),
            "python": platform.python_version(),
            "command": "python -m benchmarks.compare " + " ".join(
                a for a in (argv if argv is not None else sys.argv[1:]))}
    print(f"benchmarks.compare: {meta['machine']}; device {opts.device}"
          f"{'; quick' if opts.quick else ''}", flush=True)
    records = [{"framework": f, "workload": n, "status": "skipped",
                "reason": "tensorflow not installed (pip install '.[bench]')"}
               for f in frameworks if f in TF_FRAMEWORKS and not have_tf for n in names]
    records += [{"framework": f, "workload": n, "status": "n/a",
                 "reason": "n/a: torch not installed"}
                for f in frameworks if f in TORCH_FRAMEWORKS and not have_torch for n in names]
    absent = list(records)
    runnable = [f for f in frameworks if (have_tf or f not in TF_FRAMEWORKS)
                and (have_torch or f not in TORCH_FRAMEWORKS)]  # floor first
    with tempfile.TemporaryDirectory() as ref_dir:
        if opts.quick:  # a self-timed worker per framework, after the floor (the reference)
            batches = iter([_run_worker("jax-floor", names, opts, ref_dir, cpus)])
            with concurrent.futures.ThreadPoolExecutor(max(opts.jobs, 1)) as pool:
                rest = pool.map(lambda f: _run_worker(f, names, opts, ref_dir, cpus),
                                runnable[1:])
                batches = itertools.chain(batches, rest)
                for batch in batches:
                    records += batch
                    for record in batch:
                        _progress(record)
        else:
            for name in names:
                batch = _run_interleaved(name, runnable, opts, ref_dir, cpus)
                records += batch
                for record in batch:
                    _progress(record)
    for record in absent:
        _progress(record)
    elapsed = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    meta["wall_s"] = round(elapsed, 1)
    meta["load"] = [load_at_start, round(os.getloadavg()[0], 2)]
    paths = report.write_all(records, meta, opts.out)
    if opts.update_results_md:
        report.update_results_md(records, meta, os.path.join(ROOT, "benchmarks", "RESULTS.md"))
    print(f"\nwrote {', '.join(paths)} in {elapsed:.0f} s")
    failed = [r for r in records if r["status"] in ("mismatch", "error")]
    for r in failed:
        print(f"FAILED {r['framework']} {r['workload']}: {r['reason']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
