"""Iterators consumed inside ``tapejax.function``: each call pulls fresh elements.

TF's ``iterator.get_next()`` in a ``tf.function`` is an op that reads the next element every
time the function runs. Here, as a Variable's first read does (``_capture.py``), ``get_next``
during tracing binds placeholders in the top-level trace (``bind``); after the trace ``lift``
turns them into trailing inputs of the program, and each call ``pull``s the elements on the host
and passes them in. An exhausted iterator makes the call raise TF's ``OutOfRangeError``; for
``get_next_as_optional`` a boolean input says whether an element came.

An iterator takes part by defining ``_tapejax_pull_flat()`` (the next element's arrays, or None
at the end). Iterators found among the function's arguments are matched by position, so a new
iterator per epoch reuses the trace; others (closed over) are kept by the trace.
"""
import threading
from typing import NamedTuple

import jax
import numpy as np
from jax.extend import core as jcore

from . import _capture, errors, nest
from ._capture import TRACE
from .tensor import Tensor

_element = jcore.Primitive("tapejax_iterator_element")
_element.def_abstract_eval(lambda *, aval, slot: aval)
_LOCAL = threading.local()

NOT_STATIC = ("tapejax.function: `{method}()` of a tf.data iterator inside tf.cond, "
              "tf.while_loop or another staged block is not supported (tapejax pulls each "
              "call's elements before running the program, so the number of elements a call "
              "takes must be fixed when tracing); call it at the function's top level")
END = "End of sequence"  # TF's text (after its "{{function_node ...}}" prefix)
SHAPE_CHANGED = ("tapejax.function: the iterator's next element has shapes {got}, but the "
                 "function was traced for {traced}; pass the iterator as an argument of the "
                 "function so a new shape retraces it")


def _iterators(args, kwargs):
    """The iterators among the arguments, in ``nest.flatten`` order."""
    found = []
    for x in [*args, *(kwargs[k] for k in sorted(kwargs))]:
        if hasattr(type(x), "_tapejax_pull_flat"):
            found.append(x)
        elif nest.is_nested(x):
            found.extend(y for y in nest.flatten(x) if hasattr(type(y), "_tapejax_pull_flat"))
    return found


class _Feed(NamedTuple):
    source: object  # the index of the iterator among the arguments, or the iterator
    avals: tuple
    optional: bool
    shapes: list  # the avals' shapes


_SHAPED = (np.ndarray, np.generic, jax.Array)  # host leaves whose ``shape`` is a tuple


class Plan:
    """The elements one trace pulls per call (``trace.feeds`` of a traced function)."""

    def __init__(self, args, kwargs):
        self.arguments = _iterators(args, kwargs)
        self.feeds = []
        self.slots = 0

    def bind(self, iterator, avals, optional):
        """Placeholders for one element (and its flag, first, when ``optional``)."""
        index = next((k for k, it in enumerate(self.arguments) if it is iterator), None)
        self.feeds.append(_Feed(iterator if index is None else index, tuple(avals), optional,
                                [a.shape for a in avals]))
        if optional:
            avals = [jax.core.ShapedArray((), np.dtype(bool))] + list(avals)
        top = TRACE.capture.top
        tracers = []
        with jcore.set_current_trace(top):
            for aval in avals:
                tracers.append(_element.bind(aval=aval, slot=self.slots))
                self.slots += 1
        return tracers

    def lift(self, traced):
        """``traced`` with the placeholders as trailing inputs, and this plan as ``feeds``."""
        if not self.feeds:
            return traced
        lifted = _capture.lift_slots(traced.jaxpr.jaxpr, _element, self.slots, "element",
                                     leading=False)
        fed = _FedTraced(jcore.ClosedJaxpr(lifted, traced.jaxpr.consts), *traced[1:])
        fed.feeds = self
        return fed

    def pull(self, dyn, args, kwargs):
        """``dyn`` followed by this call's elements, pulled from the iterators, and the
        iterators to call ``produce_ahead`` with once the program runs."""
        arguments = _iterators(args, kwargs) if self.arguments else ()
        tensors = list(dyn)
        pulled = []
        for feed in self.feeds:
            iterator = arguments[feed.source] if type(feed.source) is int else feed.source
            pulled.append(iterator)
            flat = iterator._tapejax_pull_flat()
            if flat is None:
                if not feed.optional:
                    raise errors.OutOfRangeError(None, None, END)
                tensors.append(Tensor(np.asarray(False)))
                tensors.extend(Tensor(np.zeros(a.shape, a.dtype)) for a in feed.avals)
                continue
            shapes = [a.shape if isinstance(a, _SHAPED) else tuple(np.shape(a)) for a in flat]
            if shapes != feed.shapes:
                raise NotImplementedError(SHAPE_CHANGED.format(got=shapes, traced=feed.shapes))
            if feed.optional:
                tensors.append(Tensor(np.asarray(True)))
            tensors.extend(Tensor(a if isinstance(a, jax.Array) and a.dtype == aval.dtype
                                  else np.asarray(a, aval.dtype))
                           for a, aval in zip(flat, feed.avals))
        return tensors, pulled


def produce_ahead(iterators):
    """Lets the iterators a call pulled from make their next elements while its program runs
    (those that can: ``_tapejax_ahead``)."""
    for iterator in iterators:
        ahead = getattr(iterator, "_tapejax_ahead", None)
        if ahead is not None:
            ahead()


class _FedTraced(_capture.Traced):
    """A ``Traced`` program that also takes iterator elements (its ``feeds``)."""


class collecting:  # used as a context manager, like a function
    """``with collecting(args, kwargs) as plan:`` around one trace of a function."""

    def __init__(self, args, kwargs):
        self.plan = Plan(args, kwargs)

    def __enter__(self):
        plans = _LOCAL.__dict__.setdefault("plans", [])
        plans.append(self.plan)
        return self.plan

    def __exit__(self, *exc):
        _LOCAL.plans.pop()


def active(method, created_in):
    """The plan that ``method`` of an iterator (made in trace ``created_in``, or None) feeds
    into, or None when it runs on the host (no function is being traced, or the iterator was
    made in this trace: its elements are constants of the trace, as TF's would be each call)."""
    capture = TRACE.capture
    plans = getattr(_LOCAL, "plans", None)
    if capture is None or not plans:
        return None
    if type(capture) is not _capture.Capture:
        raise NotImplementedError(NOT_STATIC.format(method=method))
    if created_in is capture.top:
        return None
    with jcore.take_current_trace() as current:
        pass
    if current is not capture.top:
        raise NotImplementedError(NOT_STATIC.format(method=method))
    return plans[-1]


def trace_of_creation():
    """What ``active`` needs to know about an iterator made now: the trace it is made in."""
    capture = TRACE.capture
    return capture.top if type(capture) is _capture.Capture else None
