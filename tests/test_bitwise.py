"""``tf.bitwise`` and ``tf.bitcast`` against TF: values, dtypes and exception classes."""
import numpy as np
import pytest

from tf_oracle import same_program

_PAIRS = [(np.array([5, -3, 7], np.int32), np.array([3, 1, 2], np.int32)),
          (np.array([5, 250], np.uint8), np.array([1, 3], np.uint8)),
          (np.array([[1], [2]], np.int64), np.array([1, 3], np.int64)),
          (np.array([1, 2], np.int64), 3),
          (np.array([1.0]), np.array([2.0])),
          (np.array([True]), np.array([False])),
          (np.array([1, 2], np.int32), np.array([1, 2], np.int64))]


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
                                  "right_shift"])
@pytest.mark.parametrize("case", range(len(_PAIRS)))
def test_bitwise_binary_matches_tf(real_tf, name, case):
    x, y = _PAIRS[case]
    same_program(real_tf, lambda tf, a, b: getattr(tf.bitwise, name)(a, b), x, y)


@pytest.mark.parametrize("x", [np.array([5, -3], np.int32), np.array([1, 2], np.uint16),
                               np.array([1.0]), np.array([True])])
def test_invert_matches_tf(real_tf, x):
    same_program(real_tf, lambda tf, a: tf.bitwise.invert(a), x)


@pytest.mark.parametrize("x, dtype", [
    (np.array([1.0, -2.0], np.float32), "int32"), (np.array([[1, 2, 3, 4]], np.uint8), "int32"),
    (np.array([1, 2], np.int32), "uint8"), (np.array([1.0], np.float64), "float32"),
    (np.array([1, 2, 3], np.uint8), "int32"), (np.array(1, np.int32), "int64"),
    (np.array([True]), "int8")])
def test_bitcast_matches_tf(real_tf, x, dtype):
    same_program(real_tf, lambda tf, a: tf.bitcast(a, dtype), x)
