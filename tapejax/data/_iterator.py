"""``tf.data.Iterator`` (the abstract class TF code checks with ``isinstance``) and the iterator
``iter(dataset)`` returns.

Eagerly, ``get_next()`` returns the next element and raises ``OutOfRangeError("End of
sequence")`` past the end (``next()`` raises ``StopIteration``), as TF. Inside a
``tapejax.function`` trace, an iterator made outside the trace feeds the program
(``_iterator_feeds``): each call consumes its own elements, as TF's ``IteratorGetNext`` op.
"""
import abc
import collections.abc
import weakref

import jax
import numpy as np

from .. import _iterator_feeds as feeds, dtypes, errors
from .._capture import TRACE
from ..tensor import Tensor, convert_to_tensor
from ..tensor_spec import TensorSpec
from . import _structure as structure
from ._optional import Optional, _Frozen

_END = object()


class Iterator(collections.abc.Iterator, abc.ABC):
    """``tf.data.Iterator``: an iterator over a dataset's elements."""

    @property
    @abc.abstractmethod
    def element_spec(self):
        """The ``TensorSpec`` structure of the elements."""

    @abc.abstractmethod
    def get_next(self):
        """The next element; ``tf.errors.OutOfRangeError`` at the end."""

    @abc.abstractmethod
    def get_next_as_optional(self):
        """The next element as a ``tf.experimental.Optional`` (empty at the end)."""


class _AnyIterator:
    """The iterator in a function's trace key: equal to any other, so a new iterator with the
    same element types reuses the trace (held weakly)."""

    __slots__ = ("ref",)

    def __init__(self, iterator):
        self.ref = weakref.ref(iterator)

    def __eq__(self, other):
        return type(other) is _AnyIterator

    def __hash__(self):
        return 0


def _key_shapes(element):
    """The shapes and dtypes of an element's leaves, as a trace key holds them."""
    return tuple([(a.shape, a.dtype) if isinstance(a, (np.ndarray, jax.Array))
                  else "optional" if isinstance(a, Optional)
                  else (np.shape(a), structure.dtype_of(a)) for a in structure.leaves(element)])


def _numeric(spec):
    """True when every component of an element spec is a numeric TensorSpec (no strings, which
    live on the host, and no Optionals)."""
    return all(isinstance(s, TensorSpec) and s.dtype != dtypes.string
               for s in structure.leaves(spec))


class LookAhead:
    """The look-ahead an iterator fed into functions needs (``OwnedIterator``, the distributed
    iterator): ``_peek`` reads the next element of ``_produce()`` without consuming it (a trace
    shapes its placeholders after it), ``_take`` consumes it (``_END`` past the end)."""

    def _start(self):
        self._ahead = []  # the element looked at but not consumed
        self._done = False
        self._created_in = feeds.trace_of_creation()
        self._last = None  # the last element looked at
        self._shapes = "end"  # the shapes of the last element looked at (trace key)
        self._frozen = None  # the element spec's trace-key stand-in, made on first use
        self._failed = None  # the error producing the next element ahead, raised when asked
        self._keyed = None  # (next element, its key shapes, its arrays), made ahead

    def _produce(self):
        """The next element; ``StopIteration`` at the end."""
        raise NotImplementedError(f"{type(self).__name__}._produce")

    def _peek(self):
        if self._failed is not None:
            error, self._failed = self._failed, None
            raise error
        if not self._ahead and not self._done:
            try:
                self._ahead.append(self._produce())
                self._last = self._ahead[0]
            except StopIteration:
                self._done = True
        return self._ahead[0] if self._ahead else _END

    def _take(self):
        element = self._peek()
        if element is not _END:
            self._ahead.pop()
        return element

    def __iter__(self):
        return self

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        """The iterator itself (its ``_tapejax_components`` key ends with ``_AnyIterator``)."""
        return static[-1].ref()


class OwnedIterator(LookAhead, Iterator):
    """The iterator of a ``Dataset`` (TF's ``OwnedIterator``)."""

    def __init__(self, dataset):
        last_map = dataset._last_map
        self._map = None if last_map is None else last_map[1]
        self._elements = (dataset if last_map is None else last_map[0])._make_iterator()
        self._fused = None if self._map is not None else False  # decided on the 1st element
        self._map_key = None
        # TF's prefetch produces elements ahead: this iterator may, after a function took one
        self._prefetching = dataset._prefetched or (
            last_map is not None and last_map[0]._prefetched)
        self._element_spec = dataset.element_spec
        self._start()

    @property
    def element_spec(self):
        return self._element_spec

    def _produce(self):
        """The next element; when the dataset ends in a map that the function fed by this
        iterator can run (``_CompiledMap.fusable``), the element before the map: the host then
        spends no call on it, and the function's program gathers a batch itself."""
        element = next(self._elements)
        if self._fused is None:
            self._fused = TRACE.capture is None and _numeric(self._element_spec) and \
                self._map.fusable(element, _key_shapes(element))
            self._map_key = self._map.key() if self._fused else None
        if self._fused or self._map is None:
            return element
        return self._map.mapped(element)

    def _keep_fused(self, element, shapes):
        """Whether the map stays with the function for the unmapped ``element``: checked once
        per element shape, outside traces. If not, the iterator maps on the host from now on,
        starting with the element it holds, which raises the map's own error if it has one
        (the element is then dropped, as TF's iterator moves past it)."""
        if self._map.fusable(element, shapes):
            return True
        self._fused, self._map_key = False, None
        ahead, self._ahead = self._ahead, []
        self._ahead = [self._map.mapped(e) for e in ahead]
        if self._ahead:
            self._last = self._ahead[0]
        return False

    def _host(self, element):
        """A taken element as the host sees it: mapped, when the map was left to functions."""
        return self._map.mapped(element) if self._fused else element

    def __next__(self):
        element = self._next("next")
        if element is _END:
            raise StopIteration
        return element

    def get_next(self, name=None):
        element = self._next("get_next")
        if element is _END:
            raise errors.OutOfRangeError(None, None, "End of sequence")
        return element

    def _next(self, method):
        """The next element as Tensors (placeholders in a function trace), or ``_END``."""
        plan = feeds.active(method, self._created_in)
        if plan is not None:
            return self._traced(plan, optional=False)
        element = self._take()
        return element if element is _END else structure.wrap(self._host(element))

    def get_next_as_optional(self):
        plan = feeds.active("get_next_as_optional", self._created_in)
        if plan is not None:
            return self._traced(plan, optional=True)
        element = self._take()
        if element is _END:
            return Optional.empty(self._element_spec)
        return Optional(convert_to_tensor(True), structure.wrap(self._host(element)),
                        self._element_spec)

    # --- inside a tapejax.function trace --------------------------------------------------
    def _traced(self, plan, optional):
        """Placeholders for the next element, shaped as it is (it is not consumed)."""
        element = self._peek()
        if self._fused and element is not _END and \
                not self._keep_fused(element, _key_shapes(element)):
            element = self._peek()
        if element is _END and self._shapes == "end":  # never had an element
            if optional:
                return Optional.empty(self._element_spec)
            raise errors.OutOfRangeError(None, None, feeds.END)
        if element is _END:  # shaped as the last element; the call's pull finds the end
            element = self._last
        flat = self._arrays(element)
        avals = [jax.core.ShapedArray(np.shape(a), structure.dtype_of(a)) for a in flat]
        tracers = iter(plan.bind(self, avals, optional))
        flag = Tensor(next(tracers)) if optional else None
        value = structure.map_structure(
            lambda leaf: leaf if isinstance(leaf, Optional) else Tensor(next(tracers)), element)
        if self._fused:  # the map's Python numbers become tensors, as its host elements do
            value = structure.map_structure(convert_to_tensor, self._map.in_trace(value))
        return Optional(flag, value, self._element_spec) if optional else value

    @staticmethod
    def _arrays(element):
        flat = []
        for leaf in structure.leaves(element):
            if isinstance(leaf, Optional):
                if leaf._value is not None:
                    raise NotImplementedError(
                        "tapejax.function: a tf.data element holding an Optional with a value "
                        "cannot be fed into a function (only empty Optionals)")
            elif structure.is_text(leaf):
                raise NotImplementedError(
                    "tapejax.function: string elements of a tf.data iterator cannot be fed "
                    "into a function (strings live on the host in tapejax)")
            else:
                flat.append(leaf)
        return flat

    def _fed_in_trace(self):
        """True inside a function trace whose calls would pull this iterator's elements."""
        return feeds.active("next", self._created_in) is not None

    def _tapejax_pull_flat(self):
        element = self._take()
        keyed, self._keyed = self._keyed, None
        if element is _END:
            return None
        if keyed is not None and keyed[0] is element and keyed[2] is not None:
            return keyed[2]
        return self._arrays(element)

    def _tapejax_ahead(self):
        """Called once a function that took an element runs: with ``prefetch`` in the
        pipeline, the next element is produced and keyed now, while the program computes (TF's
        prefetch produces it on a thread of its own). An error producing it is raised by the
        call that asks for it, as TF's prefetch raises it."""
        if not self._prefetching or self._ahead or self._done or self._failed is not None:
            return
        try:
            element = self._peek()
        except Exception as error:  # handed to the call that asks for it
            self._failed = error
            return
        if element is _END:
            return
        shapes = _key_shapes(element)
        if self._fused and not self._map.fusable_known(shapes):
            return  # the next call checks this shape itself
        try:
            flat = self._arrays(element)
        except NotImplementedError:  # raised again by the call that pulls it
            flat = None
        self._keyed = (element, shapes, flat)

    # --- an argument of tapejax.function ---------------------------------------------------
    def _tapejax_components(self):
        # the next element's shapes key the trace (XLA needs static shapes); at the end the
        # last ones do, so the trace that ran is called and its pull raises OutOfRangeError
        element = self._peek()
        if element is not _END:
            keyed = self._keyed
            if keyed is not None and keyed[0] is element:
                shapes = keyed[1]
            else:
                shapes = _key_shapes(element)
                if self._fused and not self._keep_fused(element, shapes):
                    element = self._peek()
                    shapes = _key_shapes(element)
            self._shapes = shapes
        if self._frozen is None:
            self._frozen = _Frozen(self._element_spec)
        return (self._frozen, self._shapes, self._map_key, _AnyIterator(self)), []
