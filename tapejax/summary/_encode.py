"""Host-side encoders: arrays to the ``TensorProto`` each TensorBoard plugin reads.

Numeric tensors are written as ``tensor_content`` (raw little-endian bytes) and strings as
``string_val``, which is how TF's summary writer stores them. Images are PNG and audio is 16-bit
PCM WAV, encoded with the standard library (zlib, wave); the pixel and sample conversions are
TF's (``convert_image_dtype(..., saturate=True)``, ``encode_wav``).
"""
import io
import struct
import wave
import zlib

import numpy as np

_DTYPES = {"float16": 19, "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5,
           "int8": 6, "complex64": 8, "int64": 9, "bool": 10, "uint16": 17, "complex128": 18,
           "uint32": 22, "uint64": 23, "bfloat16": 14}  # TF's DataType enum
_STRING = 7


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
    proto.dtype = _DTYPES[array.dtype.name]
    proto.tensor_content = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"),
                                                              copy=False).tobytes()
    return proto


def scalar_tensor(data):
    return tensor_proto(np.asarray(data, dtype=np.float32))


def histogram_tensor(args):
    """TF's histogram buckets: ``[k, 3]`` float64 rows of (left edge, right edge, count)."""
    data, bucket_count = args
    data = np.asarray(data, dtype=np.float64).reshape(-1)
    bucket_count = max(0, bucket_count)
    if data.size == 0 or bucket_count == 0:
        return tensor_proto(np.zeros((bucket_count, 3)))
    low, high = data.min(), data.max()
    if low == high:
        counts = np.zeros(bucket_count)
        counts[-1] = data.size
        edges = np.full(bucket_count, high)
        return tensor_proto(np.stack([edges, edges, counts], axis=1))
    width = (high - low) / bucket_count
    index = np.minimum(np.floor((data - low) / width).astype(np.int64), bucket_count - 1)
    counts = np.bincount(index, minlength=bucket_count).astype(np.float64)
    edges = np.linspace(low, high, bucket_count + 1)
    edges[-1] = high
    return tensor_proto(np.stack([edges[:-1], edges[1:], counts], axis=1))


def to_uint8(images):
    """``tf.image.convert_image_dtype(images, tf.uint8, saturate=True)``."""
    kind = images.dtype.kind
    if images.dtype == np.uint8:
        return images
    if kind == "f":
        return np.clip(images.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    if kind == "b":
        return images.astype(np.uint8) * 255
    if kind in "iu":
        bits = 8 * images.dtype.itemsize - (1 if kind == "i" else 0)
        return np.clip(images.astype(np.int64) >> (bits - 8), 0, 255).astype(np.uint8)
    raise TypeError(f"image data must be numeric, got dtype {images.dtype}")


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


def image_tensor(images):
    """TF's image summary tensor: ``[width, height, png_1, ..., png_k]`` strings."""
    pixels = to_uint8(images)
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


def audio_tensor(args):
    """TF's audio summary tensor: ``[k, 2]`` strings of (WAV bytes, empty label)."""
    clips, sample_rate = args
    rows = [[wav(c, np.asarray(sample_rate)), b""] for c in clips]
    return tensor_proto(np.array(rows, dtype=object).reshape(len(rows), 2))


def text_tensor(data):
    return tensor_proto(np.asarray(data, dtype=object))


def plain_tensor(data):
    return tensor_proto(np.asarray(data))
