"""String tensors in the table ops: host kernels on NumPy object arrays of ``bytes``.

A string Tensor never reaches JAX. An op that moves elements without looking at them (reshape,
concat, gather, tile, where, ...) runs its own JAX function on integer codes standing for the
strings and maps the codes back; the few kernels TF defines on strings by value (``Equal``,
``NotEqual``, ``AddV2`` concatenation) run in NumPy; every other kernel raises TF's error for a
string input. None of these is recorded on a tape or deferred: strings carry no gradient.
"""
import numpy as np

from .. import errors
from ..tensor import is_text

# TF kernels registered for strings whose result only moves input elements around.
MOVES = frozenset({
    "Reshape", "Transpose", "ConcatV2", "Pack", "Unpack", "ExpandDims", "Squeeze", "SelectV2",
    "StridedSlice", "GatherV2", "GatherNd", "Tile", "Split", "SplitV", "Slice", "ReverseV2",
    "Roll", "BroadcastTo", "Repeat", "ReverseSequence", "Identity", "StopGradient",
    "TensorScatterUpdate", "ScatterNd", "RandomShuffle",
})


def _concat_strings(x, y):
    return np.asarray(np.frompyfunc(bytes.__add__, 2, 1)(x, y), dtype=object)


# TF kernels registered for strings that read the values.
BY_VALUE = {
    "Equal": lambda x, y: np.asarray(np.equal(x, y), bool),
    "NotEqual": lambda x, y: np.asarray(np.not_equal(x, y), bool),
    "AddV2": _concat_strings,
}


def kernel(fn, op_name):
    """The host function standing in for ``fn`` (the JAX function of ``op_name``) on string
    inputs; TF's ``InvalidArgumentError`` where TF has no string kernel for the op."""
    if op_name in BY_VALUE:
        return BY_VALUE[op_name]
    if op_name not in MOVES:
        raise errors.InvalidArgumentError(None, None, (
            f"Value for attr 'T' of string is not in the list of allowed values: {op_name} "
            f"has no string kernel [Op:{op_name}] name: "))

    def moved(*values, **static):
        pool, codes = [b""], []  # code 0 is TF's zero string, for ops that fill with zeros
        for value in values:
            if is_text(value):
                codes.append(np.arange(len(pool), len(pool) + value.size).reshape(value.shape))
                pool.extend(value.reshape(-1))
            else:
                codes.append(value)
        out = fn(*codes, **static)
        table = np.empty(len(pool), dtype=object)
        table[:] = pool
        if isinstance(out, (tuple, list)):
            return tuple(_decode(table, o) for o in out)
        return _decode(table, out)
    return moved


def _decode(table, codes):
    codes = np.asarray(codes)
    return table[codes.reshape(-1)].reshape(codes.shape)
