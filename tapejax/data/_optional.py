"""``tf.experimental.Optional`` and ``tf.OptionalSpec``: a value that may be absent.

As in TF, ``has_value()`` is a boolean Tensor and ``get_value()`` of an empty Optional raises
``InvalidArgumentError``. An Optional passes into and out of ``tapejax.function`` as a
composite value (its flag and its value's tensors), like TF's ``CompositeTensor``.
"""
import jax
import numpy as np

from .. import errors, nest
from ..tensor import Tensor, convert_to_tensor
from ..tensor_spec import TensorSpec

_EMPTY = "The given optional does not have a value."


class _Frozen:
    """A hashable stand-in for an element spec in a function's trace key."""

    __slots__ = ("spec", "key", "_packer")

    def __init__(self, spec):
        self.spec, self.key = spec, repr(spec)
        self._packer = None

    def pack(self, leaves):
        """``leaves`` in the structure of the spec (as ``nest.pack_sequence_as``)."""
        if self._packer is None:
            self._packer = nest._packer(self.spec)
        return self._packer(iter(leaves))

    def __eq__(self, other):
        return type(other) is _Frozen and other.key == self.key

    def __hash__(self):
        return hash(self.key)


def _spec_of(value):
    if isinstance(value, Optional):
        return OptionalSpec(value.element_spec)
    return TensorSpec.from_tensor(value)


class Optional:
    """``tf.experimental.Optional``.

    >>> import tapejax as tf
    >>> o = tf.experimental.Optional.from_value(tf.constant(3))
    >>> bool(o.has_value()), int(o.get_value())
    (True, 3)
    """

    def __init__(self, has_value, value, element_spec, frozen=None):
        self._has_value = has_value  # a bool Tensor (a tracer inside a function trace)
        self._value = value
        self._element_spec = element_spec
        self._frozen = frozen  # the spec's trace-key stand-in, made once

    @staticmethod
    def from_value(value):
        """An Optional holding ``value`` (a structure of tensors)."""
        value = nest.map_structure(
            lambda v: v if isinstance(v, Optional) else
            (v if type(v) is Tensor else convert_to_tensor(v)), value)
        return Optional(convert_to_tensor(True), value, nest.map_structure(_spec_of, value))

    @staticmethod
    def empty(element_spec):
        """An Optional with no value, whose value would have ``element_spec``."""
        return Optional(convert_to_tensor(False), None, element_spec)

    @property
    def element_spec(self):
        return self._element_spec

    def has_value(self, name=None):
        return self._has_value

    def get_value(self, name=None):
        """The value; ``InvalidArgumentError`` when there is none (checked when the flag is
        known, as TF's kernel checks it when it runs)."""
        if self._value is None and self._element_spec is None:
            # TF fails in its own Python code here: it has no spec to build the value from
            raise AttributeError("'NoneType' object has no attribute '_flat_tensor_specs'")
        flag = self._has_value._value
        if self._value is None or (not isinstance(flag, jax.core.Tracer)
                                   and not bool(np.asarray(flag))):
            raise errors.InvalidArgumentError(None, None, _EMPTY)
        return self._value

    # --- a composite value for tapejax.function ---------------------------------------
    def _tapejax_components(self):
        if self._frozen is None:
            self._frozen = _Frozen(self._element_spec)
        if self._value is None:
            return ("empty", self._frozen), [self._has_value]
        return ("value", self._frozen), [self._has_value] + nest.flatten(self._value)

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        kind, frozen = static
        if kind == "empty":
            return cls(parts[0], None, frozen.spec, frozen)
        return cls(parts[0], frozen.pack(parts[1:]), frozen.spec, frozen)

    def __repr__(self):
        return f"<tapejax.experimental.Optional element_spec={self._element_spec!r}>"


class OptionalSpec:
    """``tf.OptionalSpec(element_spec)``: the type of an Optional."""

    __slots__ = ("_element_spec",)

    def __init__(self, element_spec):
        self._element_spec = element_spec

    @property
    def element_spec(self):
        return self._element_spec

    @property
    def value_type(self):
        return Optional

    @staticmethod
    def from_value(value):
        return OptionalSpec(value.element_spec)

    def is_compatible_with(self, spec_or_value):
        if isinstance(spec_or_value, Optional):
            spec_or_value = OptionalSpec(spec_or_value.element_spec)
        return isinstance(spec_or_value, OptionalSpec) and self == spec_or_value

    def __eq__(self, other):
        return type(other) is OptionalSpec and repr(other._element_spec) == repr(
            self._element_spec)

    def __hash__(self):
        return hash(repr(self._element_spec))

    def __repr__(self):
        return f"OptionalSpec({self._element_spec!r},)"
