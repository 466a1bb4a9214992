"""``tf.SparseTensor``, ``tf.SparseTensorSpec``, ``tf.TypeSpec`` and ``tf.sparse``: the same
programs under tapejax and TensorFlow 2.21 (values, ordering of entries, gradients w.r.t. the
values, exception classes)."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, same_program

A = ([[0, 0], [0, 2], [1, 1]], np.array([-1.0, 2.0, -3.0], np.float32), [2, 3])
B = ([[0, 1], [1, 1]], np.array([5.0, 0.0], np.float32), [2, 3])


def _parts(st):
    return st.indices, st.values, st.dense_shape


def _sp(tf, spec, values=None):
    indices, default_values, shape = spec
    return tf.SparseTensor(indices, default_values if values is None else values, shape)


PROGRAMS = {
    "to_dense": lambda tf, v: tf.sparse.to_dense(_sp(tf, A, v)),
    "to_dense_default": lambda tf, v: tf.sparse.to_dense(_sp(tf, A, v), default_value=7.0),
    "reduce_sum": lambda tf, v: (tf.sparse.reduce_sum(_sp(tf, A, v)),
                                 tf.sparse.reduce_sum(_sp(tf, A, v), 1),
                                 tf.sparse.reduce_sum(_sp(tf, A, v), -1, keepdims=True)),
    "reduce_sum_sparse": lambda tf, v: _parts(
        tf.sparse.reduce_sum(_sp(tf, A, v), 0, keepdims=True, output_is_sparse=True)),
    "reduce_sum_sparse_all": lambda tf, v: _parts(
        tf.sparse.reduce_sum(_sp(tf, A, v), output_is_sparse=True)),
    "reduce_max": lambda tf, v: (tf.sparse.reduce_max(_sp(tf, A, v)),
                                 tf.sparse.reduce_max(_sp(tf, A, v), 0),
                                 tf.sparse.reduce_max(_sp(tf, A, v), 1)),
    "reduce_max_sparse": lambda tf, v: _parts(
        tf.sparse.reduce_max(_sp(tf, A, v), 1, output_is_sparse=True)),
    "add_sparse": lambda tf, v: _parts(tf.sparse.add(_sp(tf, A, v), _sp(tf, B))),
    "add_dense": lambda tf, v: (tf.sparse.add(_sp(tf, A, v), tf.ones([2, 3])),
                                tf.sparse.add(tf.ones([2, 3]), _sp(tf, A, v))),
    "maximum": lambda tf, v: _parts(tf.sparse.maximum(_sp(tf, A, v), _sp(tf, B))),
    "minimum": lambda tf, v: _parts(tf.sparse.minimum(_sp(tf, A, v), _sp(tf, B))),
    "concat1": lambda tf, v: _parts(tf.sparse.concat(1, [_sp(tf, A, v), _sp(tf, B)])),
    "concat0": lambda tf, v: _parts(tf.sparse.concat(axis=0, sp_inputs=[_sp(tf, A, v),
                                                                         _sp(tf, B)])),
    "expand_dims": lambda tf, v: (_parts(tf.sparse.expand_dims(_sp(tf, A, v), -1)),
                                  _parts(tf.sparse.expand_dims(_sp(tf, A, v), 1))),
    "reshape": lambda tf, v: _parts(tf.sparse.reshape(_sp(tf, A, v), [3, -1])),
    "transpose": lambda tf, v: _parts(tf.sparse.transpose(_sp(tf, A, v))),
    "retain": lambda tf, v: _parts(tf.sparse.retain(_sp(tf, A, v), [True, False, True])),
    "reorder": lambda tf, v: _parts(tf.sparse.reorder(
        tf.SparseTensor([[1, 1], [0, 2], [0, 0]], v, [2, 3]))),
    "fill_empty_rows": lambda tf, v: (
        _parts(tf.sparse.fill_empty_rows(tf.SparseTensor([[0, 0], [2, 1], [2, 2]], v, [4, 3]),
                                         -7.0)[0]),
        tf.sparse.fill_empty_rows(tf.SparseTensor([[0, 0], [2, 1], [2, 2]], v, [4, 3]),
                                  -7.0)[1]),
    "matmul": lambda tf, v: tf.sparse.sparse_dense_matmul(
        _sp(tf, A, v), tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])),
    "matmul_adjoint": lambda tf, v: tf.sparse.sparse_dense_matmul(
        _sp(tf, A, v), tf.constant([[1.0, 2.0], [3.0, 4.0]]), adjoint_a=True),
    "matmul_dense_first": lambda tf, v: tf.sparse.sparse_dense_matmul(
        tf.constant([[1.0, 2.0], [3.0, 4.0]]), _sp(tf, A, v)),
    "mul_div": lambda tf, v: (_parts(_sp(tf, A, v) * tf.constant([1.0, 2.0, 3.0])),
                              _parts(_sp(tf, A, v) / tf.constant([2.0, 4.0, 8.0]))),
    "map_values": lambda tf, v: (_parts(tf.sparse.map_values(tf.square, _sp(tf, A, v))),
                                 _parts(tf.sparse.map_values(tf.add, _sp(tf, A, v),
                                                             _sp(tf, A, v)))),
    "cast": lambda tf, v: _parts(tf.cast(_sp(tf, A, v), tf.int32)),
    "with_values": lambda tf, v: _parts(_sp(tf, A).with_values(v * 2.0)),
}


# TF registers no gradient for these (LookupError); tapejax differentiates them (JAX's rule).
NO_TF_GRADIENT = {"maximum", "minimum", "reduce_max", "reduce_max_sparse", "reduce_sum_sparse",
                  "reduce_sum_sparse_all"}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_sparse_ops_match_tf(real_tf, name):
    compare(real_tf, PROGRAMS[name], np.array([1.5, -2.0, 3.0], np.float32),
            grad=name not in NO_TF_GRADIENT)


def test_gradient_through_sparse_ops(real_tf):
    def program(tf, v, w):
        s = tf.SparseTensor(A[0], v, A[2])
        return (tf.sparse.sparse_dense_matmul(s, w) ** 2, tf.sparse.reduce_sum(s) * 3.0,
                tf.sparse.to_dense(s, default_value=2.0) ** 2)
    compare(real_tf, program, np.array([1.0, 2.0, 3.0], np.float32),
            np.arange(6, dtype=np.float32).reshape(3, 2))


def test_bincount_matches_tf(real_tf):
    same_program(real_tf, lambda tf: _parts(
        tf.sparse.bincount([[1, 3, 1], [2, 2, 0]], axis=-1, minlength=5)))
    same_program(real_tf, lambda tf: _parts(tf.sparse.bincount([1, 3, 1])))
    same_program(real_tf, lambda tf: _parts(tf.sparse.from_dense([[0, 1], [2, 0]])))
    for binary in (False, True):  # Keras's sparse_bincount (CategoryEncoding, lookups)
        same_program(real_tf, lambda tf: _parts(tf.sparse.bincount(
            [1, 3, 1, 7], minlength=5, maxlength=5, axis=-1, binary_output=binary)))
        same_program(real_tf, lambda tf: _parts(tf.sparse.bincount(
            tf.constant([[1, 3, 1], [2, 2, 0]], tf.int64), weights=[[0.5, 1.0, 2.0],
                                                                     [1.0, 1.0, 3.0]],
            minlength=4, maxlength=4, axis=-1, binary_output=binary)))


ERRORS = {
    "nnz": lambda tf: tf.SparseTensor([[0, 0]], [1.0, 2.0], [3, 4]),
    "indices_rank": lambda tf: tf.SparseTensor([0, 0], [1.0], [3, 4]),
    "values_rank": lambda tf: tf.SparseTensor([[0, 0]], [[1.0]], [3, 4]),
    "rank_mismatch": lambda tf: tf.SparseTensor([[0, 0, 0]], [1.0], [3, 4]),
    "float_indices": lambda tf: tf.SparseTensor([[0.5, 0]], [1.0], [3, 4]),
    "int32_indices": lambda tf: tf.SparseTensor(tf.constant([[0, 0]]), [1.0], [3, 4]),
    "convert": lambda tf: tf.convert_to_tensor(tf.SparseTensor([[0, 0]], [1.0], [3, 4])),
    "plus": lambda tf: tf.SparseTensor([[0, 0]], [1.0], [3, 4]) + 1,
    "rmul": lambda tf: 2 * tf.SparseTensor([[0, 0]], [1.0], [3, 4]),
    "unordered": lambda tf: tf.sparse.to_dense(tf.SparseTensor([[1, 2], [0, 0]], [1., 2.],
                                                               [3, 4])),
    "repeated": lambda tf: tf.sparse.to_dense(tf.SparseTensor([[0, 0], [0, 0]], [1., 2.],
                                                              [3, 4])),
    "out_of_bounds": lambda tf: tf.sparse.to_dense(tf.SparseTensor([[0, 5]], [1.], [3, 4])),
    "not_sparse": lambda tf: tf.sparse.to_dense(tf.constant([1.0])),
    "add_shapes": lambda tf: tf.sparse.add(tf.SparseTensor([[0, 0]], [1.], [2, 2]),
                                           tf.SparseTensor([[0, 0]], [1.], [2, 3])),
    "reshape_size": lambda tf: tf.sparse.reshape(tf.SparseTensor([[0, 0]], [1.], [3, 4]),
                                                 [5, -1]),
    "concat_shapes": lambda tf: tf.sparse.concat(1, [tf.SparseTensor([[0, 0]], [1.], [3, 4]),
                                                     tf.SparseTensor([[0, 0]], [1.], [2, 4])]),
    "matmul_inner": lambda tf: tf.sparse.sparse_dense_matmul(
        tf.SparseTensor([[0, 0]], [1.], [3, 4]), tf.ones([3, 2])),
    "dense_broadcast": lambda tf: tf.SparseTensor([[0, 0]], [1.], [3, 4]) * tf.ones([2, 3, 4]),
    "retain_length": lambda tf: tf.sparse.retain(tf.SparseTensor([[0, 0]], [1.], [3, 4]),
                                                 [True, False]),
    "set_shape": lambda tf: tf.SparseTensor([[0, 0]], [1.], [3, 4]).set_shape([3, 5]),
    "from_value": lambda tf: tf.SparseTensor.from_value(3),
    "type_spec": lambda tf: tf.type_spec_from_value(object()),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_sparse_errors_match_tf(real_tf, name):
    same_program(real_tf, ERRORS[name])


def test_error_texts(real_tf):
    for name in ("nnz", "indices_rank", "unordered", "out_of_bounds", "add_shapes",
                 "set_shape", "from_value", "matmul_inner"):
        messages = []
        for lib in (tapejax, real_tf):
            with pytest.raises(Exception) as info:
                ERRORS[name](lib)
            messages.append(str(info.value).split("}} ", 1)[-1])
        assert messages[0] == messages[1], (name, messages)


def test_sparse_tensor_api(real_tf):
    for lib in (tapejax, real_tf):
        st = lib.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
        assert lib.is_tensor(st) and not isinstance(st, lib.Tensor)
        assert isinstance(st, lib.__internal__.CompositeTensor)
        assert st.shape.as_list() == [3, 4] and st.dtype == lib.float32
        assert st.indices.dtype == lib.int64 and st.dense_shape.dtype == lib.int64
        spec = lib.type_spec_from_value(st)
        assert repr(spec) == "SparseTensorSpec(TensorShape([3, 4]), tf.float32)"
        assert isinstance(spec, lib.TypeSpec) and isinstance(lib.TensorSpec([1]), lib.TypeSpec)
        assert spec == lib.SparseTensorSpec([3, 4], lib.float32)
        assert hash(spec) == hash(lib.SparseTensorSpec([3, 4]))
        assert spec.is_compatible_with(st) and spec.value_type is lib.SparseTensor
        assert spec.is_compatible_with(lib.SparseTensorSpec([None, 4]))
        assert not spec.is_compatible_with(lib.SparseTensorSpec([2, 4]))
        assert spec._serialize() == (lib.TensorShape([3, 4]), lib.float32)
        assert repr(spec._component_specs) == (
            "[TensorSpec(shape=(None, 2), dtype=tf.int64, name=None), TensorSpec(shape=(None,),"
            " dtype=tf.float32, name=None), TensorSpec(shape=(2,), dtype=tf.int64, name=None)]")
        assert repr(lib.type_spec_from_value(np.zeros(3))) == \
            "TensorSpec(shape=(3,), dtype=tf.float64, name=None)"
        assert repr(lib.SparseTensorSpec(None, lib.int64)) == \
            "SparseTensorSpec(TensorShape(None), tf.int64)"
        st.set_shape([None, 4])
        assert st.get_shape().as_list() == [3, 4]
    assert repr(tapejax.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])) == repr(
        real_tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4]))


def test_nest_expand_composites(real_tf):
    def program(tf):
        st = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
        flat = tf.nest.flatten({"a": st, "b": [tf.constant(3.0)]}, expand_composites=True)
        doubled = tf.nest.map_structure(lambda x: x * 2 if x.dtype == tf.float32 else x,
                                        st, expand_composites=True)
        packed = tf.nest.pack_sequence_as(st, tf.nest.flatten(st, expand_composites=True),
                                          expand_composites=True)
        return flat, _parts(doubled), _parts(packed)
    same_program(real_tf, program)
    st = tapejax.SparseTensor([[0, 0]], [1.0], [3, 4])
    assert tapejax.nest.flatten(st) == [st]


def test_sparse_tensor_as_function_argument():
    calls = []

    @tapejax.function
    def f(s, w):
        calls.append(1)
        return (tapejax.sparse.sparse_dense_matmul(s, w), tapejax.sparse.reduce_sum(s, 1),
                tapejax.sparse.transpose(s))

    w = tapejax.ones([4, 2])
    first = f(tapejax.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4]), w)
    second = f(tapejax.SparseTensor([[0, 1], [2, 2]], [3.0, 4.0], [3, 4]), w)
    assert len(calls) == 1  # same dense shape and number of entries: no retrace
    np.testing.assert_allclose(first[0].numpy(), [[1, 1], [2, 2], [0, 0]])
    np.testing.assert_allclose(second[1].numpy(), [3, 0, 4])
    assert isinstance(second[2], tapejax.SparseTensor)
    assert second[2].indices.numpy().tolist() == [[1, 0], [2, 2]]
    x = tapejax.Variable([1.0, 2.0])
    with tapejax.GradientTape() as tape:
        out = f(tapejax.SparseTensor([[0, 1], [2, 2]], x, [3, 4]), w)[0]
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), [2.0, 2.0])


def test_data_dependent_ops_refuse_traced_indices():
    @tapejax.function
    def f(s):
        return tapejax.sparse.add(s, s)
    with pytest.raises(NotImplementedError, match="static shapes"):
        f(tapejax.SparseTensor([[0, 0]], [1.0], [2, 2]))


def _row_partition(lib):
    if lib is tapejax:  # tf.experimental is assembled at merge time (keras-data's namespace)
        from tapejax.ragged_tensor import RowPartition
        return RowPartition
    return lib.experimental.RowPartition


def test_keras_sparse_batch_slicing(real_tf):
    """Keras's array adapter slices a SparseTensor into batches through RaggedTensors (its
    ``to_tensorflow_sparse_wrapper`` / ``slice_tensorflow_sparse_wrapper`` calls)."""
    def program(tf):
        sparse = tf.SparseTensor([[0, 1], [0, 3], [2, 0], [3, 2]], [1., 2., 3., 4.], [4, 5])
        splits = _row_partition(tf).from_value_rowids(
            sparse.indices[:, 0], nrows=sparse.dense_shape[0]).row_splits()
        ragged_indices = tf.cast(tf.RaggedTensor.from_row_splits(sparse.indices, splits),
                                 tf.int64)
        ragged_values = tf.RaggedTensor.from_row_splits(sparse.values, splits)
        out = []
        for rows in (slice(1, 3), [2, 0]):
            if isinstance(rows, slice):
                indices, values = ragged_indices[rows], ragged_values[rows]
            else:
                indices = tf.gather(ragged_indices, rows)
                values = tf.gather(ragged_values, rows)
            indices = tf.concat([tf.expand_dims(indices.value_rowids(), -1),
                                 indices.flat_values[:, 1:]], axis=1)
            batch = tf.SparseTensor(indices, values.flat_values,
                                    (2,) + tuple(sparse.shape.as_list()[1:]))
            out.append((_parts(batch), tf.sparse.to_dense(batch)))
        return out
    same_program(real_tf, program)


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn", None])
def test_embedding_lookup_sparse(real_tf, combiner):
    def program(tf, params, weights):
        ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 3, 0], tf.int64), [4, 2])
        sp_weights = tf.SparseTensor(ids.indices, weights, ids.dense_shape)
        return (tf.nn.embedding_lookup_sparse(params, ids, sp_weights, combiner=combiner),
                tf.nn.embedding_lookup_sparse(params, ids, None, combiner=combiner))
    compare(real_tf, program, np.arange(12, dtype=np.float32).reshape(4, 3),
            np.array([2.0, 0.5, 1.0], np.float32))


@pytest.mark.parametrize("default_id", [None, 2])
@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_safe_embedding_lookup_sparse(real_tf, combiner, default_id):
    """Invalid ids (< 0) dropped, non-positive weights dropped for mean/sqrtn, empty rows
    zeros or the default id's row, rank-3 ids; gradients w.r.t. params and weights."""
    def program(tf, params, weights):
        indices = [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1]]
        ids = tf.SparseTensor(indices, tf.constant([1, -1, 2, 0, 3], tf.int64), [4, 2])
        sp_weights = tf.SparseTensor(indices, weights, [4, 2])
        ids3 = tf.SparseTensor([[0, 0, 0], [0, 1, 0], [1, 1, 1]],
                               tf.constant([1, 2, 3], tf.int64), [2, 2, 2])
        lookup = tf.nn.safe_embedding_lookup_sparse
        return (lookup(params, ids, sp_weights, combiner=combiner, default_id=default_id),
                lookup([params], ids, None, combiner=combiner, default_id=default_id),
                lookup(params, ids3, combiner=combiner, default_id=default_id))
    compare(real_tf, program, np.arange(12, dtype=np.float32).reshape(4, 3),
            np.array([2.0, 1.0, 0.0, 1.0, 3.0], np.float32))


def test_keras_sparse_matmul_path(real_tf):
    """Keras's 2-D sparse @ dense: fill_empty_rows, then embedding_lookup_sparse of the
    column ids weighted by the values."""
    def program(tf, values, b):
        a = tf.SparseTensor([[0, 1], [2, 0], [2, 2]], values, [4, 3])
        a, _ = tf.sparse.fill_empty_rows(a, 0.0)
        ids = tf.SparseTensor(indices=a.indices, values=a.indices[:, 1],
                              dense_shape=a.dense_shape)
        return tf.nn.embedding_lookup_sparse(b, ids, a, combiner="sum")
    compare(real_tf, program, np.array([1.0, 2.0, 3.0], np.float32),
            np.arange(6, dtype=np.float32).reshape(3, 2))
