"""``tf.print``: prints now in eager mode, at run time inside ``tapejax.function``.

Tensors are formatted as TF's ``PrintV2`` kernel does: elements separated by spaces, the first and
last ``summarize`` entries of each dimension, floats in the shortest of ``%.6g``/``%.9g``
(``%.15g``/``%.17g`` for float64) that reads back exactly, booleans as 1/0.
"""
import sys

import jax
import numpy as np

from . import nest
from ._capture import TRACE
from .tensor import Tensor, TensorLike


def print_(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """Prints ``inputs`` to ``output_stream`` (stderr by default), as ``tf.print``.

    >>> import sys, tapejax as tf
    >>> tf.print("x =", tf.constant([1.5, 2.0, 3.25]), output_stream=sys.stdout)
    x = [1.5 2 3.25]

    Inside ``tapejax.function`` the tensors are printed each time the function runs
    (``jax.debug.callback``), not when it is traced.

    Args:
      output_stream: *Optional, file-like or str.* Where to write: a stream, ``sys.stdout``,
        ``sys.stderr``, ``"file://path"`` (appended) or ``logging.info``-style callable.
        Default stderr.
      summarize: *Optional, int.* Entries printed at each end of each dimension; -1 or None
        prints all. Default 3.
      sep: *Optional, str.* Separator between inputs. Default " ".
      end: *Optional, str.* Appended at the end. Default newline.
    """
    leaves = nest.flatten(list(inputs))
    arrays = []
    for leaf in leaves:
        if isinstance(leaf, TensorLike):
            arrays.append(leaf._tapejax_read()._value if type(leaf) is not Tensor
                          else leaf._value)
    structure = [_skeleton(x) for x in inputs]
    emit = _Emitter(structure, output_stream, summarize, sep, end)
    if TRACE.capture is not None or any(isinstance(a, jax.core.Tracer) for a in arrays):
        jax.debug.callback(emit, *arrays, ordered=True)
    else:
        emit(*arrays)


class _Tensor:
    """Marks where a tensor goes in the printed structure."""


def _skeleton(x):
    if isinstance(x, TensorLike):
        return _Tensor
    if isinstance(x, (list, tuple, dict)):
        leaves = nest.flatten(x)
        return nest.pack_sequence_as(x, [_Tensor if isinstance(v, TensorLike) else v
                                         for v in leaves])
    return x


class _Emitter:
    def __init__(self, structure, stream, summarize, sep, end):
        self.structure, self.stream = structure, stream
        self.summarize = -1 if summarize is None else summarize
        self.sep, self.end = sep, end

    def __call__(self, *arrays):
        it = iter(arrays)
        parts = []
        for item in self.structure:
            if item is _Tensor:
                parts.append(format_array(np.asarray(next(it)), self.summarize))
            elif isinstance(item, str):
                parts.append(item)
            else:
                parts.append(_format_nested(item, it, self.summarize))
        _write(self.stream, self.sep.join(parts) + self.end)


def _format_nested(item, it, summarize):
    if item is _Tensor:
        return format_array(np.asarray(next(it)), summarize)
    if isinstance(item, dict):
        return "{" + ", ".join(f"{k!r}: {_format_nested(item[k], it, summarize)}"
                               for k in sorted(item)) + "}"
    if isinstance(item, list):
        return "[" + ", ".join(_format_nested(v, it, summarize) for v in item) + "]"
    if isinstance(item, tuple):
        body = ", ".join(_format_nested(v, it, summarize) for v in item)
        return "(" + body + ("," if len(item) == 1 else "") + ")"
    return repr(item)


def _write(stream, text):
    if stream is None:
        stream = sys.stderr
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(f"Unsupported output stream {stream!r}: use a stream, a callable or "
                             f"'file://<path>'.")
        with open(stream[len("file://"):], "a") as f:
            f.write(text)
        return
    if hasattr(stream, "write"):
        stream.write(text)
        if hasattr(stream, "flush"):
            stream.flush()
        return
    stream(text[:-1] if text.endswith("\n") else text)  # logging.info and friends


def format_array(array, summarize=3):
    """TF's summary text of an array (``tf.print``'s format)."""
    if array.ndim == 0:
        return _format_scalar(array)
    return _format_dims(array, summarize, 0)


def _format_dims(array, summarize, depth):
    n = array.shape[0]
    elided = 0 <= summarize and 2 * summarize < n
    index = (list(range(summarize)) + [None] + list(range(n - summarize, n))) if elided \
        else list(range(n))
    if array.ndim == 1:
        return "[" + " ".join("..." if i is None else _format_scalar(array[i])
                              for i in index) + "]"
    rest = array.ndim - 1
    joiner = "\n" * rest + " " * (depth + 1)
    return "[" + joiner.join("..." if i is None else _format_dims(array[i], summarize, depth + 1)
                             for i in index) + "]"


def _format_scalar(x):
    x = np.asarray(x)
    kind = x.dtype.kind
    if kind == "b":
        return "1" if x else "0"
    if kind in "iu":
        return str(int(x))
    if kind == "f" or x.dtype.name == "bfloat16":
        value = float(x)
        if np.isnan(value):
            return "nan"
        if np.isinf(value):
            return "inf" if value > 0 else "-inf"
        if x.dtype == np.float64:
            short = "%.15g" % value
            return short if float(short) == value else "%.17g" % value
        value32 = np.float32(value)
        short = "%.6g" % value
        return short if np.float32(short) == value32 else "%.9g" % value
    if kind in "OS":  # a string tensor's element: quoted, as TF
        return '"' + x.item().decode("utf-8", "replace") + '"'
    return "?"  # complex and other kinds, as TF's kernel
