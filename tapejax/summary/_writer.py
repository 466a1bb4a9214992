"""Summary writers: TF's ``tf.summary.SummaryWriter`` on TensorBoard's event-file pieces.

A file writer keeps up to ``max_queue`` events in memory and writes them, as whole records
(TF's record framing: length, CRC, ``Event`` proto, CRC: ``tapejax._crc32c.frame``), when
the queue grows past ``max_queue``, when ``flush_millis`` have passed since the last flush
(checked on each write, as TF's writer does), on ``flush()``, on leaving ``as_default()`` and
on ``close()``. A flush hands the bytes to the operating system, so every event flushed
before a crash or a ``SIGKILL`` is readable; writers still open when the interpreter exits are
closed then. One lock per writer: threads sharing a writer write whole records, in call order.

Summaries in a ``tapejax.function`` cost its caller almost nothing: each run hands the writer
one entry (the wall time and views of the program's summary output, ``RunSummaries``), and
when TF's writer would write, a writer thread waits for the values, serializes the events and
writes them. Events of one tag and dtype reuse one ``Event`` message (only the wall time, step
and tensor bytes change), so a scalar event costs a few microseconds there. Eager summaries
are written on the caller's thread, as in TF.
"""
import atexit
import contextlib
import itertools
import math
import os
import queue
import socket
import sys
import threading
import time
import weakref
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _crc32c, errors
from .._donation import add_variable_free_thread
from .._host_outputs import HostSlice
from ..tensor import TensorLike
from . import _encode, _state

_FILE_NUMBER = itertools.count()  # TF numbers the event files a process opens
_OPEN = weakref.WeakSet()  # file writers still open: flushed when the interpreter exits
_MAX_UNDECIDED = 1000  # events kept waiting for their values before a write waits for them
_MAX_CACHED = 256  # tags (and shapes of a tag) whose Event messages are kept for reuse
_TENSOR_CONTENT = (_encode.scalar_tensor, _encode.plain_tensor)  # numbers as raw bytes
_LITTLE_ENDIAN = sys.byteorder == "little"


def _ready(x):
    """True when a queued value can be read without waiting for the device."""
    if isinstance(x, TensorLike):
        x = x._value
    return x.is_ready() if isinstance(x, (jax.Array, HostSlice)) else True


def _host(x):
    """A queued value as NumPy (waits for a device value to be computed)."""
    if isinstance(x, TensorLike):
        return np.asarray(x._value)
    if isinstance(x, HostSlice):
        return x.numpy()
    return np.asarray(x) if isinstance(x, jax.Array) else x


def _device_array(x):
    """The device array a queued value waits for, or None."""
    if isinstance(x, TensorLike):
        return x._value
    if isinstance(x, HostSlice):
        return x.packed.buffer  # None once read
    return x if isinstance(x, jax.Array) else None


def _content(encode, data):
    """``((dtype, shape), bytes)`` of a value written as ``tensor_content``, else None."""
    if encode not in _TENSOR_CONTENT or not _LITTLE_ENDIAN:
        return None
    array = _host(data)
    array = np.asarray(array, np.float32) if encode is _encode.scalar_tensor else \
        np.asarray(array)
    if array.dtype.kind not in "biufc" or not array.dtype.isnative:
        return None
    return (array.dtype, array.shape), array.tobytes()


class _Series:
    """The events of one tag, plugin metadata and encoder. Events of one dtype and shape
    reuse one ``Event`` message: only the wall time, step and tensor bytes change."""

    __slots__ = ("tag", "metadata", "encode", "events")

    def __init__(self, tag, metadata, encode):
        self.tag, self.metadata, self.encode = tag, metadata, encode
        self.events = {}  # (dtype, shape) -> (Event, its TensorProto)

    def serialize(self, new_event, wall_time, step, data, content=None):
        """The serialized ``Event`` of one value, as TF's writer writes it. ``content``:
        ``_content(encode, data)`` when the caller has it."""
        if self.tag is None:  # ``data`` is a serialized Summary (write_raw_pb)
            event = new_event(wall_time=wall_time, step=step)
            event.summary.ParseFromString(data)
            return event.SerializeToString()
        if content is None:
            content = _content(self.encode, data)
        if content is not None:
            reused = self.events.get(content[0])
            if reused is not None:
                event, tensor = reused
                event.wall_time, event.step = wall_time, step
                tensor.tensor_content = content[1]
                return event.SerializeToString()
        event = new_event(wall_time=wall_time, step=step)
        value = event.summary.value.add(tag=self.tag, tensor=self.encode(_host(data)))
        if self.metadata is not None:
            value.metadata.CopyFrom(self.metadata)
        if content is not None:
            if len(self.events) >= _MAX_CACHED:  # a new shape on every call
                self.events.clear()
            self.events[content[0]] = (event, value.tensor)
        return event.SerializeToString()


class RunSummaries:
    """The summaries one ``tapejax.function`` trace writes to one writer.

    While tracing, ``add`` records each summary call and the traced values it writes (data,
    step, condition; each value once). A value to be reduced on the device only while its
    tensor condition holds (histogram buckets, image pixels under ``record_if``) is reduced
    when the trace ends, every such value of one condition in ONE ``lax.cond``: XLA:CPU pays
    a few microseconds per conditional on each run. ``finish`` lays all the bytes out in ONE
    uint8 array, the request's only program output, so a run hands over one value however many
    summaries it writes. After each run, ``emit`` queues on the writer the wall time (TF stamps
    an event when its op runs) and that output, unread.
    """

    def __init__(self, writer):
        self.writer = writer
        self.fixed = 0  # summaries always recorded
        self.conditional = 0  # summaries with a tensor condition
        self._calls = []  # a _Call, or until ``finish`` a _Reduced
        self._parts = []  # the uint8 pieces of the output
        self._slots = {}  # id(traced value) -> (its _Slot, the value, kept so ids stay unique)
        self._size = 0

    def add(self, series, data, step, condition, reduce=None):
        """Records one summary call (while tracing); a value that is not an array is fixed.
        ``reduce`` (with a tensor ``condition``): what is written is ``reduce(data)``."""
        step, condition_slot = self._slot(step), self._slot(condition)
        if reduce is not None:
            self._calls.append(_Reduced(series, reduce, data, step, condition_slot, condition))
        else:
            self._calls.append(_Call(series, self._slot(data), step, condition_slot))
        if condition is None:
            self.fixed += 1
        else:
            self.conditional += 1

    def _slot(self, value):
        if not isinstance(value, (jax.Array, jax.core.Tracer)):
            return value
        found = self._slots.get(id(value))
        if found is None:
            found = self._slots[id(value)] = (self._append(_bytes_of(value), value), value)
        return found[0]

    def _append(self, piece, like):
        """Appends ``piece`` (the bytes of a value shaped as ``like``); returns its _Slot."""
        slot = _Slot(self._size, self._size + piece.size, np.dtype(like.dtype), tuple(like.shape))
        self._size += piece.size
        self._parts.append(piece)
        return slot

    def finish(self):
        """Reduces the conditional values, one ``lax.cond`` per condition, and returns the
        uint8 output (called once, as the trace ends)."""
        groups = {}
        for k, call in enumerate(self._calls):
            if type(call) is _Reduced:
                groups.setdefault(id(call.condition), []).append(k)
        for indices in groups.values():
            reduced = [self._calls[k] for k in indices]
            shapes = [jax.eval_shape(r.reduce, r.data) for r in reduced]
            size = sum(s.dtype.itemsize * math.prod(s.shape) for s in shapes)
            piece = jax.lax.cond(
                reduced[0].condition,
                lambda data: jnp.concatenate([jnp.zeros(0, jnp.uint8)] + [
                    _bytes_of(r.reduce(d)) for r, d in zip(reduced, data)]),
                lambda data: jnp.zeros(size, jnp.uint8), [r.data for r in reduced])
            offset = self._append(piece, piece).start
            for k, r, shape in zip(indices, reduced, shapes):
                slot = _Slot(offset, offset + shape.dtype.itemsize * math.prod(shape.shape),
                             np.dtype(shape.dtype), tuple(shape.shape))
                self._calls[k] = _Call(r.series, slot, r.step, r.condition_slot)
                offset = slot.end
        parts, self._parts, self._slots = self._parts, None, None  # drop the tracers
        if len(parts) == 1:
            return parts[0]
        return jnp.concatenate(parts) if parts else jnp.zeros(0, jnp.uint8)  # all fixed

    def emit(self, output):
        return self.writer._add_runs, (self, time.time(), output)

    def serialize(self, new_event, wall_time, output, records):
        """Appends the framed events of one run whose condition holds."""
        raw = _output_bytes(output)
        for call in self._calls:
            event = call.serialize(new_event, wall_time, raw)
            if event is not None:
                records.append(_crc32c.frame(event))


def _bytes_of(value):
    """A traced value's bytes, flat uint8 (bool as one byte each)."""
    flat = jnp.asarray(value).reshape(-1)
    if flat.dtype == np.bool_:
        return flat.astype(jnp.uint8)
    if flat.dtype.itemsize > 1:
        return jax.lax.bitcast_convert_type(flat, jnp.uint8).reshape(-1)
    return jax.lax.bitcast_convert_type(flat, jnp.uint8)


class _Reduced(NamedTuple):
    """A summary call whose data is reduced under its condition when the trace ends."""
    series: object
    reduce: object
    data: object
    step: object
    condition_slot: object
    condition: object


def _output_bytes(output):
    """A run's output as a ``memoryview`` of its bytes (a view of the program's output)."""
    if type(output) is HostSlice:  # no copy: a view of the joined output's host array
        return memoryview(output.numpy())
    return memoryview(np.asarray(output))  # the program's flat uint8 output


class _Slot(NamedTuple):
    """Where a traced value lies in a run's output bytes (in the host's byte order)."""
    start: int
    end: int
    dtype: np.dtype
    shape: tuple

    def read(self, raw):
        return np.frombuffer(raw, self.dtype, math.prod(self.shape), self.start) \
            .reshape(self.shape)


class _Call:
    """One summary call of a traced program: its series, and its data, step and condition,
    each a ``_Slot`` of the run's output or a fixed value."""

    __slots__ = ("series", "data", "step", "condition", "flag", "step_at", "key")

    def __init__(self, series, data, step, condition):
        self.series, self.data, self.step, self.condition = series, data, step, condition
        self.flag = -1  # where a scalar bool condition's byte is
        if isinstance(condition, _Slot) and condition.dtype == np.bool_ and \
                condition.end == condition.start + 1:
            self.flag, self.condition = condition.start, None
        self.step_at = None  # (start, end, signed) of an integer step
        if isinstance(step, _Slot) and step.dtype.kind in "iu":
            self.step_at = (step.start, step.end, step.dtype.kind == "i")
        self.key = None  # (dtype, shape) when the data's bytes are its tensor_content
        if isinstance(data, _Slot) and series.encode in _TENSOR_CONTENT and _LITTLE_ENDIAN \
                and data.dtype.kind in "biufc" and (series.encode is not _encode.scalar_tensor
                                                    or data.dtype == np.float32):
            self.key = (data.dtype, data.shape)

    def serialize(self, new_event, wall_time, raw):
        """The serialized event (None when the condition is false)."""
        if self.flag >= 0 and not raw[self.flag]:
            return None
        if self.condition is not None and not bool(_read(self.condition, raw)):
            return None
        if self.step_at is not None:
            start, end, signed = self.step_at
            step = int.from_bytes(raw[start:end], sys.byteorder, signed=signed)
        else:
            step = _int_step(_read(self.step, raw))
        series, key, data = self.series, self.key, self.data
        if key is not None:  # the bytes as they are; decoded only for the first event
            content = (key, raw[data.start:data.end].tobytes())
            data = data.read(raw) if key not in series.events else None
            return series.serialize(new_event, wall_time, step, data, content)
        return series.serialize(new_event, wall_time, step, _read(data, raw))


def _int_step(step):
    """An event's step from a checked step value (an int64 of one element, or an int)."""
    return step if type(step) is int else int(np.asarray(step).reshape(-1)[0])


def _read(value, raw):
    """A call's value: read from the run's output bytes, or its fixed value."""
    return value.read(raw) if isinstance(value, _Slot) else _host(value)


class SummaryWriter:
    """``tf.summary.SummaryWriter``: the interface of file and no-op writers."""

    def set_as_default(self, step=None):
        """Makes this the default writer of the current thread (and sets the step if given)."""
        self._check_open()
        _state.STATE.writer = self
        if step is not None:
            _state.STATE.step = step

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Uses this writer (and ``step``, if given) within the block, then flushes it."""
        self._check_open()
        state = _state.STATE
        old_writer, old_step = state.writer, state.step
        state.writer = self
        if step is not None:
            state.step = step
        try:
            yield self
        finally:
            self.flush()
            state.writer = old_writer
            if step is not None:
                state.step = old_step

    def _check_open(self):
        if getattr(self, "_closed", False):
            raise RuntimeError(f"SummaryWriter {self!r} is already closed")

    def init(self):
        """Kept for TF 1 compatibility; a no-op, as in TF 2."""

    def flush(self):
        """Writes the queued events to the event file."""

    def close(self):
        """Flushes and closes the writer; later summaries written with it raise."""


class NoopWriter(SummaryWriter):
    """``tf.summary.create_noop_writer()``. As TF's, making it the default changes nothing:
    ``set_as_default`` and ``as_default`` leave the default writer and step as they are, so
    summaries still go to an enclosing or earlier default writer, and without one they are
    skipped (they return False and need no step)."""

    def set_as_default(self, step=None):
        """Does nothing, as TF's no-op writer (the default writer and step stay)."""

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Changes nothing within the block, as TF's no-op writer; binds None to ``as``."""
        yield


class FileWriter(SummaryWriter):
    """An event file in ``logdir`` in TensorBoard's format (``tf.summary.create_file_writer``).

    The queue holds entries (one ``tapejax.function`` run's values, or one event written
    eagerly) in call order, then the framed records of the entries already read. Like TF's
    writer, it writes when more than ``max_queue`` events are recorded; an event whose tensor
    condition is not read yet counts only once it is read and holds.
    """

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix):
        from tensorboard.compat.proto import event_pb2
        os.makedirs(logdir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_FILE_NUMBER), filename_suffix)
        self._path = os.path.join(logdir, name)
        self._file = open(self._path, "wb")
        self._event = event_pb2.Event
        self._lock = threading.Lock()
        self._entries = []  # runs and events not read yet, oldest first
        self._read = 0  # entries read since the writer was made
        self._records = []  # framed records of the events read, not written yet
        self._fixed = 0  # events in _entries recorded whatever their values
        self._undecided = 0  # events in _entries whose condition is not read yet
        self._series = {}  # (tag, id(metadata), encode) -> _Series
        self._max_queue = max_queue
        self._flush_secs = flush_millis / 1000.0
        self._deadline = time.monotonic() + self._flush_secs
        self._closed = False
        self._scheduled = False  # the writer thread will read the queue
        self._error = None  # raised on the writer thread; raised again to the next caller
        first = event_pb2.Event(wall_time=float(int(time.time())), file_version="brain.Event:2")
        first.source_metadata.writer = "tapejax.summary"
        self._file.write(_crc32c.frame(first.SerializeToString()))
        self._file.flush()
        _OPEN.add(self)

    def series(self, tag, metadata, encode):
        """The ``_Series`` of ``tag`` written with ``metadata`` and ``encode``."""
        key = (tag, id(metadata), encode)
        found = self._series.get(key)
        if found is None or found.metadata is not metadata:
            if len(self._series) >= _MAX_CACHED:  # new metadata protos on every call
                self._series.clear()
            found = self._series[key] = _Series(tag, metadata, encode)
        return found

    def _add_runs(self, runs):
        """Queues ``(RunSummaries, wall_time, output)`` entries, reading no value.

        When TF's writer would write, the writer thread reads and writes them (``_drain``):
        the caller, a training loop, neither waits for the step's values nor converts them.
        """
        with self._lock:
            if self._closed or self._error is not None:
                self._check_writable()
            self._entries += runs
            for run in runs:
                self._fixed += run[0].fixed
                self._undecided += run[0].conditional
            if not self._scheduled and self._due():
                if _EXITING:  # the writer thread has stopped
                    self._write_when_due()
                else:
                    self._scheduled = True
                    _schedule(self)

    def add_event(self, wall_time, step, series, data, condition):
        """Queues one eagerly written event (``series``'s, at ``step``, while ``condition``),
        and writes as TF's writer would (on this thread).

        Values may be device arrays or Tensors still being computed; nothing waits for them
        until the event is written. An event whose tensor condition is false is dropped.
        """
        with self._lock:
            if self._closed or self._error is not None:
                self._check_writable()
            self._entries.append((None, wall_time, (step, series, data, condition)))
            if condition is None:
                self._fixed += 1
            else:
                self._undecided += 1
            if self._scheduled:  # the writer thread is waiting for values queued before
                return
            self._write_when_due()
            if self._entries and self._due() and not _EXITING:
                self._scheduled = True  # values still being computed: the writer thread
                _schedule(self)  # waits for them, so later calls need not look again

    def _drain(self):
        """On the writer thread: waits (outside the lock) for the values queued so far, then
        reads them and writes if TF's writer would have."""
        with self._lock:
            self._scheduled = False
            if self._closed:
                return
            end = self._read + len(self._entries)
            arrays = self._queued_arrays()
        _wait_newest_first(arrays)
        with self._lock:
            if self._closed:
                return
            try:
                self._write_when_due(ready=end - self._read)
            except Exception as e:  # raised to the next caller of this writer
                self._error = e
            if self._entries and not self._scheduled and self._due() and self._error is None:
                self._scheduled = True  # runs queued meanwhile are due: wait for them too
                _WORK.put(self)

    def _queued_arrays(self):
        """The device arrays the queued entries' values are, oldest first."""
        return [_device_array(x) for group, _, values in self._entries
                for x in ((values,) if group is not None else (values[0],) + values[2:])]

    def _check_writable(self):
        if self._closed:
            raise errors.NotFoundError(
                None, None, f"Resource summary writer of {self._path!r} does not exist "
                            f"(it was closed).")
        self._raise_error()

    def _raise_error(self):
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _due(self):
        """TF's rule: write when the queue holds more than ``max_queue`` events (counting
        those whose condition is not read yet) or ``flush_millis`` have passed."""
        return time.monotonic() > self._deadline or \
            len(self._records) + self._fixed + self._undecided > self._max_queue

    def _write_when_due(self, ready=0):
        """Writes as TF's writer would now, the events whose values are computed (the first
        ``ready`` entries are known to be). While a loop runs ahead of its steps, events wait
        until more than ``max_queue`` of them are computed: one write per queue, as TF."""
        if not self._due():
            return
        timed = time.monotonic() > self._deadline
        self._read_entries(wait=False, ready=ready)
        if self._fixed + self._undecided > _MAX_UNDECIDED:
            self._read_entries(wait=True)
        if timed or len(self._records) > self._max_queue:
            self._write_records()

    def _read_entries(self, wait, ready=0):
        """Frames the queued entries' events, oldest first; without ``wait``, only while the
        entries' values are computed, so a training loop never waits for its last step here."""
        entries, records, done = self._entries, self._records, 0
        fixed = undecided = 0
        try:
            for group, wall_time, values in entries:
                if not wait and done >= ready and not _entry_ready(group, values):
                    break
                done += 1
                if group is not None:
                    fixed, undecided = fixed + group.fixed, undecided + group.conditional
                    group.serialize(self._event, wall_time, values, records)
                else:
                    if values[3] is None:
                        fixed += 1
                    else:
                        undecided += 1
                    self._serialize_one(wall_time, values, records)
        finally:  # the entries read (and one that failed) leave the queue
            del entries[:done]
            self._read += done
            self._fixed -= fixed
            self._undecided -= undecided

    def _serialize_one(self, wall_time, event, records):
        step, series, data, condition = event  # as ``add_event`` queues it
        if condition is not None and not bool(_host(condition)):
            return
        if type(step) is not int:
            step = _int_step(_host(step))
        records.append(_crc32c.frame(series.serialize(self._event, wall_time, step, data)))

    def _write_records(self):
        """Hands the framed records to the operating system."""
        if self._records:
            self._file.write(b"".join(self._records))
            self._records.clear()
        self._file.flush()
        self._deadline = time.monotonic() + self._flush_secs

    def _flush_locked(self):
        try:
            _wait_newest_first(self._queued_arrays())
            self._read_entries(wait=True)
        finally:  # the events read before a failing one are still written
            self._write_records()

    def flush(self):
        with self._lock:
            if not self._closed:
                self._flush_locked()
                self._raise_error()

    def close(self):
        with self._lock:
            if not self._closed:
                try:
                    self._flush_locked()
                finally:
                    self._file.close()
                    self._closed = True
                self._raise_error()

    def __del__(self):  # pragma: no cover - depends on the garbage collector
        try:
            self.close()
        except Exception:  # never raise from a finaliser
            pass


def _wait_newest_first(arrays):
    """Waits until ``arrays`` are computed. Newest first: a queue of steps computed in order is
    then one wait, not one per step (each wait costs the waiting thread CPU)."""
    try:
        for array in reversed(arrays):
            if array is not None:
                array.block_until_ready()
    except Exception:  # a deleted value: it raises again when read
        pass


def _entry_ready(group, values):
    """True when the values of a queued run (its one output) or event are computed."""
    if group is not None:
        return _ready(values)
    step, _, data, condition = values
    return _ready(step) and _ready(data) and _ready(condition)


_WORK = queue.SimpleQueue()  # writers whose queued runs are due to be written
_THREAD = []  # the writer thread, started when first needed (again in a forked child)
_THREAD_LOCK = threading.Lock()
_EXITING = False  # set at interpreter exit: writers write on the caller's thread


def _schedule(writer):
    """Has the writer thread drain ``writer``."""
    _WORK.put(writer)
    if not _THREAD or not _THREAD[-1].is_alive():
        with _THREAD_LOCK:
            if not _EXITING and (not _THREAD or not _THREAD[-1].is_alive()):
                thread = threading.Thread(target=_work, name="tapejax.summary writer",
                                          daemon=True)
                thread.start()
                _THREAD.append(thread)
                add_variable_free_thread(thread)  # eager in-place updates stay on


def _work():
    while True:
        writer = _WORK.get()
        if writer is None:
            return
        try:
            writer._drain()
        except Exception as e:  # pragma: no cover - _drain keeps its errors for the caller
            writer._error = e


def _stop_thread():
    """Ends the writer thread after its current drain: a daemon thread still inside JAX
    (waiting for a value) when the interpreter finalizes would abort the process."""
    global _EXITING
    with _THREAD_LOCK:
        _EXITING = True
        if _THREAD and _THREAD[-1].is_alive():
            _WORK.put(None)
            _THREAD[-1].join()


@atexit.register
def _flush_at_exit():
    _stop_thread()
    for writer in list(_OPEN):
        try:
            writer.close()
        except Exception:  # a failing writer must not stop the others
            pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """``tf.summary.create_file_writer``: a writer of one new event file in ``logdir``.

    Args:
      logdir: *str.* The directory (created if missing).
      max_queue: *Optional, int.* Events kept in memory before a write. Default 10.
      flush_millis: *Optional, int.* Most milliseconds between writes. Default 120,000.
      filename_suffix: *Optional, str.* Appended to the file name. Default ``".v2"``.
    """
    if experimental_mesh is not None:
        raise NotImplementedError("create_file_writer: experimental_mesh is not supported")
    if logdir is None:
        raise ValueError("Argument `logdir` cannot be None")
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"logdir must be a string or a path, got {logdir!r}")
    max_queue = 10 if max_queue is None else _nonnegative_int("max_queue", max_queue)
    flush_millis = 120000 if flush_millis is None else \
        _nonnegative_int("flush_millis", flush_millis)
    filename_suffix = ".v2" if filename_suffix is None else str(filename_suffix)
    return FileWriter(os.fspath(logdir), max_queue, flush_millis, filename_suffix)


def create_noop_writer():
    """``tf.summary.create_noop_writer``: a writer that writes nothing."""
    return NoopWriter()


def _nonnegative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return int(value)


def flush(writer=None, name=None):
    """``tf.summary.flush``: flushes ``writer`` (default: the default writer)."""
    writer = _state.STATE.writer if writer is None else writer
    if writer is not None:
        writer.flush()
