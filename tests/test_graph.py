"""The graph core (``_graph``): one encoding, one walk, one replay for tapes and lazy values."""
import numpy as np

import tapejax as tf
from tapejax import _backprop, _graph


def _mul(a, b):
    return a * b


def _split(a):
    return a, -a


def test_replay_reads_arguments_constants_and_adds_injected_arguments():
    steps = [_graph.Step(_mul, (), (0, -1), None),  # ref 2 = arg0 * const0
             _graph.Step(_split, (), (2,), 2)]  # refs 3, 4
    assert _graph.replay(steps, [4, 2], [3.0, 5.0], [2.0]) == [-6.0, 6.0]
    assert _graph.replay(steps, [3], [3.0, 5.0], [2.0], injects=[(2, 1)]) == [11.0]


def test_reachable_finds_each_once_in_walk_order():
    parents = {"c": ["a", "b"], "b": ["a"], "a": []}
    assert list(_graph.reachable(["c"], parents.__getitem__)) == ["c", "b", "a"]


def test_wiring_numbers_outputs_after_arguments_and_constants_below_zero():
    wiring = _graph.Wiring(["x"])
    first = wiring.node(_mul, (), [wiring.input("x", None), wiring.input("k", 2.0)], None,
                        ["y"])
    assert first == 1 and wiring.ref == {"x": 0, "k": -1, "y": 1} and wiring.consts == [2.0]


def test_a_source_computed_from_another_enters_as_an_injected_zero():
    """TF's total derivative for ``gradient(z, [y, x])`` with ``y = f(x)``."""
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * x
    p = _backprop.plan(tape._tape, [z], [[y], [x]])
    steps, injects = p.key[:2]
    assert len(steps) == 2 and injects == ((2, 0),)  # y (ref 2) gets source slot 0 added
    dy, dx = tape.gradient(z, [y, x])
    np.testing.assert_allclose([dy.numpy(), dx.numpy()], [3.0, 9.0 + 3.0 * 6.0])


def test_an_integer_output_of_a_selected_node_is_read_from_the_replay():
    """``top_k``'s indices feed a ``gather``: the replay computes them (no constant)."""
    x = tf.constant([3.0, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        values, indices = tf.math.top_k(x * 2.0, k=2)
        y = tf.reduce_sum(tf.gather(x, indices) * values)
    p = _backprop.plan(tape._tape, [y], [[x]])
    assert all(not isinstance(c, tf.Tensor) or c is not indices for c in p.consts)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [12.0, 0.0, 8.0])
