"""TensorFlow's sorted string table (the ``.index`` file of a checkpoint), LevelDB's layout.

A table is data blocks of prefix-compressed ``key -> value`` entries with restart points, an
(empty) metaindex block, an index block mapping the last key of each data block to its block
handle, and a 48-byte footer ending in the magic number. Each block is followed by a type byte
(0: uncompressed; tapejax neither writes nor reads compressed blocks) and the masked CRC32C of
block and type byte. The reader checks every CRC and every offset, and raises
``DataLossError`` on a file that is not such a table.
"""
import struct

from .. import _crc32c, errors

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
_BLOCK_SIZE = 1 << 16
_RESTART_INTERVAL = 16


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(buf, pos, limit=None):
    """``(value, next position)``; raises ``ValueError`` if the varint runs past ``limit``."""
    limit = len(buf) if limit is None else limit
    result = shift = 0
    while True:
        if pos >= limit or shift > 63:
            raise ValueError("bad varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


class _BlockBuilder:
    def __init__(self, restart_interval):
        self.interval = restart_interval
        self.reset()

    def reset(self):
        self.buf, self.restarts, self.count, self.last = bytearray(), [0], 0, b""

    def add(self, key, value):
        shared = 0
        if self.count < self.interval:
            limit = min(len(key), len(self.last))
            while shared < limit and key[shared] == self.last[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.count = 0
        self.buf += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        self.buf += key[shared:] + value
        self.last, self.count = key, self.count + 1

    def finish(self):
        tail = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.buf) + tail + struct.pack("<I", len(self.restarts))


class TableWriter:
    """Writes ``add``-ed entries (keys strictly increasing) to the binary file ``out``."""

    def __init__(self, out):
        self._out, self._offset = out, 0
        self._data = _BlockBuilder(_RESTART_INTERVAL)
        self._index = _BlockBuilder(1)
        self._last_key = None

    def add(self, key, value):
        if self._last_key is not None and key <= self._last_key:
            raise ValueError(f"table keys must increase: {key!r} after {self._last_key!r}")
        self._data.add(key, value)
        self._last_key = key
        if len(self._data.buf) >= _BLOCK_SIZE:
            self._flush()

    def _flush(self):
        if self._data.last == b"" and not self._data.buf:
            return
        handle = self._write_block(self._data.finish())
        self._index.add(self._data.last, handle)
        self._data.reset()

    def _write_block(self, contents):
        trailer = b"\x00" + struct.pack("<I", _crc32c.mask(_crc32c.value(contents + b"\x00")))
        self._out.write(contents + trailer)
        handle = _varint(self._offset) + _varint(len(contents))
        self._offset += len(contents) + len(trailer)
        return handle

    def finish(self):
        self._flush()
        meta = self._write_block(_BlockBuilder(1).finish())
        index = self._write_block(self._index.finish())
        footer = (meta + index).ljust(FOOTER_SIZE - 8, b"\x00") + struct.pack("<Q", MAGIC)
        self._out.write(footer)


def _corrupt(path, what):
    return errors.DataLossError(None, None, f"Unable to read file ({path}). Perhaps the file "
                                f"is corrupt or was produced by a newer version of TensorFlow "
                                f"with format changes ({what})")


def read_table(data, path):
    """All ``(key, value)`` entries of the table held in ``data`` (bytes), in key order."""
    if len(data) < FOOTER_SIZE or struct.unpack_from("<Q", data, len(data) - 8)[0] != MAGIC:
        raise errors.DataLossError(None, None, f"Unable to open table file {path}: DATA_LOSS: "
                                   "not an sstable (bad magic number): perhaps your file is in "
                                   "a different file format and you need to use a different "
                                   "restore operator?")
    footer = len(data) - FOOTER_SIZE
    try:
        _, pos = _handle(data, footer, footer + 40)
        index = _block(data, _handle(data, pos, footer + 40)[0], footer, path)
        out = []
        for _, handle in _entries(index):
            out.extend(_entries(_block(data, _handle(handle, 0, len(handle))[0], footer,
                                       path)))
    except (ValueError, IndexError, struct.error) as exc:
        raise _corrupt(path, f"malformed block: {exc}") from None
    keys = [k for k, _ in out]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise _corrupt(path, "keys out of order")
    return out


def _handle(buf, pos, limit):
    offset, pos = read_varint(buf, pos, limit)
    size, pos = read_varint(buf, pos, limit)
    return (offset, size), pos


def _block(data, handle, end, path):
    offset, size = handle
    if offset + size + 5 > end:
        raise ValueError("block handle past the end of the file")
    contents = data[offset:offset + size]
    kind = data[offset + size]
    stored = struct.unpack_from("<I", data, offset + size + 1)[0]
    if _crc32c.unmask(stored) != _crc32c.value(contents + bytes([kind])):
        raise _corrupt(path, "block checksum mismatch")
    if kind != 0:
        raise _corrupt(path, f"compressed block (type {kind}) not supported")
    return contents


def _entries(block):
    """The ``(key, value)`` entries of one block's contents."""
    if len(block) < 4:
        raise ValueError("block too short")
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise ValueError("bad restart count")
    pos, key, out = 0, b"", []
    while pos < limit:
        shared, pos = read_varint(block, pos, limit)
        unshared, pos = read_varint(block, pos, limit)
        length, pos = read_varint(block, pos, limit)
        if shared > len(key) or pos + unshared + length > limit:
            raise ValueError("entry past the end of its block")
        key = key[:shared] + bytes(block[pos:pos + unshared])
        pos += unshared
        out.append((key, bytes(block[pos:pos + length])))
        pos += length
    return out
