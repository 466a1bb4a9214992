"""``tf.RaggedTensor``, ``tf.RaggedTensorSpec`` and ``tf.ragged``: the same programs under
tapejax and TensorFlow 2.21 (values, row partitions, gradients, exception classes)."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, same_program

VALUES = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], np.float32)
SPLITS = [0, 4, 4, 7, 8, 8]


def _parts(rt):
    return (rt.flat_values,) + tuple(rt.nested_row_splits)


PROGRAMS = {
    "from_row_splits": lambda tf, v: _parts(tf.RaggedTensor.from_row_splits(v, SPLITS)),
    "accessors": lambda tf, v: (
        tf.RaggedTensor.from_row_splits(v, SPLITS).row_lengths(),
        tf.RaggedTensor.from_row_splits(v, SPLITS).value_rowids(),
        tf.RaggedTensor.from_row_splits(v, SPLITS).nrows(),
        tf.RaggedTensor.from_row_splits(v, SPLITS).row_starts(),
        tf.RaggedTensor.from_row_splits(v, SPLITS).row_limits()),
    "from_row_lengths": lambda tf, v: _parts(tf.RaggedTensor.from_row_lengths(v, [4, 0, 3, 1])),
    "from_value_rowids": lambda tf, v: _parts(tf.RaggedTensor.from_value_rowids(
        v, [0, 0, 0, 0, 2, 2, 2, 3], nrows=5)),
    "from_value_rowids_default": lambda tf, v: _parts(tf.RaggedTensor.from_value_rowids(
        v, [0, 0, 1, 1, 1, 3, 3, 3])),
    "to_tensor": lambda tf, v: tf.RaggedTensor.from_row_splits(v, SPLITS).to_tensor(),
    "to_tensor_shape": lambda tf, v: tf.RaggedTensor.from_row_splits(v, SPLITS).to_tensor(
        default_value=-1.0, shape=[3, 5]),
    "to_tensor_wide": lambda tf, v: tf.RaggedTensor.from_row_splits(v, SPLITS).to_tensor(
        shape=[None, 2]),
    "from_tensor": lambda tf, v: (
        _parts(tf.RaggedTensor.from_tensor(tf.reshape(v, [2, 4]))),
        _parts(tf.RaggedTensor.from_tensor(tf.reshape(v, [2, 4]), lengths=[1, 3])),
        _parts(tf.RaggedTensor.from_tensor(tf.reshape(v, [4, 2]), padding=1.0))),
    "nested": lambda tf, v: (
        _parts(tf.RaggedTensor.from_nested_row_splits(v, [[0, 2, 3], [0, 3, 5, 8]])),
        tf.RaggedTensor.from_nested_row_splits(v, [[0, 2, 3], [0, 3, 5, 8]]).to_tensor()),
    "map_flat_values": lambda tf, v: _parts(tf.ragged.map_flat_values(
        tf.multiply, tf.RaggedTensor.from_row_splits(v, SPLITS),
        tf.RaggedTensor.from_row_splits(v, SPLITS))),
    "getitem": lambda tf, v: (
        _parts(tf.RaggedTensor.from_row_splits(v, SPLITS)[1:3]),
        tf.RaggedTensor.from_row_splits(v, SPLITS)[0],
        tf.RaggedTensor.from_row_splits(v, SPLITS)[-2],
        tf.RaggedTensor.from_row_splits(v, SPLITS)[2, 1]),
    "gather": lambda tf, v: (
        _parts(tf.gather(tf.RaggedTensor.from_row_splits(v, SPLITS), [2, 0, 2])),
        _parts(tf.gather(tf.RaggedTensor.from_nested_row_splits(v, [[0, 2, 3], [0, 3, 5, 8]]),
                         [1, 0]))),
    "concat": lambda tf, v: (
        _parts(tf.concat([tf.RaggedTensor.from_row_splits(v, SPLITS),
                          tf.RaggedTensor.from_row_lengths(v[:3], [1, 2])], axis=0)),
        _parts(tf.concat([tf.ragged.constant([[[1.0], [2.0, 3.0]]]),
                          tf.ragged.constant([[[4.0]], []])], 0))),
    "merge_dims": lambda tf, v: (
        _parts(tf.ragged.constant([[[1], [2, 3]], [[4]]]).merge_dims(0, 1)),
        tf.RaggedTensor.from_row_splits(tf.reshape(v, [4, 2]), [0, 1, 4]).merge_dims(0, 1),
        tf.RaggedTensor.from_row_splits(tf.reshape(v, [4, 2]), [0, 1, 4]).merge_dims(0, 2)),
    "keras_predict_concat": lambda tf, v: (  # Keras's potentially_ragged_concat
        _parts(tf.ragged.constant([np.ones((2, 3, 4)), np.zeros((1, 5, 4))],
                                  inner_shape=(4,)).merge_dims(0, 1)),
        _parts(tf.ragged.constant([np.ones((2, 3)), np.zeros((1, 5))]).merge_dims(0, 1))),
    "cast": lambda tf, v: _parts(tf.cast(tf.RaggedTensor.from_row_splits(v, SPLITS),
                                         tf.float64)),
    "constant_inner": lambda tf, v: (
        _parts(tf.ragged.constant([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]], ragged_rank=1)),
        tf.ragged.constant([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]],
                           ragged_rank=1).to_tensor()),
    "constant_rank2": lambda tf, v: (
        _parts(tf.ragged.constant([[[1], [2, 3]], [[4]]])),
        tf.ragged.constant([[[1], [2, 3]], [[4]]]).to_tensor()),
    "segment_ids": lambda tf, v: (tf.ragged.row_splits_to_segment_ids([0, 2, 2, 5]),
                                  tf.ragged.segment_ids_to_row_splits([0, 0, 2, 2, 2])),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_ragged_programs_match_tf(real_tf, name):
    compare(real_tf, PROGRAMS[name], VALUES)


ERRORS = {
    "splits_zero": lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [1, 3]),
    "splits_last": lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2]),
    "splits_decreasing": lambda tf: tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 3, 2]),
    "lengths_sum": lambda tf: tf.RaggedTensor.from_row_lengths([1, 2, 3], [1, 1]),
    "depth": lambda tf: tf.ragged.constant([[1], [[2]]]),
    "private": lambda tf: tf.RaggedTensor([1], [0, 1]),
    "spec_rank": lambda tf: tf.RaggedTensorSpec(None, tf.int32),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_ragged_errors_match_tf(real_tf, name):
    same_program(real_tf, ERRORS[name])


def test_error_texts(real_tf):
    for name in ("splits_zero", "splits_last", "depth", "private"):
        messages = []
        for lib in (tapejax, real_tf):
            with pytest.raises(Exception) as info:
                ERRORS[name](lib)
            messages.append(str(info.value))
        assert messages[0] == messages[1], (name, messages)


def test_ragged_api(real_tf):
    for lib in (tapejax, real_tf):
        rt = lib.RaggedTensor.from_row_splits([3, 1, 4, 1, 5, 9, 2, 6], [0, 4, 4, 7, 8, 8])
        assert repr(rt) == "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>"
        assert rt.shape.as_list() == [5, None] and rt.dtype == lib.int32
        assert rt.ragged_rank == 1 and rt.row_splits.dtype == lib.int64
        assert lib.is_tensor(rt) and isinstance(rt, lib.__internal__.CompositeTensor)
        assert "ragged_tensor.RaggedTensor" in str(type(rt))  # Keras's is_ragged_tensor
        spec = lib.type_spec_from_value(rt)
        assert repr(spec) == "RaggedTensorSpec(TensorShape([5, None]), tf.int32, 1, tf.int64)"
        assert spec == lib.RaggedTensorSpec([5, None], lib.int32, 1)
        assert spec.is_compatible_with(rt) and spec.value_type is lib.RaggedTensor
        assert spec._serialize() == (lib.TensorShape([5, None]), lib.int32, 1, lib.int64)
        assert lib.RaggedTensorSpec([2, None, 3])._serialize()[2] == 2
        assert rt.to_list() == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
        c = lib.ragged.constant([[[1], [2, 3]], [[4]]])
        assert c.shape.as_list() == [2, None, None] and c.ragged_rank == 2
        assert repr(lib.ragged.constant([[1.0, 2.0], [3.0]])) == \
            "<tf.RaggedTensor [[1.0, 2.0], [3.0]]>"
        flat = lib.nest.flatten(rt, expand_composites=True)
        assert [f.numpy().tolist() for f in flat] == [[3, 1, 4, 1, 5, 9, 2, 6],
                                                      [0, 4, 4, 7, 8, 8]]


def test_ragged_as_function_argument():
    calls = []

    @tapejax.function
    def f(r):
        calls.append(1)
        return tapejax.ragged.map_flat_values(tapejax.square, r)

    out = f(tapejax.ragged.constant([[1.0, 2.0], [3.0]]))
    again = f(tapejax.ragged.constant([[4.0], [5.0, 6.0]]))
    assert len(calls) == 1
    assert out.to_list() == [[1.0, 4.0], [9.0]] and again.to_list() == [[16.0], [25.0, 36.0]]
