"""``tf.TensorArray``: a list of same-dtype tensors that a loop can write one element at a time.

Eagerly (and with concrete indices inside a function) it is TF's eager TensorArray: a Python list
of Tensors, resized when ``dynamic_size``, each element checked against the first one's shape.
Carried through a staged loop (AutoGraph's ``for``/``while``, ``tf.while_loop``) it becomes one
buffer tensor ``[size, *element_shape]`` (unwritten rows are zeros, as TF's ``stack`` gives), so
reads and writes at a traced index are ``lax.dynamic_index``/``.at[i].set``. Every operation is
a recorded op on the stored tensors, so tapes differentiate through it. Like TF, ``write`` and
the other updates return the (updated) array: write ``ta = ta.write(i, x)``.
"""
import jax
import jax.numpy as jnp
import numpy as np

from . import dtypes, errors
from .ops import array_ops, math_ops
from .ops.core import apply
from .tensor import Tensor, TensorLike, convert_to_tensor
from .tensor_shape import TensorShape


def _traced(x):
    return isinstance(x, TensorLike) and isinstance(x.__jax_array__(), jax.core.Tracer)


def _set_row(buffer, index, value):
    if buffer.shape[0] == 0:  # only while probing a loop body for shapes
        return buffer
    return buffer.at[index].set(value)


def _get_row(buffer, index):
    return jax.lax.dynamic_index_in_dim(buffer, index, keepdims=False)


def _set_rows(buffer, indices, values):
    return buffer.at[indices].set(values)


def _get_rows(buffer, indices):
    return jnp.take(buffer, indices, axis=0)


class TensorArray:
    """``tf.TensorArray(dtype, size=None, dynamic_size=None, clear_after_read=None, ...)``.

    >>> import tapejax as tf
    >>> ta = tf.TensorArray(tf.float32, size=2)
    >>> ta = ta.write(0, [1.0, 2.0]).write(1, [3.0, 4.0])
    >>> print(ta.stack())
    tf.Tensor(
    [[1. 2.]
     [3. 4.]], shape=(2, 2), dtype=float32)
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        if handle is not None or flow is not None:
            raise NotImplementedError("TensorArray(handle=..., flow=...): tapejax has no "
                                      "TensorArray resources")
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        self._dtype = dtypes.as_dtype(dtype)
        if _traced(size):
            raise NotImplementedError("TensorArray(size=...) must be concrete: a traced size "
                                      "would give a tensor of unknown shape")
        if not isinstance(size, (int, np.integer)):
            size = convert_to_tensor(size, dtype=dtypes.int32).numpy()
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = infer_shape
        self._element_shape = TensorShape(element_shape)
        self._elements = [None] * int(size)
        self._buffer = None
        self._count = None  # with dynamic_size, in a loop's buffer: the traced element count
        self._read = set()

    # --- properties ---------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self):
        return self._dynamic_size

    @property
    def element_shape(self):
        return self._element_shape

    def _length(self):
        return self._buffer.shape[0] if self._buffer is not None else len(self._elements)

    def size(self, name=None):
        """The number of elements (int32 scalar)."""
        if self._count is not None:
            return self._count
        return convert_to_tensor(np.int32(self._length()))

    # --- conversion to and from a loop's buffer -------------------------------------------------
    def _copy(self):
        new = object.__new__(TensorArray)
        new.__dict__.update(self.__dict__)
        new._elements = list(self._elements)
        new._read = set(self._read)
        return new

    def _as_buffer(self):
        """This array as one ``[size, *element_shape]`` tensor (what a staged loop carries)."""
        if self._buffer is not None:
            return self._buffer
        if not self._element_shape.is_fully_defined():
            raise ValueError("A TensorArray carried through a staged loop needs its element "
                             "shape: pass element_shape=... or write an element before the loop")
        shape = (len(self._elements),) + tuple(self._element_shape.as_list())
        rows = [e if e is not None else
                Tensor(jnp.zeros(shape[1:], self._dtype.as_numpy_dtype))
                for e in self._elements]
        if not rows:
            return Tensor(jnp.zeros(shape, self._dtype.as_numpy_dtype))
        return array_ops.stack(rows)

    def _loop_parts(self, grow):
        """The tensors a staged loop carries: the buffer, with ``grow`` more zero rows when
        ``dynamic_size`` (the loop's iteration bound), and then the element count."""
        buffer = self._as_buffer()
        if not self._dynamic_size:
            return [buffer]
        count = self._count if self._count is not None else self.size()
        if grow:
            pad = Tensor(jnp.zeros((grow,) + tuple(buffer.shape[1:]),
                                   self._dtype.as_numpy_dtype))
            buffer = array_ops.concat([buffer, pad], 0)
        return [buffer, count]

    def _from_loop_parts(self, parts):
        new = self._copy()
        new._buffer = parts[0]
        new._count = parts[1] if self._dynamic_size else None
        new._elements = None
        return new

    # --- element checks -------------------------------------------------------------------------
    def _value(self, value):
        if isinstance(value, TensorLike) and not isinstance(value, Tensor):
            value = value._tapejax_read()
        value = convert_to_tensor(value, dtype=None if isinstance(value, TensorLike)
                                  else self._dtype)
        if value.dtype != self._dtype:
            raise errors.InvalidArgumentError(None, None, (
                f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                f"{value.dtype.name} "))
        return value

    def _check_shape(self, shape):
        if self._infer_shape or self._element_shape.rank is not None:
            if not self._element_shape.is_compatible_with(shape):
                raise ValueError(f"Incompatible shape for value ({tuple(shape)}), expected "
                                 f"({tuple(self._element_shape.as_list())})")
            if self._infer_shape:
                known = self._element_shape
                self._element_shape = TensorShape(shape) if known.rank is None else TensorShape(
                    [a if a is not None else b for a, b in zip(known.as_list(), shape)])

    def _index(self, index, what):
        if _traced(index):
            return convert_to_tensor(index, dtype=dtypes.int32), None
        i = int(index if isinstance(index, (int, np.integer)) else
                convert_to_tensor(index, dtype=dtypes.int32).numpy())
        index = i
        if i < 0 or (what == "read" and i >= self._length()):
            raise errors.OutOfRangeError(None, None, (
                f"Tried to {what} {'from' if what == 'read' else 'to'} index {i} but array "
                f"{'is not resizeable and ' if what == 'write' else ''}size is: "
                f"{self._length()} "))
        if what == "write" and i >= self._length():
            if not self._dynamic_size or self._buffer is not None:
                raise errors.OutOfRangeError(None, None, (
                    f"Tried to write to index {i} but array is not resizeable and size is: "
                    f"{self._length()} "))
        return index, i

    def _needs_buffer(self):
        if self._buffer is None:
            self._buffer = self._as_buffer()
            self._elements = None

    # --- reads ----------------------------------------------------------------------------------
    def read(self, index, name=None):
        """The element at ``index`` (zeros if never written and the shape is known)."""
        index, i = self._index(index, "read")
        if i is None or self._buffer is not None:
            self._needs_buffer()
            return apply(_get_row, (self._buffer, index), (), "TensorArrayReadV3")
        if self._clear_after_read and i in self._read:
            raise errors.InvalidArgumentError(None, None, (
                f"Could not read index {i} twice because it was cleared after a previous read "
                f"(perhaps try setting clear_after_read = false?)"))
        self._read.add(i)
        element = self._elements[i]
        if element is None:
            if not self._element_shape.is_fully_defined():
                raise errors.InvalidArgumentError(None, None, (
                    f"Could not read from TensorArray index {i} because it has not yet been "
                    f"written to."))
            return Tensor(jnp.zeros(tuple(self._element_shape.as_list()),
                                    self._dtype.as_numpy_dtype))
        return element

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        if self._buffer is not None:
            return array_ops.identity(self._buffer)
        if not self._elements or any(e is None for e in self._elements):
            return self._as_buffer()
        return array_ops.stack(self._elements)

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        return apply(_get_rows, (self.stack(), indices), (), "TensorArrayGatherV3")

    def concat(self, name=None):
        """All elements concatenated along their first axis."""
        if self._buffer is not None:
            shape = self._buffer.shape
            return array_ops.reshape(self._buffer, [-1] + list(shape[2:]))
        rows = [self.read(i) for i in range(self._length())]
        return array_ops.concat(rows, 0) if rows else self._as_buffer()

    # --- writes ---------------------------------------------------------------------------------
    def write(self, index, value, name=None):
        """Sets element ``index`` to ``value``; returns the array."""
        value = self._value(value)
        self._check_shape(value.shape)
        index, i = self._index(index, "write")
        if i is None or self._buffer is not None:
            self._needs_buffer()
            self._buffer = apply(_set_row, (self._buffer, index, value), (),
                                 "TensorArrayWriteV3")
            if self._count is not None:
                self._count = math_ops.maximum(self._count, index + 1)
            return self
        if i >= len(self._elements):
            self._elements.extend([None] * (i + 1 - len(self._elements)))
        self._elements[i] = value
        return self

    def unstack(self, value, name=None):
        """The rows of ``value`` as the elements; returns the array."""
        value = self._value(value)
        if value.shape.rank == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        self._check_shape(value.shape[1:])
        if self._buffer is not None:
            self._buffer = value
        else:
            self._elements = list(array_ops.unstack(value))
        return self

    def scatter(self, indices, value, name=None):
        """Sets the elements at ``indices`` to the rows of ``value``; returns the array."""
        value = self._value(value)
        self._check_shape(value.shape[1:])
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        if _traced(indices) or self._buffer is not None:
            self._needs_buffer()
            self._buffer = apply(_set_rows, (self._buffer, indices, value), (),
                                 "TensorArrayScatterV3")
            return self
        for i, row in zip(indices.numpy().tolist(), array_ops.unstack(value)):
            self.write(i, row)
        return self

    def split(self, value, lengths, name=None):
        raise NotImplementedError("TensorArray.split is not implemented in tapejax")

    def close(self, name=None):
        return None

    def identity(self):
        return self

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError("TensorArray.grad: use a GradientTape instead")

    @property
    def flow(self):
        raise NotImplementedError("TensorArray.flow: tapejax has no TensorArray resources")

    @property
    def handle(self):
        raise NotImplementedError("TensorArray.handle: tapejax has no TensorArray resources")

    def __repr__(self):
        return f"<tapejax.TensorArray object at 0x{id(self):x}>"

