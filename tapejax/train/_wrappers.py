"""TF's ``ListWrapper`` and ``DictWrapper``: the list and dict a ``tf.train.Checkpoint``
attribute holds (TF wraps them on assignment). They are tracked even when empty, print as TF
prints them, and report each mutation to ``_tracking``, so a Variable appended after
``restore`` gets its checkpointed value (TF's restore-on-append).
"""
from .. import _autotrackable, _tracking


class ListWrapper(_autotrackable.ListWrapper):
    """A tracked list (``ListWrapper([...])`` in TF): ``tf.__internal__``'s wrapper that also
    restores what is appended after ``restore``."""

    def _changed(self):
        _tracking.changed(self)

    def append(self, value):
        super().append(value)
        self._changed()

    def extend(self, values):
        super().extend(values)
        self._changed()

    def insert(self, index, value):
        super().insert(index, value)
        self._changed()

    def __setitem__(self, index, value):
        super().__setitem__(index, value)
        self._changed()

    def __iadd__(self, values):
        super().__iadd__(values)
        self._changed()
        return self

    def __repr__(self):
        return f"ListWrapper({list.__repr__(self)})"


class DictWrapper(_autotrackable._DictWrapper):
    """A tracked dict (``DictWrapper({...})`` in TF) that restores values set after
    ``restore``."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        _tracking.changed(self)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        _tracking.changed(self)

    def setdefault(self, key, default=None):
        out = super().setdefault(key, default)
        _tracking.changed(self)
        return out

    def __repr__(self):
        return f"DictWrapper({dict.__repr__(self)})"


def wrap(value):
    """``value`` as TF stores an attribute: plain lists and dicts wrapped, the rest as is."""
    if type(value) is list:
        return ListWrapper(value)
    if type(value) is dict:
        return DictWrapper(value)
    return value
