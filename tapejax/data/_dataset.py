"""``tf.data.Dataset``: re-iterable pipelines of host elements, with TF's element specs and
cardinalities.

A Dataset holds a function making a Python iterator of host elements (``_structure``) plus its
``element_spec`` and cardinality, computed by TF's rules. Iterating yields tapejax Tensors (or
structures of them). ``shuffle`` reshuffles on each iteration by default, seeded as TF's
(``seed`` or ``tf.random.set_seed``), with NumPy's generator: the order differs from TF's.
``map``/``flat_map``/``filter`` run their function eagerly on each element (TF traces it once
into a graph: Python side effects run per element here). Elements are produced in order, on
demand; with ``prefetch`` in the pipeline, an iterator feeding a ``tapejax.function`` also
makes its next element while the function's program runs (``OwnedIterator._tapejax_ahead``).
``cache`` and ``num_parallel_calls`` change nothing.
"""
import itertools

import jax
import numpy as np

from .. import _capture, dtypes, errors
from .._cache import Cache
from .._function_keys import ByIdentity
from ..ops import random_ops
from ..tensor import TensorLike, convert_to_tensor
from ..tensor_spec import TensorSpec
from . import _structure as structure
from ._iterator import OwnedIterator
from ._optional import Optional, OptionalSpec
from ._options import Options

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


def _count(value, name):
    """A Python int from an int or scalar integer tensor argument."""
    if isinstance(value, TensorLike):
        value = value.numpy()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be an integer scalar, got {value!r}") from None


def _is_known(n):
    return n >= 0


class DatasetV2:
    """The base of tapejax's ``tf.data.Dataset``, under TF's class name and module path.

    Libraries written against TF recognise a dataset by those (Keras 3's data adapters look for
    a base named ``DatasetV2`` from a ``tensorflow.python.`` module); under ``python -m tapejax
    run`` that path imports and holds this class."""

    __module__ = "tensorflow.python.data.ops.dataset_ops"
    __slots__ = ()


class Dataset(DatasetV2):
    """``tf.data.Dataset``.

    >>> import tapejax as tf
    >>> ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3, 4], [0, 1, 0, 1])).batch(2)
    >>> [x.numpy().tolist() for x, y in ds]
    [[1, 2], [3, 4]]
    >>> ds.element_spec[0]
    TensorSpec(shape=(None,), dtype=tf.int32, name=None)
    """

    def __init__(self, make_iterator, length, element_spec, options=None, last_map=None,
                 prefetched=False):
        self._make_iterator = make_iterator  # () -> iterator of host elements
        self._length = length  # the cardinality: a count, INFINITE or UNKNOWN
        self._element_spec = element_spec  # a structure, or a () -> structure to compute
        self._options = options
        # (source dataset, _CompiledMap) when the last stage is a map: an iterator may leave
        # it to the tapejax.function its elements feed (OwnedIterator)
        self._last_map = last_map
        self._prefetched = prefetched  # a prefetch follows the last stage that makes elements

    def _derived(self, make_iterator, length, element_spec, last_map=None, prefetched=False):
        return Dataset(make_iterator, length, element_spec, self._options, last_map,
                       prefetched)

    # --- sources ------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the leading dimension (all components must agree on it)."""
        arrays = structure.map_structure(structure.to_host, tensors)
        leaves = structure.leaves(arrays)
        sizes = []
        for a in leaves:
            if isinstance(a, Optional):
                raise TypeError("from_tensor_slices: an Optional cannot be sliced")
            if np.ndim(a) == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
            sizes.append(np.shape(a)[0])
        for n in sizes[1:]:
            if n != sizes[0]:
                raise ValueError(f"Dimensions {sizes[0]} and {n} are not compatible")
        n = sizes[0]

        def make():
            if not isinstance(arrays, (tuple, dict)):  # one array: its rows
                return iter(arrays)
            return (structure.map_structure(lambda a: a[i], arrays) for i in range(n))
        spec = structure.unbatched_spec(structure.element_spec(arrays))
        return Dataset(make, n, spec)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element, ``tensors``."""
        arrays = structure.map_structure(structure.to_array, tensors)
        return Dataset(lambda: iter([arrays]), 1, structure.element_spec(arrays))

    @staticmethod
    def range(*args, output_type=dtypes.int64, name=None):
        """``start, stop, step`` as Python's ``range``, elements of ``output_type``."""
        bounds = [_count(a, "args") for a in args]
        values = np.arange(*bounds).astype(dtypes.as_dtype(output_type).as_numpy_dtype)
        return Dataset(lambda: iter(values), len(values),
                       TensorSpec([], dtypes.as_dtype(output_type)))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """The elements ``generator(*args)`` yields, converted to ``output_signature`` (a
        structure of TensorSpecs/OptionalSpecs) as TF converts them: a wrong structure, type
        or shape is ``InvalidArgumentError`` when that element is reached."""
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together with "
                                "the `output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together with "
                                "the `output_signature` argument.")
            for spec in structure.leaves(output_signature):
                if not isinstance(spec, (TensorSpec, OptionalSpec)):
                    raise TypeError("`output_signature` must contain objects that are subclass "
                                    f"of `tf.TypeSpec` but found {type(spec)} which is not.")
            signature = output_signature
        elif output_types is None:
            raise TypeError("To specify the output signature you need to provide either the "
                            "`output_signature` argument or the `output_types` argument.")
        else:
            shapes = output_shapes if output_shapes is not None else \
                structure.map_structure(lambda _: None, output_types)
            signature = structure.map_structure(
                lambda t, s: TensorSpec(s, dtypes.as_dtype(t)), output_types, shapes)
        call_args = [] if args is None else [
            structure.wrap(structure.to_host(a)) for a in args]
        flat = structure.leaves(signature)

        def make():
            for value in generator(*call_args):
                yield _conform(value, signature, flat)
        return Dataset(make, UNKNOWN, signature)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """Elements of several datasets side by side (a tuple, or the structure of
        ``datasets``), stopping at the shortest."""
        if datasets is not None and args:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        structure_ = datasets if datasets is not None else args[0] if len(args) == 1 else args
        flat = [structure_] if isinstance(structure_, Dataset) else structure.leaves(structure_)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) "
                                "structures of `tf.data.Dataset` objects but encountered "
                                f"object of type {type(d)}.")
        lengths = [d._length for d in flat]
        if any(n == UNKNOWN for n in lengths):
            length = UNKNOWN
        elif all(n == INFINITE for n in lengths):
            length = INFINITE
        else:
            length = min(n for n in lengths if _is_known(n))
        if isinstance(structure_, Dataset):
            return structure_._derived(structure_._make_iterator, structure_._length,
                                       structure_._element_spec)

        def make():
            iterators = [d._make_iterator() for d in flat]
            if type(structure_) is tuple and len(flat) == len(structure_):  # a flat tuple
                return zip(*iterators)
            return (structure.pack(structure_, list(elements)) for elements in zip(*iterators))
        return Dataset(make, length, lambda: structure.pack(
            structure_, [d.element_spec for d in flat]))

    # --- properties ---------------------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of ``TensorSpec``s (and ``OptionalSpec``s) of an element."""
        if callable(self._element_spec):
            self._element_spec = self._element_spec()
        return self._element_spec

    def cardinality(self):
        """The number of elements as an int64 scalar, ``INFINITE_CARDINALITY`` (-1) or
        ``UNKNOWN_CARDINALITY`` (-2), by TF's rules."""
        return convert_to_tensor(np.int64(self._length))

    def __len__(self):
        if self._length == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._length == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._length

    def __bool__(self):
        return True

    def options(self):
        return Options() if self._options is None else self._options

    def with_options(self, options, name=None):
        """This dataset with ``options`` merged over its own (set values win)."""
        if not isinstance(options, Options):
            raise AttributeError(f"'{type(options).__name__}' object has no attribute "
                                 "'_to_proto'")
        merged = options if self._options is None else self._options.merge(options)
        return Dataset(self._make_iterator, self._length, self._element_spec, merged,
                       self._last_map, self._prefetched)

    def __iter__(self):
        return OwnedIterator(self)

    def as_numpy_iterator(self):
        """The elements as NumPy values (strings as ``bytes``)."""
        return (structure.map_structure(structure.to_numpy, element)
                for element in self._make_iterator())

    # --- transformations ----------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks ``batch_size`` consecutive elements (the last batch may be smaller)."""
        size = _count(batch_size, "batch_size")
        if size <= 0:
            raise errors.InvalidArgumentError(None, None,
                                              "Batch size must be greater than zero.")
        source = self

        def make():
            it = source._make_iterator()
            while True:
                chunk = list(itertools.islice(it, size))
                if not chunk or (drop_remainder and len(chunk) < size):
                    return
                yield structure.map_structure(structure.stack, *chunk)
        length = self._length
        if _is_known(length):
            length = length // size if drop_remainder else -(-length // size)
        return self._derived(make, length, lambda: structure.batched_spec(
            source.element_spec, size if drop_remainder else None))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batches elements padded to the longest of each batch (or ``padded_shapes``) with
        zeros (empty strings) or ``padding_values``."""
        size = _count(batch_size, "batch_size")
        if size <= 0:
            raise errors.InvalidArgumentError(None, None,
                                              "Batch size must be greater than zero.")
        source = self

        def pad(*xs, shape=None, value=None):
            dims = [max(d) for d in zip(*[np.shape(x) for x in xs])] if xs[0].ndim else []
            if shape is not None:
                dims = [d if s is None else s for d, s in zip(dims, shape)]
            fill = value if value is not None else (b"" if structure.is_text(xs[0]) else 0)
            out = np.full([len(xs)] + dims, fill, dtype=object if structure.is_text(xs[0])
                          else np.asarray(xs[0]).dtype)
            for k, x in enumerate(xs):
                if any(a > b for a, b in zip(np.shape(x), dims)):
                    raise errors.InvalidArgumentError(
                        None, None, "Attempted to pad to a smaller size than the input element.")
                out[(k,) + tuple(slice(0, n) for n in np.shape(x))] = x
            return out

        def make():
            spec = source.element_spec
            shapes = padded_shapes if padded_shapes is not None else structure.spec_map(
                lambda s: None, spec)
            values = padding_values if padding_values is not None else structure.spec_map(
                lambda s: None, spec)
            it = source._make_iterator()
            while True:
                chunk = list(itertools.islice(it, size))
                if not chunk or (drop_remainder and len(chunk) < size):
                    return
                columns = [structure.leaves(e) for e in chunk]
                flat_shapes = structure.leaves(shapes)
                flat_values = structure.leaves(values)
                out = [pad(*[c[k] for c in columns],
                           shape=None if flat_shapes[k] is None else list(flat_shapes[k]),
                           value=None if flat_values[k] is None else
                           structure.to_host(flat_values[k]))
                       for k in range(len(columns[0]))]
                yield structure.pack(chunk[0], out)
        length = self._length
        if _is_known(length):
            length = length // size if drop_remainder else -(-length // size)
        def spec():
            padded = source.element_spec
            if padded_shapes is not None:
                padded = structure.pack(padded, [
                    s if isinstance(s, OptionalSpec) else TensorSpec(shape, s.dtype)
                    for s, shape in zip(structure.leaves(padded),
                                        structure.leaves(padded_shapes))])
            return structure.batched_spec(padded, size if drop_remainder else None)
        return self._derived(make, length, spec)

    def unbatch(self, name=None):
        """Splits each element along its first dimension."""
        source = self
        spec = structure.unbatched_spec(self.element_spec)

        def make():
            for element in source._make_iterator():
                flat = structure.leaves(element)
                for i in range(min(len(a) for a in flat)):
                    yield structure.map_structure(lambda a: a[i], element)
        return self._derived(make, UNKNOWN if self._length != 0 else 0, spec)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """The same elements in batches of ``batch_size`` (of the concatenated input batches)."""
        size = _count(batch_size, "batch_size")
        return self._derived(
            self.unbatch().batch(size, drop_remainder)._make_iterator, UNKNOWN,
            lambda: structure.batched_spec(structure.unbatched_spec(self.element_spec),
                                           size if drop_remainder else None))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffles with a buffer of ``buffer_size`` elements (a full permutation when the
        buffer holds the whole dataset)."""
        source = self
        size = _count(buffer_size, "buffer_size")
        base = random_ops.STATE.seed if seed is None else seed
        if base is None:
            base = int(np.random.SeedSequence().entropy % (2 ** 31))
        epochs = itertools.count()
        if reshuffle_each_iteration is None:
            reshuffle_each_iteration = True

        def make():
            epoch = next(epochs) if reshuffle_each_iteration else 0
            rng = np.random.default_rng([int(base) & 0xFFFFFFFF, 0 if seed is None else 1,
                                         epoch])
            buffer = []
            for element in source._make_iterator():
                buffer.append(element)
                if len(buffer) > size:
                    yield buffer.pop(int(rng.integers(len(buffer))))
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))
        return self._derived(make, self._length, self._element_spec)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element (a tuple element is unpacked into arguments),
        on Tensors."""
        source, compiled = self, _CompiledMap(map_func)

        def make():
            for element in source._make_iterator():
                yield compiled.mapped(element)
        return self._derived(make, self._length, lambda: _mapped_spec(source, map_func),
                             (source, compiled))

    def flat_map(self, map_func, name=None):
        """The elements of the datasets ``map_func`` returns for each element, in order."""
        source = self

        def datasets():
            for element in source._make_iterator():
                out = _call(map_func, element)
                if not isinstance(out, Dataset):
                    raise TypeError("The `map_func` argument must return a `Dataset` object. "
                                    f"Got {type(out)!r}.")
                yield out

        def make():
            for dataset in datasets():
                yield from dataset._make_iterator()
        return self._derived(make, UNKNOWN, lambda: next(datasets()).element_spec)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` is True (a scalar boolean)."""
        source = self

        def make():
            for element in source._make_iterator():
                keep = _call(predicate, element)
                keep = keep if isinstance(keep, TensorLike) else convert_to_tensor(keep)
                if keep.dtype is not dtypes.bool or keep.shape.rank != 0:
                    raise ValueError("Invalid `predicate`. `predicate` must return a "
                                     "`tf.bool` scalar tensor, but its return type was "
                                     f"{TensorSpec(keep.shape, keep.dtype)}.")
                if bool(keep.numpy()):
                    yield element
        return self._derived(make, UNKNOWN, self._element_spec)

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s (element types must agree)."""
        spec = structure.common_spec(self.element_spec, dataset.element_spec)
        first, second = self, dataset
        lengths = (self._length, dataset._length)
        if INFINITE in lengths:
            length = INFINITE
        elif UNKNOWN in lengths:
            length = UNKNOWN
        else:
            length = sum(lengths)

        def make():
            yield from first._make_iterator()
            yield from second._make_iterator()
        return self._derived(make, length, spec)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times (forever when None or -1)."""
        source = self
        times = None if count is None else _count(count, "count")
        if times is not None and times < 0:
            times = None

        def make():
            for _ in itertools.count() if times is None else range(times):
                empty = True
                for element in source._make_iterator():
                    empty = False
                    yield element
                if empty:  # an empty epoch: repeating it forever would never yield
                    return
        n = self._length
        if times == 0 or n == 0:
            length = 0
        elif times is None:
            length = INFINITE if n != UNKNOWN else UNKNOWN
        else:
            length = n * times if _is_known(n) else n
        return self._derived(make, length, self._element_spec)

    def take(self, count, name=None):
        """The first ``count`` elements (all when -1)."""
        source = self
        count = _count(count, "count")

        def make():
            return itertools.islice(source._make_iterator(), None if count < 0 else count)
        n = self._length
        if count < 0:
            length = n
        elif n == INFINITE:
            length = count
        elif n == UNKNOWN:
            length = UNKNOWN
        else:
            length = min(count, n)
        return self._derived(make, length, self._element_spec)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none when -1)."""
        source = self
        count = _count(count, "count")

        def make():
            it = source._make_iterator()
            if count < 0:
                for _ in it:
                    pass
                return iter(())
            return itertools.islice(it, count, None)
        n = self._length
        length = n if not _is_known(n) else (0 if count < 0 else max(0, n - count))
        return self._derived(make, length, self._element_spec)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 from ``start``."""
        source = self

        def make():
            for i, element in enumerate(source._make_iterator(), _count(start, "start")):
                yield (np.int64(i), element)
        return self._derived(make, self._length,
                             lambda: (TensorSpec([], dtypes.int64), source.element_spec))

    def prefetch(self, buffer_size, name=None):
        return self._derived(self._make_iterator, self._length, self._element_spec,
                             self._last_map, prefetched=True)

    def cache(self, filename="", name=None):
        return self._derived(self._make_iterator, self._length, self._element_spec,
                             self._last_map, self._prefetched)

    def __repr__(self):
        return f"<Dataset element_spec={self.element_spec!r}>"


def _arguments(element):
    """The arguments TF calls a dataset function with: a tuple element unpacked (not a
    namedtuple), anything else as the one argument."""
    return element if isinstance(element, tuple) and not hasattr(
        type(element), "_fields") else (element,)


def _call(fn, element):
    """``fn`` on an element as TF calls a dataset function, on Tensors."""
    return fn(*_arguments(structure.wrap(element)))


class _CompiledMap:
    """A ``map`` function run as TF runs it: traced (with AutoGraph) and compiled, once per
    element shape, so an element costs one compiled call rather than an eager op per line.
    A function that cannot be traced (it needs values, or the element holds strings or
    Optionals) runs eagerly on each element, which raises any error it really has."""

    def __init__(self, map_func):
        self._map_func = map_func
        self._compiled = None
        self._fusable = Cache("data.map_fusable", 64)  # element key shapes -> fusable
        self._eager = False
        self._plain = False  # an element ran compiled: no element holds strings or Optionals

    def __call__(self, element):
        if not self._plain and (self._eager or _holds_host_leaves(element)):
            return _call(self._map_func, element)
        compiled = self._function()
        traces = compiled.experimental_get_tracing_count()
        try:
            out = compiled(*_arguments(structure.wrap(element)))
        except Exception:
            if compiled.experimental_get_tracing_count() == traces:
                raise  # it traced before: a real error of this element
            self._eager, self._plain = True, False
            return _call(self._map_func, element)
        self._plain = True
        return out

    def _function(self):
        if self._compiled is None:
            from ..function import function
            self._compiled = function(lambda *args: _call(self._map_func, args))._for_dataset()
        return self._compiled

    def mapped(self, element):
        """The host element ``Dataset.map`` yields for ``element``."""
        return structure.map_structure(structure.to_array, self(element))

    def fusable(self, element, shapes):
        """True when the function consuming this map's elements may run it instead, on
        elements shaped as ``element`` (``shapes``: its key shapes): it compiles for them and
        reads no Variable (so no random state either), so where it runs changes nothing but
        the call it costs. Checked once per shape, outside function traces (inside one, an
        unchecked shape is not fusable)."""
        if self._eager:
            return False
        known = self._fusable.lookup(shapes)
        if known is None:
            if _capture.TRACE.capture is not None:
                return False
            known = self._fusable.put(shapes, self._check_fusable(element))
        return known

    def fusable_known(self, shapes):
        """True when elements of these key shapes were found fusable before."""
        return not self._eager and self._fusable.lookup(shapes) is True

    def _check_fusable(self, element):
        if _holds_host_leaves(element):
            return False
        try:
            concrete = self._function().get_concrete_function(
                *_arguments(structure.wrap(element)))
        except Exception:  # not traceable: it runs eagerly, as ``__call__`` would decide
            self._eager, self._plain = True, False
            return False
        return not concrete.variables

    def in_trace(self, element):
        """The map of ``element`` (Tensors of the consuming function's trace), traced there."""
        return self._function()(*_arguments(structure.wrap(element)))

    def key(self):
        """What identifies the map in the trace key of a function running it: the function's
        code and what its closure and defaults hold (Keras makes a new dataset, and so a new
        map, for every ``fit``; its function is the same)."""
        func = self._map_func
        code = getattr(func, "__code__", None)
        if code is None:
            return ByIdentity(func)
        keywords = func.__kwdefaults__ or {}
        held = [_cell_value(c) for c in func.__closure__ or ()] + list(
            func.__defaults__ or ()) + [keywords[k] for k in sorted(keywords)]
        return code, tuple(map(ByIdentity, held)), ByIdentity(getattr(func, "__self__", None))


def _holds_host_leaves(element):
    """True when an element holds strings or Optionals, which no compiled map takes."""
    return any(structure.is_text(leaf) or isinstance(leaf, Optional)
               for leaf in structure.leaves(element))


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a name the enclosing function has not bound yet)
        return None


def _mapped_spec(source, map_func):
    """The element spec of ``source.map(map_func)``. As TF traces ``map_func`` on the input's
    spec, it is traced abstractly (``_capture.trace``: Variables and random state untouched),
    the unknown dimensions a symbolic one, so an output dimension that depends on one is
    ``None``. A function that cannot be traced so (it needs values, or takes strings) gets
    the dtypes and ranks of its output on the first element, every dimension unknown."""
    spec = source.element_spec
    flat = structure.leaves(spec)
    if all(isinstance(s, TensorSpec) and s.dtype is not dtypes.string and s.shape.rank
           is not None for s in flat):
        try:
            return _traced_spec(spec, flat, map_func)
        except Exception:  # not traceable; the eager call below raises real errors
            pass
    first = next(iter(source._make_iterator()), None)
    if first is None:  # nothing to call it on: the function is never run, as for TF's users
        return None
    spec = structure.element_spec(structure.map_structure(structure.to_host,
                                                          _call(map_func, first)))
    return structure.spec_map(lambda s: TensorSpec([None] * s.shape.rank, s.dtype), spec)


def _traced_spec(spec, flat, map_func):
    # one symbol for every unknown dimension: TF lets unknown dimensions meet (checking them
    # when it runs), and they are usually the one batch dimension
    unknown, = jax.export.symbolic_shape("d")
    avals = [jax.ShapeDtypeStruct(tuple(unknown if d is None else d for d in s.shape.as_list()),
                                  s.dtype.as_numpy_dtype) for s in flat]
    outputs = []

    def body(*tensors):
        out = _call(map_func, structure.pack(spec, list(tensors)))
        outputs.append(out)
        return [convert_to_tensor(x)._value for x in structure.leaves(out)], None
    traced = _capture.trace(body, avals)
    results = traced.jaxpr.jaxpr.outvars[:traced.n_out]
    return structure.pack(outputs[0], [
        TensorSpec([d if isinstance(d, int) else None for d in v.aval.shape],
                   dtypes.from_numpy(v.aval.dtype)) for v in results])


def _conform(value, signature, flat):
    """A generator's element converted to ``signature``, or TF's InvalidArgumentError."""
    if isinstance(value, list):
        value = tuple(value) if isinstance(signature, tuple) else value
    try:
        leaves = _flatten_up_to(signature, value)
    except (TypeError, ValueError, KeyError):
        raise errors.InvalidArgumentError(None, None, (
            "TypeError: `generator` yielded an element that did not match the expected "
            f"structure. The expected structure was {_types(signature)}, but the yielded "
            f"element was {value}.")) from None

    def fail(kind, *detail):
        if kind == "shape":
            return errors.InvalidArgumentError(None, None, (
                f"TypeError: `generator` yielded an element of shape {detail[0]} where an "
                f"element of shape {detail[1]} was expected."))
        return errors.InvalidArgumentError(None, None, (
            "TypeError: `generator` yielded an element that could not be converted to the "
            f"expected type. The expected type was {detail[0]}, but the yielded element was "
            f"{detail[-1]}."))
    return structure.pack(signature, [structure.cast_leaf(v, s, fail)
                                      for v, s in zip(leaves, flat)])


def _flatten_up_to(signature, value):
    if isinstance(signature, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(signature):
            raise ValueError("structure")
        return [x for s, v in zip(signature, value) for x in _flatten_up_to(s, v)]
    if isinstance(signature, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(signature):
            raise ValueError("structure")
        return [x for k in signature for x in _flatten_up_to(signature[k], value[k])]
    return [value]


def _types(signature):
    return structure.map_structure(
        lambda s: "OptionalSpec" if isinstance(s, OptionalSpec) else _TypeName(s.dtype),
        signature)


class _TypeName:
    def __init__(self, dtype):
        self.dtype = dtype

    def __repr__(self):
        return f"tf.{self.dtype.name}"

