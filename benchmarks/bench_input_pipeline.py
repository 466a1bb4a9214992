"""Keras's NumPy input pipeline on the TensorFlow backend, on real TF and on tapejax (issue 16).

``model.fit(x, y)`` on Keras's TF backend turns NumPy arrays into the ``tf.data`` pipeline of
``ArrayDataAdapter.get_tf_dataset``: a shuffled index permutation, batched, zipped with the
arrays and mapped through ``tf.gather``. This times iterating that pipeline alone (no
training): per batch, best of ``--rounds`` epochs after a warm-up epoch, the 8x8x1 digits
shapes of ``bench_fit`` (1,437 rows, batch 32). Each stack runs in its own process: ``tf``
with ``import tensorflow``, ``tapejax`` under ``python -m tapejax run``.

Run: ``python -m benchmarks.bench_input_pipeline`` (``--rounds 5 --stacks tf,tapejax``).
"""
import argparse
import json
import os
import subprocess
import sys
import time

FILE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(FILE))


def child(rounds):
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    rng = np.random.RandomState(0)
    x = rng.rand(1437, 8, 8, 1).astype(np.float32)
    y = rng.randint(0, 10, 1437)
    dataset = ArrayDataAdapter(x, y, batch_size=32, shuffle=True).get_tf_dataset()
    batches = sum(1 for _ in dataset)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in dataset:
            pass
        times.append((time.perf_counter() - start) / batches)
    print(json.dumps({"best_us": min(times) * 1e6, "median_us": sorted(times)[len(times) // 2]
                      * 1e6, "batches": batches}))


def run_stack(stack, rounds):
    prefix = [sys.executable, "-m", "tapejax", "run"] if stack == "tapejax" else [sys.executable]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(prefix + [FILE, "--child", "--rounds", str(rounds)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stacks", default="tf,tapejax")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.rounds)
        return
    print("| stack | batches | best µs per batch | median µs per batch |")
    print("|---|---:|---:|---:|")
    for stack in args.stacks.split(","):
        result = run_stack(stack, args.rounds)
        print(f"| {stack} | {result['batches']} | {result['best_us']:.0f} | "
              f"{result['median_us']:.0f} |")


if __name__ == "__main__":
    main()
