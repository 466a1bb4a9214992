"""Generated from the op table: every elementwise and reduction op's tape gradients against
central differences, first and second order (values against TF live in test_op_table_vs_tf.py)."""
import numpy as np
import pytest

import tapejax as tf
from tapejax._registry import OPS

SHAPES = [(), (3,), (2, 3)]
CHECKED_KINDS = ("unary", "binary", "reduction")
# Neither TF nor JAX differentiates igamma's gradient w.r.t. ``a`` (TF: LookupError).
_NO_SECOND_ORDER = {"igamma", "igammac"}


def _ops(differentiable):
    return sorted(name for name, op in OPS.items()
                  if op.kind in CHECKED_KINDS and op.differentiable == differentiable)


def _inputs(op, shape, seed):
    rng = np.random.default_rng(seed)
    arity = 2 if op.kind == "binary" else 1
    if op.domain == "bool":
        return [rng.uniform(size=shape) > 0.5 for _ in range(arity)]
    if op.domain == "int":
        return [rng.integers(-5, 6, size=shape).astype(np.int32) for _ in range(arity)]
    low, high = op.domain or (-2.0, 2.0)
    values = [rng.uniform(low, high, size=shape) for _ in range(arity)]
    if op.domain is None:  # keep away from kinks at 0 (abs, relu, maximum ties)
        values = [np.where(np.abs(v) < 0.1, v + 0.3, v) for v in values]
    return values


def _call(op, args):
    return op.api(*args)


def _numeric_gradient(f, values, eps=1e-6):
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            plus = [w.copy() for w in values]
            minus = [w.copy() for w in values]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            g[idx] = (f(plus) - f(minus)) / (2 * eps)
        grads.append(g)
    return grads


def _tape_gradient(op, values):
    xs = [tf.constant(v) for v in values]
    with tf.GradientTape() as g:
        g.watch(xs)
        y = tf.reduce_sum(_call(op, xs))
    return [t.numpy() for t in g.gradient(y, xs)]


def _tape_second_order(op, values):
    """d/dx sum(d/dx sum(op(x))) by nested tapes."""
    xs = [tf.constant(v) for v in values]
    with tf.GradientTape() as outer:
        outer.watch(xs)
        with tf.GradientTape() as inner:
            inner.watch(xs)
            y = tf.reduce_sum(_call(op, xs))
        first = inner.gradient(y, xs)
        total = tf.add_n(first) if hasattr(tf, "add_n") else sum(first[1:], first[0])
        s = tf.reduce_sum(total)
    return [np.zeros_like(v) if g is None else g.numpy() for g, v in zip(outer.gradient(s, xs),
                                                                            values)]


@pytest.mark.parametrize("name,shape", [(n, s) for n in _ops(True) for s in SHAPES
                                        if s or OPS[n].kind != "reduction"],
                         ids=lambda v: str(v))
def test_gradient_first_order_matches_central_differences(name, shape):
    """(Reductions of a single element sit at kinks such as sqrt(0) in reduce_std: skipped.)"""
    op = OPS[name]
    values = _inputs(op, shape, 1)  # float64: central differences are accurate

    def f(vals):
        return float(tf.reduce_sum(_call(op, [tf.constant(v) for v in vals])).numpy())

    for ours, numeric in zip(_tape_gradient(op, values), _numeric_gradient(f, values)):
        np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in _ops(True) if n not in _NO_SECOND_ORDER])
def test_gradient_second_order_matches_central_differences(name):
    op = OPS[name]
    values = _inputs(op, (3,), 2)

    def first_order_sum(vals):
        return float(sum(np.sum(g) for g in _tape_gradient(op, vals)))

    ours = _tape_second_order(op, values)
    numeric = _numeric_gradient(first_order_sum, values, eps=1e-5)
    for a, b in zip(ours, numeric):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in _ops(False) if OPS[n].domain not in ("bool", "int")])
def test_non_differentiable_ops_give_none(name):
    op = OPS[name]
    xs = [tf.constant(v.astype(np.float32)) for v in _inputs(op, (3,), 3)]
    with tf.GradientTape() as g:
        g.watch(xs)
        y = _call(op, xs)
    assert all(grad is None for grad in g.gradient(y, xs))


def test_table_has_the_core_set():
    core = ("add subtract multiply divide pow square sqrt exp log sin cos tanh sigmoid abs "
            "maximum minimum where reduce_sum reduce_mean reduce_max reduce_min reduce_prod "
            "matmul reshape transpose concat stack expand_dims squeeze cast identity "
            "stop_gradient relu softmax log_softmax").split()
    assert [name for name in core if name not in OPS] == []
    for name in ("zeros", "ones", "zeros_like", "ones_like", "fill", "range"):
        assert callable(getattr(tf, name))
