"""The object graph a SavedModel holds when it has Keras objects or other Trackables (TF's
``save_type="savedmodel"`` view), as ``Node``s that ``save`` walks like Modules.

A Trackable's children are its ``_trackable_children(save_type="savedmodel")`` (for an
AutoTrackable, a Keras layer or model: its dependencies and the functions among its attributes,
such as Keras's ``_default_save_signature``); a Module's are its checkpoint children and its
functions. A Keras Variable is the ``tf.Variable`` it holds (what traced functions read), so the
loaded functions and the loaded ``variables`` lists share one Variable.
"""
from .._trackable import Trackable
from ..function import ConcreteFunction, Function
from ..train import _object_graph
from ..variables import Variable

DEFAULT_SIGNATURE_ATTR = "_default_save_signature"  # TF's serving function of a Keras model


class Node:
    """One saved object: ``children`` ``[(name, child)]`` and ``functions`` ``{name: fn}``."""

    __slots__ = ("children", "functions")

    def __init__(self):
        self.children, self.functions = [], {}

    def _checkpoint_children(self):
        return list(self.children)


def needed(obj):
    """Whether ``obj``'s graph holds a Trackable that is not a Variable or a tracked list or
    dict (Keras objects); Modules and their containers are saved as they are."""
    objects, _, _ = _object_graph.walk(obj)
    return any(isinstance(o, Trackable) and not isinstance(o, (Variable, list, tuple, dict))
               for o in objects)


def build(obj):
    """The ``Node`` graph of ``obj`` (each object once; cycles kept)."""
    made = {}

    def view(value):
        if id(value) in made:
            return made[id(value)]
        variable = _variable_of(value)
        if variable is not None:
            made[id(value)] = variable
            return variable
        if isinstance(value, tuple):
            out = made[id(value)] = tuple(view(v) for v in value if _saved(v))
            return out
        if isinstance(value, list):
            out = made[id(value)] = []
            out.extend(view(v) for v in value if _saved(v))
            return out
        if isinstance(value, dict):
            out = made[id(value)] = {}
            out.update((k, view(v)) for k, v in value.items() if isinstance(k, str) and _saved(v))
            return out
        node = made[id(value)] = Node()
        for name, child in _children(value):
            if isinstance(child, (Function, ConcreteFunction)):
                node.functions[name] = child
            elif _saved(child):
                node.children.append((name, view(child)))
        return node

    return view(obj)


def _variable_of(value):
    """The ``tf.Variable`` ``value`` is or holds (a Keras Variable saves the one it holds)."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, Trackable) and hasattr(value, "_serialize_to_tensors"):
        saved = _object_graph.saved_values(value)
        if len(saved) != 1:
            raise NotImplementedError(
                f"tapejax.saved_model saves a Trackable that saves itself only when it holds "
                f"one tf.Variable (a Keras Variable); {type(value).__name__} saves "
                f"{[name for name, _ in saved]}.")
        return saved[0][1]
    return None


def _saved(value):
    return isinstance(value, (Trackable, Variable, list, tuple, dict)) or \
        _object_graph.is_trackable(value)


def _children(value):
    """``[(name, child or function)]`` of one object, in TF's order."""
    if isinstance(value, Trackable):
        return list(value._trackable_children(save_type="savedmodel").items())
    from ._save import _functions  # a Module, or an object holding functions
    return _object_graph.children(value) + _functions(value)
