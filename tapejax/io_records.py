"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.io.TFRecordOptions``,
``tf.compat.v1.io.tf_record_iterator`` and the records ``tf.data.TFRecordDataset`` reads.

A record is TF's framing (``_crc32c.frame``: length, its masked CRC32C, the bytes, theirs);
"ZLIB" and "GZIP" compress the whole stream, as TF writes it, so files cross both ways with
TF. A damaged record raises TF's ``DataLossError`` with TF's offsets.
"""
import gzip
import io
import struct
import zlib

from . import _crc32c, errors

_COMPRESSION = {None: "", "": "", "ZLIB": "ZLIB", "GZIP": "GZIP"}
_HEADER = 12  # length (8 bytes) and its masked CRC (4)


class TFRecordOptions:
    """``tf.io.TFRecordOptions``: the compression of a TFRecord file ("", "ZLIB" or "GZIP")
    and its zlib level; the buffer sizes only tune TF's I/O. The other zlib settings change
    the stream and are not supported (``NotImplementedError``)."""

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = compression_kind(compression_type)
        for arg, value in (("flush_mode", flush_mode), ("window_bits", window_bits),
                           ("compression_method", compression_method),
                           ("mem_level", mem_level), ("compression_strategy",
                                                      compression_strategy)):
            if value is not None:
                raise NotImplementedError(f"tf.io.TFRecordOptions: argument `{arg}` is not "
                                          "supported (tapejax writes zlib's default stream)")
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.compression_level = -1 if compression_level is None else int(compression_level)


def compression_kind(value):
    """"", "ZLIB" or "GZIP" for a ``compression_type`` (or ``TFRecordOptions``); TF's
    ``ValueError`` for anything else."""
    if isinstance(value, TFRecordOptions):
        return value.compression_type
    if value not in _COMPRESSION:
        raise ValueError(f'Not a valid compression_type: "{value}"')
    return _COMPRESSION[value]


def _options(options):
    return options if isinstance(options, TFRecordOptions) else TFRecordOptions(options)


class TFRecordWriter:
    """``tf.io.TFRecordWriter``: writes records (``bytes`` or ``str``) to ``path``, created at
    once; ``close`` (or leaving a ``with`` block) finishes the compressed stream."""

    def __init__(self, path, options=None):
        self._options = _options(options)
        self._file = _open(path, "wb")  # closed by close()
        kind = self._options.compression_type
        level = self._options.compression_level
        self._stream = (gzip.GzipFile(fileobj=self._file, mode="wb", mtime=0,
                                      compresslevel=level) if kind == "GZIP" else None)
        self._zlib = zlib.compressobj(level) if kind == "ZLIB" else None

    def write(self, record):
        """Appends one record."""
        if self._file is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if isinstance(record, str):
            record = record.encode()
        if not isinstance(record, (bytes, bytearray)):
            raise TypeError("write(): argument `record` must be bytes or str, got "
                            f"{type(record).__name__}")
        framed = _crc32c.frame(bytes(record))
        if self._stream is not None:
            self._stream.write(framed)
        elif self._zlib is not None:
            self._file.write(self._zlib.compress(framed))
        else:
            self._file.write(framed)

    def flush(self):
        """Writes what is buffered (a compressed stream stays open)."""
        if self._file is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if self._stream is not None:
            self._stream.flush()
        elif self._zlib is not None:
            self._file.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        """Finishes the file; later writes raise ``FailedPreconditionError``."""
        if self._file is None:
            return
        if self._stream is not None:
            self._stream.close()
        elif self._zlib is not None:
            self._file.write(self._zlib.flush())
        self._file.close()
        self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path, compression_type=None):
    """An iterator over the records of the TFRecord file ``path``, in order. Uncompressed, it
    reads on from where it stopped, so a file still being written yields its new records on
    later calls (what TensorBoard's reader relies on); an incomplete last record raises TF's
    ``DataLossError`` and is read again on the next call."""
    kind = compression_kind(compression_type)
    f = _open(path, "rb")  # held by the iterator
    if kind:
        with f:
            data = f.read()
        f = io.BytesIO(_inflate(data, kind))
    return _Records(f)


def _open(path, mode):
    try:
        return open(path, mode)
    except OSError as error:
        raise errors.NotFoundError(None, None, f"{path}; {error.strerror}") from None


def _inflate(data, kind):
    try:
        return gzip.decompress(data) if kind == "GZIP" else zlib.decompress(data)
    except (zlib.error, gzip.BadGzipFile, EOFError) as error:
        header = isinstance(error, gzip.BadGzipFile) or "incorrect header" in str(error)
        raise errors.DataLossError(None, None, "inflate() failed with error -3: incorrect "
                                   "header check" if header else f"inflate() failed: {error}"
                                   ) from None


class _Records:
    __slots__ = ("_file", "_offset")

    def __init__(self, f):
        self._file, self._offset = f, 0

    def __iter__(self):
        return self

    def __next__(self):
        f, offset = self._file, self._offset
        f.seek(offset)
        header = f.read(_HEADER)
        if not header:
            raise StopIteration
        if len(header) < _HEADER:
            raise _truncated(offset)
        if _crc32c.mask(_crc32c.value(header[:8])) != struct.unpack("<I", header[8:])[0]:
            raise errors.DataLossError(None, None, f"corrupted record at {offset}" + (
                " (Is this even a TFRecord file?)" if offset == 0 else ""))
        length, = struct.unpack("<Q", header[:8])
        body = f.read(length + 4)
        if len(body) < length + 4:
            raise _truncated(offset)
        record = body[:length]
        if _crc32c.mask(_crc32c.value(record)) != struct.unpack("<I", body[length:])[0]:
            raise errors.DataLossError(None, None, f"corrupted record at {offset + _HEADER}")
        self._offset = offset + _HEADER + length + 4
        return record

    def __del__(self):
        self._file.close()


def _truncated(offset):
    return errors.DataLossError(None, None, (
        f"truncated record at {offset}' failed with Read less bytes than requested"))


def tf_record_iterator(path, options=None):
    """``tf.compat.v1.io.tf_record_iterator``: the records of ``path`` as ``bytes``."""
    return read_records(path, _options(options).compression_type)
