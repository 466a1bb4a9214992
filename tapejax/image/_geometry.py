"""``tf.image`` crops, pads, rotations and random flips and crops, composed from tapejax ops as
TF composes them (its checks, messages and dtypes), and the ExtractImagePatches and
CropAndResize kernels (``extract_patches``, ``crop_and_resize``). The random ones draw
tapejax's random numbers (JAX's), not TF's; the stateless ones are deterministic in their
seed."""
import jax
import jax.numpy as jnp
import numpy as np

from .. import dtypes, errors
from ..ops import array_ops, math_ops, random_ops
from ..ops.core import apply, attrs, int_array, known_value, register, required_value, to_tensor
from ..tensor import TensorLike
from ._basic import _image_rank, resize

__all__ = [
    "central_crop", "crop_and_resize", "crop_to_bounding_box", "extract_patches",
    "pad_to_bounding_box", "random_crop",
    "random_flip_left_right", "random_flip_up_down", "resize_with_crop_or_pad",
    "resize_with_pad", "rot90", "stateless_random_crop", "stateless_random_flip_left_right",
    "stateless_random_flip_up_down", "transpose",
]


def _as_image(image, what="image"):
    """The image as a 4-D batch and whether it was one: TF's rank message otherwise."""
    image = to_tensor(image)
    if image.ndim == 3:
        return array_ops.expand_dims(image, 0), False
    if image.ndim != 4:
        raise ValueError(f"'{what}' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return image, True


def _int(value, what):
    """A static integer argument; whether it was a Tensor (TF then asserts at run time)."""
    return int(int_array(value, what)), isinstance(value, TensorLike)


def _check(ok, tensor, message):
    """TF's ``_assert``: a Python condition is its ValueError, a Tensor one the eager
    ``Assert``'s InvalidArgumentError."""
    if ok:
        return
    if tensor:
        raise errors.InvalidArgumentError(None, None, (
            "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: "
            f"b'{message}'"))
    raise ValueError(message)


def _unbatch(image, is_batch):
    return image if is_batch else array_ops.squeeze(image, [0])


def _box_arguments(image, offset_height, offset_width, target_height, target_width):
    """The image as a batch, whether it was one, and each box argument as ``_int`` reads it."""
    image, is_batch = _as_image(image)
    return (image, is_batch, _int(offset_height, "offset_height"),
            _int(offset_width, "offset_width"), _int(target_height, "target_height"),
            _int(target_width, "target_width"))


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``tf.image.crop_to_bounding_box``: the ``[offset, offset + target)`` window of each
    image, with TF's argument checks (ValueError for Python values)."""
    image, is_batch, (oh, toh), (ow, tow), (th, tth), (tw, ttw) = _box_arguments(
        image, offset_height, offset_width, target_height, target_width)
    _, height, width, _ = image.shape.as_list()
    _check(ow >= 0, tow, "offset_width must be >= 0.")
    _check(oh >= 0, toh, "offset_height must be >= 0.")
    _check(tw > 0, ttw, "target_width must be > 0.")
    _check(th > 0, tth, "target_height must be > 0.")
    _check(width >= tw + ow, ttw or tow, "width must be >= target + offset.")
    _check(height >= th + oh, tth or toh, "height must be >= target + offset.")
    cropped = array_ops.slice(image, [0, oh, ow, 0], [-1, th, tw, -1])
    return _unbatch(cropped, is_batch)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``tf.image.pad_to_bounding_box``: zero-pads each image to ``target`` size with the
    image at ``offset``, with TF's argument checks."""
    image, is_batch, (oh, toh), (ow, tow), (th, tth), (tw, ttw) = _box_arguments(
        image, offset_height, offset_width, target_height, target_width)
    _, height, width, _ = image.shape.as_list()
    after_w = tw - ow - width
    after_h = th - oh - height
    _check(oh >= 0, toh, "offset_height must be >= 0")
    _check(ow >= 0, tow, "offset_width must be >= 0")
    _check(after_w >= 0, ttw or tow, "width must be <= target - offset")
    _check(after_h >= 0, tth or toh, "height must be <= target - offset")
    padded = array_ops.pad(image, [[0, 0], [oh, after_h], [ow, after_w], [0, 0]])
    return _unbatch(padded, is_batch)


def central_crop(image, central_fraction):
    """``tf.image.central_crop``: keeps the central ``central_fraction`` of height and width
    (start ``int((size - size * fraction) / 2)``, as TF computes it)."""
    image = to_tensor(image)
    fraction = float(required_value(central_fraction, "central_fraction")  # sets the size
                     if isinstance(central_fraction, TensorLike) else central_fraction)
    if fraction <= 0.0 or fraction > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if fraction == 1.0:
        return image
    _image_rank(image)
    rank = image.ndim
    if rank not in (3, 4):
        raise ValueError("`image` should either be a Tensor with rank = 3 or rank = 4. Had "
                         f"rank = {rank}.")
    height, width = image.shape.as_list()[-3:-1]
    start_h = int((float(height) - float(height) * fraction) / 2)
    start_w = int((float(width) - float(width) * fraction) / 2)
    begin = [start_h, start_w, 0]
    size = [height - 2 * start_h, width - 2 * start_w, -1]
    if rank == 4:
        begin, size = [0] + begin, [-1] + size
    return array_ops.slice(image, begin, size)


def _target_size(image, target_height, target_width):
    """The image as a batch, whether it was one, and the positive target height and width."""
    image, is_batch = _as_image(image)
    th, tth = _int(target_height, "target_height")
    tw, ttw = _int(target_width, "target_width")
    _check(tw > 0, ttw, "target_width must be > 0.")
    _check(th > 0, tth, "target_height must be > 0.")
    return image, is_batch, th, tw


def resize_with_crop_or_pad(image, target_height, target_width):
    """``tf.image.resize_with_crop_or_pad``: centre crop and/or zero pad to the target size
    (the extra odd pixel cropped from or padded at the bottom/right, as TF)."""
    image, is_batch, th, tw = _target_size(image, target_height, target_width)
    _, height, width, _ = image.shape.as_list()
    cropped = crop_to_bounding_box(image, max(height - th, 0) // 2, max(width - tw, 0) // 2,
                                   min(th, height), min(tw, width))
    padded = pad_to_bounding_box(cropped, max(th - height, 0) // 2, max(tw - width, 0) // 2,
                                 th, tw)
    return _unbatch(padded, is_batch)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """``tf.image.resize_with_pad``: resizes keeping the aspect ratio (float32 arithmetic,
    floors as TF), then zero pads to the target size."""
    image, is_batch, th, tw = _target_size(image, target_height, target_width)
    _, height, width, _ = image.shape.as_list()
    f32 = np.float32
    ratio = max(f32(width) / f32(tw), f32(height) / f32(th))
    new_h, new_w = f32(height) / ratio, f32(width) / ratio
    pad_h = max(0, int(np.floor((f32(th) - new_h) / f32(2))))
    pad_w = max(0, int(np.floor((f32(tw) - new_w) / f32(2))))
    resized = resize(image, [int(np.floor(new_h)), int(np.floor(new_w))], method,
                     antialias=antialias)
    return _unbatch(pad_to_bounding_box(resized, pad_h, pad_w, th, tw), is_batch)


def rot90(image, k=1, name=None):
    """``tf.image.rot90``: rotates each image ``k`` quarter turns counter-clockwise."""
    image = to_tensor(image)
    _image_rank(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    k = int(int_array(k, "k")) % 4
    h, w = image.ndim - 3, image.ndim - 2
    perm = list(range(image.ndim))
    perm[h], perm[w] = w, h
    if k == 1:
        return array_ops.transpose(array_ops.reverse(image, [w]), perm)
    if k == 2:
        return array_ops.reverse(image, [h, w])
    if k == 3:
        return array_ops.reverse(array_ops.transpose(image, perm), [w])
    return image


def transpose(image, name=None):
    """``tf.image.transpose``: swaps height and width."""
    image = to_tensor(image)
    _image_rank(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return array_ops.transpose(image, [1, 0, 2] if image.ndim == 3 else [0, 2, 1, 3])


def _random_flip(image, axis, draw):
    """Flips each image of a batch (or the one image) where its uniform draw is below 0.5."""
    image = to_tensor(image)
    _image_rank(image)
    if image.ndim == 3:
        count, axis_at = [], axis
    elif image.ndim == 4:
        count, axis_at = [image.shape[0]], axis + 1
    else:
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    if image.ndim == 4 and image.shape[0] is None:
        raise NotImplementedError("random flips need a static batch size (argument `image`)")
    flips = math_ops.less(draw(count), 0.5)
    flips = array_ops.reshape(flips, count + [1, 1, 1] if count else [1, 1, 1])
    return array_ops.where(flips, array_ops.reverse(image, [axis_at]), image)


def random_flip_left_right(image, seed=None):
    """``tf.image.random_flip_left_right``: each image flipped along its width with chance
    1/2 (tapejax's random numbers)."""
    return _random_flip(image, 1, lambda shape: random_ops.uniform(shape, 0, 1.0, seed=seed))


def random_flip_up_down(image, seed=None):
    """``tf.image.random_flip_up_down``: each image flipped along its height with chance 1/2
    (tapejax's random numbers)."""
    return _random_flip(image, 0, lambda shape: random_ops.uniform(shape, 0, 1.0, seed=seed))


def stateless_random_flip_left_right(image, seed):
    """``tf.image.stateless_random_flip_left_right``: as ``random_flip_left_right``, the same
    flips for the same ``seed`` (shape [2])."""
    return _random_flip(image, 1, lambda shape: random_ops.stateless_uniform(
        shape, seed, 0, 1.0))


def stateless_random_flip_up_down(image, seed):
    """``tf.image.stateless_random_flip_up_down``: as ``random_flip_up_down``, the same flips
    for the same ``seed`` (shape [2])."""
    return _random_flip(image, 0, lambda shape: random_ops.stateless_uniform(
        shape, seed, 0, 1.0))


def _random_crop(value, size, uniform):
    value = to_tensor(value)
    size = [int(s) for s in int_array(size, "size", "int32")]
    shape = value.shape.as_list()
    if len(size) != len(shape) or any(s > d for s, d in zip(size, shape)):
        raise errors.InvalidArgumentError(None, None, (
            "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: "
            "b'Need value.shape >= size, got '\n" + ", ".join(map(str, shape)) + "\n"
            + ", ".join(map(str, size))))
    limit = [d - s + 1 for d, s in zip(shape, size)]
    offset = uniform([len(shape)], limit)
    return apply(_dynamic_slice, (value, offset), attrs(size=tuple(size)), "Slice")


def _dynamic_slice(value, offset, *, size):
    """``tf.slice`` at a drawn (run-time) ``offset``: the window a random crop keeps."""
    return jax.lax.dynamic_slice(value, tuple(offset[i] for i in range(len(size))), size)


@register("random_crop", _dynamic_slice, tf_name="Slice")
def random_crop(value, size, seed=None, name=None):
    """``tf.image.random_crop``: a ``size`` window at a uniform random offset (tapejax's random
    numbers), any rank."""
    def uniform(shape, limit):
        draw = random_ops.uniform(shape, 0, dtypes.int32.max, dtype=dtypes.int32, seed=seed)
        return math_ops.floormod(draw, to_tensor(limit, dtypes.int32))
    return _random_crop(value, size, uniform)


def stateless_random_crop(value, size, seed, name=None):
    """``tf.image.stateless_random_crop``: as ``random_crop``, the same window for the same
    ``seed`` (shape [2])."""
    def uniform(shape, limit):
        draw = random_ops.stateless_uniform(shape, seed, 0, dtypes.int32.max,
                                            dtype=dtypes.int32)
        return math_ops.floormod(draw, to_tensor(limit, dtypes.int32))
    return _random_crop(value, size, uniform)


# --- patches and crops ----------------------------------------------------------------------
def _patches(images, *, sizes, strides, rates, pads):
    (k_h, k_w), (s_h, s_w), (r_h, r_w) = sizes, strides, rates
    padded = jnp.pad(images, ((0, 0), pads[0], pads[1], (0, 0)))
    out_h = (padded.shape[1] - (k_h - 1) * r_h - 1) // s_h + 1
    out_w = (padded.shape[2] - (k_w - 1) * r_w - 1) // s_w + 1
    pieces = [padded[:, i * r_h: i * r_h + (out_h - 1) * s_h + 1: s_h,
                     j * r_w: j * r_w + (out_w - 1) * s_w + 1: s_w, :]
              for i in range(k_h) for j in range(k_w)]
    stacked = jnp.stack(pieces, axis=3)  # [b, out_h, out_w, k_h * k_w, c]
    return stacked.reshape(stacked.shape[:3] + (-1,))


def _patch_error(cls, message):
    return cls(None, None, f"{message} [Op:ExtractImagePatches] name: ")


# Not in the op table: the generated bad-input test (tests/test_bad_input.py) has no good
# arguments for it yet; it runs through ``apply`` as TF's ExtractImagePatches kernel.
def extract_patches(images, sizes, strides, rates, padding, name=None):
    """``tf.image.extract_patches``: the ``sizes`` windows (dilated by ``rates``) every
    ``strides`` pixels, each flattened in (row, column, channel) order into the last axis;
    ``"SAME"`` pads with zeros as TF (the extra pixel after)."""
    attrs_ = {}
    for what, value in (("ksizes", sizes), ("strides", strides), ("rates", rates)):
        if not isinstance(value, (list, tuple)):  # TF's attribute checks come first
            raise TypeError(f"Expected list for '{what}' argument to 'extract_image_patches' "
                            f"Op, not {value!r}.")
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"Expected int for argument '{what}' not {v!r}.")
        if len(value) < 4:
            raise errors.InvalidArgumentError(None, None, (
                f"Length for attr '{what}' of {len(value)} must be at least minimum 4"))
        attrs_[what] = [int(v) for v in value]
    if not isinstance(padding, str):
        raise TypeError(f"Expected string for argument 'padding' not {padding!r}.")
    if padding not in ("SAME", "VALID"):
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'padding' of \"{padding}\" is not in the list of allowed values: "
            "\"SAME\", \"VALID\""))
    images = to_tensor(images)
    if images.dtype in (dtypes.bool, dtypes.string):
        raise errors.NotFoundError(None, None, (
            "Could not find device for node: {{node ExtractImagePatches}} = "
            f"ExtractImagePatches[T=DT_{images.dtype.name.upper()}]"))
    if images.ndim != 4:
        raise _patch_error(errors.InvalidArgumentError, "input must be 4-dimensional"
                           + str(images.shape.as_list()).replace(" ", ""))
    for what, value in attrs_.items():
        if value[0] != 1 or value[3] != 1:
            raise _patch_error(errors.UnimplementedError, f"Only support {what} across space.")
        if min(value[1:3]) <= 0:
            raise _patch_error(errors.OutOfRangeError, f"{what} is out of range.")
    k, s, r = (tuple(attrs_[w][1:3]) for w in ("ksizes", "strides", "rates"))
    _, height, width, _ = images.shape.as_list()
    pads, shape = [], [images.shape[0]]
    for size, kernel, stride, rate in zip((height, width), k, s, r):
        effective = (kernel - 1) * rate + 1
        if padding == "VALID":
            out = int((size - effective + stride) / stride)  # C++ division: toward zero
            if out < 0:
                raise _patch_error(errors.InvalidArgumentError, (
                    f"Computed output size would be negative: {out} [input_size: {size}, "
                    f"effective_filter_size: {effective}, stride: {stride}]"))
            pads.append((0, 0))
        else:
            out = -(-size // stride)
            total = max((out - 1) * stride + effective - size, 0)
            pads.append((total // 2, total - total // 2))
        shape.append(out)
    if min(shape[1:]) == 0:
        return array_ops.zeros(shape + [k[0] * k[1] * images.shape[3]], images.dtype)
    return apply(_patches, (images,), attrs(sizes=k, strides=s, rates=r, pads=tuple(pads)),
                 "ExtractImagePatches")


def _crop_and_resize(image, boxes, box_indices, extrapolation_value, *, crop_size, method):
    _, height, width, _ = image.shape
    crop_h, crop_w = crop_size
    values = image.astype(jnp.float32)
    y1, x1, y2, x2 = (boxes[:, i] for i in range(4))

    def coordinates(low, high, count, size):
        if count > 1:
            step = (high - low) * (size - 1) / (count - 1)
            return low[:, None] * (size - 1) + jnp.arange(count, dtype=jnp.float32) * step[:, None]
        return (0.5 * (low + high) * (size - 1))[:, None]

    in_y = coordinates(y1, y2, crop_h, height)  # [n, crop_h]
    in_x = coordinates(x1, x2, crop_w, width)  # [n, crop_w]
    inside = (((in_y >= 0) & (in_y <= height - 1))[:, :, None]
              & ((in_x >= 0) & (in_x <= width - 1))[:, None, :])
    b = box_indices[:, None, None]

    def read(iy, ix):
        iy = jnp.clip(iy, 0, height - 1).astype(jnp.int32)[:, :, None]
        ix = jnp.clip(ix, 0, width - 1).astype(jnp.int32)[:, None, :]
        return values[b, iy, ix]  # [n, crop_h, crop_w, c]

    if method == "nearest":  # std::round: halves away from zero
        out = read(jnp.sign(in_y) * jnp.floor(jnp.abs(in_y) + 0.5),
                   jnp.sign(in_x) * jnp.floor(jnp.abs(in_x) + 0.5))
    else:
        top, left = jnp.floor(in_y), jnp.floor(in_x)
        bottom, right = jnp.ceil(in_y), jnp.ceil(in_x)
        y_lerp = (in_y - top)[:, :, None, None]
        x_lerp = (in_x - left)[:, None, :, None]
        upper = read(top, left) + (read(top, right) - read(top, left)) * x_lerp
        lower = read(bottom, left) + (read(bottom, right) - read(bottom, left)) * x_lerp
        out = upper + (lower - upper) * y_lerp
    return jnp.where(inside[..., None], out, extrapolation_value.astype(jnp.float32))


def _converted(value, dtype):
    """An op input converted as TF converts it: a Tensor of another dtype is its ValueError,
    other values are cast (a NumPy float64 array to float32, int64 to int32)."""
    if isinstance(value, TensorLike):
        if value.dtype != dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    return to_tensor(value, dtype)


_CROP_DTYPES = ("uint8", "uint16", "int8", "int16", "int32", "int64", "half", "float", "double")


def _crop_error(cls, message):
    return cls(None, None, f"{message} [Op:CropAndResize] name: ")


# Not in the op table for the same reason; one ``apply`` as TF's CropAndResize kernel.
def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """``tf.image.crop_and_resize``: each normalized box ``[y1, x1, y2, x2]`` of image
    ``box_indices[i]`` sampled on a ``crop_size`` grid (corners aligned; one sample: the box
    centre) by ``"bilinear"`` or ``"nearest"`` (halves away from zero) interpolation;
    samples outside the image are ``extrapolation_value``. The result is float32."""
    image = to_tensor(image)
    boxes = _converted(boxes, dtypes.float32)
    box_indices = _converted(box_indices, dtypes.int32)
    size = _converted(crop_size, dtypes.int32)
    kind = {"float16": "half", "float32": "float", "float64": "double"}.get(
        image.dtype.name, image.dtype.name)
    if kind not in _CROP_DTYPES:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of {kind} is not in the list of allowed values: "
            + ", ".join(_CROP_DTYPES)))
    if method not in ("bilinear", "nearest"):
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'method' of \"{method}\" is not in the list of allowed values: "
            "\"bilinear\", \"nearest\""))
    if image.ndim != 4:
        raise _crop_error(errors.InvalidArgumentError, "input image must be 4-D"
                          + str(image.shape.as_list()).replace(" ", ""))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise _crop_error(errors.InvalidArgumentError, "boxes must have 4 columns")
    if box_indices.ndim != 1 or box_indices.shape[0] != boxes.shape[0]:
        raise _crop_error(errors.InvalidArgumentError, "box_index has incompatible shape")
    if size.ndim != 1 or size.shape[0] != 2:
        raise _crop_error(errors.InvalidArgumentError, "crop_size must have two elements"
                          + str(size.shape.as_list()).replace(" ", ""))
    crop = tuple(int(v) for v in int_array(size, "crop_size"))
    if min(crop) <= 0:
        raise _crop_error(errors.InvalidArgumentError, "crop dimensions must be positive")
    # None when a traced function computes them: TF checks them at run time, tapejax cannot
    index_values = known_value(box_indices)
    if index_values is not None and index_values.size and (
            index_values.min() < 0 or index_values.max() >= image.shape[0]):
        raise _crop_error(errors.OutOfRangeError, "box_index has values outside [0, batch_size)")
    fill = to_tensor(float(extrapolation_value), dtypes.float32) if not isinstance(
        extrapolation_value, TensorLike) else extrapolation_value
    return apply(_crop_and_resize, (image, boxes, box_indices, math_ops.stop_gradient(fill)),
                 attrs(crop_size=crop, method=method), "CropAndResize")
