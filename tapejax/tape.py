"""``GradientTape``: TF's recording context, with differentiation handed to JAX.

The tape only decides *what* to differentiate: which values are watched, which ops were
recorded. ``_backprop`` replays the recorded part as one function under ``jax.vjp``.
"""
import contextlib
import enum
import logging

import jax.numpy as jnp

from . import _backprop, errors, nest
from ._recording import STACK, TapeState
from .indexed_slices import IndexedSlices
from .ops import array_ops, math_ops
from .tensor import Tensor, TensorLike, convert_to_tensor

_log = logging.getLogger("tapejax")


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on (TF's enum)."""

    NONE = "none"
    ZERO = "zero"


def _unconnected_mode(value):
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(errors.UNKNOWN_UNCONNECTED % (value,)) from None


def _is_variable(x):
    return isinstance(x, TensorLike) and not isinstance(x, Tensor)


def _handle_or_self(x):
    """TF's rule for objects acting as resource Variables (Keras's ``Variable``): the tape
    sees their ``handle``, the Variable they hold."""
    if not isinstance(x, TensorLike) and getattr(x, "_should_act_as_resource_variable", False):
        return x.handle
    return x


class GradientTape:
    """Records operations for automatic differentiation, as ``tf.GradientTape``.

    >>> import tapejax as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as g:
    ...   g.watch(x)
    ...   y = x * x
    >>> print(g.gradient(y, x))
    tf.Tensor(6.0, shape=(), dtype=float32)

    Args:
      persistent: *Optional, bool.* Allow more than one ``gradient``/``jacobian`` call.
        Default False.
      watch_accessed_variables: *Optional, bool.* Watch every trainable Variable read while
        recording. Default True.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._tape = None
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._watched_variables = ()
        self._recording = False

    def __enter__(self):
        try:
            self._push_tape()
        except BaseException:  # a KeyboardInterrupt right after the push: the stack as found
            if self._recording:
                self._pop_tape()
            raise
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop_tape()

    def _push_tape(self):
        if self._recording:
            raise ValueError(errors.TAPE_STILL_RECORDING)
        if self._tape is None:
            self._tape = TapeState(self._persistent, self._watch_accessed_variables)
        self._recording = True  # first: Python runs a signal handler right after the append
        STACK.tapes.append(self._tape)

    def _pop_tape(self):
        if not self._recording:
            raise ValueError(errors.TAPE_NOT_RECORDING)
        tapes = STACK.tapes
        for k in range(len(tapes) - 1, -1, -1):
            if tapes[k] is self._tape:
                del tapes[k]
                break
        self._recording = False

    def watch(self, tensor):
        """Watches a Tensor, Variable or nested structure of them.

        Non-floating dtypes are logged (as TF does) and give ``None`` gradients.
        """
        if self._tape is None:
            self._tape = TapeState(self._persistent, self._watch_accessed_variables)
        for t in map(_handle_or_self, nest.flatten(tensor)):
            if not isinstance(t, TensorLike):
                raise ValueError(errors.WATCH_NOT_TENSOR.format(obj=t, typ=type(t).__name__))
            if not t.dtype.is_inexact:
                _log.warning(errors.WATCH_NOT_FLOAT, t.dtype)
            if _is_variable(t):
                self._tape.watch_variable(t, t._tensor)
            else:
                self._tape.watch_tensor(t)

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stops recording on this tape (``gradient`` inside works as in TF)."""
        if self._tape is None:
            raise RuntimeError(errors.STOP_RECORDING_INACTIVE)
        self._pop_tape()
        view = self._tape.paused_view()
        try:
            STACK.tapes.append(view)  # inside: an interrupt right after it still restores
            yield
        finally:
            tapes = STACK.tapes
            paused = [k for k, t in enumerate(tapes) if t is view]
            if paused:
                del tapes[paused[-1]]
            self._push_tape()

    def reset(self):
        """Clears everything recorded, as exiting and re-entering a new tape."""
        self._pop_tape()
        self._tape = None
        self._push_tape()

    def watched_variables(self):
        """The Variables this tape watches, in order of creation."""
        if self._tape is not None:
            found = [v for v, _ in self._tape.variables.values()]
            self._watched_variables = tuple(sorted(found, key=lambda v: v._id))
        return self._watched_variables

    # --- differentiation -----------------------------------------------------------------
    def _begin(self, context_message=None):
        """Checks the tape can differentiate; a non-persistent tape stops recording (TF)."""
        if self._tape is None:
            raise RuntimeError(errors.NON_PERSISTENT_USED)
        if self._recording:
            if not self._persistent:
                self._pop_tape()
            elif context_message:
                _log.warning(context_message)
        return self._tape

    def _end(self):
        if not self._persistent:
            self.watched_variables()
            self._tape = None

    def _source_groups(self, tape, flat_sources):
        groups = []
        for s in flat_sources:
            if _is_variable(s):
                entry = tape.variables.get(id(s))
                # a Variable this tape never saw still has itself as a target (TF: ones)
                groups.append(list(entry[1]) if entry else
                              [s._tensor] if s.dtype.is_inexact else [])
            elif isinstance(s, Tensor):
                groups.append([s] if s.dtype.is_inexact else [])
            else:
                raise AttributeError(f"'{type(s).__name__}' object has no attribute 'dtype'")
        return groups

    @staticmethod
    def _fill(results, flat_sources, mode, shape_prefix=()):
        out = []
        for g, s in zip(results, flat_sources):
            if g is None and mode is UnconnectedGradients.ZERO:
                g = Tensor(jnp.zeros(tuple(shape_prefix) + tuple(s.shape),
                                     s.dtype.as_numpy_dtype))
            out.append(g)
        return out

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradient of ``target`` (summed over its elements and entries) w.r.t. ``sources``.

        The result has the structure of ``sources``; an unconnected source gives ``None``
        (or zeros with ``UnconnectedGradients.ZERO``).
        """
        tape = self._begin(errors.PERSISTENT_GRADIENT_IN_CONTEXT)
        if target is None:
            raise TypeError(errors.TARGET_IS_NONE)
        mode = _unconnected_mode(unconnected_gradients)
        targets = [t._tensor if _is_variable(t) else t
                   for t in map(_handle_or_self, nest.flatten(target))]
        flat_sources = [_handle_or_self(s) for s in nest.flatten(sources)]
        groups = self._source_groups(tape, flat_sources)
        cotangents = None
        if output_gradients is not None:
            flat = nest.flatten(output_gradients)
            cotangents = [convert_to_tensor(c) if c is not None else _ones(t)
                          for c, t in zip(flat, targets)]
        for t in targets:
            if isinstance(t, IndexedSlices):  # TF reads a tape id off every target
                raise AttributeError("'IndexedSlices' object has no attribute '_id'")
        keep = [k for k, t in enumerate(targets) if isinstance(t, Tensor)]
        targets = [targets[k] for k in keep]
        if cotangents is not None:
            cotangents = [cotangents[k] for k in keep]
        results = [_indexed_slices(g) if isinstance(g, _backprop.Rows) else g
                   for g in _backprop.compute(tape, targets, groups, cotangents)]
        self._end()
        return nest.pack_sequence_as(sources, self._fill(results, flat_sources, mode))

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """Full Jacobian ``d target / d source``, shape ``target.shape + source.shape``.

        Computed as ``jax.vmap`` over the vector-Jacobian product (TF's pfor);
        ``parallel_iterations`` bounds how many rows are computed at once.
        """
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(errors.JACOBIAN_NEEDS_PERSISTENT)
        tape = self._begin()
        mode = _unconnected_mode(unconnected_gradients)
        if _is_variable(target):
            target = target._tensor
        flat_sources = [_handle_or_self(s) for s in nest.flatten(sources)]
        groups = self._source_groups(tape, flat_sources)
        results = _backprop.compute(tape, [target], groups, mode="jacobian",
                                    chunk=parallel_iterations)
        self._end()
        filled = self._fill(results, flat_sources, mode, tuple(target.shape))
        return nest.pack_sequence_as(sources, filled)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: shape ``[b, y1.., x1..]`` for ``target[b, y..]``,
        ``source[b, x..]`` (``target[i]`` must depend only on ``source[i]``, as in TF).
        An unconnected target gives zeros, as in TF (of the source's dtype with
        ``UnconnectedGradients.ZERO``, else of the target's)."""
        if self._tape is None:
            raise RuntimeError(errors.NON_PERSISTENT_USED)
        if (target.shape.rank < 2 or source.shape.rank < 2
                or target.shape[0] != source.shape[0]):
            raise ValueError(errors.BATCH_JACOBIAN_SHAPES.format(
                target=target.shape, source=source.shape))
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(errors.BATCH_JACOBIAN_NEEDS_PERSISTENT)
        tape = self._begin()
        mode = _unconnected_mode(unconnected_gradients)
        if _is_variable(target):
            target = target._tensor
        groups = self._source_groups(tape, [source])
        (result,) = _backprop.compute(tape, [target], groups, mode="batch_jacobian",
                                      chunk=parallel_iterations)
        self._end()
        if result is None:
            dtype = source.dtype if mode is UnconnectedGradients.ZERO else target.dtype
            result = Tensor(jnp.zeros(tuple(target.shape) + tuple(source.shape[1:]),
                                      dtype.as_numpy_dtype))
        return result


def _indexed_slices(rows):
    """TF's ``IndexedSlices`` gradient: the gathered rows' gradients and their indices, each
    gather's flattened to one row per index and concatenated (recorded, like any op)."""
    tail = list(rows.dense_shape[1:])
    values = [array_ops.reshape(g if g.dtype == rows.dtype else math_ops.cast(g, rows.dtype),
                                [-1] + tail) for g in rows.values]
    indices = [array_ops.reshape(i, [-1]) for i in rows.indices]
    if len({i.dtype for i in indices}) > 1:  # TF aggregates mixed indices as int64
        indices = [math_ops.cast(i, "int64") for i in indices]
    if len(values) > 1:
        values, indices = [array_ops.concat(values, 0)], [array_ops.concat(indices, 0)]
    return IndexedSlices(values[0], indices[0], [int(d) for d in rows.dense_shape])


def _ones(target):
    return Tensor(jnp.ones(tuple(target.shape), target.dtype.as_numpy_dtype))
