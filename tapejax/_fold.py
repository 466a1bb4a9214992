"""Constant folding of a traced scalar: the value of a JAX tracer that depends on constants only.

Inside ``tapejax.function`` every op is staged, so even ``tf.reduce_max(7)`` is a tracer, where
TF's graph would fold it to a constant. Some arguments must be concrete in JAX (a loop's trip
count sets the length of a ``lax.scan``); :func:`folded_value` recovers such a value by walking
the equations that made the tracer back to literals and captured constants and evaluating them,
and gives None when the value depends on a traced input (or on an effect), or when the walk
finds a tracer that is not a plain ``jax.jit`` staging tracer.
"""
import jax
import numpy as np
from jax.extend.core import jaxpr_as_fun

_MAX_EQUATIONS = 256  # the folding is for small index arithmetic, never a whole program


def folded_value(tracer):
    """The tracer's value as a NumPy array, or None when it is not made of constants only."""
    try:
        return _fold(tracer, {}, [0])
    except _NotConstant:
        return None


class _NotConstant(Exception):
    pass


def _fold(tracer, done, count):
    if not isinstance(tracer, jax.core.Tracer):
        return np.asarray(tracer)
    get_const = getattr(tracer, "get_const", None)
    if get_const is None:
        raise _NotConstant
    try:
        value = get_const()
    except Exception:  # a tracer kind whose constants cannot be read
        raise _NotConstant from None
    if value is not None and not isinstance(value, jax.core.Tracer):
        return np.asarray(value)
    eqn = getattr(tracer, "parent", None)
    if eqn is None or eqn.effects:
        raise _NotConstant
    key = id(eqn)
    if key not in done:
        count[0] += 1
        if count[0] > _MAX_EQUATIONS:
            raise _NotConstant
        inputs = [_fold(t, done, count) for t in eqn.in_tracers]
        try:
            with jax.ensure_compile_time_eval():
                out = _evaluate(eqn, inputs)
        except Exception:  # no evaluation rule: a symbolic dimension (``dim_as_value``)
            raise _NotConstant from None
        done[key] = list(out) if eqn.primitive.multiple_results else [out]
    try:
        index = eqn.outvars.index(tracer.val)
    except (AttributeError, ValueError):
        raise _NotConstant from None
    value = done[key][index]
    if isinstance(value, jax.core.Tracer):
        raise _NotConstant
    return np.asarray(value)


def _evaluate(eqn, inputs):
    """The equation's outputs on concrete inputs. A custom derivative rule (``tf.minimum``'s,
    say) is evaluated through the function it wraps: its primitive binds a function object,
    not the arrays the equation records."""
    inner = eqn.params.get("call_jaxpr") if eqn.primitive.name == "custom_jvp_call" else None
    if inner is None:
        return eqn.primitive.bind(*inputs, **eqn.params)
    return jaxpr_as_fun(inner)(*inputs)


def offset_from(value, base):
    """``k`` when the trace computed the integer scalar ``value`` as ``base + k`` with ``k``
    made of constants (``x[s:s + 24]`` with ``s`` drawn at random), else None. Only an
    ``add`` (the primitive, or ``tf.add``'s program: an ``add`` of its operands, each maybe
    cast) is recognized: an exact match, never a guess."""
    eqn = getattr(value, "parent", None)
    if eqn is None or eqn.effects or len(eqn.outvars) != 1:
        return None
    if eqn.primitive.name == "add":
        operands = [(t, False) for t in eqn.in_tracers]
    elif eqn.primitive.name in ("jit", "pjit"):
        operands = _add_operands(eqn.params["jaxpr"].jaxpr, list(eqn.in_tracers))
    else:
        return None
    dtype = eqn.outvars[0].aval.dtype
    if operands is None or not np.issubdtype(dtype, np.integer):
        return None
    for (mine, cast), (other, _) in (operands, operands[::-1]):
        if mine is base and not cast:
            k = folded_value(other)
            if k is not None and np.ndim(k) == 0:
                return int(np.asarray(k).astype(dtype))
    return None


def _add_operands(jaxpr, tracers):
    """``[(outer tracer, cast)]`` of the two operands of a program that only adds them
    (``cast``: a ``convert_element_type`` changed the operand's dtype first), else None."""
    if len(jaxpr.outvars) != 1 or not jaxpr.eqns or jaxpr.eqns[-1].primitive.name != "add" \
            or jaxpr.eqns[-1].outvars[0] is not jaxpr.outvars[0]:
        return None
    made = {var: (tracer, False) for var, tracer in zip(jaxpr.invars, tracers)}
    for inner in jaxpr.eqns[:-1]:
        if inner.primitive.name != "convert_element_type" or inner.invars[0] not in made:
            return None
        source = inner.invars[0]
        made[inner.outvars[0]] = (made[source][0],
                                  source.aval.dtype != inner.outvars[0].aval.dtype)
    if any(var not in made for var in jaxpr.eqns[-1].invars):
        return None  # a literal operand: no outer tracer to match
    return [made[var] for var in jaxpr.eqns[-1].invars]
