"""``tf.__internal__.tracking.Trackable``: an object with named dependencies, as TF's.

A Trackable keeps an ordered list of ``TrackableReference(name, ref)`` to the Trackables it
depends on (``_track_trackable``); ``_trackable_children`` returns them by name. Keras's TF
backend tracks its layers, Variables and optimizers through this protocol. State is created
lazily, so subclasses need not call ``__init__``.
"""
import collections

from . import _tracking

TrackableReference = collections.namedtuple("TrackableReference", ["name", "ref"])


class Trackable:
    """Base class of objects with checkpoint dependencies (TF's rules and messages)."""

    __slots__ = ("__dict__",)  # slotted subclasses (``tf.Variable``) keep their slots

    @property
    def _setattr_tracking(self):
        return getattr(self, "_self_setattr_tracking", True)

    @_setattr_tracking.setter
    def _setattr_tracking(self, value):
        self._self_setattr_tracking = value

    def _maybe_initialize_trackable(self):
        if "_self_unconditional_checkpoint_dependencies" in self.__dict__:
            return
        object.__setattr__(self, "_self_unconditional_checkpoint_dependencies", [])
        object.__setattr__(self, "_self_unconditional_dependency_names", {})

    @property
    def _checkpoint_dependencies(self):
        self._maybe_initialize_trackable()
        return list(self._self_unconditional_checkpoint_dependencies)

    def _track_trackable(self, trackable, name, overwrite=False):
        """Declares ``trackable`` a dependency called ``name``; returns it."""
        self._maybe_initialize_trackable()
        if not isinstance(trackable, Trackable):
            raise TypeError("Trackable._track_trackable() can only be used to track objects of "
                            f"type Trackable. Got type {type(trackable)}.")
        names = self._self_unconditional_dependency_names
        deps = self._self_unconditional_checkpoint_dependencies
        current = names.get(name)
        if current is not None and current is not trackable:
            if not overwrite:
                raise ValueError(
                    f"Called Trackable._track_trackable() with name='{name}', but a Trackable "
                    "with this name is already declared as a dependency. Names must be unique "
                    "(or overwrite=True).")
            deps[:] = [TrackableReference(name, trackable) if ref.name == name else ref
                       for ref in deps]
        elif current is None:
            deps.append(TrackableReference(name, trackable))
        names[name] = trackable
        _tracking.changed(self)  # a checkpoint restored before this dependency existed
        return trackable

    def _delete_tracking(self, name):
        """Forgets the dependency called ``name`` (``del obj.attr`` on an AutoTrackable)."""
        self._maybe_initialize_trackable()
        if name in self._self_unconditional_dependency_names:
            del self._self_unconditional_dependency_names[name]
            deps = self._self_unconditional_checkpoint_dependencies
            deps[:] = [ref for ref in deps if ref.name != name]

    def _lookup_dependency(self, name, cached_dependencies=None):
        """The dependency called ``name``, or None."""
        if cached_dependencies:
            return cached_dependencies.get(name)
        self._maybe_initialize_trackable()
        return self._self_unconditional_dependency_names.get(name)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        """``{name: trackable}`` in the order the dependencies were declared."""
        self._maybe_initialize_trackable()
        return {ref.name: ref.ref for ref in self._self_unconditional_checkpoint_dependencies}
