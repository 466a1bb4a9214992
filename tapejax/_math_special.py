"""``tf.math.special``: the special functions JAX provides (Bessel I, Dawson, Ei)."""
from .ops.special_ops import (
    bessel_i0 as bessel_i0,
    bessel_i0e as bessel_i0e,
    bessel_i1 as bessel_i1,
    bessel_i1e as bessel_i1e,
    dawsn as dawsn,
    expint as expint,
)
