"""``tf.random``'s candidate samplers and ``tf.nn.compute_accidental_hits``.

The samplers draw ``num_sampled`` int64 candidates from ``[0, range_max)`` and return, with them,
the expected counts TF's kernels compute: ``p * num_sampled``, or for ``unique=True`` draws that
needed more tries than ``num_sampled``, ``1 - (1 - p) ** num_tries`` (float32, as TF). The
candidates come from JAX's stream (seeded as ``tf.random.uniform``), so they differ from TF's;
the expected counts are TF's for the candidates drawn.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..tensor import Tensor, TensorLike
from ._fuse import fused
from .array_ops import concrete, invalid
from .core import apply, attr_int, attrs, tf_type_name, to_tensor
from .random_ops import STATE, _as_key

_MAX_SEED = 2147483647
_INT32_MAX = 2147483647
_LEARNED = {}


# --- argument conversion (TF's attribute rules) ----------------------------------------------
def _checked_seed(seed):
    """TF truncates the op seed (``seed % 2**31-1``): its ``TypeError`` for a string."""
    return None if seed is None else seed % _MAX_SEED


def _int64_input(value, index, op_name, converted=False):
    """An int64 kernel input: Python and NumPy values converted, a Tensor of another dtype the
    kernel's ``InvalidArgumentError`` (``converted``: TF's Python conversion ``ValueError``,
    its path when another input is a Python list)."""
    if isinstance(value, TensorLike):
        if value.dtype != dtypes.int64 and converted:
            raise ValueError(errors.CONVERSION_DTYPE.format(
                requested="int64", actual=value.dtype.name, value=value))
        if value.dtype != dtypes.int64:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op=op_name, index=index, expected="int64", got=tf_type_name(value.dtype)))
        return to_tensor(value)
    return to_tensor(value, dtypes.int64)


def _int_attr(value, what, op_name, minimum, bits=32):
    """An int attribute with TF's ``minimum``: its ``TypeError`` for a non-int and its
    ``InvalidArgumentError`` below the minimum."""
    if bits == 32:
        number = attr_int(value, what, op_name)
    elif isinstance(value, (str, bytes, list, tuple)) or np.ndim(value):
        raise TypeError(f"Expected int for argument '{what}' not {value!r}.")
    else:
        number = int(value)
    if number < minimum:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr '{what}' of {number} must be at least minimum {minimum} "
            f"[Op:{op_name}] name: "))
    return number


def _bool_attr(value, what):
    if not isinstance(value, bool):
        raise TypeError(f"Expected bool for argument '{what}' not {value!r}.")
    return value


def _float_attr(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"Expected float for argument '{what}' not {value!r}.")
    return float(value)


def _true_classes(true_classes, num_true, op_name):
    """``true_classes`` as TF's kernel checks it: an int64 ``[batch, num_true]`` matrix."""
    true_classes = _int64_input(true_classes, 0, op_name)
    if true_classes.ndim != 2:
        raise invalid("true_classes must be a matrix", op_name)
    if true_classes.shape[1] != num_true:
        raise invalid("true_classes must have num_true columns, expected: "
                      f"{true_classes.shape[1]} was: {num_true}", op_name)
    return true_classes


def _check_range(true_classes, range_max, op_name):
    values = concrete(true_classes)
    if values is None:
        return
    bad = values[(values < 0) | (values >= range_max)]
    if bad.size:
        raise invalid(f"`true_candidate` out of range [0, {range_max}), received {bad[0]}",
                      op_name)


# --- kernels ---------------------------------------------------------------------------------
def _draw(key, n, kind, range_max, cdf):
    if kind == "uniform":
        return jax.random.randint(key, (n,), 0, range_max, jnp.int64)
    u = jax.random.uniform(key, (n,), jnp.float64)
    if kind == "log_uniform":
        value = jnp.floor(jnp.exp(u * np.log1p(range_max))).astype(jnp.int64) - 1
        return value % range_max
    picked = jnp.searchsorted(cdf, u * cdf[-1], side="right")
    return jnp.minimum(picked, range_max - 1).astype(jnp.int64)


def _probability(values, kind, range_max, probs):
    if kind == "uniform":
        return jnp.full(values.shape, np.float32(1.0 / range_max))
    if kind == "log_uniform":
        v = values.astype(jnp.float64)
        return (jnp.log((v + 2.0) / (v + 1.0)) / np.log1p(range_max)).astype(jnp.float32)
    return probs[values]


def _unique_draws(key, n, draw):
    """TF's rejection loop: draw until ``n`` distinct values; returns them and the tries."""
    def body(state):
        key, batch, picked, tries = state
        key, sub = jax.random.split(key)
        value = draw(sub, 1)[0]
        new = ~jnp.any(batch == value)
        batch = jnp.where(new, batch.at[picked].set(value), batch)
        return key, batch, picked + new.astype(jnp.int32), tries + 1

    state = (key, jnp.full((n,), -1, jnp.int64), jnp.int32(0), jnp.int32(0))
    _, batch, _, tries = jax.lax.while_loop(lambda s: s[2] < n, body, state)
    return batch, tries


def _expected_count(p, n, tries):
    """TF's estimate: ``p * n`` when every try was kept, else ``1 - (1 - p) ** tries``."""
    estimate = -jnp.expm1(tries.astype(jnp.float32) * jnp.log1p(-p))
    return jnp.where(tries == n, p * np.float32(n), estimate).astype(jnp.float32)


@fused
def _sample(key, true_classes, probs, *, kind, num_sampled, unique, range_max):
    key = _as_key(key)
    probs = probs.astype(jnp.float32)
    cdf = jnp.cumsum(jnp.maximum(probs, 0).astype(jnp.float64))

    def draw(k, n):
        return _draw(k, n, kind, range_max, cdf)

    if unique:
        sampled, tries = _unique_draws(key, num_sampled, draw)
    else:
        sampled, tries = draw(key, num_sampled), jnp.int32(num_sampled)

    def expected(values):
        return _expected_count(_probability(values, kind, range_max, probs), num_sampled, tries)

    return sampled, expected(true_classes), expected(sampled)


@fused
def _all_candidates(true_classes, *, num_sampled):
    return (jnp.arange(num_sampled, dtype=jnp.int64), jnp.ones(true_classes.shape, jnp.float32),
            jnp.ones((num_sampled,), jnp.float32))


# --- samplers --------------------------------------------------------------------------------
def _candidates(kind, op_name, true_classes, num_true, num_sampled, unique, range_max, seed,
                probs=None):
    """The common path: TF's attribute and kernel checks, then one sampling kernel."""
    _checked_seed(seed)
    num_true = _int_attr(num_true, "num_true", op_name, 1)
    num_sampled = _int_attr(num_sampled, "num_sampled", op_name, 1)
    unique = _bool_attr(unique, "unique")
    range_max = _int_attr(range_max, "range_max", op_name, 1, bits=64)
    true_classes = _true_classes(true_classes, num_true, op_name)
    if unique and num_sampled > range_max:
        raise invalid("Sampler's range is too small.", op_name)
    _check_range(true_classes, range_max, op_name)
    if probs is None:
        probs = np.zeros((0,), np.float32)
    elif unique and np.count_nonzero(probs > 0) < num_sampled:
        raise invalid(f"Only {np.count_nonzero(probs > 0)} candidates have a positive "
                      f"weight: cannot draw {num_sampled} distinct ones", op_name)
    static = attrs(kind=kind, num_sampled=num_sampled, unique=unique, range_max=range_max)
    return apply(_sample, (STATE.key(seed), true_classes, Tensor(jnp.asarray(probs))), static,
                 op_name, differentiable=False)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                              seed=None, name=None):
    """``tf.random.uniform_candidate_sampler``: candidates uniform over ``[0, range_max)``."""
    return _candidates("uniform", "UniformCandidateSampler", true_classes, num_true,
                       num_sampled, unique, range_max, seed)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """``tf.random.log_uniform_candidate_sampler``: Zipfian candidates,
    ``P(k) = log((k + 2) / (k + 1)) / log(range_max + 1)``."""
    return _candidates("log_uniform", "LogUniformCandidateSampler", true_classes, num_true,
                       num_sampled, unique, range_max, seed)


def _unigram_probabilities(range_max, distortion, num_reserved_ids, num_shards, shard,
                           unigrams, op_name):
    """TF's ``FixedUnigramSampler`` weights: reserved ids weigh 0, the rest ``w**distortion``,
    keeping the ids of this ``shard`` only (counted from the reserved ids it kept)."""
    weights = [np.float32(0.0)] * sum(1 for i in range(num_reserved_ids)
                                       if i % num_shards == shard)
    word_id, total = len(weights), 0.0
    for w in unigrams:
        if word_id % num_shards == shard:
            w = np.power(np.float32(w), np.float32(distortion))
            total += float(w)
            weights.append(w)
        word_id += 1
    if len(weights) != range_max:
        raise invalid(f"range is {range_max} must be equal to weights size  {len(weights)}",
                      op_name)
    return (np.asarray(weights, np.float64) / total).astype(np.float32)


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """``tf.random.fixed_unigram_candidate_sampler`` from a ``unigrams`` list (reading counts
    from ``vocab_file`` is not implemented)."""
    op_name = "FixedUnigramCandidateSampler"
    if not isinstance(unigrams, (list, tuple)):
        raise TypeError("Expected list for 'unigrams' argument to "
                        f"'fixed_unigram_candidate_sampler' Op, not {unigrams!r}.")
    unigrams = [_float_attr(w, "unigrams") for w in unigrams]
    distortion = _float_attr(distortion, "distortion")
    num_reserved_ids = attr_int(num_reserved_ids, "num_reserved_ids", op_name)
    num_shards = _int_attr(num_shards, "num_shards", op_name, 1)
    shard = _int_attr(shard, "shard", op_name, 0)
    if not vocab_file and not unigrams:
        raise invalid("Must provide either vocab_file or unigrams.", op_name)
    if vocab_file and unigrams:
        raise invalid("Must only provide one of vocab_file and unigrams.", op_name)
    if vocab_file:
        raise NotImplementedError("fixed_unigram_candidate_sampler: `vocab_file` is not "
                                  "supported by tapejax; pass the counts as `unigrams`.")
    range_max = _int_attr(range_max, "range_max", op_name, 1, bits=64)
    probs = _unigram_probabilities(range_max, distortion, num_reserved_ids, num_shards, shard,
                                   unigrams, op_name)
    return _candidates("unigram", op_name, true_classes, num_true, num_sampled, unique,
                       range_max, seed, probs)


def _learned_state(num_true, num_sampled, unique, range_max, seed):
    """The counts a TF kernel with these attributes has learned: TF keeps one kernel (and its
    counts) per attributes and seeds; a global seed with no op seed gives each call new
    seeds, so a fresh kernel (None: nothing kept)."""
    if STATE.seed is not None and seed is None:
        return None, np.ones(range_max, np.int64)
    key = (num_true, num_sampled, unique, range_max, STATE.seed, seed)
    if key not in _LEARNED:
        _LEARNED[key] = np.ones(range_max, np.int64)
    return key, _LEARNED[key]


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                      seed=None, name=None):
    """``tf.random.learned_unigram_candidate_sampler``: candidates drawn in proportion to
    ``1 +`` how often each class was a true class in earlier calls with the same arguments
    and seed (TF's per-kernel state), the counts updated after each draw."""
    op_name = "LearnedUnigramCandidateSampler"
    _checked_seed(seed)
    if range_max > _INT32_MAX:
        raise ValueError(f"Value of range_max:{range_max} is too large to handle")
    range_max = _int_attr(range_max, "range_max", op_name, 1, bits=64)
    if range_max >= _INT32_MAX:
        raise invalid(f"range_max must be less than {_INT32_MAX} for unigram samplers, got "
                      f"{range_max}", op_name)
    key, counts = _learned_state(num_true, num_sampled, unique, range_max, seed)
    probs = counts.astype(np.float32) / np.float32(counts.sum())
    out = _candidates("unigram", op_name, true_classes, num_true, num_sampled, unique,
                      range_max, seed, probs)
    seen = concrete(_int64_input(true_classes, 0, op_name))
    if seen is None:
        raise NotImplementedError("learned_unigram_candidate_sampler needs concrete "
                                  "`true_classes` (it learns from their values): call it "
                                  "outside tapejax.function.")
    np.add.at(counts, seen.reshape(-1)[:max(0, _INT32_MAX - int(counts.sum()))], 1)
    return out


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """``tf.random.all_candidate_sampler``: the candidates ``0 .. num_sampled - 1``, every
    expected count 1 (``unique`` changes nothing, as in TF)."""
    op_name = "AllCandidateSampler"
    _checked_seed(seed)
    num_true = _int_attr(num_true, "num_true", op_name, 1)
    num_sampled = _int_attr(num_sampled, "num_sampled", op_name, 1)
    _bool_attr(unique, "unique")
    true_classes = _true_classes(true_classes, num_true, op_name)
    _check_range(true_classes, num_sampled, op_name)
    return apply(_all_candidates, (true_classes,), attrs(num_sampled=num_sampled), op_name,
                 differentiable=False)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """``tf.nn.compute_accidental_hits``: ``(indices int32, ids int64, weights float32)`` for
    each true class found among the sampled candidates (at its last position there), with
    weight ``-FLT_MAX``, in row-major order of ``true_classes``."""
    op_name = "ComputeAccidentalHits"
    _checked_seed(seed)
    num_true = attr_int(num_true, "num_true", op_name)
    inputs = (true_classes, sampled_candidates)
    listed = any(not isinstance(v, (TensorLike, np.ndarray)) for v in inputs)
    true_classes, sampled = (_int64_input(v, i, op_name, listed) for i, v in enumerate(inputs))
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise invalid("true_candidates must be a batch_size * num_true matrix", op_name)
    if sampled.ndim != 1:
        raise invalid("sampled_candidates must be a vector, which is typically an output "
                      "from CandidateSampler", op_name)
    position = {v: j for j, v in enumerate(np.asarray(sampled._value).tolist())}
    rows, ids = [], []
    for i, row in enumerate(np.asarray(true_classes._value).tolist()):
        for value in row:
            if value in position:
                rows.append(i)
                ids.append(position[value])
    weights = np.full(len(rows), np.finfo(np.float32).min, np.float32)
    return (Tensor(jnp.asarray(np.asarray(rows, np.int32))),
            Tensor(jnp.asarray(np.asarray(ids, np.int64))), Tensor(jnp.asarray(weights)))
