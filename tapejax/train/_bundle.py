"""TensorFlow's tensor bundle: a checkpoint's ``.index`` table and ``.data-*`` shard files.

The index table maps ``""`` to a ``BundleHeaderProto`` and each tensor's key to a
``BundleEntryProto`` (dtype, shape, shard, offset, size, masked CRC32C of the bytes). Numeric
tensors are stored as their little-endian bytes; string tensors (tapejax writes only the object
graph) as each length in a varint, a masked CRC32C of the lengths (each as 4 little-endian
bytes), then the strings. The entry's CRC covers lengths (4 bytes each), that CRC and the
strings.

``BundleWriter`` streams each tensor to a temporary data file as it is added, then writes the
index and renames both into place (data first): a ``.index`` exists only for a complete
checkpoint. ``BundleReader`` reads one tensor at a time and checks its size and CRC.
"""
import os
import struct
import tempfile

import ml_dtypes
import numpy as np

from .. import _crc32c, errors
from . import _protos, _table

_NUMPY = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "uint8": np.uint8,
          "int16": np.int16, "int8": np.int8, "complex64": np.complex64, "int64": np.int64,
          "bool": np.bool_, "bfloat16": ml_dtypes.bfloat16, "uint16": np.uint16,
          "complex128": np.complex128, "float16": np.float16, "uint32": np.uint32,
          "uint64": np.uint64}
NUMPY_BY_ENUM = {_protos.DATA_TYPES[name]: np.dtype(t) for name, t in _NUMPY.items()}
ENUM_BY_NUMPY = {dtype: number for number, dtype in NUMPY_BY_ENUM.items()}
NAME_BY_ENUM = {number: name for name, number in _protos.DATA_TYPES.items()}
STRING = _protos.DATA_TYPES["string"]


def data_path(prefix, shard=0, num_shards=1):
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def index_path(prefix):
    return prefix + ".index"


def _fsync_dir(path):
    try:
        fd = os.open(path or ".", os.O_RDONLY)
    except OSError:  # some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BundleWriter:
    """Writes one checkpoint (``prefix.index`` + one data shard), atomically on ``finish``."""

    def __init__(self, prefix):
        self._prefix = prefix
        directory = os.path.dirname(prefix) or "."
        os.makedirs(directory, exist_ok=True)
        self._dir = directory
        fd, self._tmp_data = tempfile.mkstemp(prefix=".tmp_data_", dir=directory)
        self._data = os.fdopen(fd, "wb")
        self._tmp_index = None
        self._entries = {}
        self._offset = 0

    def _write(self, chunk):
        self._data.write(chunk)
        self._offset += len(chunk)

    def add(self, key, array):
        """Appends a NumPy array (a numeric dtype tapejax has) under ``key``."""
        array = np.asarray(array)
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        number = ENUM_BY_NUMPY.get(array.dtype)
        if number is None:
            raise TypeError(f"Cannot save a tensor of dtype {array.dtype} under {key!r}.")
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        raw = memoryview(array.reshape(-1).view(np.uint8))
        crc = _crc32c.value(raw)
        self._entry(key, number, array.shape, raw.nbytes, crc)
        self._write(raw)

    def add_string(self, key, value):
        """Appends a scalar string tensor (``bytes``) under ``key``."""
        length = struct.pack("<I", len(value))
        lengths_crc = struct.pack("<I", _crc32c.mask(_crc32c.value(length)))
        head = _table._varint(len(value)) + lengths_crc
        crc = _crc32c.extend(_crc32c.value(length + lengths_crc), value)
        self._entry(key, STRING, (), len(head) + len(value), crc)
        self._write(head + value)

    def _entry(self, key, dtype, shape, size, crc):
        key = key.encode() if isinstance(key, str) else key
        if key in self._entries or not key:
            raise ValueError(f"Duplicate or empty checkpoint key {key!r}.")
        entry = _protos.BundleEntryProto(dtype=dtype, shard_id=0, offset=self._offset,
                                         size=size, crc32c=_crc32c.mask(crc))
        for dim in shape:
            entry.shape.dim.add(size=int(dim))
        self._entries[key] = entry.SerializeToString()

    def finish(self):
        """Flushes and fsyncs both files, then renames them to their final names."""
        self._data.flush()
        os.fsync(self._data.fileno())
        self._data.close()
        fd, self._tmp_index = tempfile.mkstemp(prefix=".tmp_index_", dir=self._dir)
        with os.fdopen(fd, "wb") as out:
            table = _table.TableWriter(out)
            header = _protos.BundleHeaderProto(num_shards=1, endianness=0)
            header.version.producer = 1
            table.add(b"", header.SerializeToString())
            for key in sorted(self._entries):
                table.add(key, self._entries[key])
            table.finish()
            out.flush()
            os.fsync(out.fileno())
        final_index = index_path(self._prefix)
        if os.path.exists(final_index):  # never pair an old index with new data
            os.remove(final_index)
            _fsync_dir(self._dir)
        os.replace(self._tmp_data, data_path(self._prefix))
        os.replace(self._tmp_index, final_index)
        self._tmp_data = self._tmp_index = None
        _fsync_dir(self._dir)

    def abort(self):
        """Removes the temporary files of an unfinished write."""
        if not self._data.closed:
            self._data.close()
        for path in (self._tmp_data, self._tmp_index):
            if path is not None and os.path.exists(path):
                os.remove(path)


class Entry:
    """One tensor of a bundle: ``dtype`` (TF's enum number), ``shape`` (tuple) and location."""

    __slots__ = ("key", "dtype", "shape", "shard", "offset", "size", "crc")

    def __init__(self, key, proto):
        self.key = key
        self.dtype = proto.dtype
        self.shape = tuple(d.size for d in proto.shape.dim)
        self.shard, self.offset, self.size = proto.shard_id, proto.offset, proto.size
        self.crc = _crc32c.unmask(proto.crc32c)

    @property
    def dtype_name(self):
        return NAME_BY_ENUM.get(self.dtype, f"<DataType {self.dtype}>")


def _loss(message):
    return errors.DataLossError(None, None, message)


class BundleReader:
    """Reads a checkpoint's index at once and its tensors one at a time (CRC-checked)."""

    def __init__(self, prefix):
        self.prefix = prefix
        path = index_path(prefix)
        with open(path, "rb") as f:
            data = f.read()
        entries = _table.read_table(data, path)
        if not entries or entries[0][0] != b"":
            raise _loss(f"Unable to read file ({path}): no bundle header entry")
        header = _protos.BundleHeaderProto()
        try:
            header.ParseFromString(entries[0][1])
        except Exception:  # protobuf's DecodeError has no public base
            raise _loss(f"Unable to read file ({path}): corrupt bundle header") from None
        if header.endianness != 0:
            raise errors.UnimplementedError(None, None, "Reading a big-endian checkpoint is "
                                            "not supported.")
        self.num_shards = max(header.num_shards, 1)
        self.entries = {}
        for key, value in entries[1:]:
            proto = _protos.BundleEntryProto()
            try:
                proto.ParseFromString(value)
            except Exception:
                raise _loss(f"Unable to read file ({path}): corrupt entry {key!r}") from None
            if len(proto.slices):
                raise errors.UnimplementedError(None, None, f"{key.decode()} is a partitioned "
                                                "(sliced) variable, which tapejax cannot read.")
            if proto.shard_id >= self.num_shards or proto.offset < 0 or proto.size < 0:
                raise _loss(f"Unable to read file ({path}): bad location for {key!r}")
            self.entries[key.decode()] = Entry(key.decode(), proto)

    def close(self):
        """Nothing to release: each read opens and closes its shard file."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _raw(self, entry, into=None):
        """The entry's bytes: a new ``bytes``, or read straight into the writable ``into``."""
        try:
            with open(data_path(self.prefix, entry.shard, self.num_shards), "rb") as f:
                f.seek(entry.offset)
                if into is None:
                    raw = f.read(entry.size)
                    count = len(raw)
                else:
                    count = f.readinto(into)
        except FileNotFoundError:
            raise _loss(f"TensorBundle at {self.prefix}: data file for shard {entry.shard} "
                        "is missing") from None
        if count != entry.size:
            raise _loss(f"TensorBundle at {self.prefix} shard {entry.shard}: {entry.key} is "
                        f"truncated: expected {entry.size} bytes, read {count}")
        return raw if into is None else into

    def _check(self, entry, crc):
        if crc != entry.crc:
            raise _loss(f"TensorBundle at {self.prefix} shard {entry.shard} ({entry.size} "
                        f"bytes): Checksum does not match: stored {_crc32c.mask(entry.crc)} vs. "
                        f"calculated on the restored bytes {_crc32c.mask(crc)}")

    def read(self, key):
        """The tensor under ``key`` as a NumPy array (``bytes`` objects for a string tensor).

        A numeric tensor is read from the file straight into the array returned (no copy)."""
        entry = self.entries[key]
        if entry.dtype == STRING:
            return self._strings(entry, self._raw(entry))
        dtype = NUMPY_BY_ENUM.get(entry.dtype)
        if dtype is None:
            raise errors.UnimplementedError(None, None, f"{key}: dtype {entry.dtype_name} is "
                                            "not supported by tapejax.")
        count = int(np.prod(entry.shape, dtype=np.int64))
        if count * dtype.itemsize != entry.size:
            raise _loss(f"{key}: {entry.size} bytes cannot hold a {dtype} tensor of shape "
                        f"{list(entry.shape)}")
        array = np.empty(count, dtype)
        raw = self._raw(entry, array.view(np.uint8))
        self._check(entry, _crc32c.value(raw))
        if dtype == np.bool_ and raw.max(initial=0) > 1:
            raise _loss(f"{key}: a bool tensor holds bytes other than 0 and 1")
        return array.reshape(entry.shape)

    def _strings(self, entry, raw):
        count = int(np.prod(entry.shape, dtype=np.int64))
        pos, lengths = 0, []
        try:
            for _ in range(count):
                n, pos = _table.read_varint(raw, pos)
                lengths.append(n)
        except ValueError:
            raise _loss(f"{entry.key}: corrupt string lengths") from None
        packed = b"".join(struct.pack("<I", n & 0xFFFFFFFF) for n in lengths)
        if pos + 4 + sum(lengths) != len(raw):
            raise _loss(f"{entry.key}: string tensor sizes do not add up")
        stored = struct.unpack_from("<I", raw, pos)[0]
        if _crc32c.unmask(stored) != _crc32c.value(packed):
            raise _loss(f"{entry.key}: checksum of string lengths does not match")
        crc = _crc32c.extend(_crc32c.value(packed + raw[pos:pos + 4]), raw[pos + 4:])
        self._check(entry, crc)
        pos += 4
        out = []
        for n in lengths:
            out.append(raw[pos:pos + n])
            pos += n
        return np.array(out, dtype=object).reshape(entry.shape)
