"""``tf.__internal__.tracking.AutoTrackable`` and TF's tracking list/dict wrappers.

Assigning an attribute of an AutoTrackable tracks it as TF does: a Trackable value becomes a
dependency named after the attribute, a plain ``list`` becomes a ``ListWrapper`` and a plain
``dict`` a ``_DictWrapper`` (both Trackables whose children are their Trackable elements),
unless tracking is off (``no_automatic_dependency_tracking``). Tuples are stored as given
(TF wraps a tuple that holds Trackables; tapejax does not track through tuples).
"""
import collections
import functools
import warnings

from . import _tracking
from ._trackable import Trackable


class TrackableDataStructure(Trackable):
    """A container whose Trackable elements are its dependencies."""

    def _values(self):
        raise NotImplementedError(f"{type(self).__name__}._values")


class ListWrapper(TrackableDataStructure, list):
    """A ``list`` whose Trackable elements are dependencies named by index (TF's wrapper)."""

    def __init__(self, wrapped_list=()):
        list.__init__(self, wrapped_list)

    def _values(self):
        return list(self)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        return {str(i): v for i, v in enumerate(self) if isinstance(v, Trackable)}

    # a checkpoint restored before an element existed restores it when it is added
    def append(self, value):
        list.append(self, value)
        _tracking.changed(self)

    def extend(self, values):
        list.extend(self, values)
        _tracking.changed(self)

    def insert(self, index, value):
        list.insert(self, index, value)
        _tracking.changed(self)

    def __setitem__(self, index, value):
        list.__setitem__(self, index, value)
        _tracking.changed(self)

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __repr__(self):
        return f"ListWrapper({list.__repr__(self)})"

    def __reduce__(self):
        return ListWrapper, (list(self),)


class _DictWrapper(TrackableDataStructure, dict):
    """A ``dict`` whose Trackable values are dependencies named by key (TF's wrapper)."""

    def __init__(self, wrapped_dict=None):
        dict.__init__(self, {} if wrapped_dict is None else wrapped_dict)

    def _values(self):
        return [self[k] for k in sorted(self, key=str)]

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        return {str(k): v for k, v in self.items() if isinstance(v, Trackable)}

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        _tracking.changed(self)

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)
        _tracking.changed(self)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def __repr__(self):
        return f"DictWrapper({dict.__repr__(self)})"

    def __reduce__(self):
        return _DictWrapper, (dict(self),)


class NoDependency:
    """Wraps a value so assigning it to an AutoTrackable attribute tracks nothing."""

    def __init__(self, value):
        self.value = value


def wrap_or_unwrap(value):
    """TF's rule for attribute values: plain lists and dicts become tracking wrappers."""
    if isinstance(value, NoDependency):
        return value.value
    if isinstance(value, Trackable):
        return value
    if type(value) in (dict, collections.OrderedDict):
        return _DictWrapper(value)
    if type(value) is list:
        return ListWrapper(value)
    return value


def sticky_attribute_assignment(trackable, name, value):
    """Tracks ``value`` as the dependency ``name`` of ``trackable``; returns what to store."""
    add_dependency = not isinstance(value, NoDependency)
    value = wrap_or_unwrap(value)
    if add_dependency and isinstance(value, Trackable):
        trackable._track_trackable(value, name=name, overwrite=True)
    return value


class AutoTrackable(Trackable):
    """A Trackable whose attribute assignments declare its dependencies (TF's rules)."""

    def __setattr__(self, name, value):
        try:
            if getattr(self, name) is value:  # ``self.x = self.x``: nothing to do
                return
        except AttributeError:
            pass
        if getattr(self, "_self_setattr_tracking", True):
            value = sticky_attribute_assignment(self, name, value)
        super().__setattr__(name, value)  # cooperative: Keras's optimizer tracks here

    def __delattr__(self, name):
        self._delete_tracking(name)
        super().__delattr__(name)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        """The dependencies; for a SavedModel (``save_type="savedmodel"``) also the
        ``tapejax.function``s and ConcreteFunctions among the attributes (TF's rule: every
        name in ``dir``, an attribute that fails to read being skipped)."""
        children = super()._trackable_children(save_type, **kwargs)
        if save_type == "checkpoint":
            return children
        if save_type != "savedmodel":
            raise ValueError(f"Unexpected save_type {save_type!r}")
        from .function import ConcreteFunction, Function
        functions = {}
        for name in dir(self):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = getattr(self, name, None)
            except Exception:  # a broken property is not a function
                continue
            if isinstance(value, (Function, ConcreteFunction)):
                functions[name] = value
        children = {k: v for k, v in children.items()
                    if not isinstance(v, (Function, ConcreteFunction))}
        children.update(functions)
        return children


def no_automatic_dependency_tracking(method):
    """Runs ``method`` with attribute tracking off on ``self`` (TF's decorator)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        previous = getattr(self, "_self_setattr_tracking", True)
        object.__setattr__(self, "_self_setattr_tracking", False)
        try:
            return method(self, *args, **kwargs)
        finally:
            object.__setattr__(self, "_self_setattr_tracking", previous)

    return wrapper
