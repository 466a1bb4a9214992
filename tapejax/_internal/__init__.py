"""``tf.__internal__``: the TF internals Keras 3's TensorFlow backend uses, with TF's behaviour.

``CompositeTensor`` is ``tapejax.composite``'s.
"""
from ..composite import CompositeTensor as CompositeTensor
from . import (
    distribute as distribute,
    eager_context as eager_context,
    smart_cond as smart_cond,
    tf2 as tf2,
    tracking as tracking,
    types as types,
)
from .func_graph import FuncGraph as FuncGraph
from .types import EagerTensor as EagerTensor
