"""Keras 3 objects in ``tf.train.Checkpoint``, against real TF + Keras in both directions.

Keras binds ``tensorflow`` when imported and this pytest process has the real TensorFlow, so
``keras_checkpoint_program.py`` runs in subprocesses: one pair writes (tapejax and TF, each a
checkpoint of a trained Sequential model and its Adam optimizer), one pair reads the other's
checkpoint. The checkpoints' keys, shapes and object graphs are compared here with real TF's
reader."""
import os
import pathlib

import numpy as np
import pytest

import tapejax
from tf_oracle import run_programs

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "keras_checkpoint_program.py"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
ENV.pop("KERAS_BACKEND", None)


def _run_pair(action, directories):
    return run_programs({lib: [str(PROGRAM), lib, action, directory]
                         for lib, directory in directories.items()}, ENV)


def _close(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-5,
                                   atol=1e-6)


def _graph(real_tf, path):
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(real_tf.train.load_checkpoint(path).get_tensor(
        "_CHECKPOINTABLE_OBJECT_GRAPH"))
    return graph


@pytest.mark.keras
def test_keras_model_and_optimizer_checkpoint_both_ways(real_tf, tmp_path):
    dirs = {lib: str(tmp_path / lib) for lib in ("tapejax", "tensorflow")}
    written = _run_pair("write", dirs)
    ours, theirs = written["tapejax"], written["tensorflow"]
    _close(ours["weights"], theirs["weights"])
    _close(ours["optimizer"], theirs["optimizer"])
    # the same keys, shapes, dtypes and object graph as TF + Keras write
    paths = {lib: result["path"] for lib, result in written.items()}
    keys = {lib: real_tf.train.list_variables(path) for lib, path in paths.items()}
    assert keys["tapejax"] == keys["tensorflow"]
    assert "optimizer/_variables/9/.ATTRIBUTES/VARIABLE_VALUE" in dict(keys["tapejax"])
    readers = {lib: real_tf.train.load_checkpoint(path) for lib, path in paths.items()}
    assert readers["tapejax"].get_variable_to_dtype_map() == \
        readers["tensorflow"].get_variable_to_dtype_map()
    assert _graph(real_tf, paths["tapejax"]) == _graph(real_tf, paths["tensorflow"])
    # each restores the other's checkpoint (tapejax reads TF's, TF reads tapejax's)
    read = _run_pair("read", {"tapejax": dirs["tensorflow"], "tensorflow": dirs["tapejax"]})
    for lib, other in (("tapejax", theirs), ("tensorflow", ours)):
        result = read[lib]
        for case in ("built", "lazy"):  # lazy: restored before the weights and slots exist
            _close(result[case]["weights"], other["weights"])
            _close(result[case]["optimizer"], other["optimizer"])
    outcomes = {lib: {k: v for k, v in result.items() if isinstance(v, str)}
                for lib, result in read.items()}
    assert outcomes["tapejax"] == outcomes["tensorflow"] == {
        "consumed": "ok", "existing": "ok", "lazy_existing": "ok",
        "lazy_consumed_before": "AssertionError", "lazy_consumed_after": "ok"}


def _trackables(tf, directory):
    """``tf.__internal__`` Trackables (what Keras builds on) in a checkpoint: children by
    ``_trackable_children``, leaves by ``_serialize_to_tensors``; a wrong shape restores none."""
    tracking = tf.__internal__.tracking

    class Holder(tracking.Trackable):  # a Keras Variable's protocol
        def __init__(self, value):
            self.v = tf.Variable(value)

        def _serialize_to_tensors(self):
            return {"VARIABLE_VALUE": self.v}

        def _restore_from_tensors(self, restored_tensors):
            return self.v.assign(restored_tensors["VARIABLE_VALUE"])

    def net(first, rest):
        root = tracking.AutoTrackable()
        root.items = [Holder(first), "text", [Holder(rest)]]
        root.sub = tracking.AutoTrackable()
        root.sub.shared = root.items[0]
        root.sub.d = {"k": Holder(rest + 1.0)}
        return root

    path = tf.train.Checkpoint(net=net([1.0, 2.0], 3.0)).write(directory + "/ckpt")
    restored = net([5.0, 5.0], 5.0)
    tf.train.Checkpoint(net=restored).read(path).assert_consumed()
    bad = net([5.0, 5.0, 5.0], 5.0)
    try:
        tf.train.Checkpoint(net=bad).read(path).expect_partial()
        error = None
    except ValueError as caught:
        error = type(caught).__name__
    return {"keys": tf.train.list_variables(path),
            "restored": [restored.items[0].v.numpy().tolist(), float(restored.items[2][0].v),
                         float(restored.sub.d["k"].v)],
            "error": error,
            "after_error": [bad.items[0].v.numpy().tolist(), float(bad.items[2][0].v),
                            float(bad.sub.d["k"].v)]}


def test_trackables_saved_by_their_protocol_as_tf(real_tf, tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tapejax").mkdir()
    theirs = _trackables(real_tf, str(tmp_path / "tf"))
    ours = _trackables(tapejax, str(tmp_path / "tapejax"))
    assert ours == theirs
    assert theirs["error"] == "ValueError" and theirs["after_error"][1] == 5.0


def test_a_leaf_saving_what_is_not_a_variable_is_refused(tmp_path):
    class Odd(tapejax.__internal__.tracking.Trackable):
        def _serialize_to_tensors(self):
            return {"VARIABLE_VALUE": tapejax.constant(1.0)}

    with pytest.raises(NotImplementedError, match=r"save tf.Variables only: Odd\."
                       r"_serialize_to_tensors\(\) returned Tensor for 'VARIABLE_VALUE'"):
        tapejax.train.Checkpoint(odd=Odd()).write(str(tmp_path / "ckpt"))
    assert not list(tmp_path.iterdir())


def test_module_holding_a_trackable_in_a_saved_model_and_a_checkpoint(tmp_path):
    holder = tapejax.Module()
    holder.layer = tapejax.__internal__.tracking.AutoTrackable()
    holder.layer.w = tapejax.Variable(1.0)
    tapejax.saved_model.save(holder, str(tmp_path / "model"))  # test_saved_model_keras.py
    assert float(tapejax.saved_model.load(str(tmp_path / "model")).layer.w) == 1.0
    # a checkpoint holds it
    path = tapejax.train.Checkpoint(holder=holder).write(str(tmp_path / "ckpt"))
    assert [k for k, _ in tapejax.train.list_variables(path)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", "holder/layer/w/.ATTRIBUTES/VARIABLE_VALUE"]
