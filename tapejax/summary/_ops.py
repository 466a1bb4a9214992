"""``tf.summary.write`` and the plugin summaries (scalar, histogram, image, text, audio).

Each call checks its arguments at once (ranks, dtypes, the step), then queues the event on the
default writer. Eagerly the values are copied to the host at the call. Inside
``tapejax.function`` (or any JAX trace) the writer, the step rule and the recording condition
are read when the function is traced, as in TF; the values are not computed into the program's
outputs but handed to the host with ``jax.debug.callback`` when the program runs (under
``jax.lax.cond`` when the condition is a traced tensor), so nothing is written at trace time and
a function traced without a default writer contains no summary code at all.
"""
import contextlib
import time

import jax
import numpy as np

from .. import errors
from .._recording import STACK
from ..module import get_current_name_scope, name_scope
from ..tensor import Tensor, TensorLike, constant, convert_to_tensor
from . import _encode, _state

_CONSTANTS = {}


def _bool(value):
    """A cached ``tf.constant(value)`` of dtype bool (tensors are immutable)."""
    t = _CONSTANTS.get(value)
    if t is None:
        t = _CONSTANTS[value] = constant(value)
    return t


def _array(x):
    """The JAX array or tracer behind ``x``, or ``x`` itself when it is not a tensor."""
    if isinstance(x, TensorLike):
        return x._tapejax_read()._value if type(x) is not Tensor else x._value
    return x


def _traced(*values):
    return STACK.capture is not None or any(isinstance(v, jax.core.Tracer) for v in values)


def tag_for(name):
    """TF's summary tag: the name under the current name scope."""
    scope = get_current_name_scope()
    return f"{scope}/{name}" if scope else name


def _metadata(plugin, content=b"", description=None):
    from tensorboard.compat.proto import summary_pb2
    md = summary_pb2.SummaryMetadata()
    md.plugin_data.plugin_name = plugin
    md.plugin_data.content = content
    if description:
        md.summary_description = description
    return md


def _condition():
    condition = _state.STATE.condition
    if callable(condition):
        condition = condition()
    return True if condition is None else condition


def _emit(tag, data, step, metadata, encode):
    """Queues one event on the default writer; returns TF's bool result tensor."""
    writer = _state.STATE.writer
    if writer is None:
        return _bool(False)
    condition = _array(_condition())
    step = _state.STATE.step if step is None else step
    if step is None:
        raise ValueError("No step set. Please specify one either through the `step` argument "
                         "or through tf.summary.experimental.set_step()")
    step = _array(step)
    leaves, tree = jax.tree_util.tree_flatten((data, step))
    if not _traced(condition, *leaves):
        if not bool(np.asarray(condition)):
            return _bool(False)
        data, step = jax.tree_util.tree_unflatten(tree, [np.array(x) for x in leaves])
        writer._add((time.time(), step, tag, metadata, encode, data))
        return _bool(True)
    slots = [k for k, x in enumerate(leaves) if isinstance(x, (jax.Array, jax.core.Tracer))]

    def on_host(*values):  # runs when the compiled program runs
        full = list(leaves)
        for k, v in zip(slots, values):
            full[k] = np.array(v)
        data, step = jax.tree_util.tree_unflatten(tree, full)
        writer._add((time.time(), step, tag, metadata, encode, data))

    dynamic = [leaves[k] for k in slots]
    if not isinstance(condition, (jax.Array, jax.core.Tracer)):
        if not bool(np.asarray(condition)):
            return _bool(False)
        jax.debug.callback(on_host, *dynamic, ordered=True)
        return _bool(True)
    condition = jax.numpy.asarray(condition, dtype=bool)
    jax.lax.cond(condition, lambda *v: jax.debug.callback(on_host, *v, ordered=True),
                 lambda *v: None, *dynamic)
    return Tensor(condition)


def write(tag, tensor, step=None, metadata=None, name=None):
    """``tf.summary.write``: writes ``tensor`` under ``tag`` with ``metadata``.

    ``tensor`` may be a callable returning the tensor (called only when a summary is
    recorded); ``metadata`` a ``SummaryMetadata`` proto or its serialized bytes.
    """
    if _state.STATE.writer is None:
        return _bool(False)
    if callable(tensor):
        if _condition() is False:
            return _bool(False)
        tensor = tensor()
    if isinstance(metadata, (bytes, bytearray)):
        from tensorboard.compat.proto import summary_pb2
        metadata = summary_pb2.SummaryMetadata.FromString(bytes(metadata))
    elif metadata is not None and not hasattr(metadata, "plugin_data"):
        raise TypeError(f"metadata must be a SummaryMetadata proto or bytes, got {metadata!r}")
    data = _array(tensor)
    if isinstance(data, str) or _is_strings(data):
        return _emit(tag, np.asarray(data, dtype=object), step, metadata, _encode.text_tensor)
    return _emit(tag, data if isinstance(data, jax.Array) else np.asarray(data), step,
                 metadata, _encode.plain_tensor)


def _is_strings(x):
    return isinstance(x, (bytes, list, tuple, np.ndarray)) and \
        np.asarray(x, dtype=object).size > 0 and \
        all(isinstance(v, (str, bytes)) for v in np.asarray(x, dtype=object).reshape(-1))


def _numeric(name, data, what):
    """``data`` as an array or tracer; strings raise TF's cast error."""
    data = _array(data)
    if not isinstance(data, jax.Array):
        data = np.asarray(data)
    kind = np.dtype(data.dtype).kind
    if kind in "OSU":
        raise errors.UnimplementedError(None, None,
                                        f"Cast string to {what} is not supported")
    if kind == "c":
        raise errors.UnimplementedError(None, None, f"Cast complex to {what} is not supported "
                                                    f"in summary {name!r}")
    return data


def scalar(name, data, step=None, description=None):
    """``tf.summary.scalar``: a real scalar, written as float32 for the Scalars dashboard."""
    if _state.STATE.writer is None:
        return _bool(False)
    data = _numeric(name, data, "float")
    if tuple(data.shape) != ():
        raise ValueError(f"Expected scalar shape, saw shape: {tuple(data.shape)}.")
    return _emit(tag_for(name), data, step, _metadata("scalars", description=description),
                 _encode.scalar_tensor)


def histogram(name, data, step=None, buckets=None, description=None):
    """``tf.summary.histogram``: ``buckets`` (default 30) equal-width buckets over ``data``."""
    if _state.STATE.writer is None:
        return _bool(False)
    data = _numeric(name, data, "double")
    buckets = 30 if buckets is None else buckets
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)):
        raise TypeError(f"buckets must be an int, got {buckets!r}")
    return _emit(tag_for(name), (data, int(buckets)), step,
                 _metadata("histograms", description=description), _encode.histogram_tensor)


def image(name, data, step=None, max_outputs=3, description=None):
    """``tf.summary.image``: ``[k, h, w, c]`` images (c in 1..4) as PNG; floats in [0, 1]."""
    if _state.STATE.writer is None:
        return _bool(False)
    data = _numeric(name, data, "uint8")
    if data.ndim != 4:
        raise ValueError(f"Tensor  must have rank 4.  Received rank {data.ndim}, shape "
                         f"{tuple(data.shape)}")
    if data.shape[-1] not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None, None, f"image must have 1, 2, 3 or 4 channels, got {data.shape[-1]}")
    max_outputs = _max_outputs(max_outputs)
    return _emit(tag_for(name), data[:max_outputs], step,
                 _metadata("images", description=description), _encode.image_tensor)


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None):
    """``tf.summary.audio``: ``[k, t, c]`` float clips in [-1, 1] as 16-bit WAV."""
    if _state.STATE.writer is None:
        return _bool(False)
    if encoding is None:
        encoding = "wav"
    if encoding != "wav":
        raise ValueError("Unknown encoding: %r" % encoding)
    data = _numeric(name, data, "float")
    if data.ndim != 3:
        raise ValueError(f"Tensor  must have rank 3.  Received rank {data.ndim}, shape "
                         f"{tuple(data.shape)}")
    max_outputs = _max_outputs(max_outputs)
    from tensorboard.plugins.audio import metadata as audio_metadata
    content = audio_metadata.create_summary_metadata(
        display_name=None, description=None, encoding=audio_metadata.Encoding.Value("WAV"))
    md = _metadata("audio", content.plugin_data.content, description)
    return _emit(tag_for(name), (data[:max_outputs], _array(sample_rate)), step, md,
                 _encode.audio_tensor)


def text(name, data, step=None, description=None):
    """``tf.summary.text``: a string or array of strings (Markdown) for the Text dashboard."""
    if _state.STATE.writer is None:
        return _bool(False)
    if isinstance(data, TensorLike) or not (isinstance(data, (str, bytes)) or _is_strings(data)):
        dtype = convert_to_tensor(data).dtype.name
        raise TypeError(f"tensor must be of type tf.string; got tf.{dtype}")
    return _emit(tag_for(name), np.asarray(data, dtype=object), step,
                 _metadata("text", description=description), _encode.text_tensor)


def _max_outputs(max_outputs):
    value = int(np.asarray(_array(max_outputs)))
    if value < 0:
        raise errors.InvalidArgumentError(None, None,
                                          f"max_outputs must be non-negative, got {value}")
    return value


def should_record_summaries():
    """``tf.summary.should_record_summaries``: whether a summary here would be written."""
    if _state.STATE.writer is None:
        return _bool(False)
    condition = _array(_condition())
    if isinstance(condition, jax.core.Tracer):
        return Tensor(jax.numpy.asarray(condition, dtype=bool))
    return _bool(bool(np.asarray(condition)))


class record_if:  # noqa: N801 - TF's name
    """``tf.summary.record_if``: summaries are written only while ``condition`` holds.

    ``condition`` is a bool, a bool tensor, or a callable returning one (called at each
    summary).
    """

    def __init__(self, condition):
        self._condition = condition
        self._saved = []

    def __enter__(self):
        self._saved.append(_state.STATE.condition)
        _state.STATE.condition = self._condition

    def __exit__(self, *exc):
        _state.STATE.condition = self._saved.pop()
        return False


def get_step():
    """``tf.summary.experimental.get_step``: the default step (int, tensor or Variable)."""
    return _state.STATE.step


def set_step(step):
    """``tf.summary.experimental.set_step``: the step used when a summary gets none."""
    _state.STATE.step = step


def summary_scope(name, default_name="summary", values=None):
    """``tf.summary.experimental.summary_scope``: yields ``(tag, scope)`` for a summary."""
    @contextlib.contextmanager
    def scope():
        tag = tag_for(name or default_name)
        with name_scope(name or default_name) as s:
            yield tag, s
    return scope()



def write_raw_pb(tensor, step=None, name=None):
    """``tf.summary.experimental.write_raw_pb``: serialized ``Summary`` protos, one event each."""
    if _state.STATE.writer is None:
        return _bool(False)
    protos = np.asarray(_array(tensor) if isinstance(tensor, TensorLike) else tensor,
                        dtype=object).reshape(-1)
    result = _bool(False)
    for proto in protos:
        if not isinstance(proto, bytes):
            raise TypeError(f"write_raw_pb takes serialized Summary protos (bytes), got "
                            f"{type(proto).__name__}")
        result = _emit(None, proto, step, None, None)
    return result
