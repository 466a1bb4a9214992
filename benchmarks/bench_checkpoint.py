"""Checkpoint save/restore throughput, tapejax against TensorFlow, each in its own process.

Run: ``python -m benchmarks.bench_checkpoint [--mb 64] [--tensors 16]``. Builds a Module
holding ``--tensors`` float32 Variables totalling ``--mb`` MiB, then times ``Checkpoint.write``
and ``Checkpoint.read`` (best of 3) and prints MiB/s and the peak resident memory growth.
orbax-checkpoint is not installed here, so it is not compared.
"""
import argparse
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


def _run(lib_name, mb, tensors, directory=None):
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
    parser.add_argument("--lib", choices=["tapejax", "tf"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lib:
        print(json.dumps(_run(args.lib, args.mb, args.tensors)))
        return
    print(f"checkpoint of {args.mb} MiB in {args.tensors} float32 tensors (best of 3)")
    for lib in ("tapejax", "tf"):
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_checkpoint", "--lib", lib,
                              "--mb", str(args.mb), "--tensors", str(args.tensors)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{lib:8s} save {r['save_mib_s']:7.1f} MiB/s  restore {r['restore_mib_s']:7.1f} "
              f"MiB/s  peak RSS growth {r['peak_rss_growth_mb']:6.1f} MB")


if __name__ == "__main__":
    main()
