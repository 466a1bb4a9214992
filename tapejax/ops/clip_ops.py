"""Clipping (``tf.clip_by_value``, ``tf.clip_by_norm``, ``tf.clip_by_global_norm``) and
``tf.linalg.global_norm``, each one op written as TF composes it, so its gradient is TF's
(ties at the bounds go to the clipped tensor; a zero norm gives no nan)."""
import collections.abc

import jax.numpy as jnp
import numpy as np

from .. import errors
from ..tensor import TensorLike
from .core import (
    apply,
    attrs,
    broadcast_shapes,
    dtype_of,
    match,
    normalize_axis,
    register,
    reject_text,
    require_inexact,
    require_numeric,
    to_tensor,
)
from .math_ops import _maximum, _minimum, _sqrt, tf_type_name


def _clip_by_value(t, lo, hi):
    return _maximum(_minimum(t, hi), lo)


@register("clip_by_value", _clip_by_value, tf_name="ClipByValue")
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``tf.clip_by_value``: ``maximum(minimum(t, max), min)``, as TF computes it (an
    ``IndexedSlices`` stays one, its values clipped)."""
    if _is_sparse(t):
        return type(t)(clip_by_value(t.values, clip_value_min, clip_value_max), t.indices,
                       t.dense_shape)
    if dtype_of(clip_value_max) is None:
        reject_text(t, converted=clip_value_max)  # TF converts t alone, then max to its dtype
    t = to_tensor(t)
    t, hi = match(t, clip_value_max, "Minimum", strict=True)
    t, lo = match(t, clip_value_min, "Maximum", strict=True)
    shape = tuple(t.shape)
    try:
        out_shape = broadcast_shapes(shape, _shape(lo), _shape(hi))
    except ValueError:  # incompatible: the op itself raises TF's InvalidArgumentError
        out_shape = shape
    if out_shape != shape:
        raise ValueError(f"Shapes {shape} and {out_shape} are incompatible")
    return apply(_clip_by_value, (t, lo, hi), (), "ClipByValue")


def _shape(value):
    return tuple(value.shape) if isinstance(value, TensorLike) else np.shape(value)


def _clip_by_norm(t, clip_norm, *, axes):
    clip_norm = _maximum(clip_norm, jnp.zeros_like(clip_norm))
    l2sum = jnp.sum(t * t, axis=axes, keepdims=True)
    positive = l2sum > 0
    l2norm = jnp.where(positive, _sqrt(jnp.where(positive, l2sum, jnp.ones_like(l2sum))), l2sum)
    return t * clip_norm / _maximum(l2norm, clip_norm)


@register("clip_by_norm", _clip_by_norm, tf_name="ClipByNorm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``tf.clip_by_norm``: scales ``t`` so its L2 norm over ``axes`` is at most ``clip_norm``
    (a negative ``clip_norm`` counts as 0). An ``IndexedSlices`` stays one: its values are
    clipped by their norm, as TF's."""
    if _is_sparse(t):
        return type(t)(clip_by_norm(t.values, clip_norm, axes), t.indices, t.dense_shape)
    t = to_tensor(t)
    require_numeric(t, "Mul")
    require_inexact(t, "Sqrt")  # TF takes the norm before it converts clip_norm
    t, clip_norm = match(t, clip_norm, "Mul", strict=True)
    static = attrs(axes=normalize_axis(axes, t.ndim, "Sum"))
    return apply(_clip_by_norm, (t, clip_norm), static, "ClipByNorm")


def _global_norm(*values):
    half_squares = [jnp.sum(v * v) / 2 for v in values]
    return _sqrt(jnp.sum(jnp.stack(half_squares)) * 2)


def _clip_by_global_norm(*values_and_clip):
    *values, clip_norm, use_norm = values_and_clip
    scale = clip_norm * _minimum(1.0 / use_norm, jnp.ones_like(use_norm) / clip_norm)
    scale = scale + (use_norm - use_norm)  # inf or nan norm: every value becomes nan, as TF
    return tuple(v * scale.astype(v.dtype) for v in values) + (use_norm,)


def _clip_global(*values_and_clip):
    *values, clip_norm = values_and_clip
    return _clip_by_global_norm(*values, clip_norm, _global_norm(*values))


def _is_sparse(t):
    return type(t).__name__ == "IndexedSlices"


def _tensor_list(t_list):
    """The Tensors of ``t_list`` (an IndexedSlices contributes its values, as in TF)."""
    if not isinstance(t_list, collections.abc.Sequence) or isinstance(t_list, str):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    tensors = [None if t is None else t.values if _is_sparse(t) else to_tensor(t)
               for t in t_list]
    present = [t for t in tensors if t is not None]
    for t in present[1:]:
        if t.dtype != present[0].dtype:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op="Pack", index=1, expected=tf_type_name(present[0].dtype),
                got=tf_type_name(t.dtype)) + "stack")
    return tensors, present


@register("global_norm", _global_norm, tf_name="GlobalNorm")
def global_norm(t_list, name=None):
    """``tf.linalg.global_norm``: ``sqrt(sum of squares of every tensor)``; Nones are skipped."""
    _, present = _tensor_list(t_list)
    return apply(_global_norm, tuple(present), (), "GlobalNorm")


@register("clip_by_global_norm", _clip_global, tf_name="ClipByGlobalNorm")
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``tf.clip_by_global_norm``: ``(clipped list, global norm)``; Nones stay None and an
    ``IndexedSlices`` stays one (its values clipped).

    An infinite or nan norm makes every clipped value nan, as in TF.
    """
    tensors, present = _tensor_list(t_list)
    dtype = present[0].dtype
    clip = to_tensor(clip_norm, dtype) if not isinstance(clip_norm, TensorLike) else clip_norm
    if use_norm is None:
        out = apply(_clip_global, tuple(present) + (clip,), (), "ClipByGlobalNorm")
    else:
        norm = to_tensor(use_norm, dtype) if not isinstance(use_norm, TensorLike) else use_norm
        out = apply(_clip_by_global_norm, tuple(present) + (clip, norm), (), "ClipByGlobalNorm")
    clipped = iter(out[:-1])
    result = [None if t is None else next(clipped) for t in tensors]
    return [type(t)(c, t.indices, t.dense_shape) if _is_sparse(t) else c
            for t, c in zip(t_list, result)], out[-1]
