"""Every kind of value a Tensor can hold, through every table op under a recording tape.

Lazy recording computes an op's output type from its inputs' types, so each kind of value an
input can be (a JAX array, a NumPy array or scalar as ``tf.data`` batches hold, a Python
number, a watched or a pending value) must be typed there. The programs run under TF and
tapejax; the suite runs them with lazy recording on and off (``TAPEJAX_LAZY_TAPE=0``).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tapejax
from helpers import property_settings
from tapejax._registry import OPS
from test_op_table_vs_tf import _BOOL_INPUT, _INTERNAL, tf_function
from tf_oracle import rng_for, same_program

_TABLE = sorted((d for d in OPS.values() if d.kind in ("unary", "binary", "reduction")
                 and d.name not in _INTERNAL | _BOOL_INPUT and d.domain not in ("bool", "int")),
                key=lambda d: d.name)
_SHAPES = {"unary": [[(2, 3)], [()]], "binary": [[(2, 3), (3,)], [(), (2, 3)], [(3,), ()]],
           "reduction": [[(2, 3)]]}
# How an operand is made: watched and pending values make the op recorded (deferred when lazy).
_KINDS = ["watched", "watched_numpy", "pending", "jax", "numpy", "numpy_scalar", "python"]
_RECORDED = ("watched", "watched_numpy", "pending")
_SCALAR_ONLY = {"numpy_scalar", "python"}


def _holding(tf, value):
    """A Tensor holding ``value`` as it is (a NumPy array or scalar, as a ``tf.data`` batch
    holds one); TF's own tensor for it."""
    return tapejax.Tensor(value) if tf is tapejax else tf.constant(value)


def _operand(tf, kind, value, tape, sources):
    if kind in _RECORDED:
        source = _holding(tf, np.asarray(value)) if kind == "watched_numpy" else tf.constant(value)
        tape.watch(source)
        sources.append(source)
        return source if kind == "watched" else source * 1.0
    if kind == "jax":
        return tf.constant(value)
    if kind == "numpy":
        return _holding(tf, np.asarray(value))
    if kind == "numpy_scalar":
        return _holding(tf, np.float32(value))
    return float(value)


@st.composite
def _cases(draw):
    opdef = draw(st.sampled_from(_TABLE))
    shapes = draw(st.sampled_from(_SHAPES[opdef.kind]))
    kinds = [draw(st.sampled_from([k for k in _KINDS if s == () or k not in _SCALAR_ONLY]))
             for s in shapes]
    if not any(k in _RECORDED for k in kinds):  # the op must be recorded
        kinds[draw(st.integers(0, len(kinds) - 1))] = draw(st.sampled_from(_RECORDED))
    if all(k == "python" for k in kinds):
        kinds[0] = "watched"
    return opdef, shapes, kinds


@property_settings(60)
@given(case=_cases())
def test_every_value_kind_through_every_op_under_a_tape(real_tf, case):
    _same_op_program(real_tf, *case)


@pytest.mark.parametrize("opdef", [pytest.param(d, id=d.name) for d in _TABLE])
def test_every_op_takes_numpy_values_under_a_tape(real_tf, opdef):
    """Each op once with NumPy-held operands (a watched one, and a plain one when binary)."""
    shapes = _SHAPES[opdef.kind][0]
    _same_op_program(real_tf, opdef, shapes, ["watched_numpy", "numpy"][:len(shapes)])


def _same_op_program(real_tf, opdef, shapes, kinds):
    rng = rng_for(opdef.name, shapes, kinds)
    lo, hi = opdef.domain or (-2.0, 2.0)
    values = [rng.uniform(lo, hi, size=s).astype(np.float32) for s in shapes]
    kwargs = {"axis": 1} if opdef.kind == "reduction" else {}

    def program(tf):
        sources = []
        with tf.GradientTape() as tape:
            args = [_operand(tf, k, v, tape, sources) for k, v in zip(kinds, values)]
            out = tf_function(tf, opdef)(*args, **kwargs)
            if not out.dtype.is_floating:
                return out, out + 0  # a value computed from a recorded one
            target = tf.reduce_sum(out * np.linspace(0.5, 1.5, out.shape.num_elements(),
                                                     dtype=np.float32).reshape(out.shape))
        return out, tape.gradient(target, sources)

    same_program(real_tf, program, rtol=1e-4, atol=1e-5)


def _training_loop(tf):
    """The common loop: NumPy data through ``tf.data``, a small MLP, one tape per batch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 4)).astype(np.float32)
    y = rng.standard_normal((12, 2)).astype(np.float32)
    w1 = tf.Variable(rng.standard_normal((4, 8)).astype(np.float32))
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(rng.standard_normal((8, 2)).astype(np.float32))
    losses = []
    for xb, yb in tf.data.Dataset.from_tensor_slices((x, y)).batch(5):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(xb, w1) + b1)
            loss = tf.reduce_mean(tf.square(tf.matmul(h, w2) - yb))
        grads = tape.gradient(loss, [w1, b1, w2])
        for v, g in zip([w1, b1, w2], grads):
            v.assign_sub(0.1 * g)
        losses.append(loss)
    return losses + [w1, b1, w2]


def test_training_loop_over_numpy_batches(real_tf):
    same_program(real_tf, _training_loop, rtol=1e-4, atol=1e-5)


def test_a_computed_lazy_value_becomes_a_plain_tensor_in_place():
    """``_lazy._set_value`` swaps ``__class__`` (the interpreter must allow it between
    ``Tensor`` and its slot-less subclass) so tapes keyed by ``id`` still know the value."""
    from tapejax import _lazy
    stand_in = object.__new__(_lazy.LazyTensor)
    _lazy._set_value(stand_in, np.float32(1.0))
    assert type(stand_in) is tapejax.Tensor and stand_in._value == 1.0
    assert not isinstance(type(stand_in).__dict__["_value"], property)  # the slot itself
    x = tapejax.constant([1.0, 2.0])
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = x * 3.0
    lazy = tapejax.config.lazy_tape_info()["enabled"]
    assert (type(y) is _lazy.LazyTensor and _lazy.is_pending(y)) is lazy
    before = id(y)
    np.testing.assert_allclose(y.numpy(), [3.0, 6.0])
    assert type(y) is tapejax.Tensor and id(y) == before


def test_shape_of_a_pending_value_is_read_without_computing_it():
    """``tf.shape`` of a pending value reads its abstract shape: the value stays pending."""
    from tapejax import _lazy
    x = tapejax.constant([[1.0, 2.0, 3.0]])
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = tapejax.sin(x)
        shape = tapejax.shape(y, out_type=tapejax.int64)
        lazy = tapejax.config.lazy_tape_info()["enabled"]
        assert _lazy.is_pending(y) is lazy
        loss = tapejax.reduce_sum(y * tapejax.cast(shape[1], tapejax.float32))
    assert shape.numpy().tolist() == [1, 3] and shape.dtype == tapejax.int64
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), 3 * np.cos([[1.0, 2.0, 3.0]]),
                               rtol=1e-6)
