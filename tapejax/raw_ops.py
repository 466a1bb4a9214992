"""``tf.raw_ops``: the TF kernels Keras calls by their raw names. Raw ops take keyword
arguments only, as in TF."""
import functools

import jax.numpy as jnp

from . import dtypes, errors
from .ops import math_ops
from .ops.array_ops import invalid
from .ops.core import apply, attrs, int_array, register, to_tensor
from .tensor import TensorLike

__all__ = ["ImageProjectiveTransformV3"]

_PROJECTIVE_DTYPES = ("uint8", "int32", "int64", "half", "bfloat16", "float", "double")
_TF_TYPE_NAMES = {"float16": "half", "float32": "float", "float64": "double"}


def _keyword_only(kernel_name, params):
    """TF's raw ops refuse positional arguments with this ``TypeError``."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if args:
                raise TypeError(f"{kernel_name} only takes keyword args (possible keys: "
                                f"{params}). Please pass these args as kwargs instead.")
            return fn(**kwargs)
        return wrapper
    return decorate


def _map_coordinate(c, n, mode):
    """TF's fill-mode coordinate mapping (float32), then the clamp into ``[0, n - 1]``."""
    if mode == "CONSTANT":
        return c
    if mode != "NEAREST":
        if n <= 1:
            c = jnp.zeros_like(c)
        elif mode == "REFLECT":
            span = jnp.float32(2 * n)
            low = jnp.where(c < -span, span * jnp.trunc(-c / span) + c, c)
            low = jnp.where(low < -n, low + span, -low - 1)
            high = c - span * jnp.trunc(c / span)
            high = jnp.where(high >= n, span - high - 1, high)
            c = jnp.where(c < 0, low, jnp.where(c > n - 1, high, c))
        else:  # WRAP, with TF's period arithmetic (divides by n - 1, shifts by n)
            span = jnp.float32(n - 1)
            low = c + n * (jnp.trunc(-c / span) + 1)
            high = c - n * jnp.trunc(c / span)
            c = jnp.where(c < 0, low, jnp.where(c > n - 1, high, c))
    return jnp.clip(c, 0, n - 1)


def _to_dtype(values, dtype):
    """A float32 result in the image dtype: integers truncate toward zero through int32 (so
    uint8 wraps, as TF's kernel does), floats round."""
    if jnp.issubdtype(dtype, jnp.integer):
        wide = jnp.int64 if dtype == jnp.int64 else jnp.int32
        return jnp.trunc(values).astype(wide).astype(dtype)
    return values.astype(dtype)


def _projective_transform(images, transforms, fill_value, *, output_shape, interpolation,
                          fill_mode):
    batch, height, width, _ = images.shape
    out_h, out_w = output_shape
    t = jnp.broadcast_to(transforms.astype(jnp.float32), (batch, 8))
    a = [t[:, i][:, None, None] for i in range(8)]
    x = jnp.arange(out_w, dtype=jnp.float32)[None, None, :]
    y = jnp.arange(out_h, dtype=jnp.float32)[None, :, None]
    k = a[6] * x + a[7] * y + 1.0
    in_x = (a[0] * x + a[1] * y + a[2]) / k
    in_y = (a[3] * x + a[4] * y + a[5]) / k
    in_x = _map_coordinate(in_x, width, fill_mode)
    in_y = _map_coordinate(in_y, height, fill_mode)
    compute = jnp.float32  # TF samples in float32 for every dtype (float64 included)
    fill = _to_dtype(fill_value.astype(jnp.float32), images.dtype).astype(compute)
    values = images.astype(compute)
    b = jnp.arange(batch)[:, None, None]
    limit = float(max(height, width) + 2)

    def read(iy, ix):
        iy = jnp.clip(iy, -2.0, limit).astype(jnp.int32)  # keeps which side it lies on
        ix = jnp.clip(ix, -2.0, limit).astype(jnp.int32)
        inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
        got = values[b, jnp.clip(iy, 0, height - 1), jnp.clip(ix, 0, width - 1)]
        return jnp.where(inside[..., None], got, fill)

    if interpolation == "NEAREST":  # std::round: halves away from zero
        out = read(jnp.sign(in_y) * jnp.floor(jnp.abs(in_y) + 0.5),
                   jnp.sign(in_x) * jnp.floor(jnp.abs(in_x) + 0.5))
    else:
        y0, x0 = jnp.floor(in_y), jnp.floor(in_x)
        y1, x1 = y0 + 1.0, x0 + 1.0
        wx0, wx1, wy0, wy1 = (w[..., None].astype(compute) for w in (
            x1 - in_x, in_x - x0, y1 - in_y, in_y - y0))  # float32 weights, as TF's
        top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
        bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
        out = wy0 * top + wy1 * bottom
        near = (in_y >= -1) & (in_x >= -1) & (in_y <= height) & (in_x <= width)
        out = jnp.where(near[..., None], out, fill)
    out = jnp.where((k == 0)[..., None], fill, out)
    return _to_dtype(out, images.dtype)


_invalid = functools.partial(invalid, op_name="ImageProjectiveTransformV3")


@register("ImageProjectiveTransformV3", _projective_transform,
          tf_name="ImageProjectiveTransformV3")
@_keyword_only("image_projective_transform_v3",
               ["images", "transforms", "output_shape", "fill_value", "interpolation",
                "fill_mode", "name"])
def ImageProjectiveTransformV3(images, transforms, output_shape, fill_value, interpolation,
                               fill_mode="CONSTANT", name=None):
    """``tf.raw_ops.ImageProjectiveTransformV3``: output pixel ``(x, y)`` (integer
    coordinates, no half-pixel offset) samples the input at ``((a0 x + a1 y + a2) / k,
    (a3 x + a4 y + a5) / k)``, ``k = a6 x + a7 y + 1``, by ``"NEAREST"`` (halves away from
    zero) or ``"BILINEAR"`` interpolation; ``fill_mode`` ``"CONSTANT"`` reads ``fill_value``
    outside, ``"REFLECT"``, ``"WRAP"`` and ``"NEAREST"`` map the coordinate inside first, as
    TF's kernel does (its WRAP arithmetic included). Integer images truncate toward zero.
    There is no gradient for ``transforms`` and ``fill_value`` (None, as in TF); the image
    gradient is the exact adjoint of the sampling."""
    for arg, value in (("interpolation", interpolation), ("fill_mode", fill_mode)):
        if not isinstance(value, str):
            raise TypeError(f"Expected string for argument '{arg}' not {value!r}.")
    images = to_tensor(images)
    kind = _TF_TYPE_NAMES.get(images.dtype.name, images.dtype.name)
    if kind not in _PROJECTIVE_DTYPES:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'dtype' of {kind} is not in the list of allowed values: "
            + ", ".join(_PROJECTIVE_DTYPES)))
    transforms = _float32(transforms)
    fill_value = _float32(fill_value)
    output_shape = to_tensor(output_shape, dtypes.int32) if not hasattr(
        output_shape, "dtype") else output_shape
    if images.ndim != 4:
        raise _invalid("Input images must have rank 4")
    if transforms.ndim != 2 or transforms.shape[1] != 8 or transforms.shape[0] not in (
            1, images.shape[0]):
        raise _invalid("Input transform should be num_images x 8 or 1 x 8")
    if output_shape.ndim != 1:
        raise _invalid("output shape must be 1-dimensional"
                       + str(output_shape.shape.as_list()).replace(" ", ""))
    if output_shape.shape[0] != 2:
        raise _invalid(f"output shape must have two elements[{output_shape.shape[0]}]")
    size = tuple(int(s) for s in int_array(output_shape, "output_shape"))
    if min(size) <= 0:
        raise _invalid("output dimensions must be positive")
    if fill_value.ndim != 0:
        raise _invalid("fill_value must be a scalar"
                       + str(fill_value.shape.as_list()).replace(" ", ""))
    if interpolation not in ("NEAREST", "BILINEAR"):  # TF logs this and returns fill_value
        raise _invalid(f"Invalid interpolation {interpolation}. Supported types: NEAREST, "
                       "BILINEAR")
    if fill_mode not in ("REFLECT", "WRAP", "CONSTANT", "NEAREST"):
        raise _invalid(f"Invalid mode {fill_mode}. Supported types: REFLECT, WRAP, "
                       "CONSTANT, NEAREST")
    return apply(_projective_transform,
                 (images, math_ops.stop_gradient(transforms), math_ops.stop_gradient(fill_value)),
                 attrs(output_shape=size, interpolation=interpolation, fill_mode=fill_mode),
                 "ImageProjectiveTransformV3")


def _float32(value):
    """A float32 input as TF converts it: a Tensor of another dtype is its ValueError."""
    if isinstance(value, TensorLike):
        if value.dtype != dtypes.float32:
            raise ValueError(f"Tensor conversion requested dtype float32 for Tensor with dtype "
                             f"{value.dtype.name}: {value!r}")
        return value
    return to_tensor(value, dtypes.float32)


def __getattr__(name):
    raise AttributeError(f"tf.raw_ops.{name} is not provided by tapejax: of TF's raw ops it has "
                         f"only {', '.join(__all__)} (the ones Keras calls by name)")
