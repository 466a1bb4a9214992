"""TF's ``ListWrapper`` and ``DictWrapper``: the list and dict a ``tf.train.Checkpoint``
attribute holds (TF wraps them on assignment). They are tracked even when empty, print as TF
prints them, and report each mutation to ``_tracking``, so a Variable appended after
``restore`` gets its checkpointed value (TF's restore-on-append).
"""
from .. import _autotrackable, _tracking


class ListWrapper(_autotrackable.ListWrapper):
    """A tracked list (``ListWrapper([...])`` in TF): ``tf.__internal__``'s wrapper that also
    restores what is appended after ``restore``."""

    def __init__(self, wrapped_list=()):
        super().__init__([wrap(v) for v in wrapped_list])

    def append(self, value):
        super().append(wrap(value))

    def extend(self, values):
        super().extend([wrap(v) for v in values])

    def insert(self, index, value):
        super().insert(index, wrap(value))

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            super().__setitem__(index, [wrap(v) for v in value])
        else:
            super().__setitem__(index, wrap(value))

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __repr__(self):
        return f"ListWrapper({list.__repr__(self)})"


class DictWrapper(_autotrackable._DictWrapper):
    """A tracked dict (``DictWrapper({...})`` in TF) that restores values set after
    ``restore``."""

    def __init__(self, wrapped_dict=None):
        super().__init__({k: wrap(v) for k, v in (wrapped_dict or {}).items()})

    def __setitem__(self, key, value):
        super().__setitem__(key, wrap(value))

    def update(self, *args, **kwargs):
        dict.update(self, {k: wrap(v) for k, v in dict(*args, **kwargs).items()})
        _tracking.changed(self)

    def __repr__(self):
        return f"DictWrapper({dict.__repr__(self)})"


def wrap(value):
    """``value`` as TF stores an attribute: plain lists and dicts wrapped (and the lists and
    dicts in them), the rest as is."""
    if type(value) is list:
        return ListWrapper(value)
    if type(value) is dict:
        return DictWrapper(value)
    return value
