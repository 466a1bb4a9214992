"""``tf.Module`` and ``tf.name_scope``: containers that find their Variables by walking attributes.

``variables``, ``trainable_variables``, ``non_trainable_variables`` and ``submodules`` follow TF's
walk: the module's own attributes in sorted name order (each value flattened as ``tf.nest``
does), each leaf reported once, then every submodule found, recursively, in the order found.
"""
import functools
import re
import threading

from . import _tracking, nest
from .variables import Variable

_CAMEL_TO_SNAKE = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_VALID_IDENTIFIER = re.compile(r"^[a-zA-Z_]([a-zA-Z0-9_])*$")
_SCOPES = threading.local()


def camel_to_snake(value):
    return _CAMEL_TO_SNAKE.sub(r"_\1", value).lower()


def _current_scope():
    return getattr(_SCOPES, "name", "")


def get_current_name_scope():
    """``tf.get_current_name_scope``: the active scope, without the trailing ``/``."""
    return _current_scope().rstrip("/")


class name_scope:  # TF's name
    """``tf.name_scope`` (TF2): a context manager stacking ``name/`` onto the current scope.

    A name ending in ``/`` is absolute, as in TF. Variables created inside are named
    ``scope/name:0``, as in TF; Tensors have no names in eager mode.

    >>> import tapejax as tf
    >>> with tf.name_scope("outer"):
    ...   with tf.name_scope("inner") as scope:
    ...     print(scope)
    outer/inner/
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise ValueError(f"name for name_scope must be a string. Got {name!r}")
        self._name = name
        self._saved = []

    @property
    def name(self):
        return self._name

    def __enter__(self):
        outer = _current_scope()
        self._saved.append(outer)
        if not self._name:
            scope = ""
        elif self._name.endswith("/"):
            scope = self._name
        else:
            scope = outer + self._name + "/"
        _SCOPES.name = scope
        return scope

    def __exit__(self, *exc_info):
        _SCOPES.name = self._saved.pop()
        return False


class Module:
    """``tf.Module``: a named container whose Variables and submodules are found automatically.

    >>> import tapejax as tf
    >>> class Dense(tf.Module):
    ...   def __init__(self, n_in, n_out, name=None):
    ...     super().__init__(name=name)
    ...     self.w = tf.Variable(tf.ones([n_in, n_out]), name="w")
    ...     self.b = tf.Variable(tf.zeros([n_out]), name="b")
    >>> class MLP(tf.Module):
    ...   def __init__(self):
    ...     super().__init__()
    ...     self.layers = [Dense(2, 3), Dense(3, 1)]
    >>> [v.name for v in MLP().trainable_variables]
    ['b:0', 'w:0', 'b:0', 'w:0']
    """

    _TF_MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name=None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not _VALID_IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name
        with name_scope(name) as scope:
            self._name_scope = name_scope(scope)

    @property
    def name(self):
        """The name given to (or derived for) this module, without its parents' scopes."""
        return self._name

    @property
    def name_scope(self):
        """A ``tf.name_scope`` for this module (its creator's scope, then its name)."""
        return self._name_scope

    @property
    def variables(self):
        """Variables of this module (sorted by attribute name), then of its submodules."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self):
        """The trainable ones of ``variables``, in the same order."""
        return tuple(self._flatten(predicate=_is_trainable))

    @property
    def non_trainable_variables(self):
        """The non-trainable ones of ``variables``, in the same order."""
        return tuple(self._flatten(predicate=_is_non_trainable))

    @property
    def submodules(self):
        """Every Module reachable from this one's attributes (not this one)."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False, expand_composites=False):
        """Attribute values matching ``predicate``, in TF's ``Module._flatten`` order."""
        predicate = predicate or (lambda _: True)
        return _flatten_module(self, recursive, predicate, attribute_traversal_key,
                               self._TF_MODULE_IGNORED_PROPERTIES, with_path, (), {id(self)},
                               [])

    @classmethod
    def with_name_scope(cls, method):
        """Decorator entering the module's ``name_scope`` around ``method``."""
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return method_with_name_scope

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        _tracking.changed(self)  # a checkpoint restored before this attribute existed

    def _tracked_attributes(self):
        """The attribute dictionary walked by ``_flatten`` (Keras layers narrow it)."""
        return vars(self)


def _is_variable(obj):
    return isinstance(obj, Variable)


def _is_trainable(obj):
    return isinstance(obj, Variable) and obj.trainable


def _is_non_trainable(obj):
    return isinstance(obj, Variable) and not obj.trainable


def _is_module(obj):
    return isinstance(obj, Module)


def _leaves_with_paths(value, path=()):
    if not nest.is_nested(value):
        yield path, value
        return
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _leaves_with_paths(value[key], path + (key,))
        return
    for index, item in enumerate(nest.flatten(value) if not isinstance(value, (list, tuple))
                                 else value):
        yield from _leaves_with_paths(item, path + (index,))


def _flatten_module(module, recursive, predicate, key, ignored, with_path, module_path, seen,
                    stack):
    attributes = module._tracked_attributes()
    submodules = []
    if id(module) in stack:  # a cycle: report this module's leaves but go no deeper
        recursive = False
    for name in sorted(attributes, key=key):
        if name in ignored:
            continue
        for leaf_path, leaf in _leaves_with_paths(attributes[name]):
            leaf_path = (name,) + leaf_path
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (module_path + leaf_path, leaf) if with_path else leaf
            if recursive and _is_module(leaf):
                submodules.append((module_path + leaf_path, leaf))
    stack.append(id(module))
    for path, sub in submodules:
        yield from _flatten_module(sub, recursive, predicate, key,
                                   sub._TF_MODULE_IGNORED_PROPERTIES, with_path, path, seen,
                                   stack)
    stack.pop()
