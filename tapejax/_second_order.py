"""Which comparisons connect second-order gradients, as in TF.

TF leaves a gradient unconnected from an input it reaches only through a comparison (the
gradients of ``maximum``, ``reduce_max``, ... select on one): ``_backprop`` reads the jaxpr of
a recorded gradient and does not follow boolean values. An op whose TF gradient is itself
differentiable in that input (``relu``: TF's ``ReluGradGrad`` gives zeros) declares it with
``comparisons_connect`` next to its registration; its JAX function then runs under a named
scope that the jaxpr keeps on every equation of its derivative.
"""
import functools

import jax

SCOPE = "tapejax_comparisons_connect"


def comparisons_connect(fn):
    """``fn`` (jitted; array arguments only), whose derivative's comparisons connect
    second-order gradients."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        with jax.named_scope(SCOPE):
            return fn(*args, **kwargs)
    return jax.jit(op)


def connects(eqn):
    """Whether the equation ``eqn`` lies in a ``comparisons_connect`` op's derivative."""
    return SCOPE in str(eqn.source_info.name_stack)
