"""Candidate samplers, ``compute_accidental_hits``, ``sampled_softmax_loss`` and ``nce_loss``
against TensorFlow 2.21.

The sampled candidates come from JAX's stream, so they are tested by their properties; the
expected counts are TF's formulas for the candidates drawn (exactly TF's for ``unique=False``,
where they depend on the class alone). The losses are compared with TF's, values and
gradients, for the same ``sampled_values``.
"""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, rng_for, same_program

TRUE = np.array([[1, 2], [3, 4], [0, 7]], np.int64)
FIXED = {"unigrams": [float(i) for i in range(1, 11)]}


def _samplers(lib):
    r = lib.random
    return {
        "log_uniform": lambda tc, nt, ns, u, seed=None: r.log_uniform_candidate_sampler(
            tc, nt, ns, u, 10, seed=seed),
        "uniform": lambda tc, nt, ns, u, seed=None: r.uniform_candidate_sampler(
            tc, nt, ns, u, 10, seed=seed),
        "fixed": lambda tc, nt, ns, u, seed=None: r.fixed_unigram_candidate_sampler(
            tc, nt, ns, u, 10, seed=seed, **FIXED),
        "fixed_distorted": lambda tc, nt, ns, u, seed=None: r.fixed_unigram_candidate_sampler(
            tc, nt, ns, u, 10, distortion=0.5, num_reserved_ids=2, seed=seed,
            unigrams=FIXED["unigrams"][:8]),
        "all": lambda tc, nt, ns, u, seed=None: r.all_candidate_sampler(tc, nt, 10, u, seed),
    }


def _probability(kind, values):
    values = np.asarray(values, np.float64)
    if kind == "log_uniform":
        return (np.log((values + 2) / (values + 1)) / np.log1p(10)).astype(np.float32)
    if kind == "uniform":
        return np.full(values.shape, np.float32(0.1))
    weights = np.arange(1, 11, dtype=np.float32)
    return (weights / weights.sum())[values.astype(int)].astype(np.float32)


@pytest.mark.parametrize("kind", ["log_uniform", "uniform", "fixed", "fixed_distorted", "all"])
@pytest.mark.parametrize("unique", [False, True])
def test_sampler_outputs_as_tensorflow(real_tf, kind, unique):
    """dtypes and shapes as TF's; with ``unique=False`` the true classes' expected counts
    equal TF's."""
    ours = _samplers(tapejax)[kind](TRUE, 2, 5, unique, seed=3)
    theirs = _samplers(real_tf)[kind](TRUE, 2, 5, unique, seed=3)
    for a, b in zip(ours, theirs):
        assert (a.dtype.name, tuple(a.shape)) == (b.dtype.name, tuple(b.shape))
    if not unique or kind == "all":
        np.testing.assert_allclose(ours[1].numpy(), theirs[1].numpy(), rtol=1e-6)


@pytest.mark.parametrize("kind", ["log_uniform", "uniform", "fixed"])
@pytest.mark.parametrize("unique", [False, True])
def test_sampled_candidates_and_counts(kind, unique):
    """Candidates in range (distinct when unique); counts follow TF's estimate: ``p * n``, or
    ``1 - (1 - p) ** tries`` for some ``tries >= n`` shared by all the outputs."""
    n = 6
    sampled, true_count, sampled_count = _samplers(tapejax)[kind](TRUE, 2, n, unique, seed=5)
    values = sampled.numpy()
    assert values.min() >= 0 and values.max() < 10
    if unique:
        assert len(set(values.tolist())) == n
    p_true, p_sampled = _probability(kind, TRUE), _probability(kind, values)
    if not unique or np.allclose(sampled_count.numpy(), p_sampled * n, rtol=1e-6):
        np.testing.assert_allclose(true_count.numpy(), p_true * np.float32(n), rtol=1e-6)
        np.testing.assert_allclose(sampled_count.numpy(), p_sampled * np.float32(n), rtol=1e-6)
        return
    for tries in range(n + 1, 10_000):
        estimate = -np.expm1(np.float32(tries) * np.log1p(-p_sampled))
        if np.allclose(sampled_count.numpy(), estimate, rtol=1e-5):
            break
    else:
        pytest.fail("no number of tries gives the sampled expected counts")
    np.testing.assert_allclose(true_count.numpy(), -np.expm1(tries * np.log1p(-p_true)),
                               rtol=1e-5)


def test_unique_draws_needing_retries_use_the_tries_estimate():
    """Drawing all ten classes (unique) takes more than ten tries: no count is ``p * n``."""
    _, true_count, sampled_count = tapejax.random.log_uniform_candidate_sampler(
        TRUE, 2, 10, True, 10, seed=1)
    counts = sampled_count.numpy()
    assert np.all(counts <= 1) and np.all(counts > 0)
    assert not np.allclose(counts, _probability("log_uniform", np.arange(10)) * 10)


def test_seeds_make_draws_reproducible():
    tapejax.random.set_seed(7)
    first = [tapejax.random.uniform_candidate_sampler(TRUE, 2, 5, False, 100)[0].numpy()
             for _ in range(2)]
    tapejax.random.set_seed(7)
    again = [tapejax.random.uniform_candidate_sampler(TRUE, 2, 5, False, 100)[0].numpy()
             for _ in range(2)]
    np.testing.assert_array_equal(first, again)
    tapejax.random.set_seed(None)
    a = tapejax.random.log_uniform_candidate_sampler(TRUE, 2, 5, True, 1000, seed=4)[0]
    b = tapejax.random.log_uniform_candidate_sampler(TRUE, 2, 5, True, 1000, seed=4)[0]
    assert a.shape == b.shape == (5,)


def test_sampler_distribution():
    """Log-uniform frequencies follow ``log((k + 2) / (k + 1)) / log(range + 1)``."""
    draws = tapejax.random.log_uniform_candidate_sampler(TRUE, 2, 20000, False, 10, seed=2)[0]
    freq = np.bincount(draws.numpy(), minlength=10) / 20000
    np.testing.assert_allclose(freq, _probability("log_uniform", np.arange(10)), atol=0.015)


def test_learned_unigram_learns_as_tensorflow(real_tf):
    """TF's kernel keeps counts across calls with the same arguments; so does tapejax."""
    labels = np.array([[1], [3], [7]], np.int64)
    for _ in range(3):
        ours = tapejax.random.learned_unigram_candidate_sampler(labels, 1, 3, False, 11,
                                                                seed=9)
        theirs = real_tf.random.learned_unigram_candidate_sampler(labels, 1, 3, False, 11,
                                                                  seed=9)
        np.testing.assert_allclose(ours[1].numpy(), theirs[1].numpy(), rtol=1e-6)


HITS = [
    (np.array([[1, 2], [3, 3], [0, 7]]), np.array([3, 1, 3, 9, 7]), 2),
    (np.array([[5]]), np.array([1, 2]), 1),
    (np.zeros((0, 2), np.int64), np.array([1, 2]), 2),
]


@pytest.mark.parametrize("case", range(len(HITS)))
def test_compute_accidental_hits(real_tf, case):
    true, sampled, num_true = HITS[case]
    same_program(real_tf, lambda tf: tf.nn.compute_accidental_hits(true, sampled, num_true))


BAD = {
    "rank1": lambda tf: tf.random.log_uniform_candidate_sampler([1, 2], 2, 5, False, 10),
    "columns": lambda tf: tf.random.uniform_candidate_sampler(TRUE, 3, 5, False, 10),
    "int32_tensor": lambda tf: tf.random.log_uniform_candidate_sampler(
        tf.constant(TRUE.astype(np.int32)), 2, 5, False, 10),
    "float_list": lambda tf: tf.random.log_uniform_candidate_sampler([[1.5, 2]], 2, 5, False, 10),
    "string": lambda tf: tf.random.log_uniform_candidate_sampler([["a", "b"]], 2, 5, False, 10),
    "none": lambda tf: tf.random.log_uniform_candidate_sampler(None, 2, 5, False, 10),
    "out_of_range": lambda tf: tf.random.log_uniform_candidate_sampler(TRUE, 2, 5, False, 5),
    "negative": lambda tf: tf.random.uniform_candidate_sampler(-TRUE, 2, 5, False, 10),
    "range_small": lambda tf: tf.random.log_uniform_candidate_sampler(TRUE, 2, 11, True, 10),
    "range_0": lambda tf: tf.random.log_uniform_candidate_sampler(TRUE, 2, 5, False, 0),
    "num_sampled_0": lambda tf: tf.random.uniform_candidate_sampler(TRUE, 2, 0, False, 10),
    "num_sampled_str": lambda tf: tf.random.uniform_candidate_sampler(TRUE, 2, "a", False, 10),
    "num_sampled_huge": lambda tf: tf.random.uniform_candidate_sampler(
        TRUE, 2, 2**40, False, 10),
    "unique_int": lambda tf: tf.random.log_uniform_candidate_sampler(TRUE, 2, 5, 1, 10),
    "seed_str": lambda tf: tf.random.log_uniform_candidate_sampler(TRUE, 2, 5, False, 10,
                                                                   seed="a"),
    "fixed_range": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 9, **FIXED),
    "fixed_nothing": lambda tf: tf.random.fixed_unigram_candidate_sampler(TRUE, 2, 5, False, 10),
    "fixed_both": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 10, vocab_file="v.txt", **FIXED),
    "fixed_strings": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 10, unigrams=["a"] * 10),
    "fixed_distortion": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 10, distortion="a", **FIXED),
    "fixed_shards_0": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 10, num_shards=0, **FIXED),
    "fixed_shard_5": lambda tf: tf.random.fixed_unigram_candidate_sampler(
        TRUE, 2, 5, False, 10, num_shards=2, shard=5, **FIXED),
    "learned_too_large": lambda tf: tf.random.learned_unigram_candidate_sampler(
        TRUE, 2, 5, False, 2**31),
    "all_too_few": lambda tf: tf.random.all_candidate_sampler(TRUE, 2, 5, False),
    "hits_rank": lambda tf: tf.nn.compute_accidental_hits([1, 2], [3, 1], 2),
    "hits_matrix": lambda tf: tf.nn.compute_accidental_hits([[1, 2]], [[3, 1]], 2),
    "hits_int32": lambda tf: tf.nn.compute_accidental_hits(tf.constant([[1, 2]]), [3, 1], 2),
    "hits_seed": lambda tf: tf.nn.compute_accidental_hits([[1, 2]], [3, 1], 2, seed="x"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sampler_input_raises_as_tensorflow(real_tf, case):
    same_program(real_tf, BAD[case])


def test_vocab_file_is_not_implemented():
    with pytest.raises(NotImplementedError, match="vocab_file"):
        tapejax.random.fixed_unigram_candidate_sampler(TRUE, 2, 5, False, 10,
                                                       vocab_file="vocab.txt")


# --- losses ----------------------------------------------------------------------------------
def _problem(num_true, batch=4, classes=12, dim=5, key=0):
    rng = rng_for("sampled", num_true, key)
    weights = rng.normal(size=(classes, dim)).astype(np.float32)
    biases = rng.normal(size=classes).astype(np.float32)
    inputs = rng.normal(size=(batch, dim)).astype(np.float32)
    labels = np.stack([rng.choice(classes, num_true, replace=False) for _ in range(batch)])
    return weights, biases, labels.astype(np.int64), inputs


def _sampled_values(real_tf, labels, num_true, num_sampled, classes, unique, seed):
    values = real_tf.random.log_uniform_candidate_sampler(labels, num_true, num_sampled,
                                                          unique, classes, seed=seed)
    return tuple(v.numpy() for v in values)


LOSS_CASES = [  # loss, num_true, num_sampled, unique, remove_accidental_hits
    ("sampled_softmax_loss", 1, 6, True, True),
    ("sampled_softmax_loss", 2, 8, True, True),
    ("sampled_softmax_loss", 1, 6, False, True),
    ("sampled_softmax_loss", 3, 8, True, False),
    ("nce_loss", 1, 6, True, False),
    ("nce_loss", 2, 8, False, False),
    ("nce_loss", 2, 8, True, True),
]


@pytest.mark.parametrize("loss, num_true, num_sampled, unique, remove", LOSS_CASES)
def test_loss_values_and_gradients(real_tf, loss, num_true, num_sampled, unique, remove):
    """Same per-example losses and gradients (weights, biases, inputs) as TF; the candidates
    include true classes (accidental hits) and, with unique=False, repeats."""
    weights, biases, labels, inputs = _problem(num_true)
    sampled = _sampled_values(real_tf, labels, num_true, num_sampled, 12, unique, seed=11)
    sampled = (np.concatenate([labels[:2, 0], sampled[0][2:]]),) + sampled[1:]
    if not unique:
        sampled = (np.concatenate([sampled[0][:-1], sampled[0][:1]]),) + sampled[1:]

    def program(tf, w, b, x):
        return getattr(tf.nn, loss)(w, b, labels, x, num_sampled, 12, num_true=num_true,
                                    sampled_values=sampled, remove_accidental_hits=remove)
    compare(real_tf, program, weights, biases, inputs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
def test_sharded_weights(real_tf, loss):
    """Weights as a list of shards ("div" strategy, as TF 2): same values and gradients."""
    weights, biases, labels, inputs = _problem(1)
    sampled = _sampled_values(real_tf, labels, 1, 6, 12, True, seed=2)

    def program(tf, w0, w1, w2, b, x):
        return getattr(tf.nn, loss)([w0, w1, w2], b, labels, x, 6, 12, sampled_values=sampled)
    compare(real_tf, program, weights[:4], weights[4:8], weights[8:], biases, inputs,
            rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
def test_weight_gradient_is_indexed_slices_or_dense_alike(real_tf, loss):
    """TF's weight gradient is IndexedSlices; tapejax's, made dense, has the same value."""
    weights, biases, labels, inputs = _problem(1)
    sampled = _sampled_values(real_tf, labels, 1, 6, 12, True, seed=4)
    grads = []
    for lib in (tapejax, real_tf):
        w = lib.Variable(weights)
        with lib.GradientTape() as tape:
            total = lib.reduce_sum(getattr(lib.nn, loss)(w, biases, labels, inputs, 6, 12,
                                                         sampled_values=sampled))
        grads.append(lib.convert_to_tensor(tape.gradient(total, w)).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
def test_losses_draw_their_own_candidates(loss):
    weights, biases, labels, inputs = _problem(2)
    out = getattr(tapejax.nn, loss)(weights, biases, labels, inputs, 6, 12, num_true=2)
    assert out.dtype == tapejax.float32 and out.shape == (4,)
    assert np.all(np.isfinite(out.numpy()))


def test_sampled_softmax_loss_in_function():
    weights, biases, labels, inputs = _problem(1)
    fn = tapejax.function(lambda w, x: tapejax.nn.sampled_softmax_loss(
        w, biases, labels, x, 5, 12, seed=3))
    out = fn(tapejax.constant(weights), tapejax.constant(inputs))
    assert out.shape == (4,) and np.all(np.isfinite(out.numpy()))


def _loss_bad(name, **kwargs):
    weights, biases, labels, inputs = _problem(1)
    args = {"weights": weights, "biases": biases, "labels": labels, "inputs": inputs,
            "num_sampled": 5, "num_classes": 12, "sampled_values": (
                np.array([0, 3, 4, 7, 9]), np.full((4, 1), 0.5, np.float32),
                np.full(5, 0.5, np.float32))}
    args.update(kwargs)
    return lambda tf: getattr(tf.nn, name)(**args)


LOSS_BAD = {
    "labels_rank1": {"labels": np.array([1, 2, 3, 4])},
    "labels_int32": {"labels": np.array([[1], [2], [3], [4]], np.int32)},
    "labels_float": {"labels": np.array([[1], [2], [3], [4]], np.float32)},
    "labels_list": {"labels": [[1], [2], [3], [4]]},
    "inputs_float64": {"inputs": np.ones((4, 5))},
    "inputs_int": {"inputs": np.ones((4, 5), np.int32)},
    "inputs_rank1": {"inputs": np.ones(5, np.float32)},
    "inputs_dim": {"inputs": np.ones((4, 3), np.float32)},
    "inputs_batch": {"inputs": np.ones((3, 5), np.float32)},
    "biases_2d": {"biases": np.ones((12, 1), np.float32)},
    "weights_int": {"weights": np.ones((12, 5), np.int32)},
    "num_true": {"num_true": 2},
    "sampled_values_2": {"sampled_values": (np.array([0, 3]), np.ones((4, 1), np.float32))},
    "range_small": {"sampled_values": None, "num_sampled": 13},
}


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
@pytest.mark.parametrize("case", sorted(LOSS_BAD))
def test_bad_loss_input_raises_as_tensorflow(real_tf, loss, case):
    same_program(real_tf, _loss_bad(loss, **LOSS_BAD[case]), rtol=1e-5, atol=1e-5)
