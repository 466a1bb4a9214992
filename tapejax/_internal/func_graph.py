"""``tf.__internal__.FuncGraph`` and ``tf.compat.v1.placeholder``: a scratch graph whose
placeholders have a shape and dtype but no value, as Keras's TensorFlow backend uses them to infer
the output of a layer that does not compute its output shape itself (``compute_output_spec``).

Inside ``FuncGraph.as_default()`` every op on a placeholder, or on a value computed from one, is
recorded without running (lazy recording's pending values, ``_lazy.GRAPH``): its output's shape
and dtype come from ``jax.eval_shape``, and nothing is ever computed. Every unknown dimension is
one symbolic dimension (``jax.export.symbolic_shape``), as TF lets unknown dimensions meet; a
dimension that depends on it is ``None`` again in the result. Ops that need a placeholder's value
raise ``NotImplementedError``, naming that.
"""
import contextlib
import threading

import jax

from .. import _lazy, dtypes
from .._recording import recording_on


class _GraphTape:
    """What stands on the recording stack inside a ``FuncGraph``: it watches and records
    nothing, so ops reach lazy recording (``_lazy.defer``) without any tape keeping a node."""

    __slots__ = ("watched", "notes", "variables")
    paused = False
    watch_accessed = False

    def __init__(self):
        self.watched, self.notes, self.variables = {}, {}, {}

    def watch_variable(self, variable, read):
        """A FuncGraph watches no Variable (``watch_accessed`` is false, ``variables`` empty,
        so ``variable_accessed`` never asks)."""


class FuncGraph:
    """TF's ``FuncGraph`` as far as shape inference needs it: ``as_default()`` and the
    placeholders made in it."""

    def __init__(self, name, collections=None, capture_by_value=None,
                 structured_input_signature=None, structured_outputs=None):
        self.name = name
        self._unknown = None
        self._active = False

    @contextlib.contextmanager
    def as_default(self):
        """Makes this the graph placeholders and ops are built in; no tape records inside."""
        outer, outer_unknown = _ACTIVE.graph, _lazy.GRAPH.unknown
        if self._unknown is None:
            self._unknown, = jax.export.symbolic_shape("d")
        _ACTIVE.graph, self._active = self, True
        _lazy.GRAPH.depth += 1
        _lazy.GRAPH.unknown = self._unknown
        try:
            with recording_on([_GraphTape()]):
                yield self
        finally:
            _lazy.GRAPH.depth -= 1
            _lazy.GRAPH.unknown = outer_unknown
            _ACTIVE.graph, self._active = outer, False

    def _placeholder(self, dtype, shape):
        dims = tuple(self._unknown if d is None else int(d) for d in shape)
        aval = jax.core.ShapedArray(dims, dtypes.as_dtype(dtype).as_numpy_dtype)
        return _lazy.graph_placeholder(aval)


class _Active(threading.local):
    graph = None  # this thread's current FuncGraph


_ACTIVE = _Active()


def placeholder(dtype, shape=None, name=None):
    """``tf.compat.v1.placeholder``: an input of the current ``FuncGraph``. Outside one it is
    TF 2's eager ``RuntimeError``; an unknown rank is not supported (XLA shapes have a rank)."""
    graph = _ACTIVE.graph
    if graph is None:
        raise RuntimeError("tf.placeholder() is not compatible with eager execution.")
    if shape is None:
        raise NotImplementedError("tf.compat.v1.placeholder: a shape of unknown rank (tapejax "
                                  "infers shapes with JAX, whose shapes have a rank)")
    return graph._placeholder(dtype, list(shape))


def sparse_placeholder(dtype, shape=None, name=None):
    """``tf.compat.v1.sparse_placeholder``: not provided (a SparseTensor of unknown entry
    count has no JAX shape)."""
    raise NotImplementedError("tf.compat.v1.sparse_placeholder: tapejax cannot stage a "
                              "SparseTensor with an unknown number of entries")
