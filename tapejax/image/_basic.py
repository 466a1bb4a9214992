"""``tf.image`` basics: ``resize`` (every TF method, with TF's numbers),
``flip_left_right``, ``flip_up_down``, ``per_image_standardization`` and
``convert_image_dtype``, with TF's dtypes and rank checks. Images are ``[h, w, c]`` or
``[batch, h, w, c]``.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..ops import array_ops, math_ops
from ..ops.core import apply, attrs, int_array, register, to_tensor


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


def _resize(images, *, size, method, antialias=False):
    """TF's resize kernels: ResizeBilinear and ResizeNearestNeighbor (half-pixel centres),
    ResizeBicubic, ResizeArea and ScaleAndTranslate (``method`` a kernel name)."""
    shape = images.shape[:-3] + tuple(size) + images.shape[-1:]
    if method == "nearest":
        return jax.image.resize(images, shape, "nearest")
    in_h, in_w = images.shape[-3:-1]
    if method == "bilinear":
        scale = jnp.array([size[0] / in_h, size[1] / in_w], jnp.float32)
        return jax.image.scale_and_translate(images, shape, (images.ndim - 3, images.ndim - 2),
                                             scale, jnp.zeros(2, jnp.float32), "linear",
                                             antialias=False)
    if method == "area":
        return _resize_area(images, tuple(size))
    if method == "bicubic":
        return _separable(images, _bicubic_weights(in_h, size[0]),
                          _bicubic_weights(in_w, size[1]))
    return _separable(images, _scale_weights(in_h, size[0], method, antialias),
                      _scale_weights(in_w, size[1], method, antialias))


def _image_rank(image, what="image"):
    if image.ndim < 3:
        raise ValueError(f"'{what}' (shape {tuple(image.shape)}) must be at least "
                         "three-dimensional.")


# --- the other resize methods: separable weight matrices, computed in float32 as TF's kernels
def _keys_cubic(x):
    return np.where(x < 1, (1.5 * x - 2.5) * x * x + 1,
                    np.where(x < 2, ((-0.5 * x + 2.5) * x - 4) * x + 2, 0.0))


def _lanczos(radius):
    def kernel(x):
        px = np.pi * np.maximum(x, 1e-30)
        value = radius * np.sin(px) * np.sin(px / radius) / (px * px)
        return np.where(x > radius, 0.0, np.where(x < 1e-6, 1.0, value))
    return kernel


def _gaussian(x):  # radius 1.5, sigma 0.5
    return np.where(x >= 1.5, 0.0, np.exp(-x * x / (2 * 0.5 * 0.5)))


def _mitchell_cubic(x):  # B = C = 1/3
    return np.where(x < 1, ((7 / 6) * x - 2) * x * x + 8 / 9,
                    np.where(x < 2, ((-7 / 18 * x + 2) * x - 10 / 3) * x + 16 / 9, 0.0))


_KERNELS = {"triangle": lambda x: np.maximum(0.0, 1.0 - x), "keyscubic": _keys_cubic,
            "lanczos3": _lanczos(3), "lanczos5": _lanczos(5), "gaussian": _gaussian,
            "mitchellcubic": _mitchell_cubic}


def _scale_weights(n_in, n_out, kernel, antialias):
    """``[n_in, n_out]`` weights of TF's ScaleAndTranslate (no translation): the kernel at
    ``(j + 0.5 - (i + 0.5) / scale) / kernel_scale``, normalized, zero where the sample lies
    outside the input."""
    f32 = np.float32
    inv = f32(1) / (f32(n_out) / f32(n_in))
    kernel_scale = max(inv, f32(1)) if antialias else f32(1)
    sample = (np.arange(n_out, dtype=f32) + f32(0.5)) * inv
    x = np.abs((np.arange(n_in, dtype=f32)[:, None] + f32(0.5)) - sample[None, :]) / kernel_scale
    w = _KERNELS[kernel](x.astype(np.float64))
    total = w.sum(0, keepdims=True)
    w = np.where(np.abs(total) > 1000 * np.finfo(np.float32).eps,
                 w / np.where(total != 0, total, 1), 0.0)
    return np.where(((sample >= 0) & (sample <= n_in))[None], w, 0.0).astype(np.float32)


def _bicubic_weights(n_in, n_out):
    """``[n_in, n_out]`` weights of TF's ResizeBicubic with half-pixel centres: Keys' cubic
    (a = -0.5) from a 1024-entry table, taps outside the input dropped and the rest
    renormalized."""
    f32 = np.float32
    scale = f32(n_in) / f32(n_out)
    w = np.zeros((n_in, n_out))
    for o in range(n_out):
        centre = (f32(o) + f32(0.5)) * scale - f32(0.5)
        first = int(np.floor(centre))
        offset = int(np.floor(f32(centre - first) * f32(1024) + 0.5))
        taps = [(first - 1, 1024 + offset), (first, offset), (first + 1, 1024 - offset),
                (first + 2, 2048 - offset)]
        inside = [(j, float(_keys_cubic(np.float64(f32(d) / f32(1024)))))
                  for j, d in taps if 0 <= j < n_in]
        total = sum(v for _, v in inside)
        for j, v in inside:
            w[j, o] += v / total
    return w.astype(np.float32)


def _area_weights(n_in, n_out):
    """``[n_in, n_out]`` weights of TF's ResizeArea: each output averages the input over
    ``[o, o + 1) * n_in / n_out`` by overlap (float32 bounds, indices clamped)."""
    f32 = np.float32
    scale = f32(n_in) / f32(n_out)
    w = np.zeros((n_in, n_out))
    for o in range(n_out):
        low, high = f32(o) * scale, f32(o + 1) * scale
        for i in range(int(np.floor(low)), int(np.ceil(high))):
            overlap = ((high - i) if i + 1 > high else f32(1)) - ((low - i) if i < low else 0)
            w[min(max(i, 0), n_in - 1), o] += overlap
    return (w / scale).astype(np.float32)


def _separable(images, wh, ww):
    return jnp.einsum("...hwc,hi,wj->...ijc", images, jnp.asarray(wh), jnp.asarray(ww),
                      precision=jax.lax.Precision.HIGHEST)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _resize_area(images, size):
    in_h, in_w = images.shape[-3:-1]
    return _separable(images, _area_weights(in_h, size[0]), _area_weights(in_w, size[1]))


@_resize_area.defjvp
def _resize_area_jvp(size, primals, tangents):
    raise LookupError("gradient registry has no entry for: ResizeArea")


_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
            "mitchellcubic")


@register("resize_images", _resize, tf_name="ResizeBilinear")
def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """``tf.image.resize`` (v2) with TF's numbers for every method: ``"bilinear"`` and
    ``"nearest"`` (half-pixel centres), ``"bicubic"`` (TF's ResizeBicubic), ``"area"``
    (ResizeArea, no gradient), ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"`` and
    ``"mitchellcubic"`` (ScaleAndTranslate kernels); ``antialias=True`` widens bilinear,
    bicubic and those kernels when downsampling, as TF. The result is float32 except for
    ``"nearest"`` (the input dtype). ``preserve_aspect_ratio`` scales both sides by the smaller
    factor (rounded half to even, as TF)."""
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
    if preserve_aspect_ratio:
        height, width = images.shape.as_list()[-3:-1]
        factor = min(np.float32(size[0]) / np.float32(height),
                     np.float32(size[1]) / np.float32(width))
        size = (int(np.round(factor * np.float32(height))),
                int(np.round(factor * np.float32(width))))
    if method not in _METHODS:
        raise ValueError(f"Resize method is not implemented: {method}")
    kernel_name = {"bilinear": "ResizeBilinear", "nearest": "ResizeNearestNeighbor",
                   "bicubic": "ResizeBicubic", "area": "ResizeArea"}.get(method,
                                                                         "ScaleAndTranslate")
    if antialias and method in ("bilinear", "bicubic"):
        kernel_name = "ScaleAndTranslate"
    if min(size) <= 0:
        raise errors.InvalidArgumentError(None, None, (
            f"output dimensions must be positive, got {list(size)} (argument `size`) "
            f"[Op:{kernel_name}] name: "))
    if method != ResizeMethod.NEAREST_NEIGHBOR and images.dtype != dtypes.float32:
        images = math_ops.cast(images, dtypes.float32)
    if kernel_name in ("ResizeBilinear", "ResizeNearestNeighbor"):
        return apply(_resize, (images,), attrs(size=size, method=method), "ResizeBilinear")
    if kernel_name == "ScaleAndTranslate":
        kernel = {"bilinear": "triangle", "bicubic": "keyscubic"}.get(method, method)
        return apply(_resize, (images,), attrs(size=size, method=kernel,
                                               antialias=bool(antialias)), kernel_name)
    return apply(_resize, (images,), attrs(size=size, method=method), kernel_name)


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
    if not (image.dtype.is_floating or image.dtype.is_integer):
        raise AttributeError("image dtype must be either floating point or integer")
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
