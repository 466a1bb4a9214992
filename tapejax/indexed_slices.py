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
        if self._dense_shape is None:
            return TensorShape([None] + self._values.shape.as_list()[1:])
        return TensorShape(self._dense_shape.numpy().tolist())

    def _tapejax_read(self):
        """The dense Tensor (what ``convert_to_tensor`` and ops see)."""
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices without "
                             f"dense_shape: {self!r}")
        rows = int(self._dense_shape.numpy()[0])
        return math_ops.unsorted_segment_sum(self._values, self._indices, rows)

    def _tapejax_components(self):
        """Its Tensors, as ``tapejax.function`` traces them (arguments and results)."""
        if self._dense_shape is None:
            return (False,), (self._values, self._indices)
        return (True,), (self._values, self._indices, self._dense_shape)

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        """From its parts as given (Tensors, or their specs for a function's signature)."""
        out = cls.__new__(cls)
        out._values, out._indices = parts[0], parts[1]
        out._dense_shape = parts[2] if static[0] else None
        return out

    def __neg__(self):
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __repr__(self):
        return (f"IndexedSlices(indices={self._indices!r}, values={self._values!r}"
                + (f", dense_shape={self._dense_shape!r})" if self._dense_shape is not None
                   else ")"))
