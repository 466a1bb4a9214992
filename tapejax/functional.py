"""TF's higher-order functions: ``tf.map_fn``, ``tf.scan``, ``tf.foldl``/``foldr``,
``tf.vectorized_map``, ``tf.case``, ``tf.py_function`` and ``tf.numpy_function``.

``map_fn``, ``scan`` and the folds run ``fn`` once per element in Python, as TF eager does, so
a tape records the ops of every step and gradients are TF's; under ``tapejax.function`` the
loop is unrolled into the traced program. ``vectorized_map`` is ``jax.vmap`` of ``fn`` when no
tape is recording; under a recording tape it maps element by element (same values) so that the
tape sees every op, including those on Tensors ``fn`` closes over.
"""
import jax
import numpy as np

from . import dtypes, errors, nest
from ._recording import STACK
from .ops import array_ops, control_flow_ops, math_ops
from .tensor import Tensor, convert_to_tensor


def _elements(elems):
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a Tensor or (possibly nested) sequence of Tensors. "
                         f"Got {elems}, which does not contain any Tensors.")
    sizes = {int(t.shape[0]) if t.ndim else None for t in flat}
    if None in sizes:
        raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    if len(sizes) > 1:
        raise ValueError("Tensors in elems must have the same size along dimension 0.")
    return flat, sizes.pop()


def _element(elems, flat, k):
    return nest.pack_sequence_as(elems, [t[k] for t in flat])


def _stack(results, n, signature):
    """The per-element results stacked (their structure kept); ``signature`` casts."""
    if n == 0:
        raise NotImplementedError("tapejax's map_fn/scan need at least one element (the output "
                                  "structure of `fn` comes from calling it)")
    flat = [nest.flatten(r) for r in results]
    stacked = [array_ops.stack([convert_to_tensor(x) for x in column])
               for column in zip(*flat)]
    out = nest.pack_sequence_as(results[0], stacked)
    if signature is not None:
        out = nest.map_structure(lambda t, s: math_ops.cast(t, _dtype(s)), out, signature)
    return out


def _dtype(signature):
    return signature.dtype if hasattr(signature, "dtype") else dtypes.as_dtype(signature)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """``tf.map_fn``: ``fn`` on each element along axis 0 of ``elems`` (nested), stacked."""
    flat, n = _elements(elems)
    signature = fn_output_signature if fn_output_signature is not None else dtype
    results = [fn(_element(elems, flat, k)) for k in range(n)]
    return _stack(results, n, signature)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """``tf.scan``: every accumulator ``fn(acc, x)`` over axis 0 of ``elems``, stacked; without
    ``initializer`` the first element starts the scan (and is the first output)."""
    flat, n = _elements(elems)
    order = list(range(n))[::-1] if reverse else list(range(n))
    results = []
    if initializer is None:
        acc = _element(elems, flat, order[0])
        results.append(acc)
        order = order[1:]
    else:
        acc = nest.map_structure(convert_to_tensor, initializer)
    for k in order:
        acc = fn(acc, _element(elems, flat, k))
        results.append(acc)
    if reverse:
        results = results[::-1]
    return _stack(results, len(results), None)


def _fold(fn, elems, initializer, reverse):
    flat, n = _elements(elems)
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        acc, order = _element(elems, flat, order[0]), order[1:]
    else:
        acc = nest.map_structure(convert_to_tensor, initializer)
    for k in order:
        acc = fn(acc, _element(elems, flat, k))
    return acc


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``tf.foldl``: ``fn(acc, x)`` over ``elems`` from the first element to the last."""
    return _fold(fn, elems, initializer, reverse=False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``tf.foldr``: ``fn(acc, x)`` over ``elems`` from the last element to the first."""
    return _fold(fn, elems, initializer, reverse=True)


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``tf.vectorized_map``: ``fn`` over axis 0 of ``elems`` as one ``jax.vmap``."""
    flat, _ = _elements(elems)
    if STACK.tapes:
        return map_fn(fn, elems)

    def single(*arrays):
        out = fn(nest.pack_sequence_as(elems, [Tensor(a) for a in arrays]))
        return [convert_to_tensor(x)._value for x in nest.flatten(out)], out

    arrays = [t._value for t in flat]
    structure = []

    def leaves(*xs):
        values, out = single(*xs)
        structure.append(out)
        return values
    values = jax.vmap(leaves)(*arrays)
    return nest.pack_sequence_as(structure[0], [Tensor(v) for v in values])


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """``tf.case``: calls the function of the first true predicate (``default`` when none is,
    TF's ``InvalidArgumentError`` without one). As TF eager, ``exclusive`` is not checked."""
    if isinstance(pred_fn_pairs, dict):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")
    pairs = list(pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple. Got {pair}")
        if not callable(pair[1]):
            raise TypeError("fn for pred %s must be callable." % pair[0])
    predicates = [convert_to_tensor(p, dtypes.bool) for p, _ in pairs]
    if any(isinstance(p._value, jax.core.Tracer) for p in predicates):
        return _staged_case(predicates, [fn for _, fn in pairs], default)
    truths = [bool(np.asarray(p.numpy())) for p in predicates]
    for truth, (_, fn) in zip(truths, pairs):
        if truth:
            return fn()
    if default is None:
        raise errors.InvalidArgumentError(None, None, (
            "Input error: None of conditions evaluated as True"))
    return default()


def _staged_case(predicates, fns, default):
    """``tf.case`` on traced predicates, staged as TF stages it: a chain of ``tf.cond``. With
    no ``default`` the last function is the fallback; TF's graph asserts at run time that a
    predicate is true, and asserts on traced values are not checked in tapejax."""
    def chain(k):
        if k == len(fns) - 1 and default is None:
            return fns[k]()
        if k == len(fns):
            return default()
        return control_flow_ops.cond(predicates[k], fns[k], lambda: chain(k + 1))
    return chain(0)


def _as_list(tout):
    return (list(tout), True) if isinstance(tout, (list, tuple)) else ([tout], False)


def py_function(func, inp, Tout, name=None):  # TF's name
    """``tf.py_function``: runs ``func`` on the Tensors eagerly, so a tape records its ops and
    gradients flow through it, as in TF. Inside ``tapejax.function`` it runs on the host
    through ``jax.pure_callback`` (no gradient there)."""
    inputs = [convert_to_tensor(x) for x in inp]
    if any(isinstance(t._value, jax.core.Tracer) for t in inputs):
        return _callback(lambda *a: func(*[Tensor(x) for x in a]), inputs, Tout)
    out = func(*inputs)
    if Tout is None:
        return None
    touts, is_list = _as_list(Tout)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(outs) != len(touts):
        raise errors.InvalidArgumentError(None, None, (
            f"func returned {len(outs)} values, Tout has {len(touts)} [Op:EagerPyFunc]"))
    results = [_matching(o, t) for o, t in zip(outs, touts)]
    return results if is_list else results[0]


def _matching(value, tout):
    dtype = _dtype(tout)
    tensor = convert_to_tensor(value)
    if tensor.dtype != dtype:
        raise errors.InvalidArgumentError(None, None, (
            f"The type of the returned tensor ({tensor.dtype.name}) does not match the expected "
            f"type ({dtype.name}) [Op:EagerPyFunc]"))
    return tensor


def numpy_function(func, inp, Tout, stateful=True, name=None):  # TF's name
    """``tf.numpy_function``: ``func`` on NumPy arrays, its results converted to ``Tout``
    (a result of another dtype keeps its own, as TF eager). Not differentiable. Inside
    ``tapejax.function`` it is a ``jax.pure_callback`` whose output shapes come from calling
    ``func`` once on zeros of the input shapes while tracing."""
    inputs = [convert_to_tensor(x) for x in inp]
    if any(isinstance(t._value, jax.core.Tracer) for t in inputs):
        return _callback(func, inputs, Tout)
    out = func(*[np.asarray(t.numpy()) for t in inputs])
    touts, is_list = _as_list(Tout)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    results = [convert_to_tensor(np.asarray(o, _dtype(t).as_numpy_dtype)
                                 if np.asarray(o).dtype.kind not in "fciub" else np.asarray(o))
               for o, t in zip(outs, touts)]
    return results if is_list else results[0]


def _callback(func, inputs, tout):
    touts, is_list = _as_list(tout)

    def host(*arrays):
        out = func(*arrays)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(o, _dtype(t).as_numpy_dtype) for o, t in zip(outs, touts)]

    probe = host(*[np.zeros(t.shape, t.dtype.as_numpy_dtype) for t in inputs])
    shapes = [jax.ShapeDtypeStruct(p.shape, p.dtype) for p in probe]
    values = jax.pure_callback(host, shapes, *[t._value for t in inputs])
    results = [Tensor(v) for v in values]
    return results if is_list else results[0]


