"""The object graph of a checkpoint: which objects a checkpoint holds, and by which names.

TF names every value by the path of attribute names from the root object (BFS, first path
wins): ``model/layers/0/w/.ATTRIBUTES/VARIABLE_VALUE``. The children of an object are:

- ``tf.Module``: its attributes holding Variables, Modules, Keras objects, or lists, tuples and
  dicts holding them (in assignment order);
- list/tuple: ``"0"``, ``"1"``, …; dict: its string keys.

Keras 3 objects (``tf.keras`` is the real Keras; its layers, models, optimizers and Variables
are ``tf.__internal__.tracking`` Trackables) are not saved yet: they raise
``NotImplementedError`` rather than being left out of the checkpoint.
"""
from .._trackable import Trackable
from ..module import Module
from ..variables import Variable
from ._wrappers import DictWrapper, ListWrapper

VARIABLE_VALUE = "VARIABLE_VALUE"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
NOT_A_VARIABLE = ("tapejax checkpoints save tf.Variables only: {kind}._serialize_to_tensors() "
                  "returned {value_kind} for {name!r}.")


def _iterator_class():
    from ..data._iterator import Iterator
    return Iterator


ITERATOR_NOT_SAVED = (
    "tapejax cannot checkpoint a tf.data iterator ({name}): TensorFlow saves its position as "
    "ITERATOR_STATE, a serialized TF dataset graph, which tapejax can neither write nor read. "
    "Save the number of elements consumed in a tf.Variable and skip them with "
    "Dataset.skip(n) when resuming.")


def is_trackable(value):
    """Whether ``value`` is (or holds) something a checkpoint saves; a ``tf.data`` iterator
    (which TF saves and tapejax cannot) raises ``NotImplementedError``."""
    if isinstance(value, (Variable, Module, ListWrapper, DictWrapper)) or \
            hasattr(value, "_checkpoint_children"):
        return True
    if isinstance(value, _iterator_class()):
        raise NotImplementedError(ITERATOR_NOT_SAVED.format(name=type(value).__name__))
    if isinstance(value, Trackable):
        return True
    if isinstance(value, dict):
        return any(is_trackable(v) for k, v in value.items() if isinstance(k, str))
    if isinstance(value, (list, tuple)):
        return any(is_trackable(v) for v in value)
    return False


def saved_values(obj):
    """``[(attribute name, Variable)]`` that ``obj`` saves itself (TF's
    ``_serialize_to_tensors``), or ``None`` when ``obj`` is not such a leaf."""
    if isinstance(obj, Variable):
        return [(VARIABLE_VALUE, obj)]
    if not isinstance(obj, Trackable) or not hasattr(obj, "_serialize_to_tensors"):
        return None
    out = []
    for name, value in obj._serialize_to_tensors().items():
        if not isinstance(value, Variable):
            raise NotImplementedError(NOT_A_VARIABLE.format(
                kind=type(obj).__name__, value_kind=type(value).__name__, name=name))
        out.append((name, value))
    return out


def children(obj):
    """``[(local name, child)]`` of ``obj``, in TF's order."""
    if isinstance(obj, Variable) or (isinstance(obj, Trackable)
                                     and hasattr(obj, "_serialize_to_tensors")):
        return []
    own = getattr(obj, "_checkpoint_children", None)
    if own is not None:
        return own()
    if isinstance(obj, dict):
        return [(k, v) for k, v in obj.items() if isinstance(k, str) and is_trackable(v)]
    if isinstance(obj, (list, tuple)):
        return [(str(k), v) for k, v in enumerate(obj) if is_trackable(v)]
    if isinstance(obj, Module):
        return [(k, v) for k, v in obj._tracked_attributes().items() if is_trackable(v)]
    if isinstance(obj, Trackable):
        return list(obj._trackable_children(save_type="checkpoint").items())
    return []


def escape(name):
    """TF's escaping of a local name inside a checkpoint key."""
    return name.replace(".", "..").replace("/", ".S")


def variable_key(path, attribute=VARIABLE_VALUE):
    return "/".join(escape(n) for n in path) + "/.ATTRIBUTES/" + attribute


def walk(root):
    """The objects under ``root`` in BFS order, their first paths, and per object its
    ``[(local name, object index)]`` edges."""
    objects, paths, ids, edges = [root], [()], {id(root): 0}, []
    k = 0
    while k < len(objects):
        out = []
        for name, child in children(objects[k]):
            if id(child) not in ids:
                ids[id(child)] = len(objects)
                objects.append(child)
                paths.append(paths[k] + (name,))
            out.append((name, ids[id(child)]))
        edges.append(out)
        k += 1
    return objects, paths, edges


def build(root, proto_class):
    """The graph proto of ``root`` and ``[(checkpoint key, Variable)]``, in BFS order."""
    graph = proto_class()
    objects, paths, edges = walk(root)
    for out in edges:
        node = graph.nodes.add()
        for name, child_id in out:
            node.children.add(node_id=child_id, local_name=name)
    saved = []
    for node, obj, path in zip(graph.nodes, objects, paths):
        for attribute, variable in saved_values(obj) or ():
            key = variable_key(path, attribute)
            name = variable.name
            full_name = name[:-2] if name.endswith(":0") else name
            node.attributes.add(name=attribute, full_name=full_name, checkpoint_key=key)
            saved.append((key, variable))
    _mark_values(graph)
    return graph, saved


def _mark_values(graph):
    """``has_checkpoint_values``: whether a node or anything below it holds a value."""
    has = [bool(n.attributes) for n in graph.nodes]
    changed = True
    while changed:
        changed = False
        for k, node in enumerate(graph.nodes):
            if not has[k] and any(has[c.node_id] for c in node.children):
                has[k] = changed = True
    for node, value in zip(graph.nodes, has):
        node.has_checkpoint_values.value = value


def live_variables(root):
    """Every saving leaf (Variable, Keras Variable) reachable from ``root`` (each once), in
    BFS order."""
    seen, queue, out = {id(root)}, [root], []
    for obj in queue:
        if saved_values(obj):
            out.append(obj)
        for _, child in children(obj):
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return out
