"""``tf.strings``: string ops on the host, on NumPy object arrays of ``bytes``.

String tensors never reach JAX (see ``ops/host.py``): each op here reads its inputs' values,
computes with Python's ``bytes``/``re`` per element, and returns a string (or number) Tensor;
nothing is recorded on a tape. Values, dtypes, shapes and errors follow TF 2.21. Ops whose TF
result is a ``RaggedTensor`` (``split``, ``unicode_decode`` of non-scalars) support the inputs
where TF's result is a dense Tensor (a scalar input) and raise ``NotImplementedError`` otherwise.
"""
import re

import jax.numpy as jnp
import numpy as np

from . import dtypes, errors
from .ops.core import normalize_axis, tf_type_name
from .printing import format_array
from .tensor import Tensor, TensorLike, convert_to_tensor

__all__ = ["as_string", "format", "join", "length", "lower", "reduce_join", "regex_full_match",
           "regex_replace", "split", "strip", "substr", "to_number", "unicode_decode",
           "unicode_encode", "upper"]


def _texts(value, op_name, index=0):
    """The host value of a string input: TF's error for a Tensor of another dtype (its kernel's
    ``InvalidArgumentError``) or a Python value that is not text (``TypeError``)."""
    if isinstance(value, TensorLike):
        if value.dtype is not dtypes.string:
            raise errors.InvalidArgumentError(None, None, errors.DTYPE_MISMATCH.format(
                op=op_name, index=index, expected="string", got=tf_type_name(value.dtype)))
        return np.asarray(value.numpy(), dtype=object)
    return np.asarray(convert_to_tensor(value, dtypes.string).numpy(), dtype=object)


def _elementwise(fn, array, otype=object):
    """``fn`` on each element of an object array; a NumPy array of ``otype`` of its shape."""
    out = np.empty(array.shape, dtype=otype)
    out.reshape(-1)[:] = [fn(v) for v in array.reshape(-1)]
    return out


def _text_tensor(array):
    return Tensor(np.asarray(array, dtype=object))


def _invalid(message, op_name):
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


def _unit(unit, op_name):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise _invalid(f"Value for attr 'unit' of \"{unit}\" is not in the list of allowed "
                       'values: "BYTE", "UTF8_CHAR"', op_name)
    return unit


def length(input, unit="BYTE", name=None):  # TF's name
    """``tf.strings.length``: bytes (``unit="BYTE"``) or UTF-8 characters per string, int32."""
    unit = _unit(unit, "StringLength")
    texts = _texts(input, "StringLength")
    count = len if unit == "BYTE" else (lambda b: len(b.decode("utf-8", "replace")))
    return Tensor(jnp.asarray(_elementwise(count, texts, np.int32)))


def _case(input, encoding, op_name, ascii_fn, text_fn):  # TF's name
    texts = _texts(input, op_name)
    if encoding not in ("", "utf-8"):
        raise _invalid(f"encoding must be '' or 'utf-8', got {encoding!r}", op_name)
    if encoding == "":  # TF changes the ASCII letters only, as bytes.lower/upper
        return _text_tensor(_elementwise(ascii_fn, texts))
    return _text_tensor(_elementwise(lambda b: text_fn(b.decode("utf-8")).encode(), texts))


def lower(input, encoding="", name=None):  # TF's name
    """``tf.strings.lower``: ASCII letters, or all letters with ``encoding="utf-8"``."""
    return _case(input, encoding, "StringLower", bytes.lower, str.lower)


def upper(input, encoding="", name=None):  # TF's name
    """``tf.strings.upper``: ASCII letters, or all letters with ``encoding="utf-8"``."""
    return _case(input, encoding, "StringUpper", bytes.upper, str.upper)


def strip(input, name=None):  # TF's name
    """``tf.strings.strip``: leading and trailing ASCII whitespace removed."""
    return _text_tensor(_elementwise(bytes.strip, _texts(input, "StringStrip")))


def _pattern(pattern, op_name):
    """A compiled bytes pattern (RE2 syntax is Python's for the common cases)."""
    source = bytes(_texts(pattern, op_name, 1).reshape(-1)[0]) if not isinstance(
        pattern, (str, bytes)) else (pattern.encode() if isinstance(pattern, str) else pattern)
    try:
        return re.compile(source)
    except re.error as error:
        raise _invalid(f"Invalid pattern: {source.decode('utf-8', 'replace')}, error: {error}",
                       op_name) from None


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """``tf.strings.regex_replace``: ``\\1``-style groups in ``rewrite`` (``\\0`` the match)."""
    op_name = "StaticRegexReplace"
    texts = _texts(input, op_name)
    compiled = _pattern(pattern, op_name)
    rewrite = rewrite.encode() if isinstance(rewrite, str) else bytes(
        _texts(rewrite, op_name, 2).reshape(-1)[0])
    template = re.sub(rb"\\0", rb"\\g<0>", rewrite)
    count = 0 if replace_global else 1
    return _text_tensor(_elementwise(lambda b: compiled.sub(template, b, count=count), texts))


def regex_full_match(input, pattern, name=None):  # TF's name
    """``tf.strings.regex_full_match``: True where the whole string matches, as bool."""
    op_name = "StaticRegexFullMatch"
    texts = _texts(input, op_name)
    compiled = _pattern(pattern, op_name)
    return Tensor(jnp.asarray(_elementwise(lambda b: compiled.fullmatch(b) is not None, texts,
                                           bool)))


def substr(input, pos, len, unit="BYTE", name=None):  # TF's names
    """``tf.strings.substr``: ``len`` units from ``pos`` (negative ``pos`` counts from the end);
    ``pos`` beyond a string is TF's ``InvalidArgumentError``."""
    unit = _unit(unit, "Substr")
    texts = _texts(input, "Substr")
    starts = np.asarray(convert_to_tensor(pos).numpy())
    sizes = np.asarray(convert_to_tensor(len).numpy())
    try:
        texts, starts, sizes = np.broadcast_arrays(texts, starts, sizes)
    except ValueError:
        raise _invalid(f"Incompatible shapes: {list(texts.shape)} vs. {list(starts.shape)}",
                       "Substr") from None
    out = np.empty(texts.shape, dtype=object)
    for k, (text, start, size) in enumerate(zip(texts.reshape(-1), starts.reshape(-1),
                                                sizes.reshape(-1))):
        units = text if unit == "BYTE" else text.decode("utf-8")
        n = units.__len__()
        first = int(start) + n if start < 0 else int(start)
        if not 0 <= first <= n:
            raise _invalid(f"pos {int(start)} out of range for string {text!r} at index {k}",
                           "Substr")
        piece = units[first:] if size < 0 else units[first:first + int(size)]  # as TF's kernel
        out.reshape(-1)[k] = piece if unit == "BYTE" else piece.encode()
    return _text_tensor(out)


_NUMBER_TYPES = ("float32", "float64", "int32", "int64", "uint32", "uint64")


def to_number(input, out_type=dtypes.float32, name=None):  # TF's name
    """``tf.strings.to_number``: decimal text (surrounding spaces allowed, ``inf``/``nan`` for
    floats) to ``out_type``; text that does not parse is TF's ``InvalidArgumentError``."""
    out_type = dtypes.as_dtype(out_type)
    if out_type.name not in _NUMBER_TYPES:
        raise _invalid(f"Value for attr 'out_type' of {tf_type_name(out_type)} is not in the "
                       "list of allowed values: float, double, int32, int64, uint32, uint64",
                       "StringToNumber")
    texts = _texts(input, "StringToNumber")
    parse = float if out_type.is_floating else int

    def convert(b):
        text = b.decode("utf-8", "replace")
        try:
            if out_type.is_integer and not re.fullmatch(r"\s*[+-]?\d+\s*", text):
                raise ValueError(text)
            value = parse(text)
            if out_type.is_integer and not out_type.min <= value <= out_type.max:
                raise ValueError(text)
            return value
        except ValueError:
            raise _invalid(f"StringToNumberOp could not correctly convert string: {text}",
                           "StringToNumber") from None
    values = _elementwise(convert, texts)
    return Tensor(jnp.asarray(values.astype(out_type.as_numpy_dtype)))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1,
              fill="", name=None):
    """``tf.strings.as_string`` (``tf.as_string``): numbers formatted as C's ``printf`` does
    (``%f`` for floats, ``%e`` with ``scientific``, ``%g`` with ``shortest``), booleans as
    ``true``/``false``; a string input is returned as it is."""
    x = convert_to_tensor(input)
    if x.dtype is dtypes.string:
        return x
    values = np.asarray(x.numpy())
    if x.dtype.is_bool:
        return _text_tensor(_elementwise(lambda v: b"true" if v else b"false", values))
    if scientific and shortest:
        raise _invalid("Cannot select both scientific and shortest notation", "AsString")
    if fill not in ("", " ", "0", "+", "-", "#"):
        raise _invalid(f"Fill argument not supported: \"{fill}\"", "AsString")
    spec = "%" + fill + (str(width) if width > -1 else "")
    if x.dtype.is_integer:
        if precision > -1 or scientific or shortest:
            raise _invalid("Cannot select precision, scientific or shortest notation for "
                           "integer types", "AsString")
        spec += "d"
    else:
        spec += (f".{precision}" if precision > -1 else "") + (
            "e" if scientific else "g" if shortest else "f")
    if x.dtype.is_complex:
        def show(v):
            return f"({spec % v.real},{spec % v.imag})".encode()
    else:
        def show(v):
            return (spec % (int(v) if x.dtype.is_integer else float(v))).encode()
    return _text_tensor(_elementwise(show, values))


def join(inputs, separator="", name=None):
    """``tf.strings.join``: elementwise concatenation of same-shaped (or scalar) inputs.

    >>> import tapejax as tf
    >>> print(tf.strings.join([["a", "b"], "c"], separator="-"))
    tf.Tensor([b'a-c' b'b-c'], shape=(2,), dtype=string)
    """
    texts = [_texts(x, "StringJoin", k) for k, x in enumerate(inputs)]
    if not texts:
        return _text_tensor(np.asarray(b"", object))
    shapes = {t.shape for t in texts if t.ndim}
    if len(shapes) > 1:
        a, b = sorted(shapes, key=lambda s: [t.shape for t in texts].index(s))[:2]
        raise _invalid(f"Input shapes do not match: {list(a)} vs. {list(b)}", "StringJoin")
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    parts = np.broadcast_arrays(*texts)
    out = np.empty(parts[0].shape, dtype=object)
    out.reshape(-1)[:] = [sep.join(row) for row in zip(*(p.reshape(-1) for p in parts))]
    return _text_tensor(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """``tf.strings.reduce_join``: joins along ``axis`` (all axes when None)."""
    texts = _texts(inputs, "ReduceJoin")
    rank = texts.ndim
    if axis is not None:
        for a in np.ravel(convert_to_tensor(axis).numpy()).tolist():
            if not -rank <= a < max(rank, 1):
                raise errors.OutOfRangeError(None, None, (
                    f"Invalid reduction dimension {a} for input with {rank} dimension(s) "
                    "[Op:ReduceJoin] name: "))
    axes = tuple(range(rank)) if axis is None else normalize_axis(axis, rank, "ReduceJoin")
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    kept = [a for a in range(rank) if a not in axes]
    moved = np.transpose(texts, kept + list(axes))
    lead = moved.shape[:len(kept)]
    rows = moved.reshape(lead + (-1,))
    out = np.empty(lead, dtype=object)
    out.reshape(-1)[:] = [sep.join(row) for row in rows.reshape(-1, rows.shape[-1])]
    if keepdims:
        out = out.reshape(tuple(1 if a in axes else d for a, d in enumerate(texts.shape)))
    return _text_tensor(out)


def _scalar_only(texts, what):
    if texts.ndim:
        raise NotImplementedError(
            f"tf.strings.{what} of a rank-{texts.ndim} input returns a RaggedTensor in TF, "
            "which tapejax does not have; pass one string (a scalar) at a time")


def split(input, sep=None, maxsplit=-1, name=None):  # TF's name
    """``tf.strings.split`` of a scalar: a 1-D string Tensor, as TF returns for a scalar
    (whitespace runs split when ``sep`` is None, every ``sep`` otherwise)."""
    texts = _texts(input, "StringSplitV2")
    _scalar_only(texts, "split")
    if sep is not None:
        sep = sep.encode() if isinstance(sep, str) else bytes(sep)
    parts = texts.reshape(-1)[0].split(sep or None, maxsplit)  # b"" splits on whitespace
    out = np.empty(len(parts), dtype=object)
    out[:] = parts
    return _text_tensor(out)


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,
                   replace_control_characters=False, name=None):
    """``tf.strings.unicode_decode`` of a scalar: its code points as int32."""
    texts = _texts(input, "UnicodeDecode")
    _scalar_only(texts, "unicode_decode")
    if input_encoding.upper().replace("-", "") != "UTF8":
        raise NotImplementedError(f"input_encoding={input_encoding!r}: only UTF-8 is supported")
    if errors != "replace" or replacement_char != 65533 or replace_control_characters:
        raise NotImplementedError("errors, replacement_char and replace_control_characters "
                                  "other than their defaults are not supported")
    points = [ord(c) for c in texts.reshape(-1)[0].decode("utf-8", "replace")]
    return Tensor(jnp.asarray(points, jnp.int32))


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,
                   name=None):
    """``tf.strings.unicode_encode`` of a 1-D tensor of code points: one string (a scalar)."""
    points = np.asarray(convert_to_tensor(input).numpy())
    if points.ndim != 1:
        raise NotImplementedError("tf.strings.unicode_encode takes a 1-D tensor of code points "
                                  "here (higher ranks are RaggedTensors in TF)")
    if output_encoding != "UTF-8":
        raise NotImplementedError(f"output_encoding={output_encoding!r}: only UTF-8 is supported")
    if errors != "replace" or replacement_char != 65533:
        raise NotImplementedError("errors and replacement_char other than their defaults are "
                                  "not supported")
    text = "".join(chr(p) if 0 <= p <= 0x10FFFF and not 0xD800 <= p <= 0xDFFF else "\ufffd"
                   for p in points.tolist())
    return _text_tensor(np.asarray(text.encode(), dtype=object))


def format(template, inputs, placeholder="{}", summarize=3, name=None):
    """``tf.strings.format``: ``template`` with each ``placeholder`` replaced by one input,
    formatted as ``tf.print`` formats it."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(f"num placeholders in template and num inputs must match: "
                         f"{len(pieces) - 1} vs. {len(inputs)}")
    out = pieces[0]
    for value, piece in zip(inputs, pieces[1:]):
        out += format_array(np.asarray(convert_to_tensor(value).numpy()), summarize) + piece
    return _text_tensor(np.asarray(out.encode(), dtype=object))
