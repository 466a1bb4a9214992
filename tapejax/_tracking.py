"""Deferred checkpoint restoration hook (leaf module: imports nothing from tapejax).

``tapejax.train`` registers objects (Modules, Keras layers, optimizers) whose checkpointed
children did not exist yet when ``Checkpoint.restore`` ran. Those classes call ``changed(obj)``
when they gain attributes or build; a registered object then has its new children restored, as
TF restores a Variable created after ``restore``. ``_PENDING`` is empty unless a restore left
something pending, so the check costs one dict lookup.
"""
import weakref

_PENDING = {}  # id(obj) -> (weakref to obj, [callback(obj)])


def defer(obj, callback):
    """Calls ``callback(obj)`` after each ``changed(obj)`` until it returns ``True``."""
    key = id(obj)
    entry = _PENDING.get(key)
    if entry is None or entry[0]() is not obj:
        entry = _PENDING[key] = (weakref.ref(obj, lambda _, key=key: _forget(key)), [])
    entry[1].append(callback)


def _forget(key):
    if _PENDING is not None:  # None while the interpreter shuts down
        _PENDING.pop(key, None)


def changed(obj):
    """``obj`` may have new children: run the restorations waiting for it."""
    if not _PENDING:
        return
    entry = _PENDING.get(id(obj))
    if entry is None or entry[0]() is not obj:
        return
    callbacks = entry[1]
    for callback in list(callbacks):
        try:
            done = callback(obj)
        except BaseException:
            callbacks.remove(callback)  # a failed restore (wrong shape) is reported once
            raise
        if done:
            callbacks.remove(callback)
    if not callbacks:
        _PENDING.pop(id(obj), None)
