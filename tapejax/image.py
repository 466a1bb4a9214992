"""``tf.image`` basics: ``resize`` (bilinear and nearest, TF's half-pixel centres),
``flip_left_right``, ``flip_up_down``, ``per_image_standardization`` and
``convert_image_dtype``, with TF's dtypes and rank checks. Images are ``[h, w, c]`` or
``[batch, h, w, c]``.
"""
import jax
import jax.numpy as jnp
import numpy as np

from . import dtypes, errors
from .ops import array_ops, math_ops
from .ops.core import apply, attrs, int_array, register, to_tensor


class ResizeMethod:
    """``tf.image.ResizeMethod``: the method names ``resize`` takes."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def _resize(images, *, size, method):
    shape = images.shape[:-3] + tuple(size) + images.shape[-1:]
    if method == "nearest":
        return jax.image.resize(images, shape, "nearest")
    in_h, in_w = images.shape[-3:-1]
    scale = jnp.array([size[0] / in_h, size[1] / in_w], jnp.float32)
    return jax.image.scale_and_translate(images, shape, (images.ndim - 3, images.ndim - 2),
                                         scale, jnp.zeros(2, jnp.float32), "linear",
                                         antialias=False)


def _image_rank(image, what="image"):
    if image.ndim < 3:
        raise ValueError(f"'{what}' (shape {tuple(image.shape)}) must be at least "
                         "three-dimensional.")


@register("resize_images", _resize, tf_name="ResizeBilinear")
def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """``tf.image.resize`` for ``method`` ``"bilinear"`` (float32 result) or ``"nearest"``
    (the input dtype), without antialiasing, as TF's defaults. Other methods,
    ``preserve_aspect_ratio`` and ``antialias=True`` raise NotImplementedError."""
    if method not in (ResizeMethod.BILINEAR, ResizeMethod.NEAREST_NEIGHBOR):
        raise NotImplementedError(f"tf.image.resize: method={method!r} is not implemented "
                                  "(bilinear and nearest are)")
    if preserve_aspect_ratio or antialias:
        raise NotImplementedError("tf.image.resize: `preserve_aspect_ratio` and `antialias` "
                                  "are not implemented")
    images = to_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError("'images' must have either 3 or 4 dimensions.")
    try:  # TF converts `size` to int32 (a NumPy array is cast), any failure its ValueError
        converted = to_tensor(size, dtypes.int32)
    except (TypeError, ValueError):
        converted = None
    if converted is None or converted.dtype != dtypes.int32:
        raise ValueError("'size' must be a 1-D int32 Tensor (argument `size`)")
    if converted.shape.as_list() != [2]:
        raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
    size = tuple(int(s) for s in int_array(converted, "size"))  # cast and wrapped as TF's
    if min(size) <= 0:
        raise errors.InvalidArgumentError(None, None, (
            f"output dimensions must be positive, got {list(size)} (argument `size`) "
            "[Op:ResizeBilinear] name: "))
    if method == ResizeMethod.BILINEAR and images.dtype != dtypes.float32:
        images = math_ops.cast(images, dtypes.float32)
    return apply(_resize, (images,), attrs(size=size, method=method), "ResizeBilinear")


def flip_left_right(image):
    """``tf.image.flip_left_right``: reverses the width axis."""
    image = to_tensor(image)
    _image_rank(image)
    return array_ops.reverse(image, [-2])


def flip_up_down(image):
    """``tf.image.flip_up_down``: reverses the height axis."""
    image = to_tensor(image)
    _image_rank(image)
    return array_ops.reverse(image, [-3])


def per_image_standardization(image):
    """``tf.image.per_image_standardization``: ``(x - mean) / max(stddev, 1/sqrt(N))`` over
    each image's pixels and channels (integers are converted to float32 first)."""
    image = to_tensor(image)
    _image_rank(image)
    if not image.dtype.is_floating:
        image = math_ops.cast(image, dtypes.float32)
    axes = [-1, -2, -3]
    count = int(np.prod(image.shape.as_list()[-3:]))
    mean = math_ops.reduce_mean(image, axes, keepdims=True)
    stddev = math_ops.reduce_std(image, axes, keepdims=True)
    floor = math_ops.rsqrt(to_tensor(float(count), image.dtype))
    return math_ops.divide(math_ops.subtract(image, mean), math_ops.maximum(stddev, floor))


def _max_value(dtype):
    return int(np.iinfo(dtype.as_numpy_dtype).max)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """``tf.image.convert_image_dtype``: floats in ``[0, 1]`` and integers over their range
    are rescaled to the other's convention as TF does (integer to integer by powers of two,
    float to integer by ``max + 0.5``, truncating)."""
    image = to_tensor(image)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise AttributeError(f"dtype must be either floating point or integer, got {dtype!r}")
    if image.dtype == dtype:
        return image
    if image.dtype.is_integer and dtype.is_integer:
        in_max, out_max = _max_value(image.dtype), _max_value(dtype)
        if in_max > out_max:
            factor = (in_max + 1) // (out_max + 1)
            return math_ops.cast(math_ops.floordiv(image, to_tensor(factor, image.dtype)), dtype)
        factor = (out_max + 1) // (in_max + 1)
        cast = math_ops.saturate_cast if saturate else math_ops.cast
        return math_ops.multiply(cast(image, dtype), to_tensor(factor, dtype))
    if image.dtype.is_floating and dtype.is_floating:
        return math_ops.cast(image, dtype)
    if image.dtype.is_integer:
        scaled = math_ops.cast(image, dtype)
        return math_ops.multiply(scaled, to_tensor(1.0 / _max_value(image.dtype), dtype))
    scaled = math_ops.multiply(image, to_tensor(_max_value(dtype) + 0.5, image.dtype))
    return (math_ops.saturate_cast if saturate else math_ops.cast)(scaled, dtype)
