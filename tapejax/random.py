"""``tf.random``: stateful and stateless random numbers on ``jax.random`` keys.

Streams are JAX's (threefry), so numbers differ from TF's for the same seed; seeding rules,
shapes, dtypes and gradients (through ``mean``/``stddev``/``minval``/``maxval``) are TF's.
"""
from .ops.candidate_ops import (
    all_candidate_sampler as all_candidate_sampler,
    fixed_unigram_candidate_sampler as fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler as learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler as log_uniform_candidate_sampler,
    uniform_candidate_sampler as uniform_candidate_sampler,
)
from .ops.random_ops import (
    Algorithm as Algorithm,
    Generator as Generator,
    categorical as categorical,
    fold_in as fold_in,
    gamma as gamma,
    get_global_generator as get_global_generator,
    normal as normal,
    poisson as poisson,
    set_global_generator as set_global_generator,
    set_seed as set_seed,
    shuffle as shuffle,
    split as split,
    stateless_categorical as stateless_categorical,
    stateless_gamma as stateless_gamma,
    stateless_normal as stateless_normal,
    stateless_poisson as stateless_poisson,
    stateless_truncated_normal as stateless_truncated_normal,
    stateless_uniform as stateless_uniform,
    truncated_normal as truncated_normal,
    uniform as uniform,
)
