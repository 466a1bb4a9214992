"""Argument keys of ``tapejax.function`` calls: TF's tracing rules as hashable tuples.

``_walk`` visits a call's arguments in one fixed order and writes one key item per leaf:
tensors (and NumPy/JAX arrays) by shape and dtype (by rank for a ConcreteFunction's skeleton),
Variables by shape, dtype and slot, host strings and other Python values by value (unhashable
ones by identity), structures by type and layout. The tensors go to ``dyn`` (the traced
inputs) and the Variables to ``var_args``; ``_rebuild`` puts new tensors back in that order.
"""
import jax
import numpy as np

from . import dtypes, nest
from .tensor import Tensor, TensorLike, convert_to_tensor, is_text
from .tensor_shape import TensorShape
from .tensor_spec import TensorSpec


class ByIdentity:
    """Keys an object by identity (kept alive by the key): an unhashable Python argument, or
    what a dataset map's closure holds."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is ByIdentity and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


_TENSOR, _VARIABLE, _SEQ, _MAP, _COMPOSITE, _STRING = "T", "V", "S", "M", "C", "B"


def _components(x):
    """``(static, tensors)`` of a composite value (such as a distributed ``PerReplica``), else
    None: its type defines ``_tapejax_components()`` and ``_tapejax_rebuild(static, parts)``."""
    method = getattr(type(x), "_tapejax_components", None)
    return None if method is None else method(x)


def _walk(x, key, dyn, var_args, exact=True):
    """Appends ``x``'s key items to ``key``; tensors go to ``dyn``, Variables to ``var_args``
    (a Variable passed twice is keyed as an alias of its first slot).

    Tensors (and NumPy arrays, traced as tensors as TF does) are keyed by shape and dtype (by rank
    when ``exact`` is False), Python values by value, structures by type and layout.
    """
    t = type(x)
    if t is Tensor and is_text(x._value):  # a host string: static, keyed by its value
        key.append((_STRING, x._value.shape, tuple(x._value.reshape(-1))))
    elif t is Tensor:
        shape = x._value.shape
        key.append((_TENSOR, shape if exact else len(shape), x._value.dtype))
        dyn.append(x)
    elif t is list or t is tuple:
        key.append((_SEQ, t, len(x)))
        for item in x:
            _walk(item, key, dyn, var_args, exact)
    elif isinstance(x, dict):
        names = sorted(x)
        key.append((_MAP, t, tuple(names)))
        for name in names:
            _walk(x[name], key, dyn, var_args, exact)
    elif isinstance(x, tuple) and hasattr(t, "_fields"):
        key.append((_SEQ, t, len(x)))
        for item in x:
            _walk(item, key, dyn, var_args, exact)
    elif isinstance(x, TensorLike):
        alias = next((k for k, v in enumerate(var_args) if v is x), len(var_args))
        key.append((_VARIABLE, tuple(x.shape), x.dtype, alias))
        var_args.append(x)
    elif isinstance(x, (np.ndarray, jax.Array)):
        _walk(convert_to_tensor(x), key, dyn, var_args, exact)
    elif (composite := _components(x)) is not None:
        key.append((_COMPOSITE, t, composite[0]))
        for part in composite[1]:
            _walk(part, key, dyn, var_args, exact)
    elif t is TensorSpec:
        rank = x.shape.rank
        shape = None if rank is None else tuple(x.shape)
        key.append((_TENSOR, shape if exact else rank, np.dtype(x.dtype.as_numpy_dtype)))
        dyn.append(x)
    else:
        try:
            hash(x)
        except TypeError:
            x = ByIdentity(x)
        key.append(x)


def _signature_key(args, kwargs, exact=False):
    """The key of TF's trace (shapes as ranks unless ``exact``), tensors and Variable args."""
    key, dyn, var_args = [], [], []
    _walk(tuple(args), key, dyn, var_args, exact)
    _walk(dict(kwargs), key, dyn, var_args, exact)
    return tuple(key), dyn, var_args


def _rebuild(x, tensors):
    """``x`` with its tensor leaves (as ``_walk`` visits them) replaced from ``tensors``."""
    t = type(x)
    if t is Tensor and is_text(x._value):
        return x
    if t is Tensor or t is TensorSpec or isinstance(x, (np.ndarray, jax.Array)):
        return next(tensors)
    if t is list or t is tuple:
        return t(_rebuild(item, tensors) for item in x)
    if isinstance(x, dict):
        new = {name: _rebuild(x[name], tensors) for name in sorted(x)}
        return t((name, new[name]) for name in x)
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return t(*[_rebuild(item, tensors) for item in x])
    composite = _components(x)
    if composite is not None:
        return t._tapejax_rebuild(composite[0], [_rebuild(p, tensors) for p in composite[1]])
    return x


def _spec_template(args, kwargs):
    """``(args, kwargs)`` with tensors as TensorSpecs: a ConcreteFunction's input signature."""

    def spec(x):
        if isinstance(x, (Tensor, np.ndarray, jax.Array)):
            return TensorSpec(np.shape(x) if not isinstance(x, Tensor) else x.shape,
                              dtypes.from_numpy(x.dtype) if not isinstance(x, Tensor) else x.dtype)
        composite = _components(x)
        if composite is not None:  # kept as specs: the template holds no arrays
            return type(x)._tapejax_rebuild(composite[0], [spec(p) for p in composite[1]])
        return x
    return nest.map_structure(spec, (tuple(args), dict(kwargs)))


def _relax(old, new):
    """The shape accepting both ``old`` and ``new`` (``reduce_retracing``)."""
    if old.rank != new.rank:
        return TensorShape(None)
    return TensorShape([a if a == b else None for a, b in zip(old.as_list(), new.as_list())])
