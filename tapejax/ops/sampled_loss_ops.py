"""``tf.nn.sampled_softmax_loss`` and ``tf.nn.nce_loss``, built from tapejax ops as TF builds
them (its ``_compute_sampled_logits``), so values and gradients follow TF's formulas.

Weights given as a list of shards are looked up with ``embedding_lookup`` (TF 2's "div"
strategy). Accidental hits are removed with a mask of the same value TF's
``compute_accidental_hits`` + ``sparse_to_dense`` give, so the losses also run traced.
"""
import numpy as np

from .. import dtypes
from . import array_ops, candidate_ops, math_ops, nn_ops
from .array_ops import invalid
from .core import to_tensor

_FLT_LOWEST = float(np.finfo(np.float32).min)


def _lookup(params, ids, dtype):
    """``embedding_lookup`` cast to the inputs' dtype, as TF does."""
    rows = nn_ops.embedding_lookup(params if isinstance(params, list) else [params], ids)
    return rows if rows.dtype == dtype else math_ops.cast(rows, dtype)


def _sum_rows(x):
    """TF's row sums, a product with a column of ones."""
    ones = array_ops.ones([x.shape[1], 1], x.dtype)
    return array_ops.reshape(math_ops.matmul(x, ones), [-1])


def _hit_mask(labels, sampled, num_true):
    """True where TF's ``compute_accidental_hits`` marks a hit: a row's true class at the
    last position of that class among the sampled candidates."""
    if labels.ndim != 2 or labels.shape[1] != num_true:
        raise invalid("true_candidates must be a batch_size * num_true matrix",
                      "ComputeAccidentalHits")
    if sampled.ndim != 1:
        raise invalid("sampled_candidates must be a vector, which is typically an output "
                      "from CandidateSampler", "ComputeAccidentalHits")
    count = sampled.shape[0]
    found = math_ops.reduce_any(math_ops.equal(
        array_ops.expand_dims(labels, 2), array_ops.reshape(sampled, [1, 1, -1])), axis=1)
    same = math_ops.equal(array_ops.expand_dims(sampled, 1), array_ops.expand_dims(sampled, 0))
    later = to_tensor(np.triu(np.ones((count, count), bool), 1))
    repeated = math_ops.reduce_any(math_ops.logical_and(same, later), axis=1)
    return math_ops.logical_and(found, math_ops.logical_not(repeated))


def _remove_hits(sampled_logits, labels, sampled, num_true, num_sampled):
    """``sampled_logits`` with ``-FLT_MAX`` (cast to their dtype) added at accidental hits."""
    hit = _hit_mask(labels, sampled, num_true)
    dtype = sampled_logits.dtype
    lowest = math_ops.cast(to_tensor(_FLT_LOWEST, dtypes.float32), dtype)
    zero = to_tensor(0.0, dtype)
    batch, count = sampled_logits.shape
    if count != num_sampled:
        raise invalid(f"Incompatible shapes: [{batch},{count}] vs. [{batch},{num_sampled}]",
                      "AddV2")
    return math_ops.add(sampled_logits, array_ops.where(hit, lowest, zero))


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, remove_accidental_hits, seed):
    """TF's ``_compute_sampled_logits`` (with ``subtract_log_q``): the logits of the true and
    sampled classes, each less the log of its expected count, and their target labels."""
    if labels.dtype != dtypes.int64:
        labels = math_ops.cast(labels, dtypes.int64)
    labels = to_tensor(labels)
    labels_flat = array_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = candidate_ops.log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed)
    sampled, true_count, sampled_count = (math_ops.stop_gradient(s) for s in sampled_values)
    sampled = math_ops.cast(sampled, dtypes.int64)
    dtype = dtypes.as_dtype(inputs.dtype)
    n = labels_flat.shape[0]
    all_w = _lookup(weights, array_ops.concat([labels_flat, sampled], 0), dtype)
    true_w = array_ops.slice(all_w, [0, 0], [n, -1])
    sampled_w = array_ops.slice(all_w, [n, 0], [-1, -1])
    sampled_logits = math_ops.matmul(inputs, sampled_w, transpose_b=True)
    all_b = _lookup(biases, array_ops.concat([labels_flat, sampled], 0), dtype)
    true_b = array_ops.slice(all_b, [0], [n])
    sampled_b = array_ops.slice(all_b, [n], [-1])
    dim = true_w.shape[1]
    dots = math_ops.multiply(array_ops.expand_dims(inputs, 1),
                             array_ops.reshape(true_w, [-1, num_true, dim]))
    true_logits = array_ops.reshape(_sum_rows(array_ops.reshape(dots, [-1, dim])),
                                    [-1, num_true])
    true_logits = math_ops.add(true_logits, array_ops.reshape(true_b, [-1, num_true]))
    sampled_logits = math_ops.add(sampled_logits, sampled_b)
    if remove_accidental_hits:
        sampled_logits = _remove_hits(sampled_logits, labels, sampled, num_true, num_sampled)
    true_logits = math_ops.subtract(true_logits, math_ops.log(true_count))
    sampled_logits = math_ops.subtract(sampled_logits, math_ops.log(sampled_count))
    logits = array_ops.concat([true_logits, sampled_logits], 1)
    targets = array_ops.concat([math_ops.divide(array_ops.ones_like(true_logits), num_true),
                                array_ops.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """``tf.nn.nce_loss``: per-example sums of the sigmoid cross-entropies of the true and
    sampled logits (candidates from ``log_uniform_candidate_sampler`` unless given)."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled,
                                      num_classes, num_true, sampled_values,
                                      remove_accidental_hits, None)
    losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    return _sum_rows(losses)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, seed=None,
                         name="sampled_softmax_loss"):
    """``tf.nn.sampled_softmax_loss``: the softmax cross-entropy over the true and sampled
    logits, per example (candidates from ``log_uniform_candidate_sampler`` unless given)."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled,
                                      num_classes, num_true, sampled_values,
                                      remove_accidental_hits, seed)
    return nn_ops.softmax_cross_entropy_with_logits(
        labels=math_ops.stop_gradient(targets), logits=logits)
