"""CRC32C (Castagnoli), the checksum of TensorFlow's table blocks and bundle entries.

Pure NumPy: a buffer is cut into many equal lanes whose CRCs are computed side by side (one
table lookup per byte position for all lanes at once), then chained with the linear operator
"append ``n`` zero bytes" (GF(2) matrix, as zlib's ``crc32_combine``). Tens to a few hundred MB/s, depending on the machine.
"""
import numpy as np

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8


def _make_table():
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1)
    return table.astype(np.uint32)


_TABLE = _make_table()
# slicing-by-4: _BY4[k][b] is the register after byte b followed by k zero bytes
_BY4 = [_TABLE]
for _ in range(3):
    _BY4.append((_BY4[-1] >> 8) ^ _TABLE[_BY4[-1] & 0xFF])
_TABLE_LIST = [int(x) for x in _TABLE]
_MAX_LANES = 1 << 16
_SMALL = 1 << 16  # below this, one byte-serial pass is cheaper than the lanes' set-up


def _raw_serial(reg, data):
    """The CRC register after ``data`` starting from ``reg`` (no inversions), bytewise."""
    table = _TABLE_LIST
    for byte in data:
        reg = table[(reg ^ byte) & 0xFF] ^ (reg >> 8)
    return reg


def _raw_lanes(block):
    """Registers after each row of ``block`` (little-endian uint32 words ``[lanes, n]``),
    each from 0, four bytes per step."""
    t0, t1, t2, t3 = _BY4
    reg = np.zeros(block.shape[0], np.uint32)
    for column in block.T:
        x = reg ^ column
        reg = t3[x & 0xFF] ^ t2[(x >> 8) & 0xFF] ^ t1[(x >> 16) & 0xFF] ^ t0[x >> 24]
    return reg


def _matrix_square(mat):
    return [_matrix_times(mat, mat[k]) for k in range(32)]


def _matrix_times(mat, vec):
    out, k = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[k]
        vec >>= 1
        k += 1
    return out


def _zeros_operator(nbytes):
    """32 columns: the register after ``nbytes`` zero bytes, for each one-bit start."""
    one_bit = [_POLY] + [1 << k for k in range(31)]  # one zero *bit*
    op = [1 << k for k in range(32)]  # identity
    power = one_bit
    n = nbytes * 8
    while n:
        if n & 1:
            op = [_matrix_times(power, c) for c in op]
        n >>= 1
        if n:
            power = _matrix_square(power)
    return op


def _byte_tables(op):
    """Four 256-entry tables applying the linear operator ``op`` one byte of input at a time."""
    tables = []
    for shift in (0, 8, 16, 24):
        tables.append([_matrix_times(op, b << shift) for b in range(256)])
    return tables


_SHIFT_CACHE = {}


def _shift_tables(nbytes):
    tables = _SHIFT_CACHE.get(nbytes)
    if tables is None:
        tables = _SHIFT_CACHE[nbytes] = _byte_tables(_zeros_operator(nbytes))
    return tables


def _apply(tables, reg):
    t0, t1, t2, t3 = tables
    return t0[reg & 0xFF] ^ t1[(reg >> 8) & 0xFF] ^ t2[(reg >> 16) & 0xFF] ^ t3[reg >> 24]


def _raw(reg, data):
    view = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else \
        data.reshape(-1).view(np.uint8)
    n = view.size
    if n < _SMALL:
        return _raw_serial(reg, view.tobytes())
    lanes = min(_MAX_LANES, n // 256)  # lanes of at least 256 bytes, whole words
    lane = (n // lanes) & ~3
    words = view[:lane * lanes].view("<u4").reshape(lanes, lane // 4)
    regs = _raw_lanes(words)
    tables = _shift_tables(lane)
    for r in regs.tolist():
        reg = _apply(tables, reg) ^ r
    return _raw_serial(reg, view[lane * lanes:].tobytes())


def extend(crc, data):
    """The CRC32C of ``previous bytes + data`` given ``crc`` of the previous bytes."""
    return _raw(crc ^ 0xFFFFFFFF, data) ^ 0xFFFFFFFF


def value(data):
    """CRC32C of ``data`` (bytes, bytearray, memoryview or a NumPy array's bytes)."""
    return extend(0, data)


def mask(crc):
    """LevelDB's masked form, stored wherever a CRC covers data that may hold CRCs."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
