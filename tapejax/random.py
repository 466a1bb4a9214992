"""``tf.random``: stateful and stateless random numbers on ``jax.random`` keys.

Streams are JAX's (threefry), so numbers differ from TF's for the same seed; seeding rules,
shapes, dtypes and gradients (through ``mean``/``stddev``/``minval``/``maxval``) are TF's.
"""
from .ops.random_ops import (  # noqa: F401
    Generator as Generator, categorical as categorical,
    get_global_generator as get_global_generator, normal as normal,
    set_global_generator as set_global_generator, set_seed as set_seed, shuffle as shuffle,
    stateless_normal as stateless_normal, stateless_truncated_normal as stateless_truncated_normal,
    stateless_uniform as stateless_uniform, truncated_normal as truncated_normal,
    uniform as uniform,
)
