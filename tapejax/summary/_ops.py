"""``tf.summary.write`` and the plugin summaries (scalar, histogram, image, text, audio).

Each call checks its arguments at once (ranks, dtypes, the step), then queues the event on the
default writer without waiting for any value: the queue holds the tensors (and a tensor
recording condition), and the writer reads them when it writes. Inside ``tapejax.function`` the
writer, the step rule and the recording condition are read when the function is traced, as in
TF; the summaries' values (already reduced on the device: float32 scalars, histogram buckets,
uint8 pixels) and their steps and conditions become ONE extra uint8 output of the program
(``_writer.RunSummaries``), queued on the writer after each run without being read. So
nothing is written at trace time, no host callback runs in the program, and a function traced
without a default writer contains no summary code at all.
Inside other JAX traces (a ``tf.cond`` branch, a user's ``jax.jit``) the values reach the host
through ``jax.debug.callback``.
"""
import contextlib
import functools
import time

import jax
import numpy as np
from jax.extend import core as jcore

from .. import dtypes, errors
from .._cache import Cache
from .._capture import TRACE
from .._core_types import Tensor as CoreTensor
from ..module import get_current_name_scope, name_scope
from ..tensor import Tensor, TensorLike, constant, convert_to_tensor
from . import _encode, _state, _writer

_CONSTANTS = {}


def _bool(value):
    """A cached ``tf.constant(value)`` of dtype bool (tensors are immutable)."""
    t = _CONSTANTS.get(value)
    if t is None:
        with jax.ensure_compile_time_eval():  # a concrete value, even when made in a trace
            t = _CONSTANTS[value] = constant(value)
    return t


_PLAIN = frozenset((Tensor, int, float, bool, type(None)))  # answered without an ABC check


def _tensor_like(x):
    """``x``, or the tensor of a foreign tensor type (Keras's Variable, ``__tf_tensor__``)."""
    if type(x) in _PLAIN:
        return x
    if isinstance(x, CoreTensor) and not isinstance(x, TensorLike):
        return convert_to_tensor(x)
    return x


def _array(x):
    """The JAX array or tracer behind ``x``, or ``x`` itself when it is not a tensor."""
    x = _tensor_like(x)
    if isinstance(x, TensorLike):
        return x._tapejax_read()._value if type(x) is not Tensor else x._value
    return x


def _hold(x):
    """What the queue keeps of an eager value until it is written: a tensor is kept as its
    ``Tensor`` object (so a ``tapejax.function`` does not donate its buffer meanwhile), NumPy
    data is copied."""
    x = _tensor_like(x)
    if isinstance(x, TensorLike):
        return x if type(x) is Tensor else x._tapejax_read()
    if isinstance(x, np.ndarray):
        return np.array(x)
    return x


def _is_array(x):
    return isinstance(x, (jax.Array, jax.core.Tracer))


def _at_top(capture):
    """True when a ``tapejax.function`` trace is running and no inner JAX trace is."""
    if not hasattr(capture, "summaries"):
        return False
    with jcore.take_current_trace() as current:
        return current is capture.top


def tag_for(name):
    """TF's summary tag: the name under the current name scope."""
    scope = get_current_name_scope()
    return f"{scope}/{name}" if scope else name


_METADATA = Cache("summary.metadata", 256)  # (plugin, content, description) -> proto


def _metadata(plugin, content=b"", description=None):
    """The plugin's ``SummaryMetadata`` (cached: events copy it, nothing changes it)."""
    return _METADATA.get((plugin, content, description),
                         lambda: _new_metadata(plugin, content, description))


def _new_metadata(plugin, content, description):
    from tensorboard.compat.proto import summary_pb2
    md = summary_pb2.SummaryMetadata()
    md.plugin_data.plugin_name = plugin
    md.plugin_data.content = content
    if description:
        md.summary_description = description
    return md


_INT64_RANGE = range(-2**63, 2**63)


def _checked_step(step):
    """TF's check of an explicit ``step`` (made even when nothing is written): it converts to
    int64 (TF's conversion errors) and has one element. Returns what the event is written at:
    the int, Tensor or Variable itself, or the conversion of another value."""
    if step is None or (type(step) is int and step in _INT64_RANGE):
        return step
    if isinstance(step, TensorLike) and step.dtype == dtypes.int64:
        converted = step
    else:
        converted = convert_to_tensor(step, dtype=dtypes.int64)
    if converted.shape.num_elements() != 1:
        raise ValueError(f"Argument `step` must be a scalar. Received step with shape "
                         f"{converted.shape}.")
    return step if converted is step else converted


def _condition():
    condition = _state.STATE.condition
    if callable(condition):
        condition = condition()
    return True if condition is None else condition


def _emit(tag, data, step, metadata, encode, prepare=None):
    """Queues one event on the default writer; returns TF's bool result tensor.

    ``prepare`` (a ``jax.jit`` function) turns the data array into what is written (histogram
    buckets, uint8 pixels, float32); it runs in the program under ``tapejax.function``.
    """
    writer = _state.STATE.writer
    if writer is None:
        return _bool(False)
    condition = _condition()
    step = _state.STATE.step if step is None else step
    if step is None:
        raise ValueError("No step set. Please specify one either through the `step` argument "
                         "or through tf.summary.experimental.set_step()")
    cond_v = None if condition is True else _array(condition)
    if cond_v is not None and not _is_array(cond_v):
        if not bool(np.asarray(cond_v)):
            return _bool(False)
        cond_v = None
    if cond_v is None:
        condition = None
    step_v, data_v = _array(step), _array(data)
    if TRACE.capture is None and not (isinstance(cond_v, jax.core.Tracer) or isinstance(
            step_v, jax.core.Tracer) or isinstance(data_v, jax.core.Tracer)):
        if prepare is not None:
            data = prepare(data_v)
        writer.add_event(time.time(), _hold(step), writer.series(tag, metadata, encode),
                         _hold(data), _hold(condition))
        return _bool(True) if cond_v is None else Tensor(jax.numpy.asarray(cond_v, bool))
    if cond_v is not None:
        cond_v = jax.numpy.asarray(cond_v, dtype=bool)
    capture = TRACE.capture
    if capture is not None and _at_top(capture):
        if prepare is not None and cond_v is None:
            data_v, prepare = prepare(data_v), None
        _run_summaries(capture, writer).add(writer.series(tag, metadata, encode), data_v,
                                            step_v, cond_v, prepare)
    else:  # inside another JAX trace (control flow, a user's jax.jit): a host callback
        if prepare is not None and cond_v is not None:  # reduce the data only when recording
            shape = jax.eval_shape(prepare, data_v)
            data_v = jax.lax.cond(cond_v, prepare,
                                  lambda d: jax.numpy.zeros(shape.shape, shape.dtype), data_v)
        elif prepare is not None:
            data_v = prepare(data_v)
        _host_callback(writer, tag, metadata, encode, data_v, step_v, cond_v)
    return _bool(True) if cond_v is None else Tensor(cond_v)


def _run_summaries(capture, writer):
    """The ``RunSummaries`` of ``writer`` in the program being traced.

    Consecutive summaries to one writer share one request for program outputs, so each run
    of the program hands the writer one entry, however many summaries it writes. Its output
    is laid out when the trace ends (``RunSummaries.finish``).
    """
    requests = capture.summaries
    if requests and requests[-1].writer is writer:
        return requests[-1]
    run = _writer.RunSummaries(writer)
    requests.append(run)
    return run


def _host_callback(writer, tag, metadata, encode, data_v, step_v, cond_v):
    """Queues the event from the host when the values are computed (``jax.debug.callback``)."""
    leaves, tree = jax.tree_util.tree_flatten((data_v, step_v, cond_v))
    slots = [k for k, x in enumerate(leaves) if _is_array(x)]

    def on_host(*values):
        full = list(leaves)
        for k, v in zip(slots, values):
            full[k] = np.array(v)
        data, step, cond = jax.tree_util.tree_unflatten(tree, full)
        writer.add_event(time.time(), step, writer.series(tag, metadata, encode), data, cond)
    jax.debug.callback(on_host, *[leaves[k] for k in slots], ordered=True)


def write(tag, tensor, step=None, metadata=None, name=None):
    """``tf.summary.write``: writes ``tensor`` under ``tag`` with ``metadata``.

    ``tensor`` may be a callable returning the tensor (called only when a summary is
    recorded); ``metadata`` a ``SummaryMetadata`` proto or its serialized bytes.
    """
    step = _checked_step(step)
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
    if isinstance(tensor, str) or _is_strings(tensor):
        return _emit(tag, np.asarray(tensor, dtype=object), step, metadata, _encode.text_tensor)
    if not isinstance(tensor, (TensorLike, jax.Array)):
        tensor = np.asarray(tensor)
    return _emit(tag, tensor, step, metadata, _encode.plain_tensor)


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
    step = _checked_step(step)
    state = _state.STATE
    writer = state.writer
    if writer is None:
        return _bool(False)
    if type(data) is Tensor and state.condition is None and TRACE.capture is None and \
            _queue_float32(writer, name, data, state.step if step is None else step,
                           description):
        return _bool(True)
    data_in, data = data, _numeric(name, data, "float")
    if tuple(data.shape) != ():
        raise ValueError(f"Expected scalar shape, saw shape: {tuple(data.shape)}.")
    prepare = None if np.dtype(data.dtype) == np.float32 else _encode.scalar_value
    return _emit(tag_for(name), data_in, step, _metadata("scalars", description=description),
                 _encode.scalar_tensor, prepare)


def _queue_float32(writer, name, data, step, description):
    """The eager call of a training loop, queued with the fewest checks: a computed float32
    scalar at a Python int or a Tensor's step. Returns False to take the general path."""
    value = data._value
    if not isinstance(value, jax.Array) or isinstance(value, jax.core.Tracer) or \
            value.shape or value.dtype != np.float32:
        return False
    if type(step) is not int:
        step = _hold(step) if isinstance(step, TensorLike) else None
        if step is None or not isinstance(step._value, jax.Array) or \
                isinstance(step._value, jax.core.Tracer):
            return False
    series = writer.series(tag_for(name), _metadata("scalars", description=description),
                           _encode.scalar_tensor)
    writer.add_event(time.time(), step, series, data, None)
    return True


def histogram(name, data, step=None, buckets=None, description=None):
    """``tf.summary.histogram``: ``buckets`` (default 30) equal-width buckets over ``data``."""
    step = _checked_step(step)
    if _state.STATE.writer is None:
        return _bool(False)
    _numeric(name, data, "double")
    buckets = 30 if buckets is None else buckets
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)):
        raise TypeError(f"buckets must be an int, got {buckets!r}")
    return _emit(tag_for(name), data, step, _metadata("histograms", description=description),
                 _encode.plain_tensor, functools.partial(_encode.histogram_buckets,
                                                         bucket_count=max(0, int(buckets))))


def image(name, data, step=None, max_outputs=3, description=None):
    """``tf.summary.image``: ``[k, h, w, c]`` images (c in 1..4) as PNG; floats in [0, 1]."""
    step = _checked_step(step)
    if _state.STATE.writer is None:
        return _bool(False)
    data_in, data = data, _numeric(name, data, "uint8")
    if data.ndim != 4:
        raise ValueError(f"Tensor  must have rank 4.  Received rank {data.ndim}, shape "
                         f"{tuple(data.shape)}")
    if data.shape[-1] not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None, None, f"image must have 1, 2, 3 or 4 channels, got {data.shape[-1]}")
    return _emit(tag_for(name), data_in, step, _metadata("images", description=description),
                 _encode.image_tensor, functools.partial(_encode.image_pixels,
                                                         max_outputs=_max_outputs(max_outputs)))


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None):
    """``tf.summary.audio``: ``[k, t, c]`` float clips in [-1, 1] as 16-bit WAV."""
    step = _checked_step(step)
    if _state.STATE.writer is None:
        return _bool(False)
    if encoding is None:
        encoding = "wav"
    if encoding != "wav":
        raise ValueError("Unknown encoding: %r" % encoding)
    data_in, data = data, _numeric(name, data, "float")
    if data.ndim != 3:
        raise ValueError(f"Tensor  must have rank 3.  Received rank {data.ndim}, shape "
                         f"{tuple(data.shape)}")
    max_outputs = _max_outputs(max_outputs)
    from tensorboard.plugins.audio import metadata as audio_metadata
    content = audio_metadata.create_summary_metadata(
        display_name=None, description=None, encoding=audio_metadata.Encoding.Value("WAV"))
    md = _metadata("audio", content.plugin_data.content, description)
    encode = functools.partial(_encode.audio_tensor, sample_rate=int(np.asarray(sample_rate)))
    return _emit(tag_for(name), data_in, step, md, encode,
                 functools.partial(_encode.first, count=max_outputs))


def text(name, data, step=None, description=None):
    """``tf.summary.text``: a string or array of strings (Markdown) for the Text dashboard."""
    step = _checked_step(step)
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


class record_if:  # TF's name
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
    step = _checked_step(step)
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
