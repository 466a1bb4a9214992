"""``tf.IndexedSlices``: a sparse set of rows of a dense tensor (``values`` at ``indices`` of a
tensor of shape ``dense_shape``), as TF's gradients of ``gather`` use it. ``tf.convert_to_tensor``
and every op turn it into the dense tensor (rows at repeated indices add up), recorded on
tapes like any op; ``tf.clip_by_global_norm`` clips its values and keeps it sparse, as TF.
"""
from .ops import math_ops
from .tensor import convert_to_tensor


class IndexedSlices:
    """``tf.IndexedSlices(values, indices, dense_shape=None)``."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)
        self._static_shape = _static_shape(dense_shape, self._dense_shape)

    values = property(lambda self: self._values, doc="The rows (a Tensor).")
    indices = property(lambda self: self._indices, doc="Their row indices (1-D).")
    dense_shape = property(lambda self: self._dense_shape,
                           doc="The dense tensor's shape (a 1-D Tensor), or None.")
    dtype = property(lambda self: self._values.dtype)
    name = property(lambda self: None)
    device = property(lambda self: self._values.device)

    @property
    def shape(self):
        """The dense shape (as a ``TensorShape``)."""
        from .tensor_shape import TensorShape
        if self._static_shape is not None:
            return TensorShape(list(self._static_shape))
        if self._dense_shape is None:
            return TensorShape([None] + self._values.shape.as_list()[1:])
        return TensorShape([None] * (self._dense_shape.shape.num_elements() or 0))

    def _tapejax_read(self):
        """The dense Tensor (what ``convert_to_tensor`` and ops see)."""
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices without "
                             f"dense_shape: {self!r}")
        if self._static_shape is None:
            raise ValueError(f"Cannot convert {self!r} to a dense Tensor inside a "
                             "tapejax.function: its dense_shape is not known at trace time")
        return math_ops.unsorted_segment_sum(self._values, self._indices, self._static_shape[0])

    def _tapejax_map_values(self, fn):
        """The same rows with ``fn`` applied to the values (``tf.cast`` of IndexedSlices)."""
        out = IndexedSlices(fn(self._values), self._indices, self._dense_shape)
        out._static_shape = self._static_shape
        return out

    def _tapejax_components(self):
        """Its Tensors, as ``tapejax.function`` traces them (arguments and results)."""
        if self._dense_shape is None:
            return (False, None), (self._values, self._indices)
        return (True, self._static_shape), (self._values, self._indices, self._dense_shape)

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        """From its parts as given (Tensors, or their specs for a function's signature)."""
        out = cls.__new__(cls)
        out._values, out._indices = parts[0], parts[1]
        out._dense_shape = parts[2] if static[0] else None
        out._static_shape = static[1]
        return out

    def __neg__(self):
        return self._tapejax_map_values(lambda values: -values)

    def __repr__(self):
        return (f"IndexedSlices(indices={self._indices!r}, values={self._values!r}"
                + (f", dense_shape={self._dense_shape!r})" if self._dense_shape is not None
                   else ")"))


def _static_shape(given, tensor):
    """The dense shape as a tuple of ints when known without running anything, else None."""
    if tensor is None:
        return None
    if isinstance(given, (list, tuple)) and all(isinstance(d, int) for d in given):
        return tuple(given)  # TF's gradients give the shape as Python ints, known when traced
    from .ops.array_ops import concrete
    value = concrete(tensor)
    return None if value is None else tuple(int(d) for d in value.reshape(-1))
