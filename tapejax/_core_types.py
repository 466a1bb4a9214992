"""``tf.__internal__.types.Tensor``: the base type of every tensor-like value, as TF's.

``tf.Tensor`` and ``tf.Variable`` are instances; a class deriving from it (Keras's TF
``Variable``) is a tensor for ``tf.is_tensor`` and converts through its ``__tf_tensor__``.
"""
import abc


class Tensor(metaclass=abc.ABCMeta):  # noqa: B024 - an ABC for register() and isinstance
    """The base of TF's tensor types (``tensorflow.python.types.core.Tensor``)."""

    @property
    def dtype(self):
        raise NotImplementedError(f"{type(self).__name__}.dtype")

    @property
    def shape(self):
        raise NotImplementedError(f"{type(self).__name__}.shape")
