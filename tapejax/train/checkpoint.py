"""``tf.train.Checkpoint`` and its load statuses, in TensorFlow's on-disk format.

Saving walks the object graph (``_object_graph``) and streams each Variable's value into the
bundle (``_bundle``), which appears under its final name only when complete. Restoring matches
the checkpoint's graph against the live objects by child names from the root, checks every
matched value's dtype and shape against its Variable, reads and CRC-checks the values one at a
time, and assigns them only when all are read: a failed restore changes no Variable. Checkpoint
children with no live object yet are restored when the object appears (``_tracking``): a
Variable set on a Module later, a Keras layer building lazily, an optimizer creating its slots.
Nothing in a checkpoint is unpickled or executed.
"""
import logging
import os

import jax.numpy as jnp
import numpy as np

from .. import _tracking, errors
from .._autotrackable import TrackableDataStructure
from ..variables import Variable
from . import _bundle, _object_graph, _protos, _state
from ._wrappers import wrap

_LOG = logging.getLogger("tapejax")
_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _tf_type_name(name):
    return _TF_TYPE_NAMES.get(name, name)


def _check_options(options):
    if options is not None:
        raise NotImplementedError("tapejax checkpoints do not take `options` "
                                  "(tf.train.CheckpointOptions).")


def write_checkpoint(root, file_prefix):
    """Writes ``root``'s object graph and Variables to ``file_prefix`` (atomically)."""
    graph, saved = _object_graph.build(root, _protos.TrackableObjectGraph)
    writer = _bundle.BundleWriter(file_prefix)
    try:
        writer.add_string(_object_graph.OBJECT_GRAPH_KEY, graph.SerializeToString())
        for key, variable in saved:
            writer.add(key, variable.numpy())
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    return file_prefix


def _hookable(obj):
    if isinstance(obj, TrackableDataStructure):
        return True  # tracked lists and dicts report appends and new keys
    return _object_graph.saved_values(obj) is None and \
        not isinstance(obj, (list, tuple, dict))


class _Restoration:
    """One ``restore`` call: the checkpoint's graph, its reader and what has been matched."""

    def __init__(self, root, save_path):
        self.root, self.save_path = root, save_path
        self.reader = _bundle.BundleReader(save_path)
        if _object_graph.OBJECT_GRAPH_KEY not in self.reader.entries:
            raise NotImplementedError(
                f"{save_path} has no object graph: it was written by the name-based "
                "tf.compat.v1.train.Saver, which tapejax cannot restore.")
        self.graph = _protos.TrackableObjectGraph()
        try:
            self.graph.ParseFromString(
                self.reader.read(_object_graph.OBJECT_GRAPH_KEY)[()])
        except errors.DataLossError:
            raise
        except Exception:  # protobuf's DecodeError
            raise errors.DataLossError(None, None, f"{save_path}: corrupt object graph") \
                from None
        nodes = self.graph.nodes
        for node in nodes:
            if any(c.node_id >= len(nodes) or c.node_id < 0 for c in node.children):
                raise errors.DataLossError(None, None, f"{save_path}: corrupt object graph")
        self.restored = set()  # (node id, id(variable)) pairs assigned
        self.restored_nodes = set()
        self.restored_vars = {}  # id -> Variable
        self.matched_nodes = {0}
        self.registered = set()  # (id(object), node id) waiting in ``_tracking``

    # --- matching -------------------------------------------------------------------------
    def match(self, obj, node_id):
        """Pairs ``(node id, Variable)`` below ``(obj, node_id)`` and the objects waiting for
        children that do not exist yet."""
        pairs, waiting, seen = [], [], set()
        queue = [(obj, node_id)]
        for live, nid in queue:
            if (id(live), nid) in seen:
                continue
            seen.add((id(live), nid))
            self.matched_nodes.add(nid)
            node = self.graph.nodes[nid]
            values = _object_graph.saved_values(live)
            if values is not None:
                keys = {a.name: a.checkpoint_key for a in node.attributes}
                values = [(keys[name], v) for name, v in values if name in keys]
                if values and (nid, id(live)) not in self.restored:
                    pairs.append((nid, live, values))
                continue
            live_children = dict(_object_graph.children(live))
            missing = False
            for ref in node.children:
                child = live_children.get(ref.local_name)
                if child is not None:
                    queue.append((child, ref.node_id))
                elif self._has_values(ref.node_id):
                    missing = True
            if missing and _hookable(live):
                waiting.append((live, nid))
        return pairs, waiting

    def _has_values(self, nid):
        node = self.graph.nodes[nid]
        if node.HasField("has_checkpoint_values"):
            return node.has_checkpoint_values.value
        return True

    def run(self, obj, node_id):
        """Restores below ``(obj, node_id)``; objects still missing children wait for them."""
        pairs, waiting = self.match(obj, node_id)
        self.assign(pairs)
        for live, nid in waiting:
            if (id(live), nid) not in self.registered:
                self.registered.add((id(live), nid))
                _tracking.defer(live, lambda o, nid=nid: self.deferred(o, nid))
        return waiting

    def deferred(self, obj, node_id):
        """Restores what appeared under ``obj``; ``True`` when nothing is missing any more."""
        waiting = self.run(obj, node_id)
        done = not any(live is obj and nid == node_id for live, nid in waiting)
        if done:
            self.registered.discard((id(obj), node_id))
        return done

    # --- assigning ------------------------------------------------------------------------
    def assign(self, pairs):
        """Checks every pair, reads every value, then assigns them all (or none)."""
        plan = []
        for _, _, values in pairs:
            for key, variable in values:
                entry = self.reader.entries.get(key)
                if entry is None:
                    raise errors.NotFoundError(None, None,
                                               f"Key {key} not found in checkpoint")
                want = _bundle.ENUM_BY_NUMPY.get(np.dtype(variable.dtype.as_numpy_dtype))
                if entry.dtype != want:
                    raise errors.InvalidArgumentError(
                        None, None, f"tensor_name = {key}; expected dtype "
                        f"{_tf_type_name(variable.dtype.name)} does not equal original dtype "
                        f"{_tf_type_name(entry.dtype_name)} [Op:RestoreV2]")
                if tuple(entry.shape) != tuple(variable.shape.as_list()):
                    raise ValueError(f"Received incompatible tensor with shape {entry.shape} "
                                     f"when attempting to restore variable with shape "
                                     f"{tuple(variable.shape.as_list())} and name "
                                     f"{variable.name}.")
                plan.append((variable, key))
        values = [jnp.asarray(self.reader.read(key)) for _, key in plan]
        for (variable, _), value in zip(plan, values):
            variable.assign(value)
        for nid, live, _ in pairs:
            self.restored.add((nid, id(live)))
            self.restored_nodes.add(nid)
            self.restored_vars[id(live)] = live

    # --- reporting ------------------------------------------------------------------------
    def path(self, nid):
        """``(root).model.w``: the first path to ``nid`` from the root."""
        parents = {0: None}
        queue = [0]
        for k in queue:
            for ref in self.graph.nodes[k].children:
                if ref.node_id not in parents:
                    parents[ref.node_id] = (k, ref.local_name)
                    queue.append(ref.node_id)
        names = []
        while parents.get(nid):
            nid, name = parents[nid]
            names.append(name)
        return ".".join(["(root)"] + names[::-1])

    def unresolved_nodes(self):
        return [nid for nid, node in enumerate(self.graph.nodes)
                if node.attributes and nid not in self.restored_nodes]

    def unmatched_objects(self):
        return [v for v in _object_graph.live_variables(self.root)
                if id(v) not in self.restored_vars]


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns: checks of how the checkpoint matched the program."""

    def __init__(self, restoration):
        self._restoration = restoration
        self._expect_partial = False

    def assert_consumed(self):
        """Every checkpointed value was restored, and every Variable got one."""
        self.assert_existing_objects_matched()
        r = self._restoration
        for nid in r.unresolved_nodes():
            raise AssertionError(f"Unresolved object in checkpoint {r.path(nid)}: "
                                 f"{r.graph.nodes[nid]}")
        return self

    def assert_existing_objects_matched(self):
        """Every Variable reachable from the root now got a value from the checkpoint."""
        unmatched = self._restoration.unmatched_objects()
        if unmatched:
            shown = unmatched[:10]
            raise AssertionError(
                f"Found {len(unmatched)} Python objects that were not bound to checkpointed "
                f"values, likely due to changes in the Python program. Showing {len(shown)} of "
                f"{len(unmatched)} unmatched objects: {shown}")
        return self

    def assert_nontrivial_match(self):
        """Something besides the root matched a checkpointed object."""
        r = self._restoration
        if not (r.matched_nodes - {0}):
            raise AssertionError(
                "Nothing except the root object matched a checkpointed value. Typically this "
                "means that the checkpoint does not match the Python program. The following "
                f"objects have no matching checkpointed value: {r.unmatched_objects()}")
        return self

    def expect_partial(self):
        """Silences the warning about checkpointed values left unrestored."""
        self._expect_partial = True
        return self

    def run_restore_ops(self, session=None):
        """Values are restored eagerly by ``restore``: nothing is left to run."""

    def initialize_or_restore(self, session=None):
        """Values are restored eagerly by ``restore``: nothing is left to run."""

    def __del__(self):
        r = getattr(self, "_restoration", None)
        if r is None or self._expect_partial:
            return
        try:
            left = r.unresolved_nodes()
        except Exception:  # interpreter shutdown
            return
        if left:
            _LOG.warning("Detecting that an object or model or tf.train.Checkpoint is being "
                         "deleted with unrestored values; use `status.expect_partial()` to "
                         "silence this. Values in checkpoint not found in the restored object: "
                         "%s", ", ".join(r.path(n) for n in left))


class InitializationOnlyStatus:
    """What ``restore(None)`` returns: nothing was restored, Variables keep their values."""

    def _nothing(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    def assert_consumed(self):
        self._nothing()

    def assert_existing_objects_matched(self):
        self._nothing()

    def assert_nontrivial_match(self):
        self._nothing()

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run: restore(None) restores nothing."""

    def initialize_or_restore(self, session=None):
        """Variables are initialized when created (eager): nothing to run."""


class Checkpoint:
    """``tf.train.Checkpoint(root=None, **kwargs)``: saves and restores Variables, Modules,
    Keras layers, models and optimizers in TensorFlow's checkpoint format. ``tf.data``
    iterators are not saved (TF saves their position as a serialized dataset graph): one in
    the object graph raises ``NotImplementedError``.

    >>> import tapejax as tf, tempfile, os
    >>> v = tf.Variable(1.0)
    >>> ckpt = tf.train.Checkpoint(v=v)
    >>> path = ckpt.save(os.path.join(tempfile.mkdtemp(), "ckpt"))
    >>> os.path.basename(path)
    'ckpt-1'
    >>> _ = v.assign(5.0)
    >>> ckpt.restore(path).assert_consumed() and float(v.numpy())
    1.0
    """

    def __init__(self, root=None, **kwargs):
        for name, value in sorted(kwargs.items()):
            self._check_trackable(name, value)
        if root is not None:
            self._check_trackable("root", root)
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_deps", {})
        for name, value in sorted(kwargs.items()):
            setattr(self, name, value)

    @staticmethod
    def _check_trackable(name, value):
        if not _object_graph.is_trackable(value) or isinstance(value, (list, tuple, dict)):
            raise ValueError(f"`Checkpoint` was expecting {name} to be a trackable object (an "
                             f"object derived from `Trackable`), got {value}. If you believe "
                             "this object should be trackable (i.e. it is part of the "
                             "TensorFlow Python API and manages state), please open an issue.")

    def __setattr__(self, name, value):
        if not name.startswith("_"):
            value = wrap(value)  # TF wraps lists and dicts, tracked even when empty
        object.__setattr__(self, name, value)
        if not name.startswith("_") and _object_graph.is_trackable(value):
            self._deps[name] = value
            _tracking.changed(self)

    def _checkpoint_children(self):
        out = _object_graph.children(self._root) if self._root is not None else []
        out = out + list(self._deps.items())
        if self._save_counter is not None:
            out.append(("save_counter", self._save_counter))
        return out

    @property
    def save_counter(self):
        """The number of ``save`` calls (an int64 Variable, created on first use)."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", Variable(
                np.int64(0), trainable=False, name="save_counter"))
        return self._save_counter

    def write(self, file_prefix, options=None):
        """Writes a checkpoint at ``file_prefix`` (no counter, no state file); returns it."""
        _check_options(options)
        return write_checkpoint(self, os.fspath(file_prefix))

    def save(self, file_prefix, options=None):
        """Writes ``file_prefix-N`` (N: the incremented ``save_counter``) and names it in the
        directory's ``checkpoint`` file; returns the path."""
        _check_options(options)
        file_prefix = os.fspath(file_prefix)
        counter = self.save_counter
        before = counter.numpy()
        counter.assign_add(np.int64(1))
        path = f"{file_prefix}-{int(before) + 1}"
        try:
            write_checkpoint(self, path)
        except BaseException:
            counter.assign(before)
            raise
        _state.update_checkpoint_state(os.path.dirname(os.path.abspath(path)), path, [path])
        return path

    def _restore(self, save_path, options, create_counter):
        _check_options(options)
        if save_path is None:
            return InitializationOnlyStatus()
        save_path = os.fspath(save_path)
        if not os.path.exists(_bundle.index_path(save_path)):
            raise errors.NotFoundError(
                None, None, f"Error when restoring from checkpoint or SavedModel at {save_path}"
                f": Unsuccessful TensorSliceReader constructor: Failed to find any matching files"
                f" for {save_path}\nPlease double-check that the path is correct. You may be "
                "missing the checkpoint suffix (e.g. the '-1' in 'path/to/ckpt-1').")
        restoration = _Restoration(self, save_path)
        if create_counter:  # TF's restore creates it, whether the checkpoint has one or not
            self.save_counter  # noqa: B018
        restoration.run(self, 0)
        return CheckpointLoadStatus(restoration)

    def restore(self, save_path, options=None):
        """Restores the checkpoint at ``save_path`` (``None``: nothing) into the matching
        objects now, and into matching Variables created later; returns a load status."""
        return self._restore(save_path, options, create_counter=True)

    def read(self, save_path, options=None):
        """``restore`` for a checkpoint written by ``write`` (``save_counter`` not created)."""
        return self._restore(save_path, options, create_counter=False)


