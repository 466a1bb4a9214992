"""``tf.raw_ops.ImageProjectiveTransformV3``, the geometric ``tf.image`` functions (crops,
pads, rotations, random flips and crops, patches, ``crop_and_resize``) and
``tf.image.resize``'s methods against real TensorFlow, and Keras's image augmentation layers
run on tapejax."""
import os
import pathlib
import textwrap

import numpy as np
import pytest

import tapejax
from tf_oracle import compare, run_programs, same_error, same_program

ROOT = pathlib.Path(__file__).resolve().parent.parent
R = np.random.RandomState(7)
IMG3 = R.uniform(size=(5, 6, 2)).astype(np.float32)
IMG4 = R.uniform(size=(2, 5, 6, 3)).astype(np.float32)
U8 = R.randint(0, 256, size=(2, 5, 6, 3)).astype(np.uint8)
U8_3 = U8[0]
T_TRANSLATE = np.array([[1, 0, 0.6, 0, 1, -1.3, 0, 0]], np.float32)
T_AFFINE = np.array([[1.1, 0.2, -1.5, -0.1, 0.9, 2.0, 0.0, 0.0],
                     [0.9, -0.3, 1.0, 0.25, 1.05, -0.5, 0.0, 0.0]], np.float32)
BOXES = np.array([[0.1, 0.2, 0.8, 0.9], [-0.2, 0.5, 1.3, 0.4], [0.33, 0.9, 0.35, 0.1]],
                 np.float32)
T_PERSPECTIVE = np.array([[1.1, 0.2, -1.5, -0.1, 0.9, 2.0, 0.01, 0.03],
                          [0.9, -0.3, 1.0, 0.25, 1.05, -0.5, -0.02, 0.01]], np.float32)


def projective(transforms, interpolation="BILINEAR", fill_mode="CONSTANT", shape=(5, 6),
               fill=0.25):
    def fn(tf, images):
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=images, transforms=transforms, output_shape=list(shape),
            fill_value=fill, interpolation=interpolation, fill_mode=fill_mode)
    return fn


# name: (fn, *args) -- values and gradients compared with TF
CASES = {
    # TF's registered gradient resamples by the inverse transform: the exact adjoint (JAX's)
    # only for translations, so gradients are compared there.
    "projective_translate_bilinear": (projective(T_TRANSLATE), IMG4),
    "projective_translate_nearest": (projective(T_TRANSLATE, "NEAREST"), IMG4),
    "crop_to_bounding_box_3d": (
        lambda tf, x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 4), IMG3),
    "crop_to_bounding_box_4d": (
        lambda tf, x: tf.image.crop_to_bounding_box(x, 0, 1, 5, 3), IMG4),
    "crop_to_bounding_box_tensor_args": (lambda tf, x: tf.image.crop_to_bounding_box(
        x, tf.constant(1), 2, tf.constant(3), 4), IMG4),
    "pad_to_bounding_box_3d": (lambda tf, x: tf.image.pad_to_bounding_box(x, 1, 2, 8, 9), IMG3),
    "pad_to_bounding_box_4d": (lambda tf, x: tf.image.pad_to_bounding_box(x, 0, 3, 6, 9), IMG4),
    "central_crop_3d": (lambda tf, x: tf.image.central_crop(x, 0.5), IMG3),
    "central_crop_4d": (lambda tf, x: tf.image.central_crop(x, 0.7), IMG4),
    "central_crop_one": (lambda tf, x: tf.image.central_crop(x, 1.0), IMG4),
    "resize_with_crop_or_pad_crop": (
        lambda tf, x: tf.image.resize_with_crop_or_pad(x, 3, 4), IMG4),
    "resize_with_crop_or_pad_pad": (
        lambda tf, x: tf.image.resize_with_crop_or_pad(x, 8, 9), IMG3),
    "resize_with_crop_or_pad_mixed": (
        lambda tf, x: tf.image.resize_with_crop_or_pad(x, 2, 9), IMG4),
    "resize_with_pad_4d": (lambda tf, x: tf.image.resize_with_pad(x, 7, 9), IMG4),
    "resize_with_pad_3d": (lambda tf, x: tf.image.resize_with_pad(x, 10, 4), IMG3),
    "resize_with_pad_nearest": (
        lambda tf, x: tf.image.resize_with_pad(x, 4, 11, method="nearest"), IMG4),
    "rot90_3d": (lambda tf, x: tf.image.rot90(x), IMG3),
    "rot90_4d_k2": (lambda tf, x: tf.image.rot90(x, 2), IMG4),
    "rot90_4d_k3": (lambda tf, x: tf.image.rot90(x, k=3), IMG4),
    "rot90_k_negative": (lambda tf, x: tf.image.rot90(x, -1), IMG3),
    "rot90_k_tensor": (lambda tf, x: tf.image.rot90(x, tf.constant(5)), IMG4),
    "transpose_3d": (lambda tf, x: tf.image.transpose(x), IMG3),
    "transpose_4d": (lambda tf, x: tf.image.transpose(x), IMG4),
    # resize: TF's ResizeBicubic and ScaleAndTranslate kernels (gradients: their adjoints)
    "resize_bicubic_up": (lambda tf, x: tf.image.resize(x, [9, 11], "bicubic"), IMG4),
    "resize_bicubic_down_3d": (lambda tf, x: tf.image.resize(x, [3, 2], "bicubic"), IMG3),
    "resize_bicubic_antialias": (
        lambda tf, x: tf.image.resize(x, [2, 4], "bicubic", antialias=True), IMG4),
    "resize_bilinear_antialias": (
        lambda tf, x: tf.image.resize(x, [3, 2], antialias=True), IMG3),
    "resize_lanczos3": (lambda tf, x: tf.image.resize(x, [8, 3], "lanczos3"), IMG4),
    "resize_lanczos3_antialias": (
        lambda tf, x: tf.image.resize(x, [2, 3], "lanczos3", antialias=True), IMG4),
    "resize_lanczos5": (lambda tf, x: tf.image.resize(x, [7, 13], "lanczos5"), IMG3),
    "resize_lanczos5_antialias": (
        lambda tf, x: tf.image.resize(x, [3, 2], "lanczos5", antialias=True), IMG4),
    "resize_gaussian": (lambda tf, x: tf.image.resize(x, [9, 4], "gaussian"), IMG4),
    "resize_gaussian_antialias": (
        lambda tf, x: tf.image.resize(x, [2, 2], "gaussian", antialias=True), IMG3),
    "resize_mitchellcubic": (lambda tf, x: tf.image.resize(x, [4, 10], "mitchellcubic"), IMG4),
    "resize_mitchellcubic_antialias": (lambda tf, x: tf.image.resize(
        x, [3, 4], tf.image.ResizeMethod.MITCHELLCUBIC, antialias=True), IMG4),
    "resize_preserve_aspect_ratio": (
        lambda tf, x: tf.image.resize(x, [10, 30], "bicubic", preserve_aspect_ratio=True), IMG4),
    "resize_preserve_aspect_ratio_3d": (
        lambda tf, x: tf.image.resize(x, [3, 30], preserve_aspect_ratio=True), IMG3),
    "resize_nearest_antialias": (
        lambda tf, x: tf.image.resize(x, [7, 4], "nearest", antialias=True), IMG4),
    # patches and crops
    "extract_patches_valid": (lambda tf, x: tf.image.extract_patches(
        x, [1, 2, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"), IMG4),
    "extract_patches_same_rates": (lambda tf, x: tf.image.extract_patches(
        x, [1, 3, 2, 1], [1, 1, 3, 1], [1, 2, 1, 1], "SAME"), IMG4),
    "extract_patches_same_strides": (lambda tf, x: tf.image.extract_patches(
        x, sizes=[1, 2, 2, 1], strides=[1, 3, 2, 1], rates=[1, 1, 3, 1], padding="SAME"), IMG4),
    "crop_and_resize_bilinear": (lambda tf, x, boxes: tf.image.crop_and_resize(
        x, boxes, [1, 0, 1], [3, 4]), IMG4, BOXES),
    "crop_and_resize_one_pixel": (lambda tf, x, boxes: tf.image.crop_and_resize(
        x, boxes, [1, 0, 1], [1, 1], extrapolation_value=0.5), IMG4, BOXES),
    "crop_and_resize_nearest_image_gradient": (lambda tf, x: tf.image.crop_and_resize(
        x, BOXES, [1, 0, 1], [6, 2], "nearest", 0.5), IMG4),
    "crop_and_resize_one_row": (lambda tf, x, boxes: tf.image.crop_and_resize(
        x, boxes, [0, 0, 1], [1, 5], extrapolation_value=-1.0), IMG4, BOXES),
}

# name: (fn, *args) -- values only (integer images, or TF's gradient is not the adjoint)
NO_GRAD_CASES = {
    "projective_affine_u8": (projective(T_AFFINE, fill=3.0), U8),
    "projective_affine_nearest_u8": (projective(T_AFFINE, "NEAREST"), U8),
    "projective_perspective": (projective(T_PERSPECTIVE, shape=(7, 4)), IMG4),
    "projective_perspective_float64": (projective(T_PERSPECTIVE), IMG4.astype(np.float64)),
    "projective_int32": (projective(T_AFFINE, fill=-1.7), (U8.astype(np.int32) - 100)),
    "crop_to_bounding_box_u8": (lambda tf, x: tf.image.crop_to_bounding_box(x, 1, 1, 2, 2), U8),
    "pad_to_bounding_box_u8": (lambda tf, x: tf.image.pad_to_bounding_box(x, 1, 1, 8, 8), U8_3),
    "central_crop_u8": (lambda tf, x: tf.image.central_crop(x, 0.3), U8),
    "resize_with_crop_or_pad_u8": (lambda tf, x: tf.image.resize_with_crop_or_pad(x, 4, 8), U8),
    "resize_with_pad_u8": (lambda tf, x: tf.image.resize_with_pad(x, 9, 9), U8_3),
    "rot90_u8": (lambda tf, x: tf.image.rot90(x, 1), U8),
    "transpose_u8": (lambda tf, x: tf.image.transpose(x), U8_3),
    "resize_area_down": (lambda tf, x: tf.image.resize(x, [2, 4], "area"), IMG4),
    "resize_area_up_3d": (lambda tf, x: tf.image.resize(x, [7, 13], "area"), IMG3),
    "resize_area_antialias": (
        lambda tf, x: tf.image.resize(x, [3, 5], "area", antialias=True), IMG4),
    "resize_area_u8": (lambda tf, x: tf.image.resize(x, [4, 4], "area"), U8),
    "resize_bicubic_u8": (lambda tf, x: tf.image.resize(x, [7, 3], "bicubic"), U8_3),
    "resize_lanczos3_u8": (lambda tf, x: tf.image.resize(x, [3, 9], "lanczos3"), U8),
    "resize_gaussian_float64": (
        lambda tf, x: tf.image.resize(x, [3, 9], "gaussian"), IMG4.astype(np.float64)),
    "extract_patches_u8": (lambda tf, x: tf.image.extract_patches(
        x, [1, 2, 3, 1], [1, 2, 2, 1], [1, 2, 1, 1], "SAME"), U8),
    "extract_patches_empty": (lambda tf, x: tf.image.extract_patches(
        x, [1, 6, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"), IMG4),
    "crop_and_resize_nearest": (lambda tf, x, boxes: tf.image.crop_and_resize(
        x, boxes, [1, 0, 1], [6, 2], "nearest", 0.5), IMG4, BOXES),
    "crop_and_resize_u8_float64_boxes_int64_indices": (
        lambda tf, x: tf.image.crop_and_resize(x, BOXES.astype(np.float64),
                                               np.array([1, 0, 1], np.int64), [3, 4]), U8),
    "resize_nearest_preserve_aspect_ratio_u8": (
        lambda tf, x: tf.image.resize(x, [9, 30], "nearest", preserve_aspect_ratio=True), U8_3),
}
for _interp in ("NEAREST", "BILINEAR"):
    for _mode in ("CONSTANT", "REFLECT", "WRAP", "NEAREST"):
        NO_GRAD_CASES[f"projective_{_interp}_{_mode}"] = (
            projective(T_AFFINE, _interp, _mode, shape=(7, 8)), IMG4)
        NO_GRAD_CASES[f"projective_{_interp}_{_mode}_far"] = (  # far outside: the period maps
            projective(np.array([[1.5, 0, -9.3, 0, 2.2, 7.6, 0, 0]], np.float32), _interp,
                       _mode, shape=(6, 9)), IMG4)
        NO_GRAD_CASES[f"projective_{_interp}_{_mode}_one_pixel_wide"] = (
            projective(T_AFFINE, _interp, _mode), IMG4[:, :, :1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tensorflow(real_tf, case):
    fn, *args = CASES[case]
    compare(real_tf, fn, *args)


@pytest.mark.parametrize("case", sorted(NO_GRAD_CASES))
def test_values_match_tensorflow(real_tf, case):
    fn, *args = NO_GRAD_CASES[case]
    compare(real_tf, fn, *args, grad=False)


def test_projective_transform_has_no_gradient_for_transforms_or_fill(real_tf):
    """TF registers no gradient for ``transforms``/``fill_value``: None in both."""
    for lib in (real_tf, tapejax):
        x, t, fill = lib.constant(IMG4), lib.constant(T_AFFINE), lib.constant(0.5)
        with lib.GradientTape() as tape:
            tape.watch([x, t, fill])
            y = lib.raw_ops.ImageProjectiveTransformV3(
                images=x, transforms=t, output_shape=[5, 6], fill_value=fill,
                interpolation="BILINEAR")
        grads = tape.gradient(y, [x, t, fill])
        assert grads[0] is not None and grads[1] is None and grads[2] is None


def test_projective_gradient_is_the_adjoint():
    """The image gradient (JAX's) is the exact adjoint: <T x, w> == <x, T^T w>."""
    x = tapejax.constant(IMG4)
    w = R.normal(size=(2, 7, 8, 3)).astype(np.float32)
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = projective(T_AFFINE, shape=(7, 8), fill=0.0)(tapejax, x)
        s = tapejax.reduce_sum(y * w)
    g = tape.gradient(s, x).numpy()
    np.testing.assert_allclose(float(np.sum(g * IMG4)), float(s.numpy()), rtol=1e-5)


def _raw(**changes):
    kwargs = dict(images=IMG4, transforms=T_AFFINE, output_shape=[5, 6], fill_value=0.0,
                  interpolation="NEAREST")
    kwargs.update(changes)
    return lambda tf: tf.raw_ops.ImageProjectiveTransformV3(**kwargs)


ERRORS = {
    "projective_rank3": _raw(images=IMG3),
    "projective_transforms_rank1": _raw(transforms=T_AFFINE[0]),
    "projective_transforms_7": _raw(transforms=np.zeros((1, 7), np.float32)),
    "projective_transforms_batch": _raw(transforms=np.zeros((3, 8), np.float32)),
    "projective_output_shape_1": _raw(output_shape=[4]),
    "projective_output_shape_3": _raw(output_shape=[4, 5, 6]),
    "projective_output_shape_2d": _raw(output_shape=[[4, 5]]),
    "projective_output_shape_zero": _raw(output_shape=[0, 5]),
    "projective_output_shape_float": _raw(output_shape=[2, 4.0]),
    "projective_fill_vector": _raw(fill_value=[0.0, 1.0]),
    "projective_int8": _raw(images=U8.astype(np.int8)),
    "projective_bool": _raw(images=U8 > 3),
    "projective_interpolation_int": _raw(interpolation=3),
    "projective_positional": lambda tf: tf.raw_ops.ImageProjectiveTransformV3(
        IMG4, T_AFFINE, [5, 6], 0.0, "NEAREST"),
    "crop_rank2": lambda tf: tf.image.crop_to_bounding_box(IMG4[0, 0], 0, 0, 1, 1),
    "crop_rank5": lambda tf: tf.image.crop_to_bounding_box(IMG4[None], 0, 0, 1, 1),
    "crop_offset_negative": lambda tf: tf.image.crop_to_bounding_box(IMG4, -1, 0, 1, 1),
    "crop_offset_width_negative": lambda tf: tf.image.crop_to_bounding_box(IMG4, 0, -1, 1, 1),
    "crop_target_zero": lambda tf: tf.image.crop_to_bounding_box(IMG4, 0, 0, 0, 1),
    "crop_too_wide": lambda tf: tf.image.crop_to_bounding_box(IMG4, 0, 3, 2, 4),
    "crop_too_high": lambda tf: tf.image.crop_to_bounding_box(IMG3, 3, 0, 3, 4),
    "crop_tensor_too_wide": lambda tf: tf.image.crop_to_bounding_box(
        IMG4, 0, tf.constant(3), 2, 4),
    "pad_offset_negative": lambda tf: tf.image.pad_to_bounding_box(IMG4, -1, 0, 9, 9),
    "pad_too_small": lambda tf: tf.image.pad_to_bounding_box(IMG4, 1, 0, 5, 9),
    "pad_too_narrow": lambda tf: tf.image.pad_to_bounding_box(IMG3, 0, 1, 9, 6),
    "pad_rank2": lambda tf: tf.image.pad_to_bounding_box(IMG4[0, 0], 0, 0, 9, 9),
    "central_crop_zero": lambda tf: tf.image.central_crop(IMG4, 0.0),
    "central_crop_above_one": lambda tf: tf.image.central_crop(IMG4, 1.5),
    "central_crop_rank2": lambda tf: tf.image.central_crop(IMG4[0, 0], 0.5),
    "central_crop_rank5": lambda tf: tf.image.central_crop(IMG4[None], 0.5),
    "resize_with_crop_or_pad_zero": lambda tf: tf.image.resize_with_crop_or_pad(IMG4, 0, 3),
    "resize_with_crop_or_pad_rank2": lambda tf: tf.image.resize_with_crop_or_pad(
        IMG4[0, 0], 2, 3),
    "resize_with_pad_zero": lambda tf: tf.image.resize_with_pad(IMG4, 3, 0),
    "rot90_rank2": lambda tf: tf.image.rot90(IMG4[0, 0]),
    "rot90_rank5": lambda tf: tf.image.rot90(IMG4[None]),
    "transpose_rank2": lambda tf: tf.image.transpose(IMG4[0, 0]),
    "transpose_rank5": lambda tf: tf.image.transpose(IMG4[None]),
    "random_flip_rank2": lambda tf: tf.image.random_flip_left_right(IMG4[0, 0]),
    "random_flip_rank5": lambda tf: tf.image.random_flip_up_down(IMG4[None]),
    "random_crop_too_big": lambda tf: tf.image.random_crop(IMG4, [2, 6, 2, 3]),
    "patches_rank3": lambda tf: tf.image.extract_patches(
        IMG3, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
    "patches_sizes_batch": lambda tf: tf.image.extract_patches(
        IMG4, [2, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
    "patches_strides_channel": lambda tf: tf.image.extract_patches(
        IMG4, [1, 2, 2, 1], [1, 1, 1, 2], [1, 1, 1, 1], "VALID"),
    "patches_sizes_short": lambda tf: tf.image.extract_patches(
        IMG4, [1, 2, 2], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
    "patches_sizes_zero": lambda tf: tf.image.extract_patches(
        IMG4, [1, 0, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
    "patches_strides_zero": lambda tf: tf.image.extract_patches(
        IMG4, [1, 2, 2, 1], [1, 0, 1, 1], [1, 1, 1, 1], "VALID"),
    "patches_padding_lower": lambda tf: tf.image.extract_patches(
        IMG4, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "valid"),
    "patches_negative_size": lambda tf: tf.image.extract_patches(
        IMG4, [1, 5, 2, 1], [1, 2, 1, 1], [1, 2, 1, 1], "VALID"),
    "crop_and_resize_rank3": lambda tf: tf.image.crop_and_resize(IMG3, BOXES, [0, 0, 1], [2, 2]),
    "crop_and_resize_boxes_3_columns": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES[:, :3], [0, 0, 1], [2, 2]),
    "crop_and_resize_indices_count": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES, [0, 1], [2, 2]),
    "crop_and_resize_indices_range": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES, [0, 2, 1], [2, 2]),
    "crop_and_resize_crop_zero": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES, [0, 0, 1], [0, 2]),
    "crop_and_resize_crop_one_element": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES, [0, 0, 1], [2]),
    "crop_and_resize_bicubic": lambda tf: tf.image.crop_and_resize(
        IMG4, BOXES, [0, 0, 1], [2, 2], "bicubic"),
    "crop_and_resize_bool": lambda tf: tf.image.crop_and_resize(
        U8 > 3, BOXES, [0, 0, 1], [2, 2]),
    "resize_unknown_method": lambda tf: tf.image.resize(IMG4, [3, 3], "cubic"),
    "resize_unknown_method_zero_size": lambda tf: tf.image.resize(IMG4, [0, 3], "cubic"),
    "resize_bicubic_zero_size": (lambda tf: tf.image.resize(IMG4, [0, 3], "bicubic"), False),
    "resize_area_zero_size": (lambda tf: tf.image.resize(IMG3, [2, 0], "area"), False),
    "resize_lanczos3_zero_size": (lambda tf: tf.image.resize(IMG4, [0, 3], "lanczos3"), False),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_input_raises_tensorflows_error(real_tf, case):
    same_error(real_tf, ERRORS[case])


def test_resize_area_has_no_gradient_as_in_tensorflow(real_tf):
    """TF registers no gradient for ResizeArea: a LookupError in both."""
    for lib in (real_tf, tapejax):
        x = lib.constant(IMG4)
        with lib.GradientTape() as tape:
            tape.watch(x)
            y = lib.image.resize(x, [3, 3], "area")
        with pytest.raises(LookupError, match="ResizeArea"):
            tape.gradient(y, x)


def test_projective_invalid_modes_raise():
    """TF only logs an invalid ``interpolation``/``fill_mode`` and returns garbage; tapejax
    raises InvalidArgumentError with the message TF logs."""
    with pytest.raises(tapejax.errors.InvalidArgumentError, match="Invalid interpolation"):
        _raw(interpolation="BICUBIC")(tapejax)
    with pytest.raises(tapejax.errors.InvalidArgumentError, match="Invalid mode SYMMETRIC"):
        _raw(fill_mode="SYMMETRIC")(tapejax)


FUNCTION_CASES = {
    "projective": lambda tf, x: tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=T_AFFINE, output_shape=tf.shape(x)[1:3], fill_value=0.5,
        interpolation="BILINEAR", fill_mode="REFLECT"),
    "crop_to_bounding_box": lambda tf, x: tf.image.crop_to_bounding_box(
        x, 1, tf.shape(x)[2] - 4, 3, 4),
    "pad_to_bounding_box": lambda tf, x: tf.image.pad_to_bounding_box(
        x, 1, 1, tf.shape(x)[1] + 2, 8),
    "central_crop": lambda tf, x: tf.image.central_crop(x, 0.6),
    "central_crop_tensor_fraction": lambda tf, x: tf.image.central_crop(x, tf.constant(0.45)),
    "resize_with_crop_or_pad": lambda tf, x: tf.image.resize_with_crop_or_pad(x, 3, 8),
    "resize_with_pad": lambda tf, x: tf.image.resize_with_pad(x, 8, 8),
    "rot90": lambda tf, x: tf.image.rot90(x, 3),
    "transpose": lambda tf, x: tf.image.transpose(x),
    "resize_bicubic": lambda tf, x: tf.image.resize(x, [7, 3], "bicubic"),
    "resize_lanczos5_antialias": lambda tf, x: tf.image.resize(
        x, [3, 3], "lanczos5", antialias=True),
    "resize_area": lambda tf, x: tf.image.resize(x, [3, 4], "area"),
    "resize_preserve_aspect_ratio": lambda tf, x: tf.image.resize(
        x, [20, 7], "gaussian", preserve_aspect_ratio=True),
    "extract_patches": lambda tf, x: tf.image.extract_patches(
        x, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
    "crop_and_resize": lambda tf, x: tf.image.crop_and_resize(
        x, BOXES, [1, 0, 1], [4, 3], extrapolation_value=0.25),
}


@pytest.mark.parametrize("case", sorted(FUNCTION_CASES))
def test_inside_function_matches_tensorflow(real_tf, case):
    fn = FUNCTION_CASES[case]
    program = lambda tf, x: tf.function(lambda v: fn(tf, v))(x)  # noqa: E731
    if case == "resize_area":  # TF's function under a tape already wants the missing gradient
        same_program(real_tf, program, IMG4)
    else:
        compare(real_tf, program, IMG4, grad=case != "projective")


def test_run_time_central_fraction_is_not_implemented():
    """Inside ``tapejax.function`` the crop must be static: a fraction known only at run time
    raises NotImplementedError naming the argument."""
    crop = tapejax.function(lambda x, f: tapejax.image.central_crop(x, f))
    with pytest.raises(NotImplementedError, match="central_fraction"):
        crop(tapejax.constant(IMG4), tapejax.constant(0.5))


# --- random flips and crops: tapejax's numbers, so properties rather than TF's values --------

FLIPS = {
    "random_flip_left_right": (lambda tf, x, seed: tf.image.random_flip_left_right(x, seed), 2),
    "random_flip_up_down": (lambda tf, x, seed: tf.image.random_flip_up_down(x, seed), 1),
    "stateless_random_flip_left_right": (
        lambda tf, x, seed: tf.image.stateless_random_flip_left_right(x, [seed, 3]), 2),
    "stateless_random_flip_up_down": (
        lambda tf, x, seed: tf.image.stateless_random_flip_up_down(x, [seed, 3]), 1),
}
BATCH = R.uniform(size=(32, 3, 4, 2)).astype(np.float32)


@pytest.mark.parametrize("case", sorted(FLIPS))
@pytest.mark.parametrize("function", [False, True])
def test_random_flips_flip_each_image_or_keep_it(case, function):
    fn, axis = FLIPS[case]
    call = (tapejax.function(lambda x: fn(tapejax, x, 5)) if function
            else lambda x: fn(tapejax, x, 5))
    out = call(tapejax.constant(BATCH))
    assert out.dtype == tapejax.float32 and out.shape == BATCH.shape
    flipped = np.flip(BATCH, axis)
    got = out.numpy()
    is_flipped = [np.array_equal(g, f) for g, f in zip(got, flipped)]
    is_same = [np.array_equal(g, b) for g, b in zip(got, BATCH)]
    assert all(f or s for f, s in zip(is_flipped, is_same))
    assert 4 <= sum(is_flipped) <= 28  # about half of 32 images flipped, independently
    one = fn(tapejax, U8_3, 1)  # a single image: all or nothing, the dtype kept
    assert one.dtype == tapejax.uint8
    assert np.array_equal(one.numpy(), U8_3) or np.array_equal(
        one.numpy(), np.flip(U8_3, axis - 1))


@pytest.mark.parametrize("case", ["stateless_random_flip_left_right",
                                  "stateless_random_flip_up_down"])
def test_stateless_flips_are_deterministic(case):
    fn, _ = FLIPS[case]
    first = fn(tapejax, BATCH, 11).numpy()
    assert np.array_equal(first, fn(tapejax, BATCH, 11).numpy())
    inside = tapejax.function(lambda x: fn(tapejax, x, 11))(tapejax.constant(BATCH)).numpy()
    assert np.array_equal(first, inside)


def _windows(value, size):
    """All ``size`` windows of ``value``."""
    starts = np.stack(np.meshgrid(*[np.arange(d - s + 1) for d, s in zip(value.shape, size)],
                                  indexing="ij"), -1).reshape(-1, value.ndim)
    return [value[tuple(slice(b, b + s) for b, s in zip(start, size))] for start in starts]


@pytest.mark.parametrize("function", [False, True])
def test_random_crop_is_a_window(function):
    size = [1, 3, 4, 2]
    crop = (tapejax.function(lambda x: tapejax.image.random_crop(x, size)) if function
            else lambda x: tapejax.image.random_crop(x, size, seed=3))
    windows = _windows(IMG4, size)
    seen = set()
    for _ in range(12):
        got = crop(tapejax.constant(IMG4)).numpy()
        assert got.shape == tuple(size) and got.dtype == np.float32
        matches = [k for k, w in enumerate(windows) if np.array_equal(w, got)]
        assert matches
        seen.add(matches[0])
    assert len(seen) > 1  # not always the same window
    full = tapejax.image.random_crop(U8_3, list(U8_3.shape)).numpy()
    assert np.array_equal(full, U8_3)  # the whole value is the only window


def test_stateless_random_crop_is_deterministic_and_a_window():
    size = [2, 4, 2]
    first = tapejax.image.stateless_random_crop(IMG3, size, seed=[4, 2]).numpy()
    again = tapejax.image.stateless_random_crop(IMG3, size, seed=[4, 2]).numpy()
    inside = tapejax.function(lambda x: tapejax.image.stateless_random_crop(
        x, size, seed=[4, 2]))(tapejax.constant(IMG3)).numpy()
    assert np.array_equal(first, again) and np.array_equal(first, inside)
    assert any(np.array_equal(first, w) for w in _windows(IMG3, size))
    others = {tapejax.image.stateless_random_crop(IMG3, size, seed=[s, 2]).numpy().tobytes()
              for s in range(8)}
    assert len(others) > 1


def test_random_crop_gradient_lands_in_the_window():
    x = tapejax.constant(IMG4)
    with tapejax.GradientTape() as tape:
        tape.watch(x)
        y = tapejax.image.stateless_random_crop(x, [2, 2, 3, 3], seed=[1, 1])
    g = tape.gradient(y, x).numpy()
    assert g.sum() == 2 * 2 * 3 * 3 and set(np.unique(g)) <= {0.0, 1.0}
    assert np.array_equal(np.sort(IMG4[g == 1]), np.sort(y.numpy().reshape(-1)))


# --- Keras's augmentation layers under ``python -m tapejax run`` --------------------------

KERAS_PROGRAM = textwrap.dedent('''
    import json
    import numpy as np
    import tensorflow as tf
    import keras

    x = np.random.default_rng(0).uniform(size=(2, 16, 16, 3)).astype(np.float32)
    out = {}
    layers = {
        "RandomRotation": lambda: keras.layers.RandomRotation(0.2, seed=1),
        "RandomZoom": lambda: keras.layers.RandomZoom(0.2, seed=1),
        "RandomTranslation": lambda: keras.layers.RandomTranslation(0.1, 0.1, seed=1),
        "RandomShear": lambda: keras.layers.RandomShear(0.2, seed=1),
        "RandomPerspective": lambda: keras.layers.RandomPerspective(seed=1),
    }
    for key, make in layers.items():
        layer = make()
        eager = layer(x, training=True)
        inside = tf.function(lambda v: layer(v, training=True))(tf.constant(x))
        out[key] = [list(eager.shape), list(inside.shape), str(eager.dtype)]
    t = np.array([[1.1, 0.2, -1.5, -0.1, 0.9, 2.0, 0.001, 0.002],
                  [0.9, -0.3, 1.0, 0.25, 1.05, -0.5, 0.0, 0.0]], np.float32)
    for interpolation in ["bilinear", "nearest"]:
        for mode in ["constant", "reflect", "wrap", "nearest"]:
            y = tf.function(lambda v: keras.ops.image.affine_transform(
                v, t, interpolation=interpolation, fill_mode=mode, fill_value=0.25))(
                tf.constant(x))
            out[f"affine_{interpolation}_{mode}"] = np.asarray(y).tolist()
    out["affine_eager"] = np.asarray(keras.ops.image.affine_transform(x, t)).tolist()
    for interpolation in ["bicubic", "area", "lanczos3", "lanczos5", "nearest"]:
        y = keras.layers.Resizing(7, 11, interpolation=interpolation)(x)
        out[f"resizing_{interpolation}"] = np.asarray(y).tolist()
    out["resizing_crop_to_aspect_ratio"] = np.asarray(keras.layers.Resizing(
        8, 5, crop_to_aspect_ratio=True)(x)).tolist()
    out["resizing_pad_to_aspect_ratio"] = np.asarray(keras.layers.Resizing(
        8, 5, pad_to_aspect_ratio=True)(x)).tolist()
    out["center_crop"] = np.asarray(keras.layers.CenterCrop(9, 6)(x)).tolist()
    flipped = keras.layers.RandomFlip(seed=2)(x, training=True)
    out["RandomFlip"] = [list(flipped.shape), list(flipped.shape), str(flipped.dtype)]
    cropped = keras.layers.RandomCrop(10, 12, seed=2)(x, training=True)
    out["RandomCrop"] = [list(cropped.shape), [2, 10, 12, 3], str(cropped.dtype)]
    out["rotation_quarter"] = np.asarray(
        keras.layers.RandomRotation((0.25, 0.25), seed=1)(x, training=True)).tolist()
    print(json.dumps(out))
''')


@pytest.mark.keras
def test_keras_augmentation_layers_run_and_affine_transform_matches(real_tf, tmp_path):
    pytest.importorskip("keras")
    program = tmp_path / "augment.py"
    program.write_text(KERAS_PROGRAM)
    env = dict(os.environ, PYTHONPATH=str(ROOT), KERAS_BACKEND="tensorflow",
               TF_CPP_MIN_LOG_LEVEL="3")
    results = run_programs({"tf": [str(program)],
                            "tapejax": ["-m", "tapejax", "run", str(program)]}, env, timeout=600)
    ours, theirs = results["tapejax"], results["tf"]
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        if key == "RandomCrop":
            assert ours[key] == value == [[2, 10, 12, 3], [2, 10, 12, 3], "<dtype: 'float32'>"]
        elif key.startswith("Random"):
            assert ours[key] == value == [[2, 16, 16, 3], [2, 16, 16, 3], "<dtype: 'float32'>"]
        else:
            np.testing.assert_allclose(np.array(ours[key]), np.array(value), rtol=1e-5,
                                       atol=1e-6, err_msg=key)



def test_convert_image_dtype_of_a_bool_image_raises_tensorflows_error(real_tf):
    same_error(real_tf, lambda tf: tf.image.convert_image_dtype(tf.constant([True]), tf.float32))
