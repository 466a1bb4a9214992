"""``tf.__internal__.FuncGraph`` and ``tf.compat.v1.placeholder``: a scratch graph whose
placeholders are abstract values, as Keras's TensorFlow backend uses them to infer the output
shape and dtype of a layer that does not compute them itself (``compute_output_spec``).

Inside ``FuncGraph.as_default()`` JAX stages every op into a throwaway trace, so a placeholder
is a Tensor with a shape and dtype but no value; ops on it give Tensors with the shapes and
dtypes TF's graph would infer. Every unknown dimension is one symbolic dimension, as TF lets
unknown dimensions meet; a dimension that depends on it is ``None`` again in the result.
Nothing staged here ever runs.
"""
import contextlib
import threading

import jax
from jax._src import core as jax_core, source_info_util
from jax._src.interpreters import partial_eval

from .. import dtypes
from .._recording import STACK
from ..tensor import Tensor

_ACTIVE = threading.local()


class FuncGraph:
    """A graph to build abstract values in (TF's ``FuncGraph``, for shape inference only)."""

    def __init__(self, name, collections=None, capture_by_value=None,
                 structured_input_signature=None, structured_outputs=None):
        self.name = name
        self._trace = None
        self._unknown = None

    @contextlib.contextmanager
    def as_default(self):
        """Makes this the graph ops and placeholders are built in; tapes do not record."""
        trace = partial_eval.DynamicJaxprTrace(None, parent_trace=jax_core.trace_ctx.trace)
        outer, tapes = getattr(_ACTIVE, "graph", None), STACK.tapes
        self._trace, _ACTIVE.graph, STACK.tapes = trace, self, []
        try:
            with jax_core.set_current_trace(trace):
                yield self
        finally:
            self._trace, _ACTIVE.graph, STACK.tapes = None, outer, tapes

    def _placeholder(self, dtype, shape):
        if self._unknown is None:
            self._unknown, = jax.export.symbolic_shape("d")
        dims = tuple(self._unknown if d is None else int(d) for d in shape)
        aval = jax.core.ShapedArray(dims, dtypes.as_dtype(dtype).as_numpy_dtype)
        return Tensor(self._trace.new_arg(aval, source_info_util.current()))


def placeholder(dtype, shape=None, name=None):
    """``tf.compat.v1.placeholder``: an abstract input of the current ``FuncGraph``. Outside
    one it is TF 2's eager ``RuntimeError``; an unknown rank is not supported (XLA shapes have
    a rank)."""
    graph = getattr(_ACTIVE, "graph", None)
    if graph is None:
        raise RuntimeError("tf.placeholder() is not compatible with eager execution.")
    if shape is None:
        raise NotImplementedError("tf.compat.v1.placeholder: a shape of unknown rank (tapejax "
                                  "traces with JAX, whose shapes have a rank)")
    return graph._placeholder(dtype, list(shape))


def sparse_placeholder(dtype, shape=None, name=None):
    """``tf.compat.v1.sparse_placeholder``: not provided (a SparseTensor of unknown entry
    count has no JAX shape)."""
    raise NotImplementedError("tf.compat.v1.sparse_placeholder: tapejax cannot stage a "
                              "SparseTensor with an unknown number of entries")
