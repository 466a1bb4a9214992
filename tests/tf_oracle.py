"""The TF oracle: one program run on tapejax and on real TensorFlow, results compared.

A *program* is written once against the TF API and gets the module (``tapejax`` or
``tensorflow``) as its first argument, so both libraries run the same code:

- :func:`same_program` ``(real_tf, program, *numpy_args)``: same values, dtypes, shapes and
  None-ness, or an exception of the same class (the op tests).
- :func:`compare` ``(real_tf, fn, *args)``: NumPy arguments become constants of their own
  dtype, the floating ones are watched, and outputs and gradients are compared. Gradients are
  taken with fixed random output weights (a plain sum would make e.g. ``softmax`` gradients
  vanish and so test nothing).
- :func:`gradients`: first (and second) order gradients of a program by nested tapes, to be
  compared by the caller; :func:`numeric_gradients`: tape gradients against central differences.
- :func:`same_error`: the same exception class (and message) in both; :func:`same_outcome`: a
  program given as source text has one outcome in both (the class it raises, or a value).
- :func:`rng_for`: a NumPy generator seeded from a test's parameters.
"""
import json
import re
import subprocess
import sys
import zlib

import numpy as np

import tapejax
from helpers import assert_same, to_numpy


def rng_for(*key):
    """A NumPy generator seeded from a test's parameters (stable across runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def run(lib, program, args):
    """The program's result on ``lib``, or the exception it raised."""
    try:
        return program(lib, *args)
    except Exception as error:
        return error


def same_program(real_tf, program, *args, rtol=1e-5, atol=1e-6):
    """Same values, dtypes, shapes and None-ness as TF, or an exception of the same class."""
    theirs = run(real_tf, program, args)
    ours = run(tapejax, program, args)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"TF raised {theirs!r}, tapejax returned {ours!r}"
        assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
        return ours
    if isinstance(ours, Exception):
        raise ours
    assert_same(ours, theirs, rtol, atol)
    return ours


def gradients(tf, f, xs, key, order=2):
    """Gradients of ``sum(f(*xs) * w)`` for fixed random weights ``w`` (from ``key``), and for
    ``order=2`` also the gradients of ``sum(first_gradient * v)`` by nested tapes.

    Returns the list of first-order gradients, or ``(first, second)``; a second-order
    gradient is None where the first gradient does not depend on that input (as for ``add``).
    """
    rng = rng_for("weights", key)
    xs = [tf.constant(x) for x in xs]
    with tf.GradientTape() as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = f(tf, *xs)
            w = np.asarray(rng.normal(size=tuple(y.shape)), y.dtype.as_numpy_dtype)
            target = tf.reduce_sum(y * w)
        first = inner.gradient(target, xs)
        if order == 1:
            return first
        terms = []
        for g, x in zip(first, xs):
            if g is not None:
                v = np.asarray(rng.normal(size=tuple(x.shape)), x.dtype.as_numpy_dtype)
                terms.append(tf.reduce_sum(g * v))
        total = tf.add_n(terms) if terms else None
    second = outer.gradient(total, xs) if total is not None else [None] * len(xs)
    return first, second


def _flat(out):
    if isinstance(out, dict):
        return [y for k in sorted(out) for y in _flat(out[k])]
    if isinstance(out, (list, tuple)):
        return [y for x in out for y in _flat(x)]
    return [out]


def _weights(outputs):
    rng = np.random.RandomState(1234)
    return [rng.uniform(0.5, 1.5, size=tuple(y.shape)).astype(y.dtype.as_numpy_dtype)
            for y in outputs]


def run_taped(lib, fn, args, grad=True):
    """Output and (when ``grad``) the gradients w.r.t. the floating array arguments."""
    tensors = [lib.constant(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]
    watched = [t for t in tensors if lib.is_tensor(t) and t.dtype.is_floating]
    with lib.GradientTape() as tape:
        tape.watch(watched)
        out = fn(lib, *tensors)
    if not grad:
        return out, None
    targets = [y for y in _flat(out) if y is not None and y.dtype.is_floating]
    cotangents = [lib.constant(w) for w in _weights(targets)]
    grads = tape.gradient(targets, watched, output_gradients=cotangents)
    return out, [_dense(lib, g) for g in grads]


def _dense(lib, grad):
    """TF returns ``IndexedSlices`` for gather gradients; compare them as dense tensors."""
    return lib.convert_to_tensor(grad) if type(grad).__name__ == "IndexedSlices" else grad


def compare(real_tf, fn, *args, grad=True, rtol=1e-5, atol=1e-6, grad_rtol=None):
    """Same outputs and gradients (value, dtype, shape, None-ness) as TensorFlow."""
    ours, our_grads = run_taped(tapejax, fn, args, grad)
    theirs, their_grads = run_taped(real_tf, fn, args, grad)
    assert_same(_as_lists(ours), _as_lists(theirs), rtol, atol)
    if grad:
        rtol = grad_rtol or rtol
        assert_same(our_grads, their_grads, rtol, atol)
    return ours, our_grads


def _as_lists(out):
    if isinstance(out, dict):
        return {k: _as_lists(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [_as_lists(x) for x in out]
    return out


def numeric_gradients(fn, *args, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Tape gradients (float64 inputs) against central differences of the weighted output."""
    args = [np.asarray(a, np.float64) if isinstance(a, (np.ndarray, np.generic))
            and np.asarray(a).dtype.kind == "f" else a for a in args]
    _, grads = run_taped(tapejax, fn, args)
    floats = [k for k, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

    def scalar(values):
        full = list(args)
        for k, v in zip(floats, values):
            full[k] = v
        outs = [to_numpy(y) for y in _flat(fn(tapejax, *[
            tapejax.constant(a) if isinstance(a, np.ndarray) else a for a in full]))]
        outs = [y for y in outs if y is not None and y.dtype.kind == "f"]
        return sum(float(np.sum(y * w)) for y, w in zip(outs, _weights(
            [tapejax.constant(y) for y in outs])))

    base = [args[k] for k in floats]
    for slot, (k, grad) in enumerate(zip(floats, grads)):
        expected = np.zeros_like(base[slot])
        flat = expected.reshape(-1)
        for i in range(base[slot].size):
            step = np.zeros(base[slot].size)
            step[i] = eps
            step = step.reshape(base[slot].shape)
            plus = list(base)
            minus = list(base)
            plus[slot] = base[slot] + step
            minus[slot] = base[slot] - step
            flat[i] = (scalar(plus) - scalar(minus)) / (2 * eps)
        got = np.zeros_like(expected) if grad is None else to_numpy(grad)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"argument {k}")


_PREFIX = re.compile(r"^\{\{function_node [^}]*\}\}\s*")


def _message(error):
    text = _PREFIX.sub("", str(error))
    return text.split(" [Op:")[0].split("\n")[0].strip()


def same_error(real_tf, fn, message=True):
    """``fn(lib)`` raises the same exception class (and, if ``message``, text) in both.

    ``fn`` may also be a ``(fn, message)`` pair, as in the tests' error tables.
    """
    if isinstance(fn, tuple):
        fn, message = fn
    caught = []
    for lib in (real_tf, tapejax):
        try:
            fn(lib)
        except Exception as error:
            caught.append(error)
        else:
            caught.append(None)
    theirs, ours = caught
    assert theirs is not None, "TensorFlow raised nothing"
    assert ours is not None, f"tapejax raised nothing; TF raised {theirs!r}"
    assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
    if isinstance(theirs, real_tf.errors.OpError):
        assert isinstance(ours, tapejax.errors.OpError)
    if message:
        assert _message(ours) == _message(theirs), (_message(ours), _message(theirs))
    return ours


def _outcome(program, scope, value=None):
    """The class name of what ``program`` (source text) raises in ``scope``, or ``"ok"``
    (``value`` of its result, when given)."""
    try:
        out = eval(program, scope)
    except Exception as error:
        return type(error).__name__
    return "ok" if value is None else value(out)


def same_outcome(real_tf, program, scope=None, value=None):
    """``program`` (source text) has one outcome in tapejax and in TF: the class it raises, or
    ``value`` of its result (``"ok"`` without one). ``scope(lib)`` makes its names for a
    library (default: ``tf`` and ``np``)."""
    scope = scope or (lambda lib: {"tf": lib, "np": np})
    assert _outcome(program, scope(tapejax), value) == _outcome(program, scope(real_tf), value)


def run_programs(commands, env, timeout=900):
    """Runs ``{lib: [python arguments]}`` side by side in fresh processes (TF and tapejax
    never share one); each prints a JSON line last. Returns ``{lib: parsed line}``."""
    runs = {lib: subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
            for lib, command in commands.items()}
    results = {}
    for lib, run in runs.items():
        out, err = run.communicate(timeout=timeout)
        assert run.returncode == 0, err[-4000:]
        results[lib] = json.loads(out.strip().splitlines()[-1])
    return results
