"""Host-side encoders: arrays to the ``TensorProto`` each TensorBoard plugin reads.

The ``jax.jit`` functions here (histogram buckets, image pixels, scalar cast) run on the device,
inside ``tapejax.function`` programs or eagerly; the rest runs on the host when events are
written. Numeric tensors are written as ``tensor_content`` (raw little-endian bytes) and strings as
``string_val``, which is how TF's summary writer stores them. Images are PNG and audio is 16-bit
PCM WAV, encoded with the standard library (zlib, wave); the pixel and sample conversions are
TF's (``convert_image_dtype(..., saturate=True)``, ``encode_wav``).
"""
import functools
import io
import struct
import sys
import wave
import zlib

import jax
import jax.numpy as jnp
import numpy as np

from ..ops import _exact
from ..ops.array_ops import _linspace  # TF's LinSpace: start + k * delta

_DTYPES = {np.dtype(name): enum for name, enum in (
    ("float16", 19), ("float32", 1), ("float64", 2), ("int32", 3), ("uint8", 4), ("int16", 5),
    ("int8", 6), ("complex64", 8), ("int64", 9), ("bool", 10), ("uint16", 17),
    ("complex128", 18), ("uint32", 22), ("uint64", 23), ("bfloat16", 14))}  # TF's DataType enum
_STRING = 7
_BIG_ENDIAN = sys.byteorder == "big"


def tensor_proto(array):
    """The ``TensorProto`` of a NumPy array (numbers as raw bytes, strings as ``string_val``)."""
    from tensorboard.compat.proto import tensor_pb2
    proto = tensor_pb2.TensorProto()
    for n in array.shape:
        proto.tensor_shape.dim.add(size=n)
    if array.dtype.kind in "OSU":
        proto.dtype = _STRING
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode("utf-8")
                                for v in array.reshape(-1).tolist())
        return proto
    dtype = array.dtype
    if dtype.byteorder == ">" or (dtype.byteorder == "=" and _BIG_ENDIAN):
        dtype = dtype.newbyteorder("<")
        array = array.astype(dtype)
    proto.dtype = _DTYPES[dtype.newbyteorder("=")]
    proto.tensor_content = array.tobytes()
    return proto


def scalar_tensor(data):
    return tensor_proto(np.asarray(data, dtype=np.float32))


@functools.partial(jax.jit, static_argnums=1)
def histogram_buckets(data, bucket_count):
    """TF's histogram buckets: ``[k, 3]`` float64 rows of (left edge, right edge, count).

    As TF, offsets and bucket indices are computed in float64. The extremes are taken before
    the cast (a monotone cast keeps them) and the counts in int32 (XLA:CPU scatters integers
    faster): the same numbers in less time."""
    data = jnp.asarray(data).reshape(-1)
    if data.size == 0 or bucket_count == 0:
        return jnp.zeros((bucket_count, 3), jnp.float64)
    low, high = data.min().astype(jnp.float64), data.max().astype(jnp.float64)
    spread = high - low
    width = jnp.where(spread == 0, 1.0, _exact.divide(spread, jnp.float64(bucket_count)))
    offsets = data.astype(jnp.float64) - low
    index = jnp.minimum(jnp.floor(_exact.divide(offsets, width)).astype(jnp.int32),
                        bucket_count - 1)
    count_type = jnp.int32 if data.size < 2**31 else jnp.float64
    counts = jnp.zeros(bucket_count, count_type).at[index].add(1).astype(jnp.float64)
    edges = _linspace(low, high, num=bucket_count + 1, axis=0).at[-1].set(high)
    spread_rows = jnp.stack([edges[:-1], edges[1:], counts], axis=1)
    single = jnp.zeros(bucket_count, jnp.float64).at[-1].set(data.size)
    same = jnp.full(bucket_count, high)
    return jnp.where(spread == 0, jnp.stack([same, same, single], axis=1), spread_rows)


@functools.partial(jax.jit, static_argnums=1)
def image_pixels(images, max_outputs):
    """The first ``max_outputs`` images as uint8, as TF's
    ``convert_image_dtype(images, tf.uint8, saturate=True)``."""
    images = images[:max_outputs]
    dtype = np.dtype(images.dtype)
    if dtype == np.uint8:
        return images
    if dtype.kind == "f":
        return jnp.clip(images.astype(jnp.float64) * 255.5, 0, 255).astype(jnp.uint8)
    if dtype.kind == "b":
        return images.astype(jnp.uint8) * 255
    bits = 8 * dtype.itemsize - (1 if dtype.kind == "i" else 0)
    return jnp.clip(images.astype(jnp.int64) >> (bits - 8), 0, 255).astype(jnp.uint8)


scalar_value = jax.jit(lambda x: jnp.asarray(x, jnp.float32))


def png(image):
    """One ``[h, w, c]`` uint8 image (c in 1..4) as PNG bytes."""
    h, w, c = image.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), image.reshape(h, w * c)], axis=1)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def image_tensor(pixels):
    """TF's image summary tensor: ``[width, height, png_1, ..., png_k]`` strings."""
    values = [str(pixels.shape[2]).encode(), str(pixels.shape[1]).encode()]
    values += [png(p) for p in pixels]
    return tensor_proto(np.array(values, dtype=object))


def wav(samples, sample_rate):
    """One ``[t, c]`` float clip in [-1, 1] as 16-bit PCM WAV bytes (TF's ``encode_wav``)."""
    scaled = samples.astype(np.float32) * np.float32(32768.0)
    pcm = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5)), -32768, 32767)
    out = io.BytesIO()
    with wave.open(out, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(int(sample_rate))
        f.writeframes(pcm.astype("<i2").tobytes())
    return out.getvalue()


@functools.partial(jax.jit, static_argnums=1)
def first(data, count):
    return data[:count]


def audio_tensor(clips, sample_rate):
    """TF's audio summary tensor: ``[k, 2]`` strings of (WAV bytes, empty label)."""
    rows = [[wav(c, sample_rate), b""] for c in clips]
    return tensor_proto(np.array(rows, dtype=object).reshape(len(rows), 2))


def text_tensor(data):
    return tensor_proto(np.asarray(data, dtype=object))


def plain_tensor(data):
    return tensor_proto(np.asarray(data))
