"""``tf.random``: reproducibility, distributions, dtypes/shapes and errors as TF.

TF's own random stream is not reproduced (tapejax draws from ``jax.random``), so values are
checked statistically; shapes, dtypes, seeding rules, gradients and errors are compared with TF.
"""
import jax
import numpy as np
import pytest

import tapejax as tf
from tf_oracle import same_error

N = 20000


@pytest.fixture(autouse=True)
def _fresh_global_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def test_set_seed_makes_the_sequence_reproducible():
    tf.random.set_seed(1234)
    first = [tf.random.uniform([3]).numpy(), tf.random.normal([2]).numpy()]
    tf.random.set_seed(1234)
    again = [tf.random.uniform([3]).numpy(), tf.random.normal([2]).numpy()]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(tf.random.uniform([3]).numpy(), first[0])


def test_op_seed_gives_its_own_reproducible_stream():
    tf.random.set_seed(5)
    a1, a2 = tf.random.uniform([4], seed=1).numpy(), tf.random.uniform([4], seed=1).numpy()
    b1 = tf.random.uniform([4], seed=2).numpy()
    tf.random.set_seed(5)
    tf.random.uniform([4])  # draws from other streams do not disturb seeded ones
    np.testing.assert_array_equal(tf.random.uniform([4], seed=1).numpy(), a1)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=1).numpy(), a2)
    assert not np.array_equal(a1, a2) and not np.array_equal(a1, b1)


def test_op_seed_alone_is_deterministic_and_no_seed_is_not():
    seeded = tf.random.normal([4], seed=3).numpy()
    unseeded = tf.random.normal([4]).numpy()
    tf.random.set_seed(None)
    np.testing.assert_array_equal(tf.random.normal([4], seed=3).numpy(), seeded)
    assert not np.array_equal(tf.random.normal([4]).numpy(), unseeded)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_normal_moments(dtype):
    x = tf.random.normal([N], mean=2.0, stddev=3.0, dtype=dtype, seed=1)
    assert x.dtype == dtype and x.shape == [N]
    values = x.numpy().astype(np.float64)
    assert abs(values.mean() - 2.0) < 0.1 and abs(values.std() - 3.0) < 0.1


def test_uniform_and_truncated_normal_laws():
    u = tf.random.uniform([N], minval=-1.0, maxval=3.0, seed=1).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = tf.random.truncated_normal([N], mean=1.0, stddev=2.0, seed=1).numpy()
    assert t.min() >= -3.0 and t.max() <= 5.0
    assert abs(t.mean() - 1.0) < 0.05 and abs(t.std() - 2.0 * 0.8796) < 0.05


def test_integer_uniform_covers_its_range():
    x = tf.random.uniform([N], minval=-2, maxval=3, dtype=tf.int64, seed=1)
    assert x.dtype == tf.int64
    np.testing.assert_array_equal(np.unique(x.numpy()), [-2, -1, 0, 1, 2])


def test_categorical_frequencies_follow_the_softmax():
    logits = np.log(np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]], np.float32))
    draws = tf.random.categorical(logits, N, seed=1)
    assert draws.dtype == tf.int64 and draws.shape == [2, N]
    freq = np.stack([np.bincount(row, minlength=3) / N for row in draws.numpy()])
    np.testing.assert_allclose(freq, np.exp(logits), atol=0.02)


def test_shuffle_permutes_rows():
    x = np.arange(40).reshape(20, 2)
    y = tf.random.shuffle(x, seed=1).numpy()
    assert not np.array_equal(x, y)
    np.testing.assert_array_equal(np.sort(y[:, 0]), x[:, 0])
    np.testing.assert_array_equal(y[:, 1], y[:, 0] + 1)


def test_stateless_ops_are_pure_functions_of_the_seed():
    a = tf.random.stateless_normal([5], seed=[1, 2]).numpy()
    np.testing.assert_array_equal(tf.random.stateless_normal([5], seed=[1, 2]).numpy(), a)
    assert not np.array_equal(tf.random.stateless_normal([5], seed=[1, 3]).numpy(), a)
    big = np.array([1, 2**40], np.int64)
    assert not np.array_equal(tf.random.stateless_uniform([3], seed=big).numpy(),
                              tf.random.stateless_uniform([3], seed=[1, 0]).numpy())
    t = tf.random.stateless_truncated_normal([N], seed=[3, 4]).numpy()
    assert np.abs(t).max() <= 2.0 and abs(t.std() - 0.8796) < 0.02


def test_stateless_normal_under_jit_matches_eager():
    def draw(seed):
        return tf.random.stateless_normal([3], seed=tf.Tensor(seed))._value
    seed = np.array([7, 8], np.int32)
    np.testing.assert_array_equal(jax.jit(draw)(seed), draw(seed))


def test_generator_streams():
    g = tf.random.Generator.from_seed(42)
    first = g.normal([3]).numpy()
    assert not np.array_equal(g.normal([3]).numpy(), first)
    np.testing.assert_array_equal(tf.random.Generator.from_seed(42).normal([3]).numpy(), first)
    g.reset_from_seed(42)
    np.testing.assert_array_equal(g.normal([3]).numpy(), first)
    copy = tf.random.Generator(copy_from=g)
    np.testing.assert_array_equal(copy.uniform([2]).numpy(), g.uniform([2]).numpy())
    children = g.split(2)
    assert len(children) == 2
    assert not np.array_equal(children[0].normal([3]).numpy(), children[1].normal([3]).numpy())
    assert not g.state.trainable and g.state.dtype == tf.int64
    seeds = g.make_seeds(4)
    assert seeds.dtype == tf.int64 and seeds.shape == [2, 4]
    ints = g.uniform([N], 0, 10, dtype=tf.int32).numpy()
    np.testing.assert_array_equal(np.unique(ints), np.arange(10))
    full = g.uniform_full_int([4])
    assert full.dtype == tf.uint64


def test_generator_state_is_a_variable_that_advances():
    g = tf.random.Generator.from_seed(1)
    before = g.state.numpy().copy()
    g.uniform([1])
    assert not np.array_equal(before, g.state.numpy())


def test_global_generator():
    g = tf.random.get_global_generator()
    assert tf.random.get_global_generator() is g
    mine = tf.random.Generator.from_seed(3)
    tf.random.set_global_generator(mine)
    assert tf.random.get_global_generator() is mine


def test_gradients_flow_to_the_distribution_parameters_only(real_tf):
    """As TF: samples are constants; mean/stddev/minval/maxval enter through ops."""
    mean, std = tf.constant(1.0), tf.constant(2.0)
    low, high = tf.constant(-1.0), tf.constant(3.0)
    logits = tf.constant([[0.0, 1.0]])
    values = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([mean, std, low, high, logits, values])
        normal = tf.random.normal([5], mean=mean, stddev=std)
        uniform = tf.random.uniform([5], minval=low, maxval=high)
        stateless = tf.random.stateless_normal([5], [1, 2], mean=mean, stddev=std)
        drawn = tf.random.categorical(logits, 3)
        shuffled = tf.random.shuffle(values)
    d_mean, d_std = tape.gradient(normal, [mean, std])
    assert float(d_mean) == 5.0
    # float32 sum against NumPy's float64 one: it can land near 0, so an absolute tolerance too
    np.testing.assert_allclose(float(d_std), np.sum((normal.numpy() - 1.0) / 2.0), rtol=1e-5,
                               atol=1e-6)
    d_low, d_high = tape.gradient(uniform, [low, high])
    fraction = (uniform.numpy() + 1.0) / 4.0
    np.testing.assert_allclose([float(d_low), float(d_high)],
                               [np.sum(1 - fraction), np.sum(fraction)], rtol=1e-5)
    assert float(tape.gradient(stateless, mean)) == 5.0
    assert tape.gradient(drawn, logits) is None and tape.gradient(shuffled, values) is None
    with real_tf.GradientTape(persistent=True) as their_tape:
        their_values = real_tf.constant([1.0, 2.0, 3.0])
        their_tape.watch(their_values)
        their_shuffled = real_tf.random.shuffle(their_values)
    assert their_tape.gradient(their_shuffled, their_values) is None


SPECS = {
    "normal": lambda tf: tf.random.normal([2, 3]),
    "normal_f64": lambda tf: tf.random.normal([2], dtype=tf.float64),
    "uniform_int": lambda tf: tf.random.uniform([4], 0, 5, dtype=tf.int32),
    "uniform_shape_tensor": lambda tf: tf.random.uniform(tf.constant([2, 2])),
    "truncated": lambda tf: tf.random.truncated_normal([3], dtype=tf.float16),
    "categorical": lambda tf: tf.random.categorical([[1.0, 2.0]], 3),
    "categorical_int32": lambda tf: tf.random.categorical([[1.0, 2.0]], 3, dtype=tf.int32),
    "shuffle_scalar": lambda tf: tf.random.shuffle(3.0),
    "stateless_normal": lambda tf: tf.random.stateless_normal([2], seed=[1, 2]),
    "stateless_uniform_int": lambda tf: tf.random.stateless_uniform(
        [2], seed=[1, 2], minval=0, maxval=3, dtype=tf.int32),
    "stateless_uniform_full": lambda tf: tf.random.stateless_uniform(
        [2], seed=[1, 2], minval=None, maxval=None, dtype=tf.int64),
    "generator_normal": lambda tf: tf.random.Generator.from_seed(1).normal([2]),
    "generator_uniform_int": lambda tf: tf.random.Generator.from_seed(1).uniform(
        [3], 0, 10, dtype=tf.int64),
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_dtypes_and_shapes_match_tensorflow(real_tf, case):
    ours, theirs = SPECS[case](tf), SPECS[case](real_tf)
    assert ours.dtype.name == theirs.dtype.name and ours.shape == theirs.shape


ERRORS = {
    "normal_int": lambda tf: tf.random.normal([2], dtype=tf.int32),
    "uniform_int_without_maxval": lambda tf: tf.random.uniform([2], dtype=tf.int32),
    "uniform_bool": (lambda tf: tf.random.uniform([2], dtype=tf.bool), False),
    "uniform_empty_range": lambda tf: tf.random.uniform([2], 5, 5, dtype=tf.int32),
    "negative_shape": lambda tf: tf.random.normal([-1]),
    "mean_dtype": lambda tf: tf.random.normal([2], mean=tf.constant(1.0, tf.float64)),
    "categorical_vector": lambda tf: tf.random.categorical([1.0, 2.0], 3),
    "categorical_dtype": (lambda tf: tf.random.categorical([[1.0, 2.0]], 3, dtype=tf.float32),
                          False),
    "stateless_seed_shape": lambda tf: tf.random.stateless_normal([2], seed=[1, 2, 3]),
    "stateless_float_seed": (lambda tf: tf.random.stateless_normal([2], seed=[1.0, 2.0]), False),
    "stateless_int_half_open": lambda tf: tf.random.stateless_uniform(
        [2], seed=[1, 2], dtype=tf.int32),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


# Gamma and Poisson samplers compile slowly: the tests share a few shapes so they compile once.
def _gamma(lib, seed=1):
    return lib.random.gamma([N], [1.0, 3.0], beta=[[2.0], [1.0]], seed=seed)


def _poisson(lib, seed=1):
    return lib.random.poisson([N], [2.0, 5.0], dtype=lib.int64, seed=seed)


def _stateless_gamma(lib, seed=(1, 2)):
    return lib.random.stateless_gamma([N, 2, 2], seed, [1.0, 3.0], beta=[[2.0], [1.0]])


def _stateless_poisson(lib, seed=(1, 2)):
    return lib.random.stateless_poisson([N, 2], seed, [2.0, 5.0])


def test_gamma_and_poisson_laws():
    for g in (_gamma(tf), _stateless_gamma(tf)):
        assert g.shape == [N, 2, 2] and g.dtype == tf.float32
        np.testing.assert_allclose(g.numpy().mean(axis=0), [[0.5, 1.5], [1.0, 3.0]], rtol=0.05)
    for p in (_poisson(tf), _stateless_poisson(tf)):
        assert p.shape == [N, 2]
        np.testing.assert_allclose(p.numpy().mean(axis=0), [2.0, 5.0], rtol=0.05)
        np.testing.assert_allclose(p.numpy().var(axis=0), [2.0, 5.0], rtol=0.1)


def test_gamma_is_reparameterized_in_alpha_and_beta():
    """d sample / d alpha averages to d mean / d alpha = 1 / beta; d / d beta to -alpha/beta^2."""
    alpha, beta = tf.constant([3.0, 3.0]), tf.constant([[2.0], [2.0]])
    with tf.GradientTape() as tape:
        tape.watch([alpha, beta])
        samples = tf.random.gamma([N], alpha, beta=beta, seed=2)
    d_alpha, d_beta = tape.gradient(samples, [alpha, beta])
    np.testing.assert_allclose(d_alpha.numpy() / (2 * N), 0.5, rtol=0.05)
    np.testing.assert_allclose(d_beta.numpy() / (2 * N), -0.75, rtol=0.05)


def test_stateless_extras_are_pure():
    for draw in (lambda s: tf.random.stateless_categorical([[0.0, 1.0, 2.0]], 8, s),
                 lambda s: _stateless_poisson(tf, s), lambda s: _stateless_gamma(tf, s)):
        np.testing.assert_array_equal(draw([1, 2]).numpy(), draw([1, 2]).numpy())
        assert not np.array_equal(draw([1, 2]).numpy(), draw([3, 2]).numpy())
    seeds = tf.random.split([1, 2], 3)
    assert seeds.shape == [3, 2] and len({tuple(s) for s in seeds.numpy()}) == 3
    folded = tf.random.fold_in([1, 2], 7)
    assert folded.numpy()[1] == 7
    assert tf.random.Algorithm.PHILOX.value == 1


MORE_SPECS = {
    "gamma": _gamma,
    "poisson": _poisson,
    "stateless_gamma": _stateless_gamma,
    "stateless_poisson": _stateless_poisson,
    "stateless_categorical": lambda tf: tf.random.stateless_categorical([[1.0, 2.0]], 3, [1, 2]),
    "split": lambda tf: tf.random.split([1, 2], 3),
    "split_int64": lambda tf: tf.random.split(tf.constant([1, 2], tf.int64)),
    "fold_in": lambda tf: tf.random.fold_in([1, 2], 7),
}


@pytest.mark.parametrize("case", sorted(MORE_SPECS))
def test_more_dtypes_and_shapes_match_tensorflow(real_tf, case):
    ours, theirs = MORE_SPECS[case](tf), MORE_SPECS[case](real_tf)
    assert ours.dtype.name == theirs.dtype.name and ours.shape == theirs.shape
