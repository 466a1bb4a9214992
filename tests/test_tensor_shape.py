"""``tf.TensorShape``'s methods against TensorFlow: results (by ``repr``) and the exception
class and message for shapes that do not fit."""
import pytest

import tapejax
from tf_oracle import same_error, same_program

CASES = [
    "S([1, 2]).with_rank_at_least(1)",
    "S([1, 2]).with_rank_at_least(2)",
    "S(None).with_rank_at_least(1)",
    "S([1, 2]).with_rank_at_most(2)",
    "S(None).with_rank_at_most(0)",
    "S([1, None]).with_rank(2)",
    "S(None).with_rank(3)",
    "S([1, None]).merge_with([None, 3])",
    "S([None, 2]).merge_with(S(None))",
    "S(None).merge_with(S([1]))",
    "S([1, None]).assert_is_compatible_with([1, 3])",
    "S([1, None]).assert_is_compatible_with(S(None))",
    "S([1, None]).assert_has_rank(2)",
    "S(None).assert_has_rank(2)",
    "S([1, None]).assert_same_rank(S([4, 5]))",
    "S([1, 2]).assert_is_fully_defined()",
    "S([1, None]).most_specific_compatible_shape([1, 2])",
    "S([1, None]).most_specific_compatible_shape([1, 2, 3])",
    "S([1, 2]).most_specific_compatible_shape(S(None))",
    "S([1, None]).most_specific_common_supertype([S([1, 2]), S([3, 2])])",
    "S([1, None]).most_specific_common_supertype([S([1, 2, 3])])",
    "S([1, None]).is_subtype_of(S([1, None]))",
    "S([1, 2]).is_subtype_of(S([1, None]))",
    "S([1, None]).is_subtype_of(S([1, 2]))",
    "S([1, 2]).is_subtype_of(S(None))",
    "S(None).is_subtype_of(S([1]))",
    "S([1, 2]) + S([3])",
    "S([1, 2]) + [3]",
    "[3] + S([1, 2])",
    "S(None)[0]",
    "S(None)[1:]",
    "S([1, 2, 3])[1:]",
    "tf.zeros([2, 3]).set_shape([None, 3])",
    "tf.zeros([2, 3]).set_shape(S(None))",
]

ERRORS = [
    "S([1, 2]).with_rank_at_least(3)",
    "S([1, 2]).with_rank_at_most(1)",
    "S([1, 2]).with_rank(3)",
    "S([1, None]).merge_with([2, 3])",
    "S([1, None]).merge_with([2])",
    "S([1, None]).assert_is_compatible_with([2, 3])",
    "S([1, None]).assert_has_rank(3)",
    "S([1, None]).assert_same_rank(S([1]))",
    "S([1, None]).assert_is_fully_defined()",
    "S([1, 2])[5]",
    "tf.convert_to_tensor(S([None, 3]))",
    "tf.convert_to_tensor(S([2, 3]), dtype=tf.float32)",
    "tf.constant(S(None))",
    "tf.constant(S([None, 3]))",
    "tf.zeros(S([None]))",
    "tf.zeros([2, 3]).set_shape([2, 4])",
    "tf.zeros([2, 3]).set_shape(S([2]))",
]

CONVERSIONS = [
    "tf.convert_to_tensor(S([2, 3]))",
    "tf.convert_to_tensor(S([]))",
    "tf.convert_to_tensor(S([2, 3]), dtype=tf.int64)",
    "tf.constant(S([4]))",
    "tf.constant(S([2, 3]), dtype=tf.float32)",
    "tf.constant(S([2**31]))",
    "tf.reshape(tf.zeros([6]), S([2, 3]))",
    "tf.zeros(S([2, 1]))",
]


def _eval(lib, program):
    return eval(program, {"S": lib.TensorShape, "tf": lib})


@pytest.mark.parametrize("program", CASES)
def test_tensor_shape_method_matches_tensorflow(real_tf, program):
    assert repr(_eval(tapejax, program)) == repr(_eval(real_tf, program))


@pytest.mark.parametrize("program", ERRORS)
def test_tensor_shape_error_matches_tensorflow(real_tf, program):
    same_error(real_tf, lambda lib: _eval(lib, program))


@pytest.mark.parametrize("program", CONVERSIONS)
def test_a_known_shape_converts_to_a_tensor_as_in_tensorflow(real_tf, program):
    same_program(real_tf, lambda lib: _eval(lib, program))


def test_dtype_is_numeric_as_in_tensorflow(real_tf):
    names = [n for n in dir(tapejax.dtypes) if isinstance(getattr(tapejax.dtypes, n),
                                                          tapejax.DType)]
    assert len(names) > 15
    assert ({n: getattr(tapejax.dtypes, n).is_numeric for n in names}
            == {n: getattr(real_tf.dtypes, n).is_numeric for n in names})
