"""Values a ``tapejax.function`` program hands to the host after each run (``tf.summary``'s).

Each program output costs several microseconds per call, so the values of all the summaries
in one program leave it as ONE output: their bytes concatenated into a uint8 array
(``lax.bitcast_convert_type``). After a run, each summary receives ``HostSlice`` views of that
array; nothing waits for the values until a writer reads them (``numpy()``).
"""
import math

import jax.numpy as jnp
import numpy as np
from jax import lax


class _Packed:
    """One run's packed output; copied to the host once, when first read."""

    __slots__ = ("buffer", "host")

    def __init__(self, buffer):
        self.buffer, self.host = buffer, None

    def numpy(self):
        if self.host is None:
            self.host = np.asarray(self.buffer)
            self.buffer = None
        return self.host


class HostSlice:
    """One packed value: ``numpy()`` waits for the program's output and cuts the value out."""

    __slots__ = ("packed", "offset", "size", "shape", "dtype", "value")

    def __init__(self, packed, offset, size, shape, dtype):
        self.packed, self.offset, self.size = packed, offset, size
        self.shape, self.dtype, self.value = shape, dtype, None

    def is_ready(self):
        return self.packed.buffer is None or self.packed.buffer.is_ready()

    def numpy(self):
        if self.value is None:
            raw = self.packed.numpy()[self.offset:self.offset + self.size]
            if self.dtype == np.bool_:
                self.value = raw.astype(np.bool_).reshape(self.shape)
            else:
                self.value = np.frombuffer(raw.tobytes(), self.dtype).reshape(self.shape)
        return self.value


class HostOutputs:
    """The host-bound values of one traced program: ``pack`` inside the trace, ``deliver``
    after each run to the ``emit`` functions that asked for them. An ``emit`` may return
    ``(sink, item)``: the items of one run then reach each sink in one call, in order."""

    def __init__(self, requests):
        self.emits = [(emit, len(arrays)) for emit, arrays in requests]
        slots, self.index = {}, []  # index[k]: the packed value of the k-th requested array
        for _, arrays in requests:
            for a in arrays:
                self.index.append(slots.setdefault(id(a), len(slots)))
        unique = {id(a): a for _, arrays in requests for a in arrays}
        self.arrays = list(unique.values())
        self.layout = []

    def pack(self):
        """The one uint8 array holding every value's bytes (call inside the trace)."""
        parts, offset = [], 0
        for a in self.arrays:
            dtype = np.dtype(a.dtype)
            if dtype == np.bool_:
                a = a.astype(jnp.uint8)
            flat = lax.bitcast_convert_type(a.reshape(-1), jnp.uint8).reshape(-1) \
                if dtype.itemsize > 1 else lax.bitcast_convert_type(a.reshape(-1), jnp.uint8)
            parts.append(flat)
            size = dtype.itemsize * math.prod(a.shape)
            self.layout.append((offset, size, tuple(a.shape), dtype))
            offset += size
        self.arrays = None  # the tracers are not needed after tracing
        return jnp.concatenate(parts) if parts else jnp.zeros(0, jnp.uint8)

    def deliver(self, buffer):
        packed = _Packed(buffer)
        unique = [HostSlice(packed, *spec) for spec in self.layout]
        values = [unique[k] for k in self.index]
        batches, k = {}, 0
        for emit, n in self.emits:
            out = emit(values[k:k + n])
            if out is not None:
                batches.setdefault(out[0], []).append(out[1])
            k += n
        for sink, items in batches.items():
            sink(items)
