"""Index bookkeeping and block moves: ``tf.unravel_index``, ``tf.dynamic_partition``,
``tf.dynamic_stitch``, ``tf.histogram_fixed_width`` (and ``_bins``), ``tf.complex``,
``tf.space_to_batch_nd``/``space_to_batch``/``batch_to_space`` and
``tf.required_space_to_batch_paddings``. Index arguments must be concrete (they decide output
shapes); data moves are gathers and reshapes, so gradients come from JAX.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import dtypes, errors
from ..tensor import TensorLike
from . import array_ops
from .core import (
    apply,
    attrs,
    broadcast_shapes,
    int_array,
    match_all,
    no_kernel,
    register,
    required_int,
    required_value,
    to_tensor,
)


def _invalid(message, op_name):
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


def _unravel(indices, *, dims):
    out = jnp.stack(jnp.unravel_index(indices, dims))
    return out.astype(indices.dtype)


@register("unravel_index", _unravel, differentiable=False, tf_name="UnravelIndex")
def unravel_index(indices, dims, name=None):
    """``tf.unravel_index``: flat ``indices`` as coordinates in an array of shape ``dims``
    (one row per dimension)."""
    indices, _ = match_all("UnravelIndex", indices=indices, dims=dims)  # dims stay static
    shape = tuple(int(d) for d in int_array(dims, "dims").reshape(-1))
    values = array_ops.concrete(indices)  # None while traced: not checked
    if values is not None and values.size and (
            values.min() < 0 or values.max() >= int(np.prod(shape))):
        raise _invalid("index is out of bound as with dims", "UnravelIndex")
    return apply(_unravel, (indices,), attrs(dims=shape), "UnravelIndex", differentiable=False)


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``tf.dynamic_partition``: ``data`` split into ``num_partitions`` lists of rows by the
    values of ``partitions`` (row order kept)."""
    data = to_tensor(data)
    parts = required_value(to_tensor(partitions), "partitions")  # they size the outputs
    num = int(num_partitions)
    if tuple(data.shape[:parts.ndim]) != parts.shape:
        raise _invalid(f"data.shape must start with partitions.shape, got data.shape = "
                       f"{data.shape.as_list()}, partitions.shape = {list(parts.shape)}",
                       "DynamicPartition")
    flat_parts = parts.reshape(-1)
    bad = np.flatnonzero((flat_parts < 0) | (flat_parts >= num))
    if bad.size:
        raise _invalid(f"partitions[{bad[0]}] = {flat_parts[bad[0]]} is not in [0, {num})",
                       "DynamicPartition")
    rows = array_ops.reshape(data, [-1] + data.shape.as_list()[parts.ndim:])
    return [array_ops.gather(rows, np.flatnonzero(flat_parts == p).astype(np.int32))
            for p in range(num)]


def dynamic_stitch(indices, data, name=None):
    """``tf.dynamic_stitch``: ``merged[indices[m][i]] = data[m][i]``; a later index wins. As
    in TF, every data row gets the gradient at its index, even one a later row overwrote."""
    indices = [array_ops.concrete(to_tensor(i)) for i in indices]
    data = [to_tensor(d) for d in data]
    if len(indices) != len(data):
        raise ValueError("List argument 'indices' to 'DynamicStitch' Op with length "
                         f"{len(indices)} must match length {len(data)} of argument 'data'.")
    rows, flat_ids = [], []
    for ids, d in zip(indices, data):
        tail = d.shape.as_list()[ids.ndim:]
        rows.append(array_ops.reshape(d, [-1] + tail))
        flat_ids.append(ids.reshape(-1))
    all_ids = np.concatenate(flat_ids) if flat_ids else np.zeros(0, np.int64)
    size = int(all_ids.max()) + 1 if all_ids.size else 0
    source = np.zeros(size, np.int32)
    source[all_ids] = np.arange(all_ids.size)  # later positions overwrite earlier ones
    missing = np.setdiff1d(np.arange(size), all_ids)
    if missing.size:
        raise NotImplementedError("tf.dynamic_stitch: every index in [0, max] must be given "
                                  f"(missing {missing.tolist()})")
    static = attrs(source=tuple(source.tolist()), ids=tuple(all_ids.tolist()))
    return apply(_stitch, (array_ops.concat(rows, 0),), static, "DynamicStitch")


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _stitch_rows(rows, source, ids):
    return rows[np.asarray(source)]


@_stitch_rows.defjvp
def _stitch_rows_jvp(source, ids, primals, tangents):
    rows, = primals
    out = _stitch_rows(rows, source, ids)
    # TF's gradient hands every data row the output gradient at its index, overwritten or not:
    # the transpose of this scatter-add.
    return out, jnp.zeros_like(out).at[np.asarray(ids)].add(tangents[0])


def _stitch(rows, *, source, ids):
    return _stitch_rows(rows, source, ids)


def _histogram_bins(values, value_range, *, nbins):
    lo, hi = value_range[0], value_range[1]
    scaled = (values.reshape(-1) - lo) / (hi - lo)  # TF's Python code flattens the values
    bins = jnp.clip(jnp.floor(scaled * nbins), 0, nbins - 1).astype(jnp.int32)
    return bins.reshape(values.shape)


def _histogram(values, value_range, *, nbins, dtype):
    bins = _histogram_bins(values, value_range, nbins=nbins).reshape(-1)
    return jnp.zeros(nbins, dtype).at[bins].add(jnp.ones(bins.shape, dtype))


def _histogram_args(values, value_range, nbins, op_name):
    values, value_range = match_all(op_name, values=values, value_range=value_range)
    nbins = required_int(nbins, "nbins")
    if nbins <= 0:
        raise _invalid(f"nbins should be a positive number, but got '{nbins}'", op_name)
    return values, value_range, nbins


@register("histogram_fixed_width", _histogram, differentiable=False,
          tf_name="HistogramFixedWidth")
def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """``tf.histogram_fixed_width``: counts of ``values`` in ``nbins`` equal bins over
    ``value_range``; values outside fall in the first or last bin."""
    values, value_range, nbins = _histogram_args(values, value_range, nbins,
                                                 "HistogramFixedWidth")
    if value_range.shape.as_list() != [2]:
        what = "a vector of 2 elements" if value_range.ndim == 1 else "a vector"
        raise _invalid(f"value_range should be {what}, got shape {value_range.shape.as_list()} "
                       "(argument `value_range`)", "HistogramFixedWidth")
    low, high = array_ops.concrete(value_range), array_ops.concrete(values)
    if low is not None and not low[0] < low[1]:
        raise _invalid("value_range should satisfy value_range[0] < value_range[1], got "
                       f"{low.tolist()} (argument `value_range`)", "HistogramFixedWidth")
    if high is not None and np.isnan(high).any():
        raise _invalid("Histogram values must not contain NaN (argument `values`)",
                       "HistogramFixedWidth")
    static = attrs(nbins=nbins, dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    return apply(_histogram, (values, value_range), static, "HistogramFixedWidth",
                 differentiable=False)


@register("histogram_fixed_width_bins", _histogram_bins, differentiable=False,
          tf_name="HistogramFixedWidthBins")
def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """``tf.histogram_fixed_width_bins``: the bin index of each value (shape of ``values``).
    TF writes it in Python: ``values`` and ``value_range`` are converted alone (string
    ``values`` fail in its cast of ``nbins``), ``values`` flattened, then ``value_range[0]``
    and ``value_range[1]`` taken."""
    values, value_range = to_tensor(values), to_tensor(value_range)  # each converted alone
    if values.dtype is dtypes.string:
        raise errors.UnimplementedError(None, None, (
            "Cast int32 to string is not supported (argument `values`) [Op:Cast] name: "))
    shape, size = value_range.shape.as_list(), int(np.prod(values.shape.as_list()))
    if not shape:
        raise _invalid("Attempting to slice scalar input (argument `value_range`)",
                       "StridedSlice")
    values, value_range, nbins = _histogram_args(values, value_range, nbins,
                                                 "HistogramFixedWidthBins")
    try:
        broadcast_shapes([size], shape[1:])
    except ValueError:
        raise _invalid(f"Incompatible shapes: [{size}] vs. {shape[1:]} (argument "
                       "`value_range`)", "Sub") from None
    if shape[0] < 2:
        raise _invalid("slice index 1 of dimension 0 out of bounds (argument `value_range` "
                       "needs 2 rows)", "StridedSlice")
    return apply(_histogram_bins, (values, value_range), attrs(nbins=nbins),
                 "HistogramFixedWidthBins", differentiable=False)


def _complex(real, imag):
    return lax.complex(*jnp.broadcast_arrays(real, imag))  # TF's Complex kernel broadcasts


@register("complex", _complex, tf_name="Complex")
def complex(real, imag, name=None):  # TF's name
    """``tf.complex``: ``real + 1j * imag`` (float32 gives complex64, float64 complex128)."""
    if isinstance(real, TensorLike) and not isinstance(imag, TensorLike):
        imag = to_tensor(imag, real.dtype)
    elif isinstance(imag, TensorLike) and not isinstance(real, TensorLike):
        real = to_tensor(real, imag.dtype)
    real, imag = to_tensor(real), to_tensor(imag)
    if real.dtype != imag.dtype or real.dtype not in (dtypes.float32, dtypes.float64):
        raise TypeError(f"The `real` and `imag` components have incorrect types: "
                        f"{real.dtype.name} {imag.dtype.name}. They must be consistent, and one "
                        "of [tf.float32, tf.float64]")
    return apply(_complex, (real, imag), (), "Complex")


def _space_to_batch(x, *, block, paddings):
    m = len(block)
    x = jnp.pad(x, [(0, 0)] + [tuple(p) for p in paddings] + [(0, 0)] * (x.ndim - 1 - m))
    batch, spatial, rest = x.shape[0], x.shape[1:1 + m], x.shape[1 + m:]
    shape = [batch]
    for d, b in zip(spatial, block):
        shape += [d // b, b]
    x = x.reshape(shape + list(rest))
    perm = [2 + 2 * k for k in range(m)] + [0] + [1 + 2 * k for k in range(m)]
    perm += list(range(1 + 2 * m, x.ndim))
    x = x.transpose(perm)
    return x.reshape([batch * int(np.prod(block))] + [d // b for d, b in zip(spatial, block)]
                     + list(rest))


def _batch_to_space(x, *, block, crops):
    m = len(block)
    batch = x.shape[0] // int(np.prod(block))
    spatial, rest = x.shape[1:1 + m], x.shape[1 + m:]
    x = x.reshape(list(block) + [batch] + list(spatial) + list(rest))
    perm = [m]
    for k in range(m):
        perm += [m + 1 + k, k]
    perm += list(range(2 * m + 1, x.ndim))
    x = x.transpose(perm)
    x = x.reshape([batch] + [d * b for d, b in zip(spatial, block)] + list(rest))
    slices = [slice(None)] + [slice(c0, x.shape[1 + k] - c1) for k, (c0, c1) in enumerate(crops)]
    return x[tuple(slices)]


def _block_args(x, block_shape, pairs, what, op_name):
    x = to_tensor(x)
    block = [int(b) for b in int_array(block_shape, "block_shape").reshape(-1)]
    pairs = [[int(a), int(b)] for a, b in int_array(pairs, what).reshape(-1, 2)]
    no_kernel(x.dtype, op_name)
    if len(pairs) != len(block):
        raise _invalid(f"{what} should have shape [{len(block)}, 2] instead of "
                       f"[{len(pairs)}, 2]", op_name)
    if x.ndim < 1 + len(block):
        raise _invalid(f"input rank should be >= {1 + len(block)} instead of {x.ndim}",
                       op_name)
    if any(b < 1 for b in block) or any(p < 0 for pair in pairs for p in pair):
        raise _invalid(f"All values in block_shape and {what} must be non-negative (block "
                       "sizes positive)", op_name)
    return x, block, pairs


@register("space_to_batch_nd", _space_to_batch, tf_name="SpaceToBatchND")
def space_to_batch_nd(input, block_shape, paddings, name=None):  # TF's name
    """``tf.space_to_batch_nd``: pads the spatial dimensions, then moves blocks of them into
    the batch dimension."""
    x, block, pads = _block_args(input, block_shape, paddings, "paddings", "SpaceToBatchND")
    for k, (b, (p0, p1)) in enumerate(zip(block, pads)):
        size = x.shape[1 + k] + p0 + p1
        if size % b:
            raise _invalid(f"padded_shape[{k}]={size} is not divisible by block_shape[{k}]={b}",
                           "SpaceToBatchND")
    return apply(_space_to_batch, (x,), attrs(block=tuple(block),
                                              paddings=tuple(map(tuple, pads))),
                 "SpaceToBatchND")


def space_to_batch(input, block_shape, paddings, name=None):  # TF's name
    """``tf.space_to_batch`` (TF 2): ``tf.space_to_batch_nd``."""
    return space_to_batch_nd(input, block_shape, paddings)


@register("batch_to_space", _batch_to_space, tf_name="BatchToSpaceND")
def batch_to_space(input, block_shape, crops, name=None):  # TF's name
    """``tf.batch_to_space``: the inverse of ``space_to_batch_nd``, then ``crops``."""
    x, block, crops = _block_args(input, block_shape, crops, "crops", "BatchToSpaceND")
    if x.shape[0] % int(np.prod(block)):
        raise _invalid(f"Input batch dimension ({x.shape[0]}) is not divisible by product of "
                       f"block sizes ({int(np.prod(block))})", "BatchToSpaceND")
    for k, (b, (c0, c1)) in enumerate(zip(block, crops)):
        if c0 + c1 > x.shape[1 + k] * b:
            raise _invalid(f"crops must be less than or equal to the input size for "
                           f"dimension {k + 1}", "BatchToSpaceND")
    return apply(_batch_to_space, (x,), attrs(block=tuple(block), crops=tuple(map(tuple, crops))),
                 "BatchToSpaceND")


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """``tf.required_space_to_batch_paddings``: ``(paddings, crops)`` that make each padded
    dimension a multiple of its block size (int32)."""
    shape = int_array(input_shape, "input_shape").reshape(-1).astype(np.int64)
    block = int_array(block_shape, "block_shape").reshape(-1).astype(np.int64)
    base = (np.zeros((block.size, 2), np.int64) if base_paddings is None
            else int_array(base_paddings, "base_paddings").reshape(-1, 2))
    full = shape + base[:, 0] + base[:, 1]
    extra = (block - full % block) % block
    paddings = np.stack([base[:, 0], base[:, 1] + extra], axis=1).astype(np.int32)
    crops = np.stack([np.zeros_like(extra), extra], axis=1).astype(np.int32)
    return to_tensor(paddings), to_tensor(crops)


