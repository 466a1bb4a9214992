"""``tf.data.Dataset`` for in-memory training: slices, shuffle, batch, map, repeat, take.

A Dataset is a re-iterable pipeline over NumPy-backed elements; iterating yields tapejax
Tensors (or structures of them). ``shuffle`` reshuffles on each iteration by default, seeded as
TF's (``seed`` or ``tf.random.set_seed``), with NumPy's generator: the order differs from TF's.
``zip`` pairs datasets up to the shortest. ``prefetch``, ``cache`` and the ``AUTOTUNE`` constant are accepted and change nothing.
"""
import itertools

import numpy as np

from . import dtypes
from .ops import random_ops
from .tensor import Tensor, TensorLike, convert_to_tensor, text_array

AUTOTUNE = -1


class experimental:  # noqa: N801 - TF's namespace
    AUTOTUNE = AUTOTUNE


def _map(fn, x, *rest):
    """``fn`` over the leaves of a dataset element: tuples and dicts are structure, a list is
    one value (as tf.data converts it to a tensor)."""
    if isinstance(x, tuple):
        items = [_map(fn, *parts) for parts in zip(x, *rest)]
        return type(x)(*items) if hasattr(type(x), "_fields") else tuple(items)
    if isinstance(x, dict):
        return {k: _map(fn, x[k], *[r[k] for r in rest]) for k in x}
    return fn(x, *rest)


def _leaves(x):
    if isinstance(x, tuple):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    return [x]


def _pack(structure, flat):
    """``flat`` (leaves in ``_leaves`` order) in the shape of ``structure``."""
    items = iter(flat)
    return _map(lambda _: next(items), structure)


def _to_numpy(x):
    if isinstance(x, TensorLike):
        return x.numpy()
    tensor = convert_to_tensor(x)
    if tensor.dtype is dtypes.string:
        return tensor.numpy()  # bytes, as TF
    return np.asarray(x, tensor.dtype.as_numpy_dtype)  # TF's dtype, host value


def _is_text(a):
    return isinstance(a, bytes) or (isinstance(a, np.ndarray) and a.dtype.kind in "OSU")


def _tensor(a):
    """A Tensor for an element leaf: strings stay NumPy object arrays of bytes (host)."""
    return Tensor(text_array(a) if _is_text(a) else np.asarray(a))


def _stack(*xs):
    """One batch of leaves; strings are stacked as objects (a ``bytes`` array would drop
    trailing zero bytes)."""
    if _is_text(xs[0]):
        return np.stack([np.asarray(x, dtype=object) for x in xs])
    return np.stack(xs)


def _wrap(element):
    return _map(lambda a: a if isinstance(a, Tensor) else _tensor(a), element)


class Dataset:
    """``tf.data.Dataset``.

    >>> import tapejax as tf
    >>> ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3, 4], [0, 1, 0, 1])).batch(2)
    >>> [x.numpy().tolist() for x, y in ds]
    [[1, 2], [3, 4]]
    """

    def __init__(self, make_iterator, length=None):
        self._make_iterator = make_iterator  # () -> iterator of NumPy structures
        self._length = length

    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the leading dimension (all leaves must agree on it)."""
        arrays = _map(_to_numpy, tensors)
        leaves = _leaves(arrays)
        sizes = {np.shape(a)[0] if np.ndim(a) else None for a in leaves}
        if None in sizes or len(sizes) != 1:
            raise ValueError("Dimensions of the components must all be equal in the leading "
                             f"dimension; got {[np.shape(a) for a in leaves]}.")
        n = sizes.pop()

        def make():
            return (_map(lambda a: a[i], arrays) for i in range(n))
        return Dataset(make, n)

    @staticmethod
    def from_tensors(tensors, name=None):
        arrays = _map(_to_numpy, tensors)
        return Dataset(lambda: iter([arrays]), 1)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """Elements of several datasets side by side (a tuple, or the structure of
        ``datasets``), stopping at the shortest."""
        structure = datasets if datasets is not None else args[0] if len(args) == 1 else args
        flat = _leaves(structure) if not isinstance(structure, Dataset) else [structure]
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid `datasets`. `datasets` is expected to be a (nested) "
                                f"structure of `tf.data.Dataset` objects. Received: {structure}")
        lengths = [d._length for d in flat]
        known = [n for n in lengths if n is not None and n >= 0]
        length = min(known) if known else None

        def make():
            iterators = [d._make_iterator() for d in flat]
            for elements in zip(*iterators):
                yield _pack(structure, list(elements))
        return Dataset(make, length)

    @staticmethod
    def range(*args, **kwargs):
        values = np.arange(*args, dtype=np.int64)
        return Dataset.from_tensor_slices(values)

    def __iter__(self):
        return (_wrap(e) for e in self._make_iterator())

    def __len__(self):
        if self._length is None or self._length < 0:
            raise TypeError("The dataset length is unknown." if self._length is None
                            else "The dataset is infinite.")
        return self._length

    def cardinality(self):
        return convert_to_tensor(np.int64(-2 if self._length is None else self._length))

    def as_numpy_iterator(self):
        return iter(self._make_iterator())

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks ``batch_size`` consecutive elements (the last batch may be smaller)."""
        source = self

        def make():
            it = source._make_iterator()
            while True:
                chunk = list(itertools.islice(it, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield _map(_stack, *chunk)
        length = self._length
        if length is not None and length >= 0:
            length = length // batch_size if drop_remainder else -(-length // batch_size)
        return Dataset(make, length)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffles with a buffer of ``buffer_size`` elements (a full permutation when the
        buffer holds the whole dataset)."""
        source = self
        base = random_ops.STATE.seed if seed is None else seed
        if base is None:
            base = int(np.random.SeedSequence().entropy % (2 ** 31))
        epochs = itertools.count()

        def make():
            epoch = next(epochs) if reshuffle_each_iteration else 0
            rng = np.random.default_rng([int(base) & 0xFFFFFFFF, 0 if seed is None else 1,
                                         epoch])
            buffer = []
            for element in source._make_iterator():
                buffer.append(element)
                if len(buffer) > buffer_size:
                    yield buffer.pop(int(rng.integers(len(buffer))))
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))
        return Dataset(make, self._length)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element (a tuple element is unpacked into arguments),
        on Tensors."""
        source = self

        def make():
            for element in source._make_iterator():
                wrapped = _wrap(element)
                out = map_func(*wrapped) if isinstance(wrapped, tuple) else map_func(wrapped)
                yield _map(_to_numpy, out)
        return Dataset(make, self._length)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times (forever when None or -1)."""
        source = self
        times = None if count is None or count == -1 else int(count)

        def make():
            for _ in itertools.count() if times is None else range(times):
                yield from source._make_iterator()
        length = -1 if times is None else (
            None if self._length is None else self._length * times)
        return Dataset(make, length)

    def take(self, count, name=None):
        source = self
        count = int(count)

        def make():
            return itertools.islice(source._make_iterator(), None if count < 0 else count)
        length = self._length if count < 0 else (count if self._length is None or
                                                 self._length < 0 else min(count,
                                                                           self._length))
        return Dataset(make, length)

    def skip(self, count, name=None):
        source = self

        def make():
            return itertools.islice(source._make_iterator(), int(count), None)
        length = self._length if self._length is None or self._length < 0 else max(
            0, self._length - int(count))
        return Dataset(make, length)

    def prefetch(self, buffer_size, name=None):
        return self

    def cache(self, filename="", name=None):
        return self

    def enumerate(self, start=0, name=None):
        source = self

        def make():
            for i, element in enumerate(source._make_iterator(), start):
                yield (np.int64(i), element)
        return Dataset(make, self._length)
