"""Running one program on tapejax and on real TensorFlow, for the op tests.

A *program* is ``program(tf, *numpy_args)`` written against the TF API; it gets the module
(``tapejax`` or ``tensorflow``) as ``tf``, so both libraries run the same code.
"""
import zlib

import numpy as np

import tapejax
from helpers import assert_same


def rng_for(*key):
    """A NumPy generator seeded from a test's parameters (stable across runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def run(lib, program, args):
    """The program's result on ``lib``, or the exception it raised."""
    try:
        return program(lib, *args)
    except Exception as error:  # noqa: BLE001 - compared with TF's below
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
