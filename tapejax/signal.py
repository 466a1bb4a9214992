"""``tf.signal``: Fourier transforms over the innermost 1, 2 or 3 axes on ``jax.numpy.fft``
(and ``tf.fftnd``/``ifftnd``/``rfftnd``/``irfftnd`` over chosen axes). TF's dtype rules:
complex transforms take complex64/complex128, real ones take float32 (to complex64) or float64
(to complex128); ``fft_length`` crops or zero-pads the input as in TF.
"""
import jax.numpy as jnp

from . import errors
from .ops.core import apply, attrs, int_array, tf_type_name, to_tensor


def _check(x, op_name, complex_input):
    if complex_input and not x.dtype.is_complex:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'Tcomplex' of {tf_type_name(x.dtype)} is not in the list of "
            f"allowed values: complex64, complex128 [Op:{op_name}] name: "))
    if not complex_input and x.dtype.name not in ("float32", "float64"):
        raise ValueError(f"{op_name.rstrip('D').rstrip('23N')} requires tf.float32 or "
                         f"tf.float64 inputs, got: {x}")


def _transform(x, *, kind, axes, lengths):
    fn = {"fft": jnp.fft.fftn, "ifft": jnp.fft.ifftn, "rfft": jnp.fft.rfftn,
          "irfft": jnp.fft.irfftn}[kind]
    out = fn(x, s=lengths, axes=axes)
    if kind == "rfft":
        return out.astype(jnp.complex64 if x.dtype == jnp.float32 else jnp.complex128)
    if kind == "irfft":
        return out.astype(jnp.float32 if x.dtype == jnp.complex64 else jnp.float64)
    return out.astype(x.dtype)



def _run(input_tensor, kind, rank, fft_length, op_name, axes=None):
    x = to_tensor(input_tensor)
    _check(x, op_name, kind in ("fft", "ifft", "irfft"))
    if axes is None:
        if x.ndim < rank:
            raise errors.InvalidArgumentError(None, None, (
                f"Input must have rank of at least {rank} but got: {x.ndim} [Op:{op_name}] "
                "name: "))
        axes = tuple(range(x.ndim - rank, x.ndim))
    else:
        axes = tuple(int(a) % x.ndim for a in int_array(axes, "axes").reshape(-1))
    if fft_length is None:
        if kind == "irfft":
            lengths = tuple(x.shape[a] for a in axes[:-1]) + (2 * (x.shape[axes[-1]] - 1),)
        else:
            lengths = tuple(x.shape[a] for a in axes)
    else:
        lengths = tuple(int(n) for n in int_array(fft_length, "fft_length").reshape(-1))
        if len(lengths) != len(axes):
            raise errors.InvalidArgumentError(None, None, (
                f"fft_length must have {len(axes)} elements, got {len(lengths)} "
                f"[Op:{op_name}] name: "))
    static = attrs(kind=kind, axes=axes, lengths=lengths)
    return apply(_transform, (x,), static, op_name)


def fft(input, name=None):  # TF's name
    """``tf.signal.fft`` over the innermost axis."""
    return _run(input, "fft", 1, None, "FFT")


def ifft(input, name=None):  # TF's name
    """``tf.signal.ifft`` over the innermost axis."""
    return _run(input, "ifft", 1, None, "IFFT")


def fft2d(input, name=None):  # TF's name
    """``tf.signal.fft2d`` over the innermost 2 axes."""
    return _run(input, "fft", 2, None, "FFT2D")


def ifft2d(input, name=None):  # TF's name
    """``tf.signal.ifft2d`` over the innermost 2 axes."""
    return _run(input, "ifft", 2, None, "IFFT2D")


def fft3d(input, name=None):  # TF's name
    """``tf.signal.fft3d`` over the innermost 3 axes."""
    return _run(input, "fft", 3, None, "FFT3D")


def ifft3d(input, name=None):  # TF's name
    """``tf.signal.ifft3d`` over the innermost 3 axes."""
    return _run(input, "ifft", 3, None, "IFFT3D")


def rfft(input_tensor, fft_length=None, name=None):
    """``tf.signal.rfft``: the non-negative frequencies of a real signal's FFT."""
    return _run(input_tensor, "rfft", 1, fft_length, "RFFT")


def irfft(input_tensor, fft_length=None, name=None):
    """``tf.signal.irfft``: the real inverse of ``rfft`` (length ``2 * (n - 1)`` by default)."""
    return _run(input_tensor, "irfft", 1, fft_length, "IRFFT")


def rfft2d(input_tensor, fft_length=None, name=None):
    """``tf.signal.rfft2d`` over the innermost 2 axes."""
    return _run(input_tensor, "rfft", 2, fft_length, "RFFT2D")


def irfft2d(input_tensor, fft_length=None, name=None):
    """``tf.signal.irfft2d`` over the innermost 2 axes."""
    return _run(input_tensor, "irfft", 2, fft_length, "IRFFT2D")


def rfft3d(input_tensor, fft_length=None, name=None):
    """``tf.signal.rfft3d`` over the innermost 3 axes."""
    return _run(input_tensor, "rfft", 3, fft_length, "RFFT3D")


def irfft3d(input_tensor, fft_length=None, name=None):
    """``tf.signal.irfft3d`` over the innermost 3 axes."""
    return _run(input_tensor, "irfft", 3, fft_length, "IRFFT3D")


def fftnd(input, fft_length, axes, name=None):  # TF's name
    """``tf.fftnd``: the FFT over ``axes`` with lengths ``fft_length``."""
    return _run(input, "fft", None, fft_length, "FFTND", axes)


def ifftnd(input, fft_length, axes, name=None):  # TF's name
    """``tf.ifftnd``: the inverse FFT over ``axes``."""
    return _run(input, "ifft", None, fft_length, "IFFTND", axes)


def rfftnd(input, fft_length, axes, name=None):  # TF's name
    """``tf.rfftnd``: the real FFT over ``axes``."""
    return _run(input, "rfft", None, fft_length, "RFFTND", axes)


def irfftnd(input, fft_length, axes, name=None):  # TF's name
    """``tf.irfftnd``: the real inverse FFT over ``axes``."""
    return _run(input, "irfft", None, fft_length, "IRFFTND", axes)
