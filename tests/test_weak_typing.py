"""Python and NumPy operands of binary ops and operators convert as TF converts them (#14).

TF converts a non-Tensor operand to the Tensor operand's dtype (``convert_to_tensor(value,
dtype)``: NumPy values are cast, Python ints wrap, a float for an integer Tensor is a
``TypeError``), ``tf.add``/``+``/``/`` only use that dtype as a hint, and an operator whose op
raises ``TypeError``/``ValueError`` falls back to the operand's reflected operator (NumPy then
computes the result). Each case runs under a recording tape, so lazy recording is exercised too.
"""
import operator
import warnings

import numpy as np
import pytest

import tapejax
from helpers import assert_same
from tf_oracle import run

pytestmark = pytest.mark.slow  # 1.5-4 minutes a pass

TENSOR_DTYPES = ["float32", "float64", "float16", "int32", "uint8", "bool", "complex64"]
_SCALAR_DTYPES = ["float16", "float64", "int8", "int64", "uint64", "bool", "complex128"]
_ARRAY_DTYPES = ["float64", "int64", "bool", "complex128"]
# No operand is a zero integer divisor (TF's "Integer division by zero" is another check).
OPERANDS = {
    **{f"np.{d}": (lambda d=d: np.array(1, d)[()]) for d in _SCALAR_DTYPES},
    **{f"array.{d}": (lambda d=d: np.array([1, 2], d)) for d in _ARRAY_DTYPES},
    "int": lambda: 2, "float": lambda: 2.5, "float_integral": lambda: 2.0, "bool": lambda: True,
    "complex": lambda: 1 + 1j, "int_beyond_int32": lambda: 2**40 + 3, "negative_int": lambda: -1,
    "list_float": lambda: [2.0, 1.5], "list_int": lambda: [2, 1], "list_bool": lambda: [True, True],
    "list_mixed": lambda: [1, 2.5],
    "np.float64_fraction": lambda: np.float64(2.5), "array_fraction": lambda: np.array([1.5, 2.5]),
    "np.int64_beyond_int32": lambda: np.int64(2**40 + 3), "np.int64_negative": lambda: np.int64(-3),
}
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<": operator.lt,
             "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
             "!=": operator.ne, "&": operator.and_, "|": operator.or_, "^": operator.xor}
# The functions beside the operators' own (``tf.subtract`` is ``-``'s op, and so on).
FUNCTIONS = ["add", "divide", "truediv", "maximum", "minimum", "math.squared_difference",
             "math.divide_no_nan", "math.multiply_no_nan", "math.xdivy", "math.atan2"]


def _function(lib, path):
    for part in path.split("."):
        lib = getattr(lib, part)
    return lib


def _tensor(tf, dtype):
    return tf.constant([True, False] if dtype == "bool" else np.array([3, 2], dtype))


def _program(op, dtype, make, tensor_first):
    def program(tf):
        t = _tensor(tf, dtype)
        f = OPERATORS[op] if op in OPERATORS else _function(tf, op)
        if tf is not tapejax:
            return f(t, make()) if tensor_first else f(make(), t)
        with tf.GradientTape() as tape:  # the ops are recorded (lazily unless switched off)
            if t.dtype.is_floating:
                tape.watch(t)
            return f(t, make()) if tensor_first else f(make(), t)
    return program


def _same(real_tf, program, where):
    with warnings.catch_warnings():  # TF's NumPy casts warn (complex to real, overflow)
        warnings.simplefilter("ignore")
        theirs = run(real_tf, program, ())
    ours = run(tapejax, program, ())
    if isinstance(theirs, Exception):
        assert type(ours).__name__ == type(theirs).__name__, (where, theirs, ours)
        return
    assert not isinstance(ours, Exception), (where, theirs, ours)
    assert isinstance(ours, np.ndarray) == isinstance(theirs, np.ndarray), (where, theirs, ours)
    if not np.all(np.isfinite(np.asarray(theirs))):  # inf arithmetic is not what is tested
        assert (ours.dtype.name, tuple(ours.shape)) == (theirs.dtype.name, tuple(theirs.shape))
        return
    try:
        assert_same(ours, theirs, rtol=2e-3, atol=1e-6)  # float16 rounds x / 2.5 differently
    except AssertionError as error:
        raise AssertionError(f"{where}: {error}") from None


@pytest.mark.parametrize("tensor_first", [True, False], ids=["tensor_op_value", "value_op_tensor"])
@pytest.mark.parametrize("op", list(OPERATORS) + FUNCTIONS)
def test_operand_conversion_matches_tf(real_tf, op, tensor_first):
    for dtype in TENSOR_DTYPES:
        for name, make in OPERANDS.items():
            _same(real_tf, _program(op, dtype, make, tensor_first), (dtype, name))


@pytest.mark.parametrize("operand", [np.array([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]],
                                     np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]], 2.0])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_matmul_operator_converts_like_tf(real_tf, dtype, operand):
    for tensor_first in (True, False):
        def program(tf):
            t = tf.constant(np.array([[1, 2], [3, 4]], dtype))
            return t @ operand if tensor_first else operand @ t
        _same(real_tf, program, (dtype, tensor_first))


VALUES = {**OPERANDS, "float_beyond_float32": lambda: 1e300, "int_beyond_int64": lambda: 2**70,
          "list_zero_int": lambda: [0, 2**40]}


@pytest.mark.parametrize("dtype", TENSOR_DTYPES + ["complex128", "uint16", None])
def test_convert_to_tensor_with_dtype_matches_tf(real_tf, dtype):
    for name, make in VALUES.items():
        _same(real_tf, lambda tf: tf.convert_to_tensor(make(), dtype=dtype), name)


def test_weak_scalar_gradient_flows_and_keeps_dtype():
    x = tapejax.constant([1.0, 2.0])
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = tapejax.reduce_sum(x * np.float64(3.0) + np.array([1.0, 1.0]) + 2 * x)
    assert y.dtype == tapejax.float32
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [5.0, 5.0])
