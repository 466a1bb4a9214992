"""``fused``: one compiled XLA call for an op whose JAX function has several primitives.

Eagerly, JAX runs (and first compiles) each primitive of a function separately; jitting the
op's function makes it one dispatch and one compilation per shape. Keyword-only parameters are
the op's static attributes. Inside ``jax.jit`` (gradient replay, ``tapejax.function``) the
nested jit is inlined, and the jitted function keeps one identity for the gradient cache.
"""
import inspect

import jax


def fused(fn):
    """``jax.jit(fn)`` with ``fn``'s keyword-only parameters static."""
    static = [name for name, p in inspect.signature(fn).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return jax.jit(fn, static_argnames=static)
