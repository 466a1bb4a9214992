"""``tf.train.TrackableView``: the objects reachable from a root through
``_trackable_children`` (TF's class, which Keras's SavedModel export walks)."""
from .._autotrackable import wrap_or_unwrap


class TrackableView:
    """A view of ``root``'s dependencies for one ``save_type`` (TF's)."""

    def __init__(self, root):
        self._root = root

    @property
    def root(self):
        return self._root

    @classmethod
    def children(cls, obj, save_type="checkpoint", **kwargs):
        """``{name: child}`` of ``obj``; plain lists and dicts become TF's tracking wrappers."""
        if hasattr(obj, "_maybe_initialize_trackable"):
            obj._maybe_initialize_trackable()
        return {name: wrap_or_unwrap(ref)
                for name, ref in obj._trackable_children(save_type, **kwargs).items()}

    def descendants(self):
        """Every object reachable from the root, the root first (breadth first, each once)."""
        queue, seen = [self._root], {id(self._root)}
        for obj in queue:
            if not hasattr(obj, "_trackable_children"):
                continue
            for child in self.children(obj).values():
                if id(child) not in seen:
                    seen.add(id(child))
                    queue.append(child)
        return queue
