"""``tf.random``: random numbers from explicit ``jax.random`` keys.

Every stateful stream is a :class:`Generator` whose state is a non-trainable ``Variable``
holding a threefry key (int64 ``[2]``); each draw splits the key and writes one half back, so
inside ``tapejax.function`` the state is threaded like any other Variable. The global streams
(``tf.random.normal`` …) follow TF's seeding rules: ``tf.random.set_seed`` makes the sequence
of draws reproducible, an op-level ``seed`` gives that op its own reproducible stream, and with
no seed at all the stream is seeded from the operating system.

The numbers are JAX's, not TF's: the same seed gives a different (equally distributed) stream.
Samples are constants for the tape; only the affine ``mean``/``stddev``/``minval``/``maxval``
arguments carry gradients, as in TF.
"""
import enum
import os

import jax
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..tensor import Tensor, TensorLike, constant, convert_to_tensor
from ..variables import Variable
from ._fuse import fused
from .array_ops import _static_ints, concrete, invalid, require_dtype
from .core import apply, attrs, no_kernel, register, required_int, static_int, to_tensor
from .math_ops import add, divide, maximum, multiply, subtract

_DEFAULT_GRAPH_SEED = 87654321  # TF's seed when only an op-level seed is given
_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


def _seed_key(seed, salt):
    """A threefry key (int64 ``[2]``) from two Python ints (computed now, also while a
    ``tapejax.function`` is tracing: a Generator made there starts from a concrete state)."""
    with jax.ensure_compile_time_eval():
        key = jax.random.PRNGKey(np.int64(seed))
        for part in (salt & 0xFFFFFFFF, (salt >> 32) & 0xFFFFFFFF):
            key = jax.random.fold_in(key, np.uint32(part))
        return np.asarray(key).astype(np.int64)


def _entropy():
    return int.from_bytes(os.urandom(8), "little") >> 1


# --- samplers: (uint32 key, static attrs) -> array; not differentiable -----------------------
def _as_key(state):
    return state.astype(jnp.uint32)


@fused
def _normal(key, *, shape, dtype):
    return jax.random.normal(_as_key(key), shape, dtype)


@fused
def _uniform(key, *, shape, dtype):
    return jax.random.uniform(_as_key(key), shape, dtype)


@fused
def _uniform_int(key, low, high, *, shape, dtype):
    return jax.random.randint(_as_key(key), shape, low, high, dtype)


@fused
def _truncated_normal(key, *, shape, dtype):
    return jax.random.truncated_normal(_as_key(key), -2.0, 2.0, shape, dtype)


@fused
def _full_int(key, *, shape, dtype):
    unsigned = jnp.dtype(f"uint{jnp.dtype(dtype).itemsize * 8}")
    return jax.lax.bitcast_convert_type(jax.random.bits(_as_key(key), shape, unsigned), dtype)


@fused
def _categorical(key, logits, *, num_samples, dtype):
    draws = jax.random.categorical(_as_key(key), logits, axis=-1,
                                   shape=(num_samples, logits.shape[0]))
    return draws.T.astype(dtype)


@fused
def _shuffle(key, x):
    return jax.random.permutation(_as_key(key), x, axis=0, independent=False)


@fused
def _split_key(state, *, count):
    return jax.random.split(_as_key(state), count).astype(jnp.int64)


@fused
def _stateless_key(seed):
    seed = seed.astype(jnp.int64)
    key = jax.random.PRNGKey(seed[0])
    low = (seed[1] & 0xFFFFFFFF).astype(jnp.uint32)
    high = ((seed[1] >> 32) & 0xFFFFFFFF).astype(jnp.uint32)
    return jax.random.fold_in(jax.random.fold_in(key, low), high).astype(jnp.int64)


_SAMPLERS = {"normal": _normal, "uniform": _uniform, "truncated_normal": _truncated_normal}


def _shape(shape, dtype=None):
    shape = _static_ints(shape, "shape", dtype)
    for d in shape:
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0", "RandomStandardNormal")
    return shape


def _checked_dtype(dtype, accepted=_FLOATS):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in accepted:
        names = ", ".join(repr(d) for d in accepted)
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are "
                         f"({names}).")
    return dtype


def _affine(sample, scale, shift, dtype):
    """``sample * scale + shift`` through recorded ops (so ``scale``/``shift`` get gradients)."""
    if not (type(scale) in (int, float) and scale == 1):
        sample = multiply(sample, convert_to_tensor(scale, dtype))
    if not (type(shift) in (int, float) and shift == 0):
        sample = add(sample, convert_to_tensor(shift, dtype))
    return sample


def _draw(key, kind, shape, dtype):
    return apply(_SAMPLERS[kind], (key,), attrs(shape=shape, dtype=dtype.as_numpy_dtype),
                 kind, differentiable=False)


def _normal_like(kind, key, shape, mean, stddev, dtype):
    dtype = dtypes.as_dtype(dtype)
    for label, value in (("mean", mean), ("stddev", stddev)):
        if isinstance(value, TensorLike) and value.dtype != dtype:
            raise ValueError(f"{label}: " + errors.CONVERSION_DTYPE.format(
                requested=dtype.name, actual=value.dtype.name, value=value))
        if not isinstance(value, TensorLike):
            constant(value, dtype)  # TF's conversion errors for bad Python values
    dtype = _checked_dtype(dtype)
    return _affine(_draw(key(), kind, _shape(shape), dtype), stddev, mean, dtype)


_UNIFORM_DTYPES = _FLOATS + (dtypes.int32, dtypes.int64)


def _uniform_like(key, shape, minval, maxval, dtype, stateless=False):
    dtype = _checked_dtype(dtype, _UNIFORM_DTYPES)
    shape = _shape(shape)
    if dtype.is_integer:
        if stateless and (minval is None) != (maxval is None):
            raise ValueError(f"For integer `dtype` argument {dtype}, argument `minval` and "
                             f"`maxval` must be both None or not None. Got `minval`={minval} "
                             f"and `maxval`={maxval}.")
        if stateless and maxval is None:
            return apply(_full_int, (key(),), attrs(shape=shape, dtype=dtype.as_numpy_dtype),
                         "StatelessRandomUniformFullInt", differentiable=False)
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        low, high = to_tensor(minval, dtype), to_tensor(maxval, dtype)
        low_v, high_v = concrete(low), concrete(high)
        if low_v is not None and high_v is not None and np.any(low_v >= high_v):
            raise invalid(f"Need minval < maxval, got {low_v} >= {high_v}", "RandomUniformInt")
        return apply(_uniform_int, (key(), low, high),
                     attrs(shape=shape, dtype=dtype.as_numpy_dtype), "RandomUniformInt",
                     differentiable=False)
    maxval = 1 if maxval is None else maxval
    sample = _draw(key(), "uniform", shape, dtype)
    if type(minval) in (int, float) and type(maxval) in (int, float):
        return _affine(sample, maxval - minval, minval, dtype)
    low, high = convert_to_tensor(minval, dtype), convert_to_tensor(maxval, dtype)
    return add(multiply(sample, subtract(high, low)), low)


# --- Generator --------------------------------------------------------------------------------
class Generator:
    """``tf.random.Generator``: an independent random stream with its state in a Variable.

    The state is a threefry key stored as int64 ``[2]`` (TF's Philox state is int64 ``[3]``);
    ``alg`` is accepted and ignored. The streams are JAX's, not bit-identical to TF's.
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            state = copy_from.state.numpy()
        if state is None:
            raise ValueError("Must provide either `copy_from` or `state`.")
        self._alg = 1 if alg is None else alg
        self._state = Variable(np.asarray(state, np.int64), trainable=False, name="StateVar")

    @classmethod
    def from_seed(cls, seed, alg=None):
        return cls(state=_seed_key(int(seed), 0), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls.from_seed(_entropy(), alg)

    @classmethod
    def from_state(cls, state, alg):
        return cls(state=np.asarray(state), alg=alg)

    @property
    def state(self):
        return self._state

    @property
    def algorithm(self):
        return self._alg

    def reset(self, state):
        self._state.assign(np.asarray(state, np.int64))

    def reset_from_seed(self, seed):
        self._state.assign(_seed_key(int(seed), 0))

    def _next_key(self):
        halves = apply(_split_key, (self._state.read_value(),), attrs(count=2), "Split",
                       differentiable=False)
        self._state.assign(halves[0])
        return halves[1]

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples ``mean + stddev * N(0, 1)``."""
        return _normal_like("normal", self._key, shape, mean, stddev, dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal samples redrawn outside two standard deviations."""
        return _normal_like("truncated_normal", self._key, shape, mean, stddev, dtype)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        """Uniform samples in ``[minval, maxval)`` (``maxval`` is required for integers)."""
        return _uniform_like(self._key, shape, minval, maxval, dtype)

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None):
        """Integers uniform over the whole range of ``dtype``."""
        dtype = dtypes.as_dtype(dtype)
        return apply(_full_int, (self._key(),), attrs(shape=_shape(shape),
                                                      dtype=dtype.as_numpy_dtype),
                     "StatefulUniformFullInt", differentiable=False)

    def make_seeds(self, count=1):
        """``count`` seeds for the stateless ops, as an int64 ``[2, count]`` tensor."""
        bits = self.uniform_full_int([2, int(count)], dtypes.int64)
        return bits

    def split(self, count=1):
        """``count`` new, independent Generators (this one advances)."""
        keys = apply(_split_key, (self._key(),), attrs(count=int(count)), "Split",
                     differentiable=False)
        return [Generator(state=np.asarray(k)) for k in keys._value]

    def _key(self):
        return self._next_key()


class _GlobalState:
    """The seeds and the per-op-seed streams behind ``tf.random.normal`` and friends."""

    def __init__(self):
        self.seed = None
        self.streams = {}
        self.generator = None

    def key(self, op_seed):
        stream = self.streams.get(op_seed)
        if stream is None:
            if op_seed is None:
                seed = _entropy() if self.seed is None else self.seed
                state = _seed_key(seed, 0x5EED)
            else:
                seed = _DEFAULT_GRAPH_SEED if self.seed is None else self.seed
                state = _seed_key(seed, int(op_seed))
            stream = self.streams[op_seed] = _made_eagerly(lambda: Generator(state=state))
        return stream._next_key()


STATE = _GlobalState()


def _made_eagerly(make):
    """A process-wide generator made outside any trace, as TF makes it under ``init_scope``,
    even when first asked for while a function or a dataset's map is traced."""
    from ..framework import init_scope
    with init_scope(), jax.ensure_compile_time_eval():
        return make()


def set_seed(seed):
    """``tf.random.set_seed``: the draws that follow are reproducible (JAX's stream, not TF's)."""
    STATE.seed = None if seed is None else int(seed)
    STATE.streams.clear()


def get_global_generator():
    """``tf.random.get_global_generator`` (seeded from the OS unless set; not reset by
    ``set_seed``, as in TF)."""
    if STATE.generator is None:
        STATE.generator = _made_eagerly(Generator.from_non_deterministic_state)
    return STATE.generator


def set_global_generator(generator):
    """``tf.random.set_global_generator``."""
    STATE.generator = generator


def _op_key(seed):
    return lambda: STATE.key(seed)


# --- stateful ops -----------------------------------------------------------------------------
@register("random_normal", _normal, differentiable=False, tf_name="RandomStandardNormal")
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """``tf.random.normal``: ``mean + stddev * N(0, 1)``; gradients reach ``mean``/``stddev``."""
    return _normal_like("normal", _op_key(seed), shape, mean, stddev, dtype)


@register("truncated_normal", _truncated_normal, differentiable=False,
          tf_name="TruncatedNormal")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """``tf.random.truncated_normal``: normal samples within two standard deviations."""
    return _normal_like("truncated_normal", _op_key(seed), shape, mean, stddev, dtype)


@register("random_uniform", _uniform, differentiable=False, tf_name="RandomUniform")
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """``tf.random.uniform`` in ``[minval, maxval)``; ``maxval`` is required for integers."""
    return _uniform_like(_op_key(seed), shape, minval, maxval, dtype)


@register("categorical", _categorical, differentiable=False, tf_name="Multinomial")
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """``tf.random.categorical``: ``[batch, num_samples]`` class indices (int64 by default)."""
    logits = to_tensor(logits)
    no_kernel(logits.dtype, "Multinomial")
    num_samples = static_int(num_samples, "num_samples", "int32", op_name="Multinomial")
    dtype = _checked_dtype(dtypes.int64 if dtype is None else dtype, (dtypes.int32, dtypes.int64))
    if logits.ndim != 2:
        raise invalid(f"logits should be a matrix, got shape {logits.shape.as_list()}",
                      "Multinomial")
    return apply(_categorical, (STATE.key(seed), logits),
                 attrs(num_samples=num_samples, dtype=dtype.as_numpy_dtype), "Multinomial",
                 differentiable=False)


@register("random_shuffle", _shuffle, differentiable=False, tf_name="RandomShuffle")
def shuffle(value, seed=None, name=None):
    """``tf.random.shuffle``: a random permutation along the first axis (no gradient, as TF)."""
    x = to_tensor(value)
    if x.ndim == 0:
        return x
    return apply(_shuffle, (STATE.key(seed), x), (), "RandomShuffle", differentiable=False)


# --- stateless ops ----------------------------------------------------------------------------
def _stateless(seed):
    seed = to_tensor(seed)
    require_dtype(seed, ("int32", "int64"), "StatelessRandomGetKeyCounter", attr="Tseed")
    if seed.shape.as_list() != [2]:
        raise invalid(f"seed must have shape [2], not {seed.shape.as_list()}",
                      "StatelessRandomGetKeyCounter")
    key = apply(_stateless_key, (seed,), (), "StatelessRandomGetKeyCounter",
                differentiable=False)
    return lambda: key


@register("stateless_random_normal", _normal, differentiable=False,
          tf_name="StatelessRandomNormalV2")
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                     alg="auto_select"):
    """``tf.random.stateless_normal``: the same ``seed`` (int ``[2]``) gives the same numbers."""
    return _normal_like("normal", _stateless(seed), shape, mean, stddev, dtype)


@register("stateless_truncated_normal", _truncated_normal, differentiable=False,
          tf_name="StatelessTruncatedNormalV2")
def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                               name=None, alg="auto_select"):
    """``tf.random.stateless_truncated_normal``, a pure function of ``seed``."""
    return _normal_like("truncated_normal", _stateless(seed), shape, mean, stddev, dtype)


@register("stateless_random_uniform", _uniform, differentiable=False,
          tf_name="StatelessRandomUniformV2")
def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                      alg="auto_select"):
    """``tf.random.stateless_uniform``, a pure function of ``seed``; for integer dtypes
    ``minval=maxval=None`` gives integers over the full range."""
    return _uniform_like(_stateless(seed), shape, minval, maxval, dtype, stateless=True)


@register("stateless_categorical", _categorical, differentiable=False,
          tf_name="StatelessMultinomial")
def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """``tf.random.stateless_categorical``: :func:`categorical` as a function of ``seed``."""
    logits = to_tensor(logits)
    no_kernel(logits.dtype, "StatelessMultinomial")
    num_samples = static_int(num_samples, "num_samples", "int32", op_name="StatelessMultinomial")
    dtype = _checked_dtype(dtype, (dtypes.int32, dtypes.int64))
    if logits.ndim != 2:
        raise invalid(f"logits should be a matrix, got shape {logits.shape.as_list()}",
                      "StatelessMultinomial")
    return apply(_categorical, (_stateless(seed)(), logits),
                 attrs(num_samples=num_samples, dtype=dtype.as_numpy_dtype),
                 "StatelessMultinomial", differentiable=False)


def split(seed, num=2, alg="auto_select"):
    """``tf.random.split``: ``num`` new stateless seeds (shape ``[num, 2]``) from ``seed``."""
    seed = to_tensor(seed)
    return stateless_uniform([required_int(num, "num"), 2], seed, minval=None, maxval=None,
                             dtype=seed.dtype)


def fold_in(seed, data, alg="auto_select"):
    """``tf.random.fold_in``: a new stateless seed ``[derived, data]`` from ``seed``."""
    data = to_tensor(data)
    derived = stateless_uniform([], seed, minval=None, maxval=None, dtype=data.dtype)
    return Tensor(jnp.stack([derived._value, data._value]))


class Algorithm(enum.Enum):
    """``tf.random.Algorithm`` (accepted for compatibility; tapejax always uses threefry)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


# --- gamma and Poisson (stateful and stateless) -----------------------------------------------
@fused
def _gamma(key, alpha, *, shape, dtype):
    alpha = jnp.broadcast_to(alpha, shape).astype(dtype)
    return jax.random.gamma(_as_key(key), alpha, shape, dtype)


@fused
def _poisson(key, lam, *, shape, dtype):
    lam = jnp.broadcast_to(lam, shape)
    return jax.random.poisson(_as_key(key), lam, shape).astype(dtype)


def _gamma_like(key, shape, alpha, beta, dtype, stateless=False):
    dtype = _checked_dtype(dtype, (dtypes.float16, dtypes.float32, dtypes.float64))
    alpha = convert_to_tensor(alpha, dtype)
    params = tuple(alpha.shape)
    if beta is not None:
        beta = convert_to_tensor(beta, dtype)
        params = np.broadcast_shapes(params, tuple(beta.shape))
    # Gamma samples carry a gradient to alpha (implicit reparameterization, as TF).
    full = _shape(shape) if stateless else _shape(shape, "int32") + tuple(params)  # TF's rules
    sample = apply(_gamma, (key(), alpha), attrs(shape=full, dtype=dtype.as_numpy_dtype),
                   "RandomGamma")
    if beta is not None:
        sample = divide(sample, beta)
    return maximum(sample, Tensor(jnp.asarray(np.finfo(dtype.as_numpy_dtype).tiny,
                                              dtype.as_numpy_dtype)))


_POISSON_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _poisson_like(key, shape, lam, dtype, stateless=False):
    dtype = _checked_dtype(dtype, _POISSON_DTYPES)
    lam = to_tensor(lam)
    full = _shape(shape) if stateless else _shape(shape, "int32") + tuple(lam.shape)
    return apply(_poisson, (key(), lam), attrs(shape=full, dtype=dtype.as_numpy_dtype),
                 "RandomPoissonV2", differentiable=False)


@register("random_gamma", _gamma, tf_name="RandomGamma")
def gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """``tf.random.gamma``: ``shape + broadcast(alpha, beta).shape`` samples of
    Gamma(alpha, rate=beta); differentiable w.r.t. ``alpha`` and ``beta`` as in TF."""
    return _gamma_like(_op_key(seed), shape, alpha, beta, dtype)


@register("random_poisson", _poisson, tf_name="RandomPoissonV2", differentiable=False)
def poisson(shape, lam, dtype=dtypes.float32, seed=None, name=None):
    """``tf.random.poisson``: ``shape + lam.shape`` Poisson(lam) samples."""
    return _poisson_like(_op_key(seed), shape, lam, dtype)


@register("stateless_random_gamma", _gamma, tf_name="StatelessRandomGammaV3")
def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """``tf.random.stateless_gamma``: :func:`gamma` as a function of ``seed``; ``shape`` is
    the whole output shape (``alpha``/``beta`` broadcast to it), as in TF."""
    return _gamma_like(_stateless(seed), shape, alpha, beta, dtype, stateless=True)


@register("stateless_random_poisson", _poisson, differentiable=False,
          tf_name="StatelessRandomPoisson")
def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    """``tf.random.stateless_poisson``: :func:`poisson` as a function of ``seed``; ``shape``
    is the whole output shape, as in TF."""
    return _poisson_like(_stateless(seed), shape, lam, dtype, stateless=True)
