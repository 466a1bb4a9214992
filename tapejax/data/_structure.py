"""Elements of a ``tf.data`` pipeline on the host, and their ``TensorSpec`` structures.

An element is a nest of tuples (namedtuples) and dicts whose leaves are NumPy values (object
arrays of ``bytes`` for strings, as TF's ``numpy()``), JAX arrays (what ``from_tensors`` and
``map`` produce, so a batch gathered in a map stays where the next op reads it) or
``tf.experimental.Optional``s; a list is one value, as tf.data converts it to a tensor.
"""
import jax
import numpy as np

from .. import dtypes, nest
from ..tensor import Tensor, TensorLike, convert_to_tensor, text_array
from ..tensor_spec import TensorSpec
from ._optional import Optional, OptionalSpec


def map_structure(fn, x, *rest):
    """``fn`` over the leaves of an element (tuples and dicts are structure)."""
    if isinstance(x, tuple):
        items = [map_structure(fn, *parts) for parts in zip(x, *rest)]
        return type(x)(*items) if hasattr(type(x), "_fields") else tuple(items)
    if isinstance(x, dict):
        return {k: map_structure(fn, x[k], *[r[k] for r in rest]) for k in x}
    return fn(x, *rest)


def leaves(x):
    if isinstance(x, tuple):
        return [leaf for item in x for leaf in leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in leaves(x[k])]
    return [x]


def pack(structure, flat):
    """``flat`` (leaves in ``leaves`` order) in the shape of ``structure``."""
    items = iter(flat)
    return map_structure(lambda _: next(items), structure)


def is_text(a):
    return isinstance(a, bytes) or (isinstance(a, np.ndarray) and a.dtype.kind in "OSU")


def to_host(x, dtype=None):
    """A leaf as a host value: NumPy in TF's dtype (``dtype`` when given), strings as
    ``bytes`` object arrays; Optionals stay."""
    if isinstance(x, Optional):
        return x
    tensor = x if isinstance(x, TensorLike) else convert_to_tensor(x, dtype=dtype)
    if tensor.dtype is dtypes.string:
        return text_array(tensor.numpy())
    return np.asarray(tensor.numpy())


def to_array(x):
    """A leaf as a JAX array (strings and Optionals as :func:`to_host`): a Tensor's value is
    kept where it is, without a copy to NumPy and back."""
    if type(x) is Tensor:  # what a compiled map returns
        value = x._value
        if isinstance(value, jax.Array) and not isinstance(value, jax.core.Tracer):
            return value
    if isinstance(x, TensorLike) and x.dtype is not dtypes.string:
        value = x.__jax_array__()
        if isinstance(value, jax.Array) and not isinstance(value, jax.core.Tracer):
            return value
    host = to_host(x)
    return host if isinstance(host, Optional) or is_text(host) else jax.numpy.asarray(host)


def dtype_of(a):
    """The NumPy dtype of a non-string leaf, without copying a JAX array."""
    return np.dtype(a.dtype) if isinstance(a, jax.Array) else np.asarray(a).dtype


def to_tensor(a):
    """The Tensor a user sees for a leaf."""
    if isinstance(a, (Tensor, Optional)):
        return a
    if isinstance(a, jax.Array):
        return Tensor(a)
    return Tensor(text_array(a) if is_text(a) else np.asarray(a))


def to_numpy(a):
    """A leaf as ``as_numpy_iterator`` gives it: NumPy, a scalar as a NumPy scalar (or
    ``bytes``), as TF's ``numpy()``."""
    if isinstance(a, jax.Array):
        a = np.asarray(a)
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a


def wrap(element):
    return map_structure(to_tensor, element)


def spec_of(a):
    """The TensorSpec (or OptionalSpec) of one host leaf."""
    if isinstance(a, Optional):
        return OptionalSpec(a.element_spec)
    if is_text(a):
        return TensorSpec(np.shape(a), dtypes.string)
    return TensorSpec(np.shape(a), dtypes.from_numpy(dtype_of(a)))


def element_spec(element):
    return map_structure(spec_of, element)


def stack(*xs):
    """One batch of leaves; strings are stacked as objects (a ``bytes`` array would drop
    trailing zero bytes)."""
    if is_text(xs[0]):
        return np.stack([np.asarray(x, dtype=object) for x in xs])
    return np.stack(xs)


def spec_map(fn, spec):
    """``fn`` over the TensorSpecs of an element spec (OptionalSpecs are kept)."""
    return map_structure(lambda s: s if isinstance(s, OptionalSpec) else fn(s), spec)


def batched_spec(spec, size):
    """``spec`` with a leading dimension ``size`` (None: unknown)."""
    return spec_map(lambda s: TensorSpec([size] + _dims(s), s.dtype), spec)


def unbatched_spec(spec):
    def drop(s):
        if s.shape.rank == 0:
            raise ValueError("Cannot unbatch an input with scalar components.")
        return TensorSpec(None if s.shape.rank is None else _dims(s)[1:], s.dtype)
    return spec_map(drop, spec)


def _dims(spec):
    return [] if spec.shape.rank is None else spec.shape.as_list()


def common_spec(a, b):
    """The most specific spec both element specs fit (TF's rule for ``concatenate``), or
    TypeError naming them."""
    left, right = leaves(a), leaves(b)
    try:
        nest.assert_same_structure(a, b)
        same = True
    except (TypeError, ValueError):
        same = False
    if same and all(type(x) is type(y) and x.dtype == y.dtype
                    for x, y in zip(left, right) if isinstance(x, TensorSpec)):
        return pack(a, [x if isinstance(x, OptionalSpec) else
                        TensorSpec(_relax(x.shape, y.shape), x.dtype)
                        for x, y in zip(left, right)])
    raise TypeError(f"Incompatible dataset elements:\n  {a!r} vs.   {b!r}")


def _relax(x, y):
    if x.rank is None or y.rank is None or x.rank != y.rank:
        return None
    return [p if p == q else None for p, q in zip(x.as_list(), y.as_list())]


def cast_leaf(value, spec, describe):
    """``value`` converted to ``spec`` (a TensorSpec or OptionalSpec) as ``from_generator``
    converts what the generator yields; ``describe(kind, detail)`` builds the error."""
    if isinstance(spec, OptionalSpec):
        if not isinstance(value, Optional):
            raise describe("type", spec)
        return value
    try:
        if spec.dtype is dtypes.string:
            host = text_array(value.numpy() if isinstance(value, TensorLike) else value)
        else:
            host = np.asarray(value.numpy() if isinstance(value, TensorLike) else value
                              ).astype(spec.dtype.as_numpy_dtype)
    except (TypeError, ValueError):
        raise describe("type", spec.dtype.name, value) from None
    if not spec.shape.is_compatible_with(np.shape(host)):
        raise describe("shape", np.shape(host), tuple(spec.shape) if spec.shape.rank
                       is not None else None)
    return host
