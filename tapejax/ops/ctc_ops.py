"""``tf.nn.ctc_loss``: the connectionist temporal classification loss as TF 2.x computes it.

TF has two paths, and both are matched. Dense padded ``labels`` (blank 0 by default) go
through TF's ``ctc_loss_dense``: impossible alignments are not ``inf`` but about 707, because
its end states other than the two of the label sequence weigh ``log(1e-307)``. A
``SparseTensor`` of labels goes through TF's ``CTCLoss`` kernel: exact CTC, ``inf`` for an
impossible alignment (whose gradient is the softmax), and the kernel's checks of the labels.

One forward recursion in a ``lax.scan`` serves both; the gradient is JAX's derivative of it,
which is TF's ``softmax - posterior`` where an alignment exists.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import dtypes, errors
from ..sparse_tensor import SparseTensor
from ..tensor import Tensor, TensorLike
from .array_ops import concrete, invalid
from .core import apply, attrs, require_type, static_int, tf_type_name, to_tensor

_LOG_0 = float(np.float32(np.log(1e-307)))  # TF's "log zero" for the end states (dense path)
_NEVER = -1e30  # log(0) inside the recursion: finite, so its derivative has no NaN
_LOGITS_TYPES = "half, bfloat16, float, double"
_LABEL_TYPES = "uint8, int8, int32, int64"


def _state_log_probs(logits, labels, *, dense):
    """Emission log probabilities of the states ``start, blank_0, label_1, blank_1, …`` ([T,
    B, 2L+2]); the blank is class 0. As TF's dense path, a label outside ``[0, classes)``
    emits with probability one, and such a label or one equal to the blank counts in the
    gradient only through the softmax (TF leaves it out of the posterior it subtracts)."""
    frames, batch, classes = logits.shape
    normalizer = jax.nn.logsumexp(logits, axis=-1, keepdims=True)
    log_probs = logits - normalizer
    index = jnp.broadcast_to(jnp.clip(labels, 0, classes - 1)[None], (frames,) + labels.shape)
    picked = jnp.take_along_axis(log_probs, index, axis=2)
    picked = jnp.where((labels >= 0) & (labels < classes), picked, 0.0)
    if dense:
        softmax_only = lax.stop_gradient(picked) - (normalizer - lax.stop_gradient(normalizer))
        picked = jnp.where((labels > 0) & (labels < classes), picked, softmax_only)
    never = jnp.full((frames, batch, 1), _NEVER, log_probs.dtype)
    label_states = jnp.concatenate([never, picked], axis=2)
    blank_states = jnp.broadcast_to(log_probs[:, :, :1], label_states.shape)
    return jnp.stack([label_states, blank_states], axis=3).reshape(frames, batch, -1)


def _log_likelihood(logits, labels, label_length, logit_length, *, end_weight, dense):
    """``log p(labels | logits)`` by the forward recursion over the frames each sequence has;
    states that do not end the label sequence end with weight ``end_weight`` (log)."""
    observed = _state_log_probs(logits, labels, dense=dense)
    frames, batch, states = observed.shape
    skips = jnp.zeros((batch, states), bool)
    if labels.shape[1]:
        skips = skips.at[:, 2].set(True)
        skips = skips.at[:, 4::2].set(labels[:, 1:] != labels[:, :-1])
    never = jnp.full((batch, 1), _NEVER, observed.dtype)

    def step(alpha, inputs):
        observed_t, t = inputs
        one_back = jnp.concatenate([never, alpha[:, :-1]], axis=1)
        two_back = jnp.concatenate([never, never, alpha[:, :-2]], axis=1)
        two_back = jnp.where(skips, two_back, _NEVER)
        moved = jnp.logaddexp(alpha, jnp.logaddexp(one_back, two_back)) + observed_t
        return jnp.where((t < logit_length)[:, None], moved, alpha), None

    start = jnp.full((batch, states), _NEVER, observed.dtype).at[:, 0].set(0.0)
    alpha, _ = lax.scan(step, start, (observed, jnp.arange(frames)))
    state = jnp.arange(states)[None]
    ends = 2 * label_length[:, None].astype(jnp.int32)
    weight = jnp.where((state == ends) | (state == ends + 1), 0.0, end_weight)
    return jax.nn.logsumexp(alpha + weight.astype(alpha.dtype), axis=1)


def _time_major(logits, time_major, blank):
    """Time-major logits with the blank class moved to index 0."""
    if not time_major:
        logits = jnp.swapaxes(logits, 0, 1)
    if blank:
        logits = jnp.concatenate(
            [logits[:, :, blank:blank + 1], logits[:, :, :blank], logits[:, :, blank + 1:]],
            axis=2)
    return logits


def _ctc_dense(logits, labels, label_length, logit_length, *, time_major, blank):
    wide = logits.dtype in (jnp.float16, jnp.bfloat16)
    values = _time_major(logits.astype(jnp.float32) if wide else logits, time_major, blank)
    if blank:
        labels = jnp.where(labels < blank, labels + 1, labels)
    log_likelihood = _log_likelihood(values, labels, label_length, logit_length,
                                     end_weight=_LOG_0, dense=True)
    if not labels.shape[1]:  # TF's transition table counts start -> blank twice here
        log_likelihood = jnp.where(logit_length > 0, log_likelihood + np.log(2.0),
                                   log_likelihood)
    loss = -log_likelihood
    return loss.astype(logits.dtype)


def _sparse_rows(indices, values, batch, width):
    """Dense ``[batch, width]`` labels and their lengths from a row-ordered SparseTensor;
    labels are the kernel's (blank last), shifted here to blank 0; trailing null labels
    (``>= classes - 1``) are dropped, as TF's kernel drops them."""
    rows = indices[:, 0].astype(jnp.int32)
    position = jnp.arange(rows.shape[0]) - jnp.searchsorted(rows, rows, side="left")
    dense = jnp.zeros((batch, width), jnp.int32).at[rows, position].set(values + 1, mode="drop")
    return dense


def _ctc_sparse(logits, indices, values, logit_length, *, time_major, blank, batch, width):
    wide = logits.dtype in (jnp.float16, jnp.bfloat16)
    values_t = _time_major(logits.astype(jnp.float32) if wide else logits, time_major, blank)
    classes = values_t.shape[2]
    shifted = jnp.where(values < blank, values, values - 1).astype(jnp.int32)
    real = shifted < classes - 1
    labels = _sparse_rows(indices, shifted, batch, width)
    rows = indices[:, 0].astype(jnp.int32)
    label_length = jnp.zeros((batch,), jnp.int32).at[rows].add(real.astype(jnp.int32),
                                                               mode="drop")
    log_likelihood = _log_likelihood(values_t, labels, label_length, logit_length,
                                     end_weight=_NEVER, dense=False)
    frames = jnp.arange(values_t.shape[0])[:, None] < logit_length[None]
    escape = jnp.sum(jnp.where(frames, jax.nn.logsumexp(values_t, axis=2), 0.0), axis=0)
    impossible = jnp.inf + (escape - lax.stop_gradient(escape))
    loss = jnp.where(log_likelihood > _NEVER / 2, -log_likelihood, impossible)
    return loss.astype(logits.dtype)


def _check_sparse_labels(indices, values, logit_length, frames, classes, blank):
    """The ``CTCLoss`` kernel's checks of concrete labels and lengths, with its messages."""
    for b, length in enumerate(logit_length.tolist()):
        if length < 0:
            raise invalid(f"seq_len({b}) < 0", "CTCLoss")
        if length > frames:
            raise invalid(f"sequence_length({b}) <= {frames}", "CTCLoss")
    keys = [tuple(i) for i in indices.tolist()]
    for n in range(1, len(keys)):
        if keys[n] <= keys[n - 1]:
            raise invalid(
                f"label SparseTensor is not valid: indices[{n}] = "
                f"[{','.join(map(str, keys[n]))}] is out of order. Many sparse ops require "
                "sorted indices.\n    Use `tf.sparse.reorder` to create a correctly ordered "
                "copy.\n\n", "CTCLoss")
    shifted = np.where(values < blank, values, values - 1)
    for b in range(len(logit_length)):
        row = shifted[indices[:, 0] == b].tolist()
        if not row:
            raise invalid(f"Labels length is zero in batch {b}", "CTCLoss")
        text = ",".join(map(str, row))
        if min(row) < 0:
            raise invalid(f"All labels must be nonnegative integers, batch: {b} labels: {text}",
                          "CTCLoss")
        nulls = [label >= classes - 1 for label in row]
        if all(nulls):
            raise NotImplementedError(
                f"tf.nn.ctc_loss: the labels of batch {b} are all null (>= num_classes - 1 "
                "after moving the blank last); TF's CTCLoss kernel gives such a row a loss "
                "tapejax does not reproduce")
        if True in nulls and not all(nulls[nulls.index(True):]):
            seen = ",".join(map(str, row[:nulls.index(True)]))
            raise invalid(
                "Saw a non-null label (index >= num_classes - 1) following a null label, "
                f"batch: {b} num_classes: {classes} labels: {text} labels seen so far: {seen}",
                "CTCLoss")


def _blank(blank_index, classes):
    blank = static_int(blank_index, "blank_index")
    return blank + classes if blank < 0 else blank


def _sparse_loss(labels, logits, logit_length, time_major, blank_index):
    if blank_index is None:
        raise ValueError("Argument `blank_index` must be provided when `labels` is a "
                         "`SparseTensor`.")
    blank = _blank(blank_index, logits.shape[2])
    indices, values = labels.indices, labels.values
    if values.dtype != dtypes.int32:
        raise invalid("cannot compute CTCLoss as input #2(zero-based) was expected to be a "
                      f"int32 tensor but is a {values.dtype.name} tensor", "CTCLoss")
    logit_length = to_tensor(logit_length)
    batch = logits.shape[1 if time_major else 0]
    known = [concrete(x) for x in (indices, values, logit_length)]
    if all(x is not None for x in known):
        frames = logits.shape[0 if time_major else 1]
        _check_sparse_labels(known[0], known[1], known[2].reshape(-1), frames,
                             logits.shape[2], blank)
    width = max(int(indices.shape[0]), 1)
    static = attrs(time_major=bool(time_major), blank=blank, batch=batch, width=width)
    return apply(_ctc_sparse, (logits, indices, values, logit_length), static, "CTCLoss")


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):
    """``tf.nn.ctc_loss`` (TF 2.x): the negative log probability of each label sequence
    (``[batch]``). Dense ``labels`` with ``label_length`` use blank 0 unless ``blank_index``
    says otherwise (negative counts from the last class); a ``SparseTensor`` needs
    ``blank_index``. ``unique`` (from ``tf.nn.ctc_unique_labels``) only makes TF faster; the
    loss does not depend on it. Logits of 16-bit floats are computed in float32, as TF."""
    logits = to_tensor(logits)
    require_type(logits, "LogSoftmax", _LOGITS_TYPES)
    if logits.ndim != 3:
        raise errors.InvalidArgumentError(None, None, (
            f"logits must be 3-dimensional ([frames, batch, classes]), got shape "
            f"{logits.shape} [Op:CTCLoss] name: "))
    if isinstance(labels, SparseTensor):
        return _sparse_loss(labels, logits, logit_length, logits_time_major, blank_index)
    if logits.dtype == dtypes.float64:
        raise invalid("cannot compute Mul as input #1(zero-based) was expected to be a double "
                      "tensor but is a float tensor", "Mul")
    labels = to_tensor(labels)
    label_length, logit_length = to_tensor(label_length), to_tensor(logit_length)
    if tf_type_name(labels.dtype) not in _LABEL_TYPES.split(", "):
        raise invalid(f"Value for attr 'TI' of {tf_type_name(labels.dtype)} is not in the list "
                      f"of allowed values: {_LABEL_TYPES}", "OneHot")
    frames, batch, classes = logits.shape if logits_time_major else (
        logits.shape[1], logits.shape[0], logits.shape[2])
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise invalid(f"Incompatible shapes: [{frames},{batch},1,{classes}] vs. "
                      f"[1,{','.join(map(str, labels.shape))},{classes}]", "Mul")
    blank = 0 if blank_index is None else _blank(blank_index, logits.shape[2])
    static = attrs(time_major=bool(logits_time_major), blank=blank)
    return apply(_ctc_dense, (logits, labels, label_length, logit_length), static, "CTCLoss")


def _needs_concrete(value, api):
    known = concrete(value)
    if known is None:
        raise TypeError(f"{api} needs concrete inputs: its output shape depends on the values, "
                        "which cannot be traced under jax.jit.")
    return known


def _sequence_lengths(sequence_length, batch, frames, op_name):
    lengths = to_tensor(sequence_length, dtypes.int32)
    if not lengths.dtype.is_integer:
        raise TypeError(f"Cannot convert {sequence_length!r} to EagerTensor of dtype int32")
    lengths = _needs_concrete(lengths, f"tf.nn.{op_name}").reshape(-1)
    if lengths.size != batch:
        raise errors.FailedPreconditionError(None, None, (
            f"len(sequence_length) != batch_size.  len(sequence_length):  {lengths.size} "
            f"batch_size: {batch} [Op:CTCGreedyDecoder]"))
    for b, length in enumerate(lengths.tolist()):
        if length > frames:
            raise errors.FailedPreconditionError(None, None, (
                f"sequence_length({b}) <= {frames} [Op:CTCGreedyDecoder]"))
    return np.maximum(lengths, 0)


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """``tf.nn.ctc_greedy_decoder``: the most likely class of each frame, blanks dropped and
    (with ``merge_repeated``) runs of one class merged, as TF's ``CTCGreedyDecoder``; returns
    ``([SparseTensor int64 [batch, longest]], neg_sum_logits [batch, 1])``. ``blank_index``
    defaults to the last class. Not differentiable, as in TF. Eager only: the output size
    depends on the values."""
    given = inputs
    inputs = to_tensor(inputs)
    if not isinstance(given, TensorLike) and not inputs.dtype.is_floating:
        inputs = to_tensor(given, dtypes.float32)  # the op's default type, as TF converts
    require_type(inputs, "CTCGreedyDecoder", "half, bfloat16, float, double")
    if inputs.ndim != 3:
        raise invalid("inputs is not a 3-Tensor", "CTCGreedyDecoder")
    frames, batch, classes = inputs.shape
    blank = classes - 1 if blank_index is None else static_int(blank_index, "blank_index")
    if not -classes <= blank < classes:
        raise invalid(f"blank_index expected to be between {-classes} and {classes - 1} but "
                      f"was {blank}", "CTCGreedyDecoder")
    blank %= classes
    lengths = _sequence_lengths(sequence_length, batch, frames, "ctc_greedy_decoder")
    values = _needs_concrete(inputs, "tf.nn.ctc_greedy_decoder")
    best, top = values.argmax(axis=2), values.max(axis=2)
    decoded, scores = [], []
    for b in range(batch):
        row, previous = [], blank
        for t in range(lengths[b]):
            label = int(best[t, b])
            if label != blank and not (merge_repeated and label == previous):
                row.append(label)
            previous = label
        decoded.append(row)
        scores.append(0.0 - top[:lengths[b], b].sum(dtype=top.dtype) + 0.0)
    indices = [[b, i] for b, row in enumerate(decoded) for i in range(len(row))]
    longest = max((len(row) for row in decoded), default=0)
    sparse = SparseTensor(np.array(indices, np.int64).reshape(-1, 2),
                     np.array([v for row in decoded for v in row], np.int64),
                     np.array([batch, longest], np.int64))
    neg_sum = np.array(scores, values.dtype).reshape(batch, 1)
    return [sparse], Tensor(jnp.asarray(neg_sum))


def _unique_labels(labels):
    same = labels[:, :, None] == labels[:, None, :]
    first_at = jnp.argmax(same, axis=2)
    first = first_at == jnp.arange(labels.shape[1])[None]
    rank = jnp.cumsum(first, axis=1) - 1
    index = jnp.take_along_axis(rank, first_at, axis=1).astype(jnp.int32)
    slot = jnp.where(first, rank, labels.shape[1])
    rows = jnp.arange(labels.shape[0])[:, None]
    unique = jnp.zeros(labels.shape, jnp.int64).at[rows, slot].set(
        labels.astype(jnp.int64), mode="drop")
    return unique, index


def ctc_unique_labels(labels, name=None):
    """``tf.nn.ctc_unique_labels``: per row, the distinct labels in order of first occurrence
    (int64, padded with 0) and each label's index among them (int32), for ``ctc_loss``'s
    ``unique``."""
    labels = to_tensor(labels)
    require_type(labels, "UniqueV2", "int32, int64")
    if labels.ndim != 2:
        raise ValueError(f"labels must be [batch, max_label_length], got shape {labels.shape}")
    return tuple(apply(_unique_labels, (labels,), (), "UniqueV2", differentiable=False))


def collapse_repeated(labels, seq_length, name=None):
    """``tf.nn.collapse_repeated``: each row's first ``seq_length`` labels with runs of one
    label merged, padded with 0 to the longest result; returns ``(labels, new_seq_length)``
    in the dtypes given. Eager only: the output width depends on the values."""
    labels, seq_length = to_tensor(labels), to_tensor(seq_length)
    rows = _needs_concrete(labels, "tf.nn.collapse_repeated")
    lengths = _needs_concrete(seq_length, "tf.nn.collapse_repeated").reshape(-1)
    collapsed = []
    for row, length in zip(rows, lengths.tolist()):
        kept = [v for i, v in enumerate(row[:max(length, 0)].tolist())
                if i == 0 or v != row[i - 1]]
        collapsed.append(kept)
    width = max((len(row) for row in collapsed), default=0)
    out = np.zeros((len(collapsed), width), rows.dtype)
    for b, row in enumerate(collapsed):
        out[b, :len(row)] = row
    new_lengths = np.array([len(row) for row in collapsed], lengths.dtype)
    return Tensor(jnp.asarray(out)), Tensor(jnp.asarray(new_lengths))
