"""``tf.nest`` and ``tf.TensorSpec`` against real TensorFlow."""
import collections

import numpy as np
import pytest

import tapejax
from tf_oracle import same_error

Pair = collections.namedtuple("Pair", ["b", "a"])


def _defaultdict():
    d = collections.defaultdict(list)
    d["z"] = 1
    d["a"] = [2, 3]
    return d


STRUCTURES = {
    "dict": lambda: {"b": 1, "a": [2, 3], "c": (4, {"y": 5, "x": 6})},
    "ordered_dict": lambda: collections.OrderedDict([("b", 1), ("a", 2)]),
    "defaultdict": _defaultdict,
    "namedtuple": lambda: Pair(b=1, a=(2, 3)),
    "none": lambda: None,
    "nested_none": lambda: [None, (None,)],
    "empty": lambda: [(), [], {}],
    "string": lambda: "abc",
    "strings": lambda: ("ab", b"c"),
    "int_keys": lambda: {3: "c", 1: "a", 2: "b"},
    "set": lambda: {1, 2},
    "ndarray": lambda: np.zeros(3),
    "range": lambda: range(3),
    "keys_view": lambda: {"b": 1, "a": 2}.keys(),
    "items_view": lambda: {"b": 1, "a": 2}.items(),
    "deque": lambda: collections.deque([1, [2, 3]]),
    "bytearray": lambda: bytearray(b"ab"),
}


@pytest.mark.parametrize("case", sorted(STRUCTURES))
def test_nest_matches_tensorflow(real_tf, case):
    results = []
    for lib in (real_tf, tapejax):
        s = STRUCTURES[case]()
        flat = lib.nest.flatten(s)
        packed = lib.nest.pack_sequence_as(s, list(range(len(flat))))
        mapped = lib.nest.map_structure(lambda x: 0, s)
        results.append((repr(flat), type(packed), repr(packed), repr(mapped),
                        lib.nest.is_nested(s)))
    assert results[0] == results[1]


@pytest.mark.parametrize("case", sorted(STRUCTURES))
def test_packer_rebuilds_as_pack_sequence_as(case):
    """The packer a traced function keeps for its outputs builds what ``pack_sequence_as``
    builds: type, key order and leaves."""
    s = STRUCTURES[case]()
    leaves = list(range(10, 10 + len(tapejax.nest.flatten(s))))
    expected = tapejax.nest.pack_sequence_as(s, leaves)
    packed = tapejax.nest._packer(s)(iter(leaves))
    assert (type(packed), repr(packed)) == (type(expected), repr(expected))


def test_nest_treats_tensors_and_variables_as_leaves():
    t, v = tapejax.constant([1.0, 2.0]), tapejax.Variable([3.0])
    flat = tapejax.nest.flatten({"t": t, "v": [v]})
    assert len(flat) == 2 and flat[0] is t and flat[1] is v
    assert not tapejax.nest.is_nested(t) and not tapejax.nest.is_nested(v)


def test_map_structure_over_several_structures(real_tf):
    args = ({"a": [1, 2], "b": Pair(3, 4)}, {"a": [10, 20], "b": Pair(30, 40)})
    expected = real_tf.nest.map_structure(lambda x, y: x + y, *args)
    assert tapejax.nest.map_structure(lambda x, y: x + y, *args) == expected


ERRORS = {
    "list_vs_tuple": lambda tf: tf.nest.assert_same_structure([1], (1,)),
    "lengths": lambda tf: tf.nest.assert_same_structure([[1]], [[1, 2]]),
    "keys": lambda tf: tf.nest.assert_same_structure({"a": 1}, {"b": 1}),
    "nested_vs_leaf": lambda tf: tf.nest.assert_same_structure([1], 1),
    "namedtuple_vs_tuple": lambda tf: tf.nest.assert_same_structure(Pair(1, 2), (1, 2)),
    "inner_types": lambda tf: tf.nest.assert_same_structure({"a": [1]}, {"a": (1,)}),
    "map_mismatch": lambda tf: tf.nest.map_structure(lambda a, b: a, [1], [1, 2]),
    "map_keyword": lambda tf: tf.nest.map_structure(lambda a: a, [1], foo=1),
    "map_not_callable": lambda tf: tf.nest.map_structure(1, [1]),
    "map_no_structure": lambda tf: tf.nest.map_structure(lambda a: a),
    "pack_count": lambda tf: tf.nest.pack_sequence_as([1, 2], [1]),
    "pack_leaf": lambda tf: tf.nest.pack_sequence_as(1, [5, 6]),
    "pack_not_a_sequence": lambda tf: tf.nest.pack_sequence_as([1], 5),
    "unsortable_keys": lambda tf: tf.nest.flatten({1: 1, "a": 2}),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_nest_errors_match_tensorflow(real_tf, case):
    error = same_error(real_tf, ERRORS[case])
    theirs = None
    try:
        ERRORS[case](real_tf)
    except Exception as e:
        theirs = str(e)
    assert str(error) == theirs


def test_assert_same_structure_accepts_what_tf_accepts(real_tf):
    pairs = [({"a": 1}, collections.OrderedDict(a=1)), ([1], (1,)), ({"a": [1]}, {"a": [2]})]
    for a, b in pairs:
        check = len(a) == 1 and not isinstance(a, list)
        real_tf.nest.assert_same_structure(a, b, check_types=check)
        tapejax.nest.assert_same_structure(a, b, check_types=check)


# --- TensorSpec -----------------------------------------------------------------------------
SPECS = {
    "repr": lambda tf: repr(tf.TensorSpec([2, None], tf.float32, "x")),
    "str_dtype_name": lambda tf: str(tf.TensorSpec([2, None], "float64")),
    "unknown_shape": lambda tf: repr(tf.TensorSpec(None)),
    "scalar": lambda tf: repr(tf.TensorSpec([], tf.int32)),
    "numpy_dtype": lambda tf: repr(tf.TensorSpec((3,), np.float64)),
    "shape_list": lambda tf: tf.TensorSpec([2, None]).shape.as_list(),
    "equal": lambda tf: tf.TensorSpec([2], tf.float32) == tf.TensorSpec([2], tf.float32),
    "equal_names": lambda tf: tf.TensorSpec([2], name="a") == tf.TensorSpec([2], name="b"),
    "hash": lambda tf: hash(tf.TensorSpec([2])) == hash(tf.TensorSpec([2])),
    "compatible_tensor": lambda tf: tf.TensorSpec([2, None]).is_compatible_with(tf.zeros([2, 5])),
    "incompatible_dtype": lambda tf: tf.TensorSpec([2, None]).is_compatible_with(
        tf.zeros([2, 5], tf.int32)),
    "incompatible_rank": lambda tf: tf.TensorSpec([2]).is_compatible_with(tf.zeros([2, 1])),
    "compatible_spec": lambda tf: tf.TensorSpec([2, None]).is_compatible_with(
        tf.TensorSpec([2, 3])),
    "compatible_spec_reversed": lambda tf: tf.TensorSpec([2, 3]).is_compatible_with(
        tf.TensorSpec([2, None])),
    "compatible_unknown": lambda tf: tf.TensorSpec(None).is_compatible_with(tf.TensorSpec([2])),
    "numpy_not_compatible": lambda tf: tf.TensorSpec([2]).is_compatible_with(
        np.zeros(2, np.float32)),
    "list_not_compatible": lambda tf: tf.TensorSpec([2]).is_compatible_with([1.0, 2.0]),
    "variable": lambda tf: tf.TensorSpec([2]).is_compatible_with(tf.Variable([1.0, 2.0])),
    "from_tensor": lambda tf: repr(tf.TensorSpec.from_tensor(tf.zeros([2, 3]), name="z")),
    "from_spec": lambda tf: repr(tf.TensorSpec.from_spec(tf.TensorSpec([1], tf.int64, "q"))),
    "subtype": lambda tf: tf.TensorSpec([2, 3]).is_subtype_of(tf.TensorSpec([2, None])),
    "not_subtype": lambda tf: tf.TensorSpec([2, None]).is_subtype_of(tf.TensorSpec([2, 3])),
    "supertype": lambda tf: repr(tf.TensorSpec([2, 3]).most_specific_common_supertype(
        [tf.TensorSpec([2, 4])])),
    "supertype_ranks": lambda tf: repr(tf.TensorSpec([2, 3]).most_specific_common_supertype(
        [tf.TensorSpec([2])])),
    "supertype_dtypes": lambda tf: repr(tf.TensorSpec([2]).most_specific_common_supertype(
        [tf.TensorSpec([2], tf.int32)])),
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_tensor_spec_matches_tensorflow(real_tf, case):
    assert SPECS[case](tapejax) == SPECS[case](real_tf)


def test_tensor_spec_errors(real_tf):
    same_error(real_tf, lambda tf: tf.TensorSpec([1], "foo"))
    same_error(real_tf, lambda tf: tf.TensorSpec("ab"), message=False)
