"""The private ``tensorflow.python.*`` / ``tensorflow.compiler.*`` modules Keras 3 imports by
path (and public modules tapejax lacks but Keras imports at start-up, such as
``tensorflow.experimental.dtensor``), served by ``compat``'s redirect as small modules of
tapejax objects.

``MODULES`` maps each path to the tapejax names it holds (``"module:attribute"``); packages
above them exist and hold their submodules. An attribute not listed raises the redirect's
"tapejax does not provide" error naming it.
"""
import importlib
import sys
import types

import jax
import jax.numpy as jnp
from jax import lax

MODULES = {
    "tensorflow.python.trackable.data_structures": {
        "ListWrapper": "tapejax._autotrackable:ListWrapper",
        "_DictWrapper": "tapejax._autotrackable:_DictWrapper",
        "NoDependency": "tapejax._autotrackable:NoDependency",
        "wrap_or_unwrap": "tapejax._autotrackable:wrap_or_unwrap",
        "sticky_attribute_assignment": "tapejax._autotrackable:sticky_attribute_assignment",
    },
    "tensorflow.python.trackable.base": {
        "Trackable": "tapejax._trackable:Trackable",
        "TrackableReference": "tapejax._trackable:TrackableReference",
        "no_automatic_dependency_tracking":
            "tapejax._autotrackable:no_automatic_dependency_tracking",
    },
    "tensorflow.python.trackable.autotrackable": {
        "AutoTrackable": "tapejax._autotrackable:AutoTrackable",
    },
    "tensorflow.python.eager.context": {
        "context": "tapejax._tf_paths:context",
        "async_wait": "tapejax._tf_paths:async_wait",
        "executing_eagerly": "tapejax.framework:executing_eagerly",
    },
    "tensorflow.python.framework.config": {
        "is_op_determinism_enabled": "tapejax._tf_paths:is_op_determinism_enabled",
    },
    "tensorflow.python.data.ops.dataset_ops": {
        "DatasetV2": "tapejax.data._dataset:DatasetV2",
    },
    "tensorflow.python.framework.tensor_util": {
        "is_tf_type": "tapejax:is_tensor",  # Keras's export patches it for TF < 2.21
    },
    "tensorflow.python.ops.math_ops": {
        "is_nan": "tapejax.math:is_nan",
    },
    "tensorflow.python.ops.linalg.sparse.sparse_csr_matrix_ops": {},
    "tensorflow.experimental.dtensor": {},
    "tensorflow.types.experimental": {
        "GenericFunction": "tapejax.function:Function",
        "PolymorphicFunction": "tapejax.function:Function",
        "ConcreteFunction": "tapejax._concrete_function:ConcreteFunction",
    },
    "tensorflow.compiler.tf2xla.python.xla": {
        "dynamic_update_slice": "tapejax._tf_paths:dynamic_update_slice",
    },
}


def is_private(fullname):
    """True for the ``tensorflow.python``/``tensorflow.compiler`` paths this module serves."""
    return fullname.split(".")[:2] in (["tensorflow", "python"], ["tensorflow", "compiler"])


def module_for(fullname):
    """A fresh module for ``fullname``, or None when tapejax does not serve that path."""
    if fullname in MODULES:
        return PathModule(fullname, MODULES[fullname])
    prefix = fullname + "."
    children = {p[len(prefix):].split(".")[0] for p in MODULES if p.startswith(prefix)}
    if not children:
        return None
    module = PathModule(fullname, {})
    module.__path__ = []  # a package: its children are imported through the redirect
    return module


class PathModule(types.ModuleType):
    """A private TF module: its attributes resolve to tapejax objects on first use."""

    def __init__(self, name, table):
        super().__init__(name, f"tapejax's stand-in for TF's private module `{name}`.")
        object.__setattr__(self, "_table", table)

    def __getattr__(self, name):
        table = object.__getattribute__(self, "_table")
        if name.startswith("__") or name not in table:
            from .compat import MISSING_ATTRIBUTE
            if name.startswith("__"):
                raise AttributeError(name)
            child = module_for(f"{self.__name__}.{name}")  # ``tf.types.experimental``
            if child is not None:
                return sys.modules.setdefault(child.__name__, child)
            raise AttributeError(MISSING_ATTRIBUTE.format(name=f"{self.__name__}.{name}"))
        module, attribute = table[name].split(":")
        value = getattr(importlib.import_module(module), attribute)
        object.__setattr__(self, name, value)
        return value

    def __dir__(self):
        return sorted(object.__getattribute__(self, "_table"))


class _Context:
    """``context.context()``: the eager runtime's settings object."""

    def clear_kernel_cache(self):
        """TF drops its cached eager kernels. tapejax's eager ops are JAX functions whose
        compiled forms do not change results, so there is nothing to drop."""

    def executing_eagerly(self):
        from .framework import executing_eagerly
        return executing_eagerly()


_CONTEXT = _Context()


def context():
    """The process's eager context (``tensorflow.python.eager.context.context()``)."""
    return _CONTEXT


def async_wait():
    """Waits until every computation dispatched so far has finished (TF's ``async_wait``)."""
    jax.effects_barrier()
    for array in jax.live_arrays():
        array.block_until_ready()


def is_op_determinism_enabled():
    """False: tapejax has no ``tf.config.experimental.enable_op_determinism`` to turn it on."""
    return False


def dynamic_update_slice(input, update, indices, name=None):  # TF's name
    """``xla.dynamic_update_slice``: ``update`` written into ``input`` at ``indices`` (XLA's
    DynamicUpdateSlice: start indices are clamped so the update fits)."""
    from .ops.core import apply
    from .tensor import convert_to_tensor
    input = convert_to_tensor(input)
    update = convert_to_tensor(update, dtype=input.dtype)
    indices = convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"Value passed to parameter 'indices' has DataType {indices.dtype.name} "
                        "not in list of allowed values: int32, int64")
    return apply(_dynamic_update_slice, (input, update, indices), op_name="XlaDynamicUpdateSlice")


def _dynamic_update_slice(operand, update, indices):
    # XLA clamps each start to [0, dim - update_dim]; JAX would first wrap a negative one
    starts = [jnp.clip(indices[i], 0, operand.shape[i] - update.shape[i])
              for i in range(operand.ndim)]
    return lax.dynamic_update_slice(operand, update, starts)


