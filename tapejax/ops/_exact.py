"""Arithmetic rounded as TF's kernels round it, where XLA:CPU would round it differently.

XLA:CPU rewrites a division by a constant or a broadcast value into a multiplication by its
reciprocal (one ulp off in about a third of the elements) and fuses a multiply feeding an add
into one FMA (one rounding instead of two). Most ops keep XLA's arithmetic: their results agree
with TF's to an ulp, and so do sums, whose order differs anyway. These two are for formulas
whose exact values users read: ``tf.linspace``'s points, histogram bucket edges and counts.
"""
import jax.numpy as jnp
from jax import lax


def divide(x, y):
    """``x / y``, correctly rounded even where ``y`` is a constant or broadcast against ``x``
    (XLA does not rewrite a division by an array it cannot see through)."""
    shape = jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y))
    return x / lax.optimization_barrier(jnp.broadcast_to(y, shape))


def add_product(a, b, c):
    """``a + b * c`` with the product rounded first (as two TF ops), never one FMA."""
    product = b * c
    # LLVM does not contract a multiply and an add through a select.
    return a + jnp.where(jnp.isnan(product), jnp.nan, product)
