"""Keras ``model.fit`` on real TensorFlow, on tapejax and on Keras's own JAX backend (issue 16).

Two models on scikit-learn's 8x8 digits (``load_digits``, preprocessed as in
``examples/train_digits.py``: pixels / 16, float32, shape (8, 8, 1); the same stratified 80/20
split, 1,437 training images):

- ``mlp``: Flatten - Dense(128, relu) - Dense(10);
- ``cnn``: the CNN of ``examples/train_digits.py``: Conv 3x3x16 (same, relu) - max pool -
  Conv 3x3x32 (same, relu) - Flatten - Dense(10).

The same Keras code is trained by three stacks, each in its own process, one after the other:

- ``tf``: ``import tensorflow as tf; tf.keras`` with ``KERAS_BACKEND=tensorflow`` (real TF);
- ``tapejax``: the same code under ``python -m tapejax run`` (``tf.keras`` is the real Keras 3
  on its TensorFlow backend, running on tapejax);
- ``jax``: ``import keras`` with ``KERAS_BACKEND=jax``.

Every stack starts from the same weights (Glorot-uniform kernels drawn with NumPy's
``RandomState(seed)``, zero biases, loaded with ``set_weights``), sees the batches in the same
order (one fixed NumPy permutation of the training set before ``fit``, ``shuffle=False``), and
trains with Adam(1e-3), ``SparseCategoricalCrossentropy(from_logits=True)`` and
``metrics=["accuracy"]``, ``verbose=0``. ``compile`` keeps Keras's default
``jit_compile="auto"``: on the TensorFlow backend "auto" means no XLA on a machine with no GPU
(the train step is a ``tf.function``; under tapejax ``tf.function`` is ``tapejax.function``,
which JAX compiles with XLA either way), on the JAX backend it means ``jax.jit`` (XLA). The
value each stack resolved is printed.

tapejax keeps JAX's persistent compilation cache on by default (``~/.cache/tapejax``), so a second
run of a script loads its programs instead of compiling them. Unless ``--tapejax-cache user`` is
given, the tapejax child gets an empty cache directory (``TAPEJAX_COMPILATION_CACHE``), so its
first epoch compiles everything, as the first run of a script does (Keras-JAX and TF keep no
such cache by default).

Reported per model and stack: the loss after each epoch (``History``), the largest absolute and
relative difference of the per-epoch losses from real TF's, the first epoch's time (it includes
tracing and compiling), and the throughput in samples/s over epochs 2..N (each epoch timed by a
callback with ``time.perf_counter`` in ``on_epoch_begin``/``on_epoch_end``), with the ratios of
tapejax's throughput to TF's and to Keras-JAX's. An epoch is only 45 steps of batch 32, so a
shared machine's load moves these figures; the fastest epoch of 2..N (the least disturbed) is
printed beside them.

Run: ``python -m benchmarks.bench_fit`` (``--epochs 5 --batch-size 32 --models mlp,cnn
--stacks tf,tapejax,jax``; ``--quick`` for 2 epochs; ``--rounds N`` runs the stacks in turns N
times and prints tapejax's ratios of each round and their median).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

FILE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(FILE))
MODELS = ("mlp", "cnn")
STACKS = ("tf", "tapejax", "jax")
STACK_NAMES = {"tf": "Keras on TF", "tapejax": "Keras on tapejax", "jax": "Keras on JAX"}
SHORT_NAMES = {"tf": "TF", "tapejax": "tapejax", "jax": "Keras-JAX"}
SEED = 0
LEARNING_RATE = 1e-3
RTOL = 1e-4  # float32 agreement expected of the per-epoch losses


def load_data():
    """The training half of the digits, in one fixed order (as ``examples/train_digits.py``).

    With ``BENCH_FIT_DATA`` set, the arrays saved there by ``--save-data`` (for a machine
    without scikit-learn, such as a lent GPU machine).
    """
    if os.environ.get("BENCH_FIT_DATA"):
        with np.load(os.environ["BENCH_FIT_DATA"]) as saved:
            return saved["x"], saved["y"]
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]  # (1797, 8, 8, 1)
    x_train, _, y_train, _ = train_test_split(
        images, digits.target.astype(np.int32), test_size=0.2, random_state=0,
        stratify=digits.target)
    order = np.random.RandomState(SEED).permutation(len(x_train))
    return np.ascontiguousarray(x_train[order]), np.ascontiguousarray(y_train[order])


def build_model(keras, name):
    layers = keras.layers
    if name == "mlp":
        return keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(),
                                 layers.Dense(128, activation="relu"), layers.Dense(10)])
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(10),
    ])


def initial_weights(shapes, seed=SEED):
    """Glorot-uniform kernels and zero biases from NumPy alone: the same on every stack."""
    rng = np.random.RandomState(seed)
    weights = []
    for shape in shapes:
        if len(shape) == 1:
            weights.append(np.zeros(shape, np.float32))
            continue
        receptive = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return weights


def child(stack, model_name, epochs, batch_size):
    """Train one model on this process's stack; print one JSON line."""
    if stack == "jax":
        import keras
    else:  # real TF, or tapejax under `python -m tapejax run`
        import tensorflow as tf
        keras = tf.keras
    x, y = load_data()
    model = build_model(keras, model_name)
    model.set_weights(initial_weights([tuple(w.shape) for w in model.get_weights()]))
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float(logs["loss"])  # the epoch's work is done once its loss is a number
            times.append(time.perf_counter() - self.start)

    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=[EpochTimer()])
    print(json.dumps({
        "stack": stack, "model": model_name, "samples": len(x), "epoch_seconds": times,
        "loss": [float(v) for v in history.history["loss"]],
        "accuracy": [float(v) for v in history.history["accuracy"]],
        "jit_compile": bool(model.jit_compile), "keras_backend": keras.backend.backend(),
        "tapejax_loaded": "tapejax" in sys.modules,
        "jax_backend": (sys.modules["jax"].default_backend() if "jax" in sys.modules else None),
        "compilation_cache": (sys.modules["tapejax"].config.compilation_cache_info()
                              if "tapejax" in sys.modules else None)}), flush=True)


def run_child(stack, model_name, epochs, batch_size, cache_dir=None, device="cpu"):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
               KERAS_BACKEND="jax" if stack == "jax" else "tensorflow")
    if device == "cpu":
        env.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
    if cache_dir is not None:
        env["TAPEJAX_COMPILATION_CACHE"] = cache_dir
    args = [FILE, "--child", stack, model_name, "--epochs", str(epochs),
            "--batch-size", str(batch_size)]
    prefix = [sys.executable, "-m", "tapejax", "run"] if stack == "tapejax" else [sys.executable]
    proc = subprocess.run(prefix + args, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{stack}/{model_name} failed (exit {proc.returncode}):\n"
                           f"{proc.stderr[-6000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["tapejax_loaded"] != (stack == "tapejax"):  # the stack is the one it claims
        raise RuntimeError(f"{stack}/{model_name}: tapejax loaded: {result['tapejax_loaded']}")
    return result


def loss_difference(ours, reference):
    """Largest absolute and relative difference of two per-epoch loss lists."""
    ours, reference = np.asarray(ours), np.asarray(reference)
    absolute = np.abs(ours - reference)
    return float(absolute.max()), float((absolute / np.abs(reference)).max())


def throughput(result):
    """Samples/s over epochs 2..N (None with one epoch)."""
    later = result["epoch_seconds"][1:]
    return result["samples"] * len(later) / sum(later) if later else None


def best_throughput(result):
    """Samples/s of the fastest of epochs 2..N (None with one epoch)."""
    later = result["epoch_seconds"][1:]
    return result["samples"] / min(later) if later else None


def _rate(value):
    return "n/a" if value is None else f"{value:,.0f}"


def _versions():
    from importlib import metadata

    def version(*names):
        return next((d.version for name in names for d in metadata.distributions(name=name)),
                    "not installed")

    return (f"jax {version('jax')}, tensorflow {version('tensorflow', 'tensorflow-cpu')}, "
            f"keras {version('keras')}, {len(os.sched_getaffinity(0))} CPUs")


def report(results, models, stacks, epochs, batch_size):
    """Markdown tables of ``results[(model, stack)]``; returns the loss differences from TF."""
    print(f"\n| model | stack | jit_compile | loss per epoch | max abs / rel diff vs TF | "
          f"first epoch (s) | samples/s, epochs 2..{epochs} | fastest epoch (samples/s) |")
    print("|---|---|---|---|---|---|---|---|")
    diffs = {}
    for model in models:
        reference = results.get((model, "tf"))
        for stack in stacks:
            r = results[(model, stack)]
            losses = ", ".join(f"{v:.6f}" for v in r["loss"])
            diff = "reference" if stack == "tf" else "n/a (no tf run)"
            if reference is not None and stack != "tf":
                diffs[(model, stack)] = loss_difference(r["loss"], reference["loss"])
                diff = "{:.2e} / {:.2e}".format(*diffs[(model, stack)])
            print(f"| {model} | {STACK_NAMES[stack]} | {r['jit_compile']} | {losses} | {diff} | "
                  f"{r['epoch_seconds'][0]:.2f} | {_rate(throughput(r))} | "
                  f"{_rate(best_throughput(r))} |")
    if "tapejax" in stacks and len(stacks) > 1:
        others = [s for s in ("tf", "jax") if s in stacks]
        print("\n| model | " + " | ".join(f"tapejax ÷ {SHORT_NAMES[s]} throughput"
                                           for s in others) + " |")
        print("|---|" + "---|" * len(others))
        for model in models:
            ours = throughput(results[(model, "tapejax")])
            cells = []
            for s in others:
                theirs = throughput(results[(model, s)])
                cells.append("n/a" if ours is None or theirs is None else f"{ours / theirs:.2f}x")
            print(f"| {model} | " + " | ".join(cells) + " |")
    for (model, stack), (_, rel) in diffs.items():
        if rel > RTOL:
            print(f"\nNote: {model} on {STACK_NAMES[stack]}: per-epoch losses differ from TF's "
                  f"by up to {rel:.2e} relative (> {RTOL:g}).")
    return diffs


def report_rounds(rounds, models, stacks):
    """tapejax's throughput ratios in each round of stacks run in turns, and their median:
    over epochs 2..N, and of the fastest epochs (the least disturbed by a shared machine)."""
    others = [s for s in ("tf", "jax") if s in stacks]
    if "tapejax" not in stacks or not others:
        return
    print(f"\n| model | tapejax ÷ | epochs 2..N, each of {len(rounds)} rounds | median | "
          f"fastest epochs, each round | median |")
    print("|---|---|---|---|---|---|")
    for model in models:
        for other in others:
            cells = []
            for rate in (throughput, best_throughput):
                ratios = [rate(r[(model, "tapejax")]) / rate(r[(model, other)])
                          for r in rounds if rate(r[(model, other)])]
                cells += [", ".join(f"{v:.2f}x" for v in ratios),
                          f"{float(np.median(ratios)):.2f}x" if ratios else "n/a"]
            print(f"| {model} | {SHORT_NAMES[other]} | " + " | ".join(cells) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: mlp,cnn")
    p.add_argument("--stacks", default=",".join(STACKS), help="comma-separated: tf,tapejax,jax")
    p.add_argument("--quick", action="store_true", help="2 epochs (a smoke test)")
    p.add_argument("--tapejax-cache", choices=["cold", "user"], default="cold",
                   help="tapejax's compilation cache: an empty directory per run (default) or "
                        "the per-user one as it is")
    p.add_argument("--rounds", type=int, default=1,
                   help="run the stacks in turns this many times and print tapejax's ratios "
                        "of every round and their median (the tables show the first round)")
    p.add_argument("--json", action="store_true", help="also print all results as one JSON line")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu",
                   help="where the JAX stacks run (real TF always runs on the CPU build)")
    p.add_argument("--save-data", metavar="PATH",
                   help="save the training arrays to PATH (.npz) for BENCH_FIT_DATA and exit")
    p.add_argument("--child", nargs=2, metavar=("STACK", "MODEL"), help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    epochs = 2 if opts.quick else opts.epochs
    if opts.save_data:
        x, y = load_data()
        np.savez(opts.save_data, x=x, y=y)
        return 0
    if opts.child:
        child(opts.child[0], opts.child[1], epochs, opts.batch_size)
        return 0
    models = [m for m in opts.models.split(",") if m]
    stacks = [s for s in opts.stacks.split(",") if s]
    for name, chosen, known in (("model", models, MODELS), ("stack", stacks, STACKS)):
        unknown = sorted(set(chosen) - set(known))
        if unknown or not chosen:
            p.error(f"unknown or no {name}s: {', '.join(unknown)} (choose from {known})")
    command = " ".join(["python -m benchmarks.bench_fit", *(argv if argv is not None
                                                               else sys.argv[1:])]).strip()
    print(f"Command: `{command}` ({_versions()}; each stack in its own process, one after "
          f"the other; {epochs} epochs of batch {opts.batch_size}, Adam {LEARNING_RATE:g})",
          flush=True)
    rounds = []
    for k in range(max(1, opts.rounds)):
        results = {}
        with tempfile.TemporaryDirectory(prefix="bench_fit_cache_") as cache_root:
            for model in models:
                for stack in stacks:
                    cache_dir = (os.path.join(cache_root, model) if stack == "tapejax"
                                 and opts.tapejax_cache == "cold" else None)
                    results[(model, stack)] = r = run_child(stack, model, epochs,
                                                            opts.batch_size, cache_dir,
                                                            opts.device)
                    cache = r["compilation_cache"]
                    print(f"  round {k + 1}: {model} / {stack}: fit "
                          f"{sum(r['epoch_seconds']):.1f} s"
                          + (f"; tapejax compilation cache {cache['hits']} hits, "
                             f"{cache['misses']} misses" if cache else ""), flush=True)
        rounds.append(results)
    results = rounds[0]
    report(results, models, stacks, epochs, opts.batch_size)
    if len(rounds) > 1:
        report_rounds(rounds, models, stacks)
    if opts.json:
        print(json.dumps([results[k] for k in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
