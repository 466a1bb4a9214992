"""Composite tensors: ``tf.TypeSpec``, ``tf.__internal__.CompositeTensor``,
``tf.type_spec_from_value`` and ``tf.is_tensor`` (True for composites, as in TF).

A composite value (``SparseTensor``, ``RaggedTensor``) is made of component Tensors; its
``TypeSpec`` describes it and converts between the value and its components
(``_to_components`` / ``_from_components``), which ``tf.nest(..., expand_composites=True)``
uses. ``tapejax.function`` sees a composite through ``_tapejax_components`` /
``_tapejax_rebuild``: its Tensors are traced, the rest is part of the trace key.
"""
import jax
import numpy as np

from . import _core_types, dtypes
from .tensor import TensorLike, convert_to_tensor
from .tensor_shape import TensorShape


class TypeSpec:
    """``tf.TypeSpec``: the type of a value (a Tensor's or a composite's), without its data.

    A subclass defines ``value_type``, ``_serialize()`` (the constructor's arguments, which
    also give ``==``, ``hash`` and ``repr`` as TF's), ``_component_specs``,
    ``_to_components(value)`` and ``_from_components(components)``.
    """

    __slots__ = ()

    @property
    def value_type(self):
        raise NotImplementedError(f"{type(self).__name__}.value_type")

    def _serialize(self):
        raise NotImplementedError(f"{type(self).__name__}._serialize")

    @property
    def _component_specs(self):
        raise NotImplementedError(f"{type(self).__name__}._component_specs")

    def _to_components(self, value):
        raise NotImplementedError(f"{type(self).__name__}._to_components")

    def _from_components(self, components):
        raise NotImplementedError(f"{type(self).__name__}._from_components")

    @classmethod
    def _deserialize(cls, serialization):
        return cls(*serialization)

    def _flat_tensor_specs(self):
        from . import nest
        return nest.flatten(self._component_specs)

    def is_compatible_with(self, spec_or_value):
        """True when ``spec_or_value`` (a spec or a value) has this type up to unknown parts."""
        other = spec_or_value
        if not isinstance(other, TypeSpec):
            spec = getattr(other, "_type_spec", None)
            if spec is None:
                return False
            other = spec
        if type(other) is not type(self):
            return False
        return all(_compatible(a, b) for a, b in zip(self._serialize(), other._serialize()))

    def most_specific_common_supertype(self, others):
        """The narrowest spec of this type that every one of ``self`` and ``others`` fits, or
        None when they differ in more than unknown dimensions."""
        fields = list(self._serialize())
        for other in others:
            if type(other) is not type(self):
                return None
            merged = []
            for a, b in zip(fields, other._serialize()):
                if isinstance(a, TensorShape):
                    merged.append(_common_shape(a, b))
                elif a == b:
                    merged.append(a)
                else:
                    return None
            fields = merged
        return self._deserialize(tuple(fields))

    def is_subtype_of(self, other):
        return (type(other) is type(self)
                and self.most_specific_common_supertype([other]) == other)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((type(self), self._serialize()))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(repr(x) for x in self._serialize())})"


def _compatible(a, b):
    if isinstance(a, TensorShape):
        return a.is_compatible_with(b)
    return a == b


def _common_shape(a, b):
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a, b)])


class CompositeTensor:
    """``tf.__internal__.CompositeTensor``: a value made of Tensors, described by
    ``_type_spec``. A subclass gives ``_type_spec`` and, to pass through ``tapejax.function``,
    ``_tapejax_components()`` (``(static, tensors)``: what the trace keys on and what it
    traces) and the classmethod ``_tapejax_rebuild(static, parts)``."""

    __slots__ = ()

    @property
    def _type_spec(self):
        raise NotImplementedError(f"{type(self).__name__}._type_spec")


def is_tensor(x):
    """``tf.is_tensor``: True for Tensors, Variables and composite tensors (SparseTensor,
    RaggedTensor, IndexedSlices), and classes deriving from ``tf.__internal__.types.Tensor``,
    as in TF."""
    return (isinstance(x, (_core_types.Tensor, CompositeTensor))
            or type(x).__name__ == "IndexedSlices")


def type_spec_from_value(value):
    """``tf.type_spec_from_value``: a composite's own spec, else the ``TensorSpec`` of the
    value converted to a Tensor (TF's ``TypeError`` when it cannot be)."""
    from .tensor_spec import TensorSpec
    if isinstance(value, CompositeTensor):
        return value._type_spec
    if isinstance(value, TensorLike):
        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return TensorSpec(np.shape(value), dtypes.as_dtype(np.asarray(value).dtype))
    try:
        tensor = convert_to_tensor(value)
    except (TypeError, ValueError):
        raise TypeError(f"Could not build a TypeSpec for {value!r} of unsupported type "
                        f"{type(value)}.") from None
    return TensorSpec(tensor.shape, tensor.dtype)
