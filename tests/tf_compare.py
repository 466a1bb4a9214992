"""Runs one program on tapejax and on real TensorFlow and compares values, gradients, errors.

``fn(lib, *tensors)`` is the program, written once against the ``tf`` API; ``lib`` is either
``tapejax`` or ``tensorflow``. NumPy array arguments become constants of their own dtype, and
the floating ones are watched. Gradients are taken with fixed random output weights (a plain sum
would make e.g. ``softmax`` gradients vanish and so test nothing).
"""
import re

import numpy as np

import tapejax

from helpers import assert_same, to_numpy


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


def run(lib, fn, args, grad=True):
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
    ours, our_grads = run(tapejax, fn, args, grad)
    theirs, their_grads = run(real_tf, fn, args, grad)
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
    _, grads = run(tapejax, fn, args)
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
        except Exception as error:  # noqa: BLE001 - the class is what is compared
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
