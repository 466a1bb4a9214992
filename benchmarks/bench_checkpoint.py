"""Checkpoint save/restore throughput, tapejax against TensorFlow, each in its own process.

Run: ``python -m benchmarks.bench_checkpoint [--mb 64] [--tensors 16]``. Builds a Module
holding ``--tensors`` float32 Variables totalling ``--mb`` MiB, then times ``Checkpoint.write``
and ``Checkpoint.read`` (best of 3) and prints MiB/s and the peak resident memory growth.
When ``orbax-checkpoint`` is installed (the ``bench`` extra), the same arrays as a pytree of
JAX arrays are saved and restored with its ``StandardCheckpointer`` too (waiting for its
asynchronous save to finish), the JAX ecosystem's usual way.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _run_orbax(mb, tensors):
    import jax
    import orbax.checkpoint as ocp
    per = mb * 2**20 // 4 // tensors
    tree = {f"v{k}": jax.numpy.asarray(np.random.RandomState(k).rand(per).astype(np.float32))
            for k in range(tensors)}
    directory = tempfile.mkdtemp()
    checkpointer = ocp.StandardCheckpointer()
    before = _peak_rss_mb()
    save, restore = [], []
    for k in range(3):
        path = os.path.join(directory, f"ckpt{k}")
        t = time.perf_counter()
        checkpointer.save(path, tree)
        checkpointer.wait_until_finished()
        save.append(time.perf_counter() - t)
        t = time.perf_counter()
        restored = checkpointer.restore(path, jax.tree.map(ocp.utils.to_shape_dtype_struct, tree))
        jax.block_until_ready(restored)
        restore.append(time.perf_counter() - t)
    checkpointer.close()
    return {"lib": "orbax", "save_mib_s": mb / min(save), "restore_mib_s": mb / min(restore),
            "peak_rss_growth_mb": _peak_rss_mb() - before}


def _run(lib_name, mb, tensors, directory=None):
    if lib_name == "orbax":
        return _run_orbax(mb, tensors)
    if lib_name == "tf":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as lib
    else:
        import tapejax as lib
    per = mb * 2**20 // 4 // tensors
    module = lib.Module()
    module.vs = [lib.Variable(np.random.RandomState(k).rand(per).astype(np.float32))
                 for k in range(tensors)]
    ckpt = lib.train.Checkpoint(model=module)
    directory = directory or tempfile.mkdtemp()
    before = _peak_rss_mb()
    save, restore = [], []
    for k in range(3):
        t = time.perf_counter()
        path = ckpt.write(os.path.join(directory, f"ckpt{k}"))
        save.append(time.perf_counter() - t)
        t = time.perf_counter()
        ckpt.read(path).assert_consumed()
        restore.append(time.perf_counter() - t)
    return {"lib": lib_name, "save_mib_s": mb / min(save), "restore_mib_s": mb / min(restore),
            "peak_rss_growth_mb": _peak_rss_mb() - before}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--tensors", type=int, default=16)
    parser.add_argument("--lib", choices=["tapejax", "tf", "orbax"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lib:
        print(json.dumps(_run(args.lib, args.mb, args.tensors)))
        return
    print(f"checkpoint of {args.mb} MiB in {args.tensors} float32 tensors (best of 3)")
    libs = ["tapejax", "tf"]
    if importlib.util.find_spec("orbax") is not None:
        libs.append("orbax")
    for lib in libs:
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_checkpoint", "--lib", lib,
                              "--mb", str(args.mb), "--tensors", str(args.tensors)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{lib:8s} save {r['save_mib_s']:7.1f} MiB/s  restore {r['restore_mib_s']:7.1f} "
              f"MiB/s  peak RSS growth {r['peak_rss_growth_mb']:6.1f} MB")


if __name__ == "__main__":
    main()
