"""``tf.autodiff.ForwardAccumulator``: forward-mode products by ``jax.jvp`` of the replay.

The accumulator records like a tape that watches only its primals; ``jvp`` replays the
recorded ops between the primals and the requested values under ``jax.jvp``. Because the
``jvp`` call is itself recorded (and a ``gradient`` call inside the accumulator is recorded by
it), forward-over-reverse and reverse-over-forward products compose as in TF.

TF computes tangents as the ops run, so the tapes and accumulators that were recording around
an accumulator see its tangents even when ``jvp`` is asked after they exited
(``outer.jvp(inner.jvp(y))``): ``jvp`` is recorded on them too.
"""
import logging
import weakref

import jax.numpy as jnp

from . import _backprop, errors, nest
from ._recording import STACK, TapeState, recording_on
from .tape import UnconnectedGradients, _is_variable, _unconnected_mode
from .tensor import Tensor, TensorLike, convert_to_tensor

_log = logging.getLogger("tapejax")


class ForwardAccumulator:
    """Computes Jacobian-vector products of the ops run inside it, as TF's accumulator.

    >>> import tapejax as tf
    >>> x = tf.constant([1.0, 2.0])
    >>> with tf.autodiff.ForwardAccumulator(primals=x, tangents=tf.constant([1.0, 0.0])) as acc:
    ...   y = x * x
    >>> print(acc.jvp(y))
    tf.Tensor([2. 0.], shape=(2,), dtype=float32)
    """

    def __init__(self, primals, tangents):
        self._state = TapeState(persistent=True, watch_accessed=False)
        self._recording = False
        self._enclosing = ()  # weak references to the tapes recording when entered
        self._primals, self._tangents = [], []
        seen = set()
        flat_primals = nest.flatten(primals)
        flat_tangents = nest.flatten(tangents)
        if len(flat_primals) != len(flat_tangents):
            raise ValueError("The two structures don't have the same nested structure: "
                             f"primals {primals!r}, tangents {tangents!r}")
        for primal, tangent in zip(flat_primals, flat_tangents):
            if id(primal) in seen:
                raise ValueError(
                    "Tensor {} was specified as a primal multiple times. This may indicate an "
                    "error. If it was intended, please sum the corresponding tangents.")
            seen.add(id(primal))
            self._watch(primal, tangent)

    def _watch(self, primal, tangent):
        if not isinstance(primal, TensorLike):
            raise ValueError(errors.WATCH_NOT_TENSOR.format(obj=primal,
                                                            typ=type(primal).__name__))
        if not primal.dtype.is_floating:
            _log.warning("The dtype of the watched primal must be floating (e.g. tf.float32), "
                         "got %r", primal.dtype)
        tangent = convert_to_tensor(tangent, dtype=primal.dtype)
        if tuple(tangent.shape) != tuple(primal.shape):
            raise ValueError(f"Tangent {tangent} was expected to be of shape {primal.shape} but "
                             f"is instead of shape {tangent.shape}")
        if _is_variable(primal):
            self._state.watch_variable(primal, primal._tensor)
        else:
            self._state.watch_tensor(primal)
        self._primals.append(primal)
        self._tangents.append(tangent)

    def __enter__(self):
        if self._recording:
            raise ValueError("Accumulator is already recording.")
        self._enclosing = tuple(weakref.ref(t) for t in STACK.tapes if not t.paused)
        STACK.tapes.append(self._state)
        self._recording = True
        return self

    def __exit__(self, typ, value, traceback):
        if not self._recording:
            raise ValueError("Accumulator is not recording.")
        tapes = STACK.tapes
        del tapes[max(k for k, t in enumerate(tapes) if t is self._state)]
        self._recording = False

    def _source_groups(self):
        groups = []
        for primal in self._primals:
            if _is_variable(primal):
                entry = self._state.variables.get(id(primal))
                groups.append(list(entry[1]) if entry else [])
            else:
                groups.append([primal] if primal.dtype.is_inexact else [])
        return groups

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The Jacobian-vector product for each value in ``primals`` (None if unconnected)."""
        mode = _unconnected_mode(unconnected_gradients)
        flat = nest.flatten(primals)
        targets = [t._tensor if _is_variable(t) else t for t in flat]
        if any(not isinstance(t, Tensor) for t in targets):
            raise ValueError(errors.WATCH_NOT_TENSOR.format(obj=flat, typ=type(flat).__name__))
        tapes = STACK.tapes
        exited = [t for t in (r() for r in self._enclosing)
                  if t is not None and all(t is not s for s in tapes)]
        with recording_on(exited + tapes):
            results = _backprop.forward(self._state, targets, self._source_groups(),
                                        self._tangents)
        out = []
        for result, target in zip(results, targets):
            if result is None and mode is UnconnectedGradients.ZERO:
                result = Tensor(jnp.zeros_like(target._value))
            out.append(result)
        return nest.pack_sequence_as(primals, out)
