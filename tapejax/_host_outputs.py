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

    __slots__ = ("packed", "offset", "size", "shape", "dtype")

    def __init__(self, packed, offset, size, shape, dtype):
        self.packed, self.offset, self.size = packed, offset, size
        self.shape, self.dtype = shape, dtype

    def is_ready(self):
        return self.packed.buffer is None or self.packed.buffer.is_ready()

    def numpy(self):
        raw = self.packed.numpy()[self.offset:self.offset + self.size]
        if self.dtype == np.bool_:
            return raw.astype(np.bool_).reshape(self.shape)
        return np.frombuffer(raw.tobytes(), self.dtype).reshape(self.shape)


class HostOutputs:
    """The host-bound values of one traced program: ``pack`` inside the trace, ``deliver``
    after each run to the ``emit`` functions that asked for them."""

    def __init__(self, requests):
        self.emits = [(emit, len(arrays)) for emit, arrays in requests]
        self.layout = []
        self.arrays = [a for _, arrays in requests for a in arrays]

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
        values = [HostSlice(packed, *spec) for spec in self.layout]
        k = 0
        for emit, n in self.emits:
            emit(values[k:k + n])
            k += n
