"""``tf.image`` colour conversions (HSV, YIQ, YUV, grayscale), colour adjustments (brightness,
contrast, gamma, hue, saturation and their random versions) and image metrics (gradients,
Sobel edges, total variation, PSNR, SSIM), with TF's dtypes, shape checks and errors.

TF's C++ kernels (``RGBToHSV``, ``HSVToRGB``, ``AdjustContrastv2``, ``AdjustHue``,
``AdjustSaturation``) are one op each; the rest are TF's compositions of other ops.
"""
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..ops import array_ops, linalg_ops, math_ops, nn_ops, random_ops
from ..ops.core import (
    apply,
    attrs,
    building_graph,
    dims_str,
    register,
    require_type,
    required_int,
    shape_check_error,
    tf_type_name,
    to_tensor,
)
from ..tensor import TensorLike
from ._basic import convert_image_dtype

__all__ = [
    "rgb_to_hsv", "hsv_to_rgb", "rgb_to_grayscale", "grayscale_to_rgb", "adjust_brightness",
    "adjust_contrast", "adjust_gamma", "adjust_saturation", "adjust_hue",
    "rgb_to_yiq", "yiq_to_rgb", "rgb_to_yuv", "yuv_to_rgb", "image_gradients", "sobel_edges",
    "total_variation", "psnr", "ssim", "ssim_multiscale",
    "random_brightness", "random_contrast", "random_saturation", "random_hue",
    "stateless_random_brightness", "stateless_random_contrast", "stateless_random_saturation",
    "stateless_random_hue",
]

_HSV_TYPES = "half, bfloat16, float, double"


# --- kernels ------------------------------------------------------------------------------
def _safe(denominator):
    """``denominator`` with its zeros replaced by 1 (their quotients are selected away), so
    that neither the values nor JAX's gradients see a division by zero."""
    return jnp.where(denominator > 0, denominator, jnp.ones_like(denominator))


def _hsv_parts(images):
    """Hue in ``[0, 1)``, saturation and value of RGB pixels (the last axis)."""
    red, green, blue = images[..., 0], images[..., 1], images[..., 2]
    value = jnp.max(images, axis=-1)
    chroma = value - jnp.min(images, axis=-1)
    saturation = jnp.where(value > 0, chroma / _safe(value), jnp.zeros_like(value))
    norm = 1 / (6 * _safe(chroma))
    hue = jnp.where(red == value, norm * (green - blue),
                    jnp.where(green == value, norm * (blue - red) + 2 / 6,
                              norm * (red - green) + 4 / 6))
    hue = jnp.where(chroma > 0, hue, jnp.zeros_like(hue))
    hue = jnp.where(hue < 0, hue + 1, hue)
    return hue, saturation, value


def _rgb_to_hsv(images):
    return jnp.stack(_hsv_parts(images), axis=-1)


def _hsv_to_rgb(images):
    hue, saturation, value = (images[..., k:k + 1] for k in range(3))
    sixths = hue * 6
    # each channel's share of the colour: 1 on its third of the hue circle, 0 opposite it
    red = jnp.clip(jnp.abs(sixths - 3) - 1, 0, 1)
    green = jnp.clip(2 - jnp.abs(sixths - 2), 0, 1)
    blue = jnp.clip(2 - jnp.abs(sixths - 4), 0, 1)
    shares = jnp.concatenate([red, green, blue], axis=-1)
    return (1 - saturation + saturation * shares) * value


def _sector_rgb(sector, low, high, rising, falling):
    """RGB of a pixel in hue ``sector`` (0..5) whose channels are ``low``, ``high`` and the
    middle one, ``rising`` in even sectors and ``falling`` in odd ones."""
    table = [(high, rising, low), (falling, high, low), (low, high, rising),
             (low, falling, high), (rising, low, high), (high, low, falling)]
    red, green, blue = (jnp.select([sector == k for k in range(6)], [row[c] for row in table],
                                   jnp.zeros_like(low)) for c in range(3))
    return jnp.stack([red, green, blue], axis=-1)


def _adjust_hue(images, delta):
    red, green, blue = images[..., 0], images[..., 1], images[..., 2]
    high = jnp.max(images, axis=-1)
    low = jnp.min(images, axis=-1)
    spread = high - low
    safe = _safe(spread)
    sixths = jnp.where(red == high, (green - blue) / safe,
                       jnp.where(green == high, (blue - red) / safe + 2, (red - green) / safe + 4))
    sixths = jnp.where(spread > 0, sixths, jnp.zeros_like(sixths)) + delta * 6
    sixths = jnp.mod(sixths, 6)
    sector = jnp.floor(sixths)
    ratio = sixths - sector
    return _sector_rgb(sector, low, high, low + ratio * spread, high - ratio * spread)


def _adjust_saturation(images, scale):
    hue, saturation, value = _hsv_parts(images)
    saturation = jnp.clip(saturation * scale, 0, 1)
    chroma = saturation * value
    low = value - chroma
    sixths = hue * 6
    sector = jnp.floor(sixths)
    middle = low + chroma * (1 - jnp.abs(jnp.mod(sixths, 2) - 1))  # rising or falling
    return _sector_rgb(sector, low, value, middle, middle)


def _adjust_contrast(images, factor):
    mean = jnp.mean(images, axis=(-3, -2), keepdims=True)
    return (images - mean) * factor + mean


# --- checks -------------------------------------------------------------------------------
def _missing_float16_kernel(dtype, op_name):
    """TF has only a float32 CPU kernel for the adjust ops: float16 is its ``NotFoundError``."""
    if dtype == dtypes.float16:
        raise errors.NotFoundError(None, None, (
            f"Could not find device for node: {{{{node {op_name}}}}} = {op_name}[T=DT_HALF]\n"
            f"All kernels registered for op {op_name}:\n"
            "  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_HALF]\n"
            "  device='CPU'; T in [DT_FLOAT]\n"
            f" [Op:{op_name}] name: "))


def _float32_input(value, op_name):
    """A float32 scalar input of a kernel: Python values converted, other Tensors rejected as
    TF's kernel rejects them."""
    if isinstance(value, TensorLike) and value.dtype != dtypes.float32:
        raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
            op=op_name, index=1, expected="float", got=tf_type_name(value.dtype))
            + f" [Op:{op_name}] name: ")
    return to_tensor(value, dtypes.float32)


def _scalar(value, what, op_name):
    if value.ndim != 0:
        raise errors.InvalidArgumentError(None, None, (
            f"{what} must be scalar: {dims_str(value.shape.as_list())} [Op:{op_name}]"))


def _rank_at_least_3(images, op_name):
    if images.ndim < 3:
        raise shape_check_error(f"input must be at least 3-D, got shape"
                                f"{dims_str(images.shape.as_list())} [Op:{op_name}] name: ")


def _three_channels(images, op_name):
    channels = images.shape.as_list()[-1]
    if channels != 3:
        raise shape_check_error(f"input must have 3 channels but instead has {channels} "
                                f"channels. [Op:{op_name}] name: ")


def _numeric_image(image, what):
    """TF's ``convert_image_dtype`` check: only float and integer images convert (the
    message also names the argument, ``what``)."""
    if not (image.dtype.is_floating or image.dtype.is_integer):
        raise AttributeError("image dtype must be either floating point or integer "
                             f"(argument `{what}`)")


def _working_float(image, what):
    """The image in the float dtype TF's adjust functions work in: float16/float32 as they
    are, anything else converted to float32 with ``convert_image_dtype``."""
    _numeric_image(image, what)
    if image.dtype in (dtypes.float16, dtypes.float32):
        return image
    return convert_image_dtype(image, dtypes.float32)


def _has_channel_axis(images):
    """TF's ``tensordot`` over the last axis of a scalar: Python's ``IndexError``."""
    if images.ndim == 0:
        raise IndexError("list index out of range")


def _require_tensor(value):
    """TF's functions that read ``value.get_shape()`` first: anything but a Tensor (or a
    Variable) is Python's ``AttributeError``."""
    if not isinstance(value, TensorLike):
        kind = type(value)
        kind = kind.__name__ if kind.__module__ == "builtins" else (
            f"{kind.__module__}.{kind.__name__}")
        raise AttributeError(f"'{kind}' object has no attribute 'get_shape'")


# --- HSV ----------------------------------------------------------------------------------
def _hsv_input(images, op_name):
    images = to_tensor(images)
    require_type(images, op_name, _HSV_TYPES)
    if images.ndim < 1:
        raise shape_check_error(f"input must be at least 1D{dims_str([])} [Op:{op_name}]")
    channels = images.shape.as_list()[-1]
    if channels != 3:
        if building_graph():
            raise ValueError(f"Dimension must be 3 but is {channels} for '{{{{node {op_name}}}}}"
                             f" = {op_name}[T=DT_{tf_type_name(images.dtype).upper()}](images)'"
                             f" with input shapes: {dims_str(images.shape.as_list())}.")
        raise errors.FailedPreconditionError(None, None, (
            f"input must have 3 channels but input only has {channels} channels. "
            f"[Op:{op_name}] name: "))
    return images


@register("rgb_to_hsv", _rgb_to_hsv, tf_name="RGBToHSV")
def rgb_to_hsv(images, name=None):
    """``tf.image.rgb_to_hsv`` (TF's ``RGBToHSV`` kernel): hue in ``[0, 1)``, saturation and
    value of RGB pixels in the last axis; half, bfloat16, float32 or float64, gradients as TF's
    registered ones."""
    images = _hsv_input(images, "RGBToHSV")
    return apply(_rgb_to_hsv, (images,), attrs(), "RGBToHSV")


@register("hsv_to_rgb", _hsv_to_rgb, differentiable=False, tf_name="HSVToRGB")
def hsv_to_rgb(images, name=None):
    """``tf.image.hsv_to_rgb`` (TF's ``HSVToRGB`` kernel), defined for HSV values in
    ``[0, 1]``; like TF, it has no gradient (None)."""
    images = _hsv_input(images, "HSVToRGB")
    return apply(_hsv_to_rgb, (images,), attrs(), "HSVToRGB", differentiable=False)


# --- grayscale ----------------------------------------------------------------------------
_GRAY_WEIGHTS = [0.2989, 0.5870, 0.1140]


def rgb_to_grayscale(images, name=None):
    """``tf.image.rgb_to_grayscale``: the ITU-R 601 weighted sum of the channels, computed in
    float32 (after ``convert_image_dtype``) and converted back to the input dtype; the
    channel axis is kept with size 1."""
    images = to_tensor(images)
    original = images.dtype
    _numeric_image(images, "images")
    _has_channel_axis(images)
    gray = linalg_ops.tensordot(convert_image_dtype(images, dtypes.float32), _GRAY_WEIGHTS,
                                [-1, -1])
    return convert_image_dtype(array_ops.expand_dims(gray, -1), original)


def grayscale_to_rgb(images, name=None):
    """``tf.image.grayscale_to_rgb``: the single channel tiled three times. As TF, ``images``
    must already be a Tensor (of rank 2 or more, last axis of size 1)."""
    _require_tensor(images)
    shape = images.shape
    if shape.rank is not None and shape.rank < 2:
        raise ValueError(f"A grayscale image (shape {shape}) must be at least "
                         "two-dimensional.")
    if shape.rank is not None and shape.as_list()[-1] not in (None, 1):
        raise ValueError("Last dimension of a grayscale image should be size 1.")
    return array_ops.tile(images, [1] * (images.ndim - 1) + [3])


# --- adjustments --------------------------------------------------------------------------
def _kernel_input(image, op_name, what="image"):
    """The input dtype and the float image of an adjust kernel (float32 but for float16,
    which TF's CPU kernels refuse)."""
    image = to_tensor(image)
    original = image.dtype
    flt = _working_float(image, what)
    _missing_float16_kernel(flt.dtype, op_name)
    return original, flt


def adjust_brightness(image, delta):
    """``tf.image.adjust_brightness``: ``image + delta`` in float (float16/float32 kept, other
    dtypes through float32), converted back to the input dtype with saturation."""
    image = to_tensor(image)
    original = image.dtype
    flt = _working_float(image, "image")
    adjusted = math_ops.add(flt, math_ops.cast(delta, flt.dtype))
    return convert_image_dtype(adjusted, original, saturate=True)


@register("adjust_contrast", _adjust_contrast, tf_name="AdjustContrastv2")
def adjust_contrast(images, contrast_factor):
    """``tf.image.adjust_contrast`` (TF's ``AdjustContrastv2``): each channel of each image is
    moved away from its mean over height and width by ``contrast_factor``; images of rank 3 or
    more, computed in float32 (float16 has no CPU kernel in TF) and converted back with
    saturation. TF has no gradient for it; tapejax's comes from JAX."""
    original, flt = _kernel_input(images, "AdjustContrastv2", "images")
    factor = _float32_input(contrast_factor, "AdjustContrastv2")
    _rank_at_least_3(flt, "AdjustContrastv2")
    _scalar(factor, "contrast_factor", "AdjustContrastv2")
    adjusted = apply(_adjust_contrast, (flt, factor), attrs(), "AdjustContrastv2")
    return convert_image_dtype(adjusted, original, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """``tf.image.adjust_gamma``: ``gain * image ** gamma`` in float (float16/float32 kept,
    other dtypes through float32), converted back with saturation; a negative ``gamma`` is
    TF's ``ValueError`` (``InvalidArgumentError`` when it is a Tensor)."""
    image = to_tensor(image)
    original = image.dtype
    flt = _working_float(image, "image")
    non_negative = gamma >= 0
    if isinstance(non_negative, TensorLike):
        if not building_graph() and not bool(non_negative):
            raise errors.InvalidArgumentError(None, None, (
                "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized "
                "data: b'Gamma should be a non-negative real number.'"))
    elif not non_negative:
        raise ValueError("Gamma should be a non-negative real number.")
    adjusted = gain * flt ** gamma
    return convert_image_dtype(adjusted, original, saturate=True)


@register("adjust_hue", _adjust_hue, tf_name="AdjustHue")
def adjust_hue(image, delta, name=None):
    """``tf.image.adjust_hue`` (TF's ``AdjustHue``): the hue of RGB pixels turned by ``delta``
    (in ``[-1, 1]``, a fraction of the colour wheel), in float32 and converted back (no
    saturation). TF has no gradient for it; tapejax's comes from JAX."""
    if not building_graph():
        try:
            out_of_range = delta < -1 or delta > 1
        except TypeError as error:
            raise TypeError(f"{error} (argument `delta`)") from None
        if out_of_range:
            raise ValueError("delta must be in the interval [-1, 1]")
    return _rgb_kernel(_adjust_hue, image, delta, "delta", "AdjustHue")


@register("adjust_saturation", _adjust_saturation, tf_name="AdjustSaturation")
def adjust_saturation(image, saturation_factor, name=None):
    """``tf.image.adjust_saturation`` (TF's ``AdjustSaturation``): the HSV saturation scaled by
    ``saturation_factor`` and clipped to ``[0, 1]``, in float32 and converted back (no
    saturation). TF has no gradient for it; tapejax's comes from JAX."""
    return _rgb_kernel(_adjust_saturation, image, saturation_factor, "scale",
                       "AdjustSaturation")


def _rgb_kernel(kernel, image, amount, amount_name, op_name):
    """TF's AdjustHue/AdjustSaturation: the RGB image in float32 (checked as the kernel
    checks it), the kernel with its scalar ``amount``, the result converted back."""
    original, flt = _kernel_input(image, op_name)
    amount = _float32_input(amount, op_name)
    _rank_at_least_3(flt, op_name)
    _three_channels(flt, op_name)
    _scalar(amount, amount_name, op_name)
    return convert_image_dtype(apply(kernel, (flt, amount), attrs(), op_name), original)


# --- YIQ and YUV --------------------------------------------------------------------------
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_matrix(images, matrix):
    """The last axis of ``images`` times a 3x3 colour matrix, in the images' dtype (integer
    images fail to convert the matrix: TF's ``TypeError``)."""
    images = to_tensor(images)
    kernel = to_tensor(matrix, images.dtype)
    _has_channel_axis(images)
    return linalg_ops.tensordot(images, kernel, [[images.ndim - 1], [0]])


def rgb_to_yiq(images):
    """``tf.image.rgb_to_yiq``: RGB to YIQ by TF's matrix, in the images' float dtype."""
    return _colour_matrix(images, _RGB_TO_YIQ)


def yiq_to_rgb(images):
    """``tf.image.yiq_to_rgb``: YIQ to RGB by TF's matrix, in the images' float dtype."""
    return _colour_matrix(images, _YIQ_TO_RGB)


def rgb_to_yuv(images):
    """``tf.image.rgb_to_yuv``: RGB to YUV by TF's matrix, in the images' float dtype."""
    return _colour_matrix(images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """``tf.image.yuv_to_rgb``: YUV to RGB by TF's matrix, in the images' float dtype."""
    return _colour_matrix(images, _YUV_TO_RGB)


# --- metrics ------------------------------------------------------------------------------
def image_gradients(image):
    """``tf.image.image_gradients``: ``(dy, dx)``, the forward differences along height and
    width of a ``[batch, h, w, d]`` image, zero in the last row / column."""
    _require_tensor(image)
    if image.ndim != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")
    batch, height, width, depth = image.shape.as_list()
    dy = math_ops.subtract(image[:, 1:, :, :], image[:, :-1, :, :])
    dx = math_ops.subtract(image[:, :, 1:, :], image[:, :, :-1, :])
    dy = array_ops.concat([dy, array_ops.zeros([batch, 1, width, depth], image.dtype)], 1)
    dx = array_ops.concat([dx, array_ops.zeros([batch, height, 1, depth], image.dtype)], 2)
    return dy, dx


_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                   [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])


def _reflect_border(image):
    """``tf.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], "REFLECT")``, written with slices for
    the images ``pad`` accepts (``array_ops.pad`` cannot run inside ``tapejax.function``);
    ``pad`` itself for the others, so that they raise its errors."""
    shape = image.shape.as_list()
    if len(shape) != 4 or min(shape[1:3]) < 2:
        return array_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    image = array_ops.concat([image[:, 1:2], image, image[:, -2:-1]], 1)
    return array_ops.concat([image[:, :, 1:2], image, image[:, :, -2:-1]], 2)


def sobel_edges(image):
    """``tf.image.sobel_edges``: ``[batch, h, w, d, 2]``, the vertical and horizontal Sobel
    responses of each channel, the image reflected by one pixel at its borders."""
    _require_tensor(image)
    channels = image.shape.as_list()[-1] if image.ndim else None
    kernels = np.expand_dims(np.transpose(_SOBEL, (1, 2, 0)), -2)
    kernels = array_ops.tile(to_tensor(kernels, image.dtype), [1, 1, channels, 1])
    padded = _reflect_border(image)
    edges = nn_ops.depthwise_conv2d(padded, kernels, [1, 1, 1, 1], "VALID")
    return array_ops.reshape(edges, image.shape.as_list() + [len(_SOBEL)])


def total_variation(images, name=None):
    """``tf.image.total_variation``: the summed absolute differences of neighbouring pixels,
    a scalar for one ``[h, w, c]`` image, one value per image for ``[batch, h, w, c]``."""
    _require_tensor(images)
    if images.ndim == 3:
        rows = math_ops.subtract(images[1:, :, :], images[:-1, :, :])
        columns = math_ops.subtract(images[:, 1:, :], images[:, :-1, :])
        axes = None
    elif images.ndim == 4:
        rows = math_ops.subtract(images[:, 1:, :, :], images[:, :-1, :, :])
        columns = math_ops.subtract(images[:, :, 1:, :], images[:, :, :-1, :])
        axes = [1, 2, 3]
    else:
        raise ValueError("'images' must be either 3 or 4-dimensional.")
    return math_ops.add(math_ops.reduce_sum(math_ops.abs(rows), axis=axes),
                        math_ops.reduce_sum(math_ops.abs(columns), axis=axes))


def _float_images(a, b, max_val):
    """``max_val``, ``a`` and ``b`` as float32 by ``convert_image_dtype`` (``max_val`` first
    cast to ``a``'s dtype, so that it scales as a pixel of ``a`` does), as TF's metrics."""
    _numeric_image(a, "img1")
    max_val = convert_image_dtype(math_ops.cast(max_val, a.dtype), dtypes.float32)
    _numeric_image(b, "img2")
    return (max_val, convert_image_dtype(a, dtypes.float32),
            convert_image_dtype(b, dtypes.float32))


def _check_image_shapes(a, b):
    """TF's ``ValueError`` unless two images have rank 3 or more, the same last three
    dimensions and batch dimensions that broadcast."""
    for shape in (a.shape, b.shape):
        if shape.rank is not None and shape.rank < 3:
            raise ValueError(f"Shape {shape} must have rank at least 3")
    if not a.shape[-3:].is_compatible_with(b.shape[-3:]):
        raise ValueError(f"Shapes {a.shape[-3:]} and {b.shape[-3:]} are incompatible")
    for first, second in zip(reversed(a.shape.as_list()[:-3]), reversed(b.shape.as_list()[:-3])):
        if first != 1 and second != 1 and None not in (first, second) and first != second:
            raise ValueError(f"Two images are not compatible: {a.shape} and {b.shape}")


def psnr(a, b, max_val, name=None):
    """``tf.image.psnr``: ``20 log10(max_val) - 10 log10(mse)`` over the last three axes, in
    float32 (images and ``max_val`` converted by ``convert_image_dtype``)."""
    a, b = to_tensor(a), to_tensor(b)
    max_val, a, b = _float_images(a, b, max_val)
    mse = math_ops.reduce_mean(math_ops.squared_difference(a, b), [-3, -2, -1])
    peak = math_ops.divide(math_ops.multiply(20.0, math_ops.log(max_val)),
                           math_ops.log(to_tensor(10.0)))
    noise = math_ops.multiply(np.float32(10 / np.log(10)), math_ops.log(mse))
    _check_image_shapes(a, b)
    return math_ops.subtract(peak, noise)


def _gaussian_window(size, sigma):
    """TF's SSIM window: a normalized ``size x size`` Gaussian as a depthwise filter
    ``[size, size, 1, 1]`` (the normalization is a softmax, as TF computes it)."""
    coords = np.arange(size, dtype=np.float32) - np.float32(size - 1) / 2
    squares = to_tensor(np.square(coords))
    scale = math_ops.divide(-0.5, math_ops.square(to_tensor(sigma, dtypes.float32)))
    exponents = math_ops.multiply(squares, scale)
    grid = math_ops.add(array_ops.reshape(exponents, [1, -1]),
                        array_ops.reshape(exponents, [-1, 1]))
    window = nn_ops.softmax(array_ops.reshape(grid, [1, -1]))
    return array_ops.reshape(window, [size, size, 1, 1])


def _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2,
                      return_index_map):
    """SSIM and contrast-structure per channel (averaged over the valid positions of the
    window unless ``return_index_map``), as TF's helper of ``ssim``/``ssim_multiscale``."""
    for image in (img1, img2):
        shape = image.shape.as_list()
        if min(shape[-3:-1]) < filter_size:
            raise errors.InvalidArgumentError(None, None, (
                "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized "
                f"data: {', '.join(str(d) for d in shape)}\n{filter_size}"))
    channels = img1.shape.as_list()[-1]
    window = array_ops.tile(_gaussian_window(filter_size, filter_sigma), [1, 1, channels, 1])

    def local_mean(x):
        shape = x.shape.as_list()
        flat = array_ops.reshape(x, [-1] + shape[-3:])
        out = nn_ops.depthwise_conv2d(flat, window, [1, 1, 1, 1], "VALID")
        return array_ops.reshape(out, shape[:-3] + out.shape.as_list()[1:])

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean1, mean2 = local_mean(img1), local_mean(img2)
    num0 = mean1 * mean2 * 2.0
    den0 = math_ops.square(mean1) + math_ops.square(mean2)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = local_mean(img1 * img2) * 2.0
    den1 = local_mean(math_ops.square(img1) + math_ops.square(img2))
    contrast_structure = (num1 - num0 + c2) / (den1 - den0 + c2)
    if return_index_map:
        return luminance * contrast_structure, contrast_structure
    return (math_ops.reduce_mean(luminance * contrast_structure, [-3, -2]),
            math_ops.reduce_mean(contrast_structure, [-3, -2]))


def _ssim_inputs(img1, img2, max_val, filter_size):
    img1, img2 = to_tensor(img1), to_tensor(img2)
    _check_image_shapes(img1, img2)
    if img1.dtype != img2.dtype:
        raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
            op="ShapeN", index=1, expected=tf_type_name(img1.dtype),
            got=tf_type_name(img2.dtype)) + " [Op:ShapeN] name: ")
    max_val, img1, img2 = _float_images(img1, img2, max_val)
    if not isinstance(filter_size, (int, np.integer)):  # TF's conversion and its TypeError
        filter_size = required_int(to_tensor(filter_size, dtypes.int32), "filter_size")
    return img1, img2, max_val, filter_size


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """``tf.image.ssim``: the structural similarity of two images over a Gaussian window
    (``filter_size``, ``filter_sigma``), averaged over positions (or per position with
    ``return_index_map``) and channels; float32, images at least ``filter_size`` wide."""
    img1, img2, max_val, filter_size = _ssim_inputs(img1, img2, max_val, filter_size)
    per_channel, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2,
                                       return_index_map)
    return math_ops.reduce_mean(per_channel, [-1])


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _halved(images):
    """``images`` (``[..., h, w, c]``) 2x2-average-pooled, an odd height or width first
    extended by repeating its last row or column (TF's one-pixel ``SYMMETRIC`` pad)."""
    shape = images.shape.as_list()
    flat = array_ops.reshape(images, [-1] + shape[-3:])
    height, width = shape[-3:-1]
    if height % 2 or width % 2:
        if height % 2:
            flat = array_ops.concat([flat, flat[:, -1:]], 1)
        if width % 2:
            flat = array_ops.concat([flat, flat[:, :, -1:]], 2)
    pooled = nn_ops.avg_pool(flat, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    return array_ops.reshape(pooled, shape[:-3] + pooled.shape.as_list()[1:])


def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """``tf.image.ssim_multiscale``: the product over ``len(power_factors)`` scales (each half
    the size of the one before) of the contrast-structure terms, and the SSIM at the last
    scale, each to its power factor (negative terms clipped to 0); averaged over channels.
    Every scale must be at least ``filter_size`` wide."""
    img1, img2, max_val, filter_size = _ssim_inputs(img1, img2, max_val, filter_size)
    terms = []
    for scale in range(len(power_factors)):
        if scale:
            img1, img2 = _halved(img1), _halved(img2)
        per_channel, contrast_structure = _ssim_per_channel(
            img1, img2, max_val, filter_size, filter_sigma, k1, k2, False)
        terms.append(nn_ops.relu(contrast_structure))
    terms[-1] = nn_ops.relu(per_channel)
    weighted = math_ops.pow(array_ops.stack(terms, axis=-1), power_factors)
    return math_ops.reduce_mean(math_ops.reduce_prod(weighted, [-1]), [-1])

# --- random adjustments -------------------------------------------------------------------
# The factors are drawn with tapejax's random ops (JAX's streams): the same ranges, shapes
# and seeding rules as TF's, not TF's numbers.
def _check_max_delta(max_delta, limit=None):
    if limit is not None and max_delta > limit:
        raise ValueError(f"max_delta must be <= {limit}.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")


def _check_bounds(lower, upper):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")


def random_brightness(image, max_delta, seed=None):
    """``tf.image.random_brightness``: :func:`adjust_brightness` by a delta drawn uniformly
    from ``[-max_delta, max_delta)``."""
    _check_max_delta(max_delta)
    return adjust_brightness(image, random_ops.uniform([], -max_delta, max_delta, seed=seed))


def stateless_random_brightness(image, max_delta, seed):
    """``tf.image.stateless_random_brightness``: :func:`random_brightness` as a function of
    ``seed`` (a shape ``[2]`` integer tensor)."""
    _check_max_delta(max_delta)
    return adjust_brightness(image, random_ops.stateless_uniform(
        shape=[], minval=-max_delta, maxval=max_delta, seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """``tf.image.random_contrast``: :func:`adjust_contrast` by a factor drawn uniformly from
    ``[lower, upper)``."""
    _check_bounds(lower, upper)
    return adjust_contrast(image, random_ops.uniform([], lower, upper, seed=seed))


def stateless_random_contrast(image, lower, upper, seed):
    """``tf.image.stateless_random_contrast``: :func:`random_contrast` as a function of
    ``seed``."""
    _check_bounds(lower, upper)
    return adjust_contrast(image, random_ops.stateless_uniform(
        shape=[], minval=lower, maxval=upper, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """``tf.image.random_saturation``: :func:`adjust_saturation` by a factor drawn uniformly
    from ``[lower, upper)``."""
    _check_bounds(lower, upper)
    return adjust_saturation(image, random_ops.uniform([], lower, upper, seed=seed))


def stateless_random_saturation(image, lower, upper, seed=None):
    """``tf.image.stateless_random_saturation``: :func:`random_saturation` as a function of
    ``seed`` (required in fact, though TF's signature gives it a default of None)."""
    _check_bounds(lower, upper)
    return adjust_saturation(image, random_ops.stateless_uniform(
        shape=[], minval=lower, maxval=upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """``tf.image.random_hue``: :func:`adjust_hue` by a delta drawn uniformly from
    ``[-max_delta, max_delta)``, ``max_delta`` in ``[0, 0.5]``."""
    _check_max_delta(max_delta, 0.5)
    return adjust_hue(image, random_ops.uniform([], -max_delta, max_delta, seed=seed))


def stateless_random_hue(image, max_delta, seed):
    """``tf.image.stateless_random_hue``: :func:`random_hue` as a function of ``seed``."""
    _check_max_delta(max_delta, 0.5)
    return adjust_hue(image, random_ops.stateless_uniform(
        shape=[], minval=-max_delta, maxval=max_delta, seed=seed))
