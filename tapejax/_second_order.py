"""Which inputs a recorded JAX computation connects to its outputs, as TF's gradients see it.

TF leaves a gradient unconnected (``None``) from an input it reaches only through ops with no
gradient (``floor``, ``round``, ``stop_gradient``), through integer or boolean values (TF never
differentiates through them), or through a comparison (the gradients of ``maximum``,
``reduce_max``, ... select on one). ``dependence`` reads this off a jaxpr: ``_backprop`` uses it
for a recorded gradient (TF's second-order ``None``), ``_function_program`` for a
``tapejax.function`` call. An op whose TF gradient is itself differentiable through its
comparisons (``relu``: TF's ``ReluGradGrad`` gives zeros) declares it with
``comparisons_connect`` next to its registration; its JAX function then runs under a named
scope that the jaxpr keeps on every equation of its derivative.
"""
import functools

import jax
import jax.numpy as jnp

SCOPE = "tapejax_comparisons_connect"

_NOTHING: frozenset = frozenset()
_NOT_DIFFERENTIABLE = {"floor", "ceil", "round", "stop_gradient"}
_CALLS = {"jit", "pjit", "closed_call", "core_call", "remat2", "checkpoint"}


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


def dependence(jaxpr, in_deps=None, connecting=False):
    """Per output of ``jaxpr``, the set of input positions it depends on differentiably.

    Calls (nested ``jit``, ``remat``) and ``cond`` branches are followed,
    ``scan`` and ``while`` bodies to a fixed point over their carries; any other equation's
    floating outputs depend on all its inputs (its other outputs too, in the derivative of a
    ``comparisons_connect`` op): a ``custom_jvp``/``custom_vjp`` call's derivative need not
    follow its primal computation."""
    if in_deps is None:
        in_deps = [frozenset([k]) if _differentiable(v) else _NOTHING
                   for k, v in enumerate(jaxpr.invars)]
    env = dict(zip(jaxpr.invars, in_deps))

    def read(v):
        return _NOTHING if isinstance(v, jax.extend.core.Literal) else env.get(v, _NOTHING)
    for eqn in jaxpr.eqns:
        if eqn.primitive.name not in _NOT_DIFFERENTIABLE:
            outs = _equation(eqn, [read(v) for v in eqn.invars], connecting or connects(eqn))
            env.update(zip(eqn.outvars, outs))
    return [read(v) for v in jaxpr.outvars]


def _equation(eqn, ins, connecting):
    name, params = eqn.primitive.name, eqn.params
    if name in _CALLS:
        inner = _open(params.get("jaxpr"))
        if inner is not None and len(inner.invars) == len(ins) \
                and len(inner.outvars) == len(eqn.outvars):
            return dependence(inner, ins, connecting)
    elif name == "cond":  # ins[0] is the branch index
        per_branch = [dependence(_open(b), ins[1:], connecting) for b in params["branches"]]
        return [frozenset().union(*outs) for outs in zip(*per_branch)]
    elif name == "scan":
        consts, n_carry = params["num_consts"], params["num_carry"]
        body = _open(params["jaxpr"])
        carry = _fixed_point(body, ins[:consts], ins[consts:consts + n_carry],
                             ins[consts + n_carry:], connecting)
        return carry + dependence(body, ins[:consts] + carry + ins[consts + n_carry:],
                                  connecting)[n_carry:]
    elif name == "while":
        skip, consts = params["cond_nconsts"], params["body_nconsts"]
        return _fixed_point(_open(params["body_jaxpr"]), ins[skip:skip + consts],
                            ins[skip + consts:], [], connecting)
    deps = frozenset().union(*ins)
    return [deps if connecting or _differentiable(v) else _NOTHING for v in eqn.outvars]


def _fixed_point(body, consts, carry, xs, connecting):
    """The carries' dependence after any number of iterations of ``body``."""
    while True:
        outs = dependence(body, consts + carry + xs, connecting)
        grown = [c | o for c, o in zip(carry, outs)]
        if grown == carry:
            return carry
        carry = grown


def _open(closed):
    return getattr(closed, "jaxpr", closed)


def _differentiable(v):
    dtype = getattr(v.aval, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.inexact)
