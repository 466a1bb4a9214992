"""Values a ``tapejax.function`` program hands to the host after each run (``tf.summary``'s).

Each program output costs several microseconds per call, so the values of all the summaries
in one program leave it as ONE uint8 output. Each request (a writer's ``RunSummaries``) gives
one uint8 array when the trace ends; a program with one request returns that array as it is,
one with several returns them joined, and after a run each request receives its part
(``HostSlice``, a view cut from one host copy) without anything waiting for the values.
"""
import jax.numpy as jnp
import numpy as np


class _Packed:
    """One run's joined output; copied to the host once, when first read."""

    __slots__ = ("buffer", "host")

    def __init__(self, buffer):
        self.buffer, self.host = buffer, None

    def numpy(self):
        if self.host is None:
            self.host = np.asarray(self.buffer)
            self.buffer = None
        return self.host


class HostSlice:
    """One request's bytes of a joined output: ``numpy()`` waits for the program's output."""

    __slots__ = ("packed", "offset", "size")

    def __init__(self, packed, offset, size):
        self.packed, self.offset, self.size = packed, offset, size

    def is_ready(self):
        return self.packed.buffer is None or self.packed.buffer.is_ready()

    def numpy(self):
        return self.packed.numpy()[self.offset:self.offset + self.size]


class HostOutputs:
    """The host-bound values of one traced program. Each request has ``finish()`` (its uint8
    array, called inside the trace) and ``emit(value)`` returning ``(sink, item)``: after a
    run, the items bound for one sink reach it in one call, in order."""

    def __init__(self, requests):
        self.requests = list(requests)
        self.layout = None  # (offset, size) per request, when there are several

    def pack(self):
        """The program's one uint8 output (call inside the trace)."""
        arrays = [request.finish() for request in self.requests]
        if len(arrays) == 1:
            return arrays[0]
        self.layout, offset = [], 0
        for a in arrays:
            self.layout.append((offset, a.size))
            offset += a.size
        return jnp.concatenate(arrays)

    def deliver(self, buffer):
        if self.layout is None:
            sink, item = self.requests[0].emit(buffer)
            sink([item])
            return
        packed, batches = _Packed(buffer), {}
        for request, (offset, size) in zip(self.requests, self.layout):
            sink, item = request.emit(HostSlice(packed, offset, size))
            batches.setdefault(sink, []).append(item)
        for sink, items in batches.items():
            sink(items)
