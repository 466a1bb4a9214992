"""``tf.__internal__.types``: ``Tensor``, the base of tensor types; ``EagerTensor``, a Tensor
holding a concrete value (not one being traced inside ``tf.function``)."""
import jax

from .._core_types import Tensor as Tensor


class _EagerTensorType(type):
    def __instancecheck__(cls, value):
        from ..tensor import Tensor as _Tensor
        return type(value) is _Tensor and not isinstance(value._value, jax.core.Tracer)

    def __subclasscheck__(cls, subclass):
        return subclass is cls


class EagerTensor(metaclass=_EagerTensorType):
    """``isinstance(x, EagerTensor)``: ``x`` is a Tensor with a concrete value, as TF's."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("EagerTensor cannot be created directly; use tf.constant")
