"""``tf.nn.ctc_loss`` against real TensorFlow: dense and sparse labels, blank positions,
sequence lengths, impossible alignments, gradients, dtypes, bad input, inside a function."""
import numpy as np
import pytest

import tapejax
from tf_oracle import rng_for, same_error, same_program

FRAMES, BATCH, CLASSES = 6, 3, 5
LOGIT_LENGTH = np.array([6, 4, 6], np.int32)


def logits(*key):
    return rng_for("ctc", *key).normal(size=(FRAMES, BATCH, CLASSES)).astype(np.float32)


def sparse(tf, rows, width=4):
    indices = [[b, i] for b, row in enumerate(rows) for i in range(len(row))]
    values = [v for row in rows for v in row]
    return tf.SparseTensor(np.array(indices, np.int64).reshape(-1, 2),
                           np.array(values, np.int32), [len(rows), width])


def loss_and_gradient(tf, x, make_loss):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = make_loss(tf, x)
    return loss, tape.gradient(loss, x)


DENSE = {
    "plain": ([[1, 2, 2, 0], [3, 1, 0, 0], [4, 3, 2, 1]], [3, 2, 2], {}),
    "repeats_need_blanks": ([[1, 1, 1, 0], [2, 2, 0, 0], [3, 0, 0, 0]], [3, 2, 1], {}),
    "impossible": ([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 4]], [3, 2, 4], {}),
    "blank_last": ([[1, 2, 2, 0], [3, 1, 0, 0], [0, 3, 2, 1]], [3, 2, 2], {"blank_index": -1}),
    "blank_middle": ([[1, 3, 3, 0], [4, 1, 0, 0], [0, 3, 4, 1]], [3, 2, 2], {"blank_index": 2}),
    "empty_label": ([[1, 2], [3, 1], [4, 3]], [0, 2, 1], {}),
    "label_is_blank": ([[1, 0], [3, 0], [4, 0]], [2, 1, 1], {}),
    "label_out_of_range": ([[1, 7], [3, 0], [-1, 0]], [2, 1, 1], {}),
    "length_past_labels": ([[1, 2], [3, 0], [4, 0]], [3, 1, 1], {}),
    "no_labels": (np.zeros((3, 0), np.int32), [0, 0, 0], {}),
}


@pytest.mark.parametrize("case", sorted(DENSE))
def test_dense_labels_loss_and_gradient(real_tf, case):
    labels, lengths, kwargs = DENSE[case]
    labels, lengths = np.array(labels, np.int32), np.array(lengths, np.int32)
    x = logits(case)
    same_program(real_tf, lambda tf: loss_and_gradient(
        tf, x, lambda tf, v: tf.nn.ctc_loss(labels, v, lengths, LOGIT_LENGTH, **kwargs)),
        rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("logit_length", [[6, 6, 6], [0, 4, 6], [7, 4, 6], [-1, 2, 3]])
def test_dense_labels_logit_lengths(real_tf, logit_length):
    labels = np.array([[1, 2], [3, 0], [4, 0]], np.int32)
    lengths, steps = np.array([1, 1, 2], np.int32), np.array(logit_length, np.int32)
    x = logits(tuple(logit_length))
    same_program(real_tf, lambda tf: loss_and_gradient(
        tf, x, lambda tf, v: tf.nn.ctc_loss(labels, v, lengths, steps)), rtol=2e-5, atol=2e-5)


def test_batch_major_and_int64_lengths(real_tf):
    labels = np.array([[1, 2], [3, 3], [4, 0]], np.int64)
    lengths, steps = np.array([2, 2, 1], np.int64), LOGIT_LENGTH.astype(np.int64)
    x = np.swapaxes(logits("batch"), 0, 1).copy()
    same_program(real_tf, lambda tf: loss_and_gradient(tf, x, lambda tf, v: tf.nn.ctc_loss(
        labels, v, lengths, steps, logits_time_major=False)), rtol=2e-5, atol=2e-5)


SPARSE = {
    "plain": ([[1, 2], [3], [4, 4, 1]], {"blank_index": 0}),
    "blank_last": ([[1, 2], [3, 3], [0, 2]], {"blank_index": -1}),
    "blank_middle": ([[1, 3], [4], [0, 1]], {"blank_index": 2}),
    "impossible": ([[1, 2], [3], [4, 4, 4, 4]], {"blank_index": 0}),
    "trailing_nulls": ([[1, 5, 9], [3, 5], [2]], {"blank_index": 0}),
}


@pytest.mark.parametrize("case", sorted(SPARSE))
def test_sparse_labels_loss_and_gradient(real_tf, case):
    rows, kwargs = SPARSE[case]
    x = logits("sparse", case)
    same_program(real_tf, lambda tf: loss_and_gradient(tf, x, lambda tf, v: tf.nn.ctc_loss(
        sparse(tf, rows), v, None, LOGIT_LENGTH, **kwargs)), rtol=2e-5, atol=2e-5)


def test_sparse_and_dense_labels_agree_where_alignments_exist():
    x = tapejax.constant(logits("agree"))
    rows = [[1, 2], [3, 3], [4]]
    dense = np.array([[1, 2], [3, 3], [4, 0]], np.int32)
    a = tapejax.nn.ctc_loss(sparse(tapejax, rows), x, None, LOGIT_LENGTH, blank_index=0)
    b = tapejax.nn.ctc_loss(dense, x, [2, 2, 1], LOGIT_LENGTH)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["bfloat16", "float64"])
def test_logit_dtypes(real_tf, dtype):
    x, rows = logits(dtype), [[1], [2, 1], [3]]
    same_program(real_tf, lambda tf: tf.nn.ctc_loss(
        sparse(tf, rows), tf.cast(x, dtype), None, LOGIT_LENGTH, blank_index=0), rtol=1e-2)
    same_program(real_tf, lambda tf: tf.nn.ctc_loss(
        np.array([[1, 0], [2, 1], [3, 0]], np.int32), tf.cast(x, dtype), [1, 2, 1],
        LOGIT_LENGTH), rtol=1e-2)


BAD = {
    "sparse_without_blank": lambda tf, x: tf.nn.ctc_loss(sparse(tf, [[1], [2], [3]]), x, None,
                                                         LOGIT_LENGTH),
    "sparse_label_equal_to_blank": lambda tf, x: tf.nn.ctc_loss(
        sparse(tf, [[1, 0], [2], [3]]), x, None, LOGIT_LENGTH, blank_index=0),
    "sparse_null_then_label": lambda tf, x: tf.nn.ctc_loss(
        sparse(tf, [[1, 5, 2], [2], [3]]), x, None, LOGIT_LENGTH, blank_index=0),
    "sparse_empty_row": lambda tf, x: tf.nn.ctc_loss(
        sparse(tf, [[1], [], [3]]), x, None, LOGIT_LENGTH, blank_index=0),
    "sparse_length_past_frames": lambda tf, x: tf.nn.ctc_loss(
        sparse(tf, [[1], [2], [3]]), x, None, [7, 4, 6], blank_index=0),
    "sparse_negative_length": lambda tf, x: tf.nn.ctc_loss(
        sparse(tf, [[1], [2], [3]]), x, None, [-1, 4, 6], blank_index=0),
    "sparse_unordered": lambda tf, x: tf.nn.ctc_loss(tf.SparseTensor(
        np.array([[1, 0], [0, 0], [2, 0]], np.int64), np.array([1, 2, 3], np.int32), [3, 2]),
        x, None, LOGIT_LENGTH, blank_index=0),
    "sparse_int64_values": lambda tf, x: tf.nn.ctc_loss(tf.SparseTensor(
        np.array([[0, 0], [1, 0], [2, 0]], np.int64), np.array([1, 2, 3], np.int64), [3, 2]),
        x, None, LOGIT_LENGTH, blank_index=0),
    "int_logits": lambda tf, x: tf.nn.ctc_loss(
        np.ones((3, 2), np.int32), tf.cast(x, tf.int32), [1, 1, 1], LOGIT_LENGTH),
    "float_labels": lambda tf, x: tf.nn.ctc_loss(
        np.ones((3, 2), np.float32), x, [1, 1, 1], LOGIT_LENGTH),
    "dense_float64_logits": lambda tf, x: tf.nn.ctc_loss(
        np.ones((3, 2), np.int32), tf.cast(x, tf.float64), [1, 1, 1], LOGIT_LENGTH),
    "dense_label_length_none": lambda tf, x: tf.nn.ctc_loss(
        np.ones((3, 2), np.int32), x, None, LOGIT_LENGTH),
    "dense_logit_length_none": lambda tf, x: tf.nn.ctc_loss(
        np.ones((3, 2), np.int32), x, [1, 1, 1], None),
    "dense_batch_mismatch": lambda tf, x: tf.nn.ctc_loss(
        np.ones((2, 2), np.int32), x, [1, 1], LOGIT_LENGTH),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_raises_tensorflows_class(real_tf, case):
    x = logits("bad")
    same_error(real_tf, lambda tf: BAD[case](tf, tf.constant(x)))


def test_sparse_kernel_messages():
    x = tapejax.constant(logits("messages"))
    with pytest.raises(tapejax.errors.InvalidArgumentError, match="Labels length is zero in "
                       "batch 1"):
        tapejax.nn.ctc_loss(sparse(tapejax, [[1], [], [3]]), x, None, LOGIT_LENGTH,
                            blank_index=0)
    with pytest.raises(tapejax.errors.InvalidArgumentError, match="All labels must be "
                       "nonnegative integers, batch: 0 labels: 0,-1"):
        tapejax.nn.ctc_loss(sparse(tapejax, [[1, 0], [2], [3]]), x, None, LOGIT_LENGTH,
                            blank_index=0)


@pytest.mark.parametrize("labels", ["dense", "sparse"])
def test_inside_a_function_with_a_tape_outside(real_tf, labels):
    x = logits("function", labels)

    def program(tf):
        @tf.function
        def loss(v, steps):
            if labels == "dense":
                return tf.nn.ctc_loss(np.array([[1, 2], [3, 3], [4, 0]], np.int32), v,
                                      [2, 2, 1], steps)
            return tf.nn.ctc_loss(sparse(tf, [[1, 2], [3, 3], [4]]), v, None, steps,
                                  blank_index=0)
        return loss_and_gradient(tf, x, lambda tf, v: loss(v, LOGIT_LENGTH))
    same_program(real_tf, program, rtol=2e-5, atol=2e-5)


def test_trains_a_model_as_tensorflow(real_tf):
    """A few SGD steps of a linear model under CTC give TF's losses."""
    rng = rng_for("ctc", "train")
    features = rng.normal(size=(FRAMES, BATCH, 4)).astype(np.float32)
    kernel = rng.normal(size=(4, CLASSES)).astype(np.float32) * 0.3
    labels = np.array([[1, 2], [3, 0], [2, 2]], np.int32)

    def program(tf):
        w = tf.Variable(kernel)
        losses = []
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.ctc_loss(
                    labels, tf.einsum("tbf,fc->tbc", features, w), [2, 1, 2], LOGIT_LENGTH))
            w.assign_sub(0.5 * tape.gradient(loss, w))
            losses.append(loss)
        return losses
    same_program(real_tf, program, rtol=1e-4, atol=1e-4)


def test_unique_labels_change_nothing(real_tf):
    """TF's ``unique`` only selects a faster path; tapejax's loss is TF's with or without."""
    labels = np.array([[1, 2, 1], [3, 3, 0], [4, 0, 0]], np.int32)
    unique = real_tf.nn.ctc_unique_labels(labels)
    unique = tuple(u.numpy() for u in unique)
    x = logits("unique")
    theirs = real_tf.nn.ctc_loss(labels, x, [3, 2, 1], LOGIT_LENGTH, unique=unique)
    ours = tapejax.nn.ctc_loss(labels, x, [3, 2, 1], LOGIT_LENGTH, unique=unique)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5)


DECODER_LOGITS = rng_for("ctc", "decoder").normal(size=(FRAMES, BATCH, 4)).astype(np.float32)
DECODERS = {
    "default": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [6, 4, 0]),
    "unmerged_blank_first": lambda tf: tf.nn.ctc_greedy_decoder(
        DECODER_LOGITS, [6, 4, 2], merge_repeated=False, blank_index=0),
    "negative_blank": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [6, 4, 2],
                                                          blank_index=-2),
    "float64": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS.astype(np.float64), [6, 4, 2]),
    "int_numpy": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS.astype(np.int32), [6, 4, 2]),
    "int64_lengths": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS,
                                                         np.array([6, 4, 2], np.int64)),
    "all_blank": lambda tf: tf.nn.ctc_greedy_decoder(
        np.tile(np.array([0, 0, 0, 5.0], np.float32), (FRAMES, BATCH, 1)), [6, 4, 2]),
    "length_past_frames": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [7, 4, 2]),
    "lengths_not_batch": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [6, 4]),
    "rank_2": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS[0], [6, 4, 2]),
    "blank_out_of_range": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [6, 4, 2],
                                                              blank_index=4),
    "float_lengths": lambda tf: tf.nn.ctc_greedy_decoder(DECODER_LOGITS, [6.0, 4.0, 2.0]),
}


def _decoded(result):
    (sparse,), neg_sum = result
    return sparse.indices, sparse.values, sparse.dense_shape, neg_sum


@pytest.mark.parametrize("case", sorted(DECODERS))
def test_greedy_decoder_as_tensorflow(real_tf, case):
    same_program(real_tf, lambda tf: _decoded(DECODERS[case](tf)))


def test_unique_labels_and_collapse_repeated_as_tensorflow(real_tf):
    labels = np.array([[1, 2, 1, 3], [3, 3, 0, 0], [0, 0, 0, 0]], np.int32)
    runs = np.array([[1, 1, 2, 2, 2, 3], [4, 4, 4, 1, 1, 0], [5, 5, 5, 5, 0, 0]], np.int32)
    same_program(real_tf, lambda tf: tf.nn.ctc_unique_labels(labels))
    same_program(real_tf, lambda tf: tf.nn.ctc_unique_labels(labels.astype(np.int64)))
    same_program(real_tf, lambda tf: tf.nn.collapse_repeated(runs, [6, 4, 3]))
    same_program(real_tf, lambda tf: tf.nn.collapse_repeated(
        runs.astype(np.int64), np.array([2, 1, 0], np.int64)))


def test_unique_labels_inside_a_function(real_tf):
    labels = np.array([[4, 2, 4, 2, 7]], np.int32)
    same_program(real_tf, lambda tf: tf.function(tf.nn.ctc_unique_labels)(labels))


def test_greedy_decoder_is_not_differentiable(real_tf):
    def program(tf):
        x = tf.constant(DECODER_LOGITS)
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, neg_sum = tf.nn.ctc_greedy_decoder(x, [6, 4, 2])
        return tape.gradient(neg_sum, x)
    same_program(real_tf, program)


def test_a_row_of_only_null_labels_is_refused():
    """TF's kernel gives such a row a loss that is neither the empty sequence's nor a
    blank label's; tapejax says so instead of giving another number."""
    x = tapejax.constant(logits("nulls"))
    with pytest.raises(NotImplementedError, match="batch 1 are all null"):
        tapejax.nn.ctc_loss(sparse(tapejax, [[1], [5, 6], [3]]), x, None, LOGIT_LENGTH,
                            blank_index=0)
