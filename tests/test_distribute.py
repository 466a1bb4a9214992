"""tapejax.distribute: strategies on a JAX device mesh, against real TF's MirroredStrategy.

Several devices must exist before JAX (or TF) starts, so the multi-device programs of
tests/distribute_programs.py run in subprocesses: tapejax on 8 simulated CPU devices
(``--xla_force_host_platform_device_count``), TF on 8 logical CPU devices, and two tapejax
processes joined by ``jax.distributed`` on localhost. This process has one CPU device and runs
the one-replica tests.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import tapejax as tf
from helpers import assert_same
from tests import distribute_programs as programs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = os.path.join(ROOT, "tests", "distribute_programs.py")
DEVICES = 8
COMPARED = 4  # replicas of the programs compared with TF (fewer: TF's graphs build slowly)
TIMEOUT_S = 240


class _Program:
    """A program started in a subprocess; ``result()`` waits for its JSON line."""

    def __init__(self, args, env, log):
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen([sys.executable, PROGRAMS, *args], cwd=ROOT,
                                            env=env, stdout=out, stderr=subprocess.STDOUT)
        self._result = None

    def result(self):
        if self._result is None:
            try:
                self.process.wait(timeout=TIMEOUT_S)
            finally:
                self.stop()
            with open(self.log) as log:
                text = log.read()
            lines = [line for line in text.splitlines() if line.startswith(programs.MARK)]
            assert lines, f"{self.process.args} printed no results:\n{text[-4000:]}"
            self._result = json.loads(lines[-1][len(programs.MARK):])
        return self._result

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("XLA_FLAGS", None)
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The tapejax and TF programs on 8 devices, started together (both take a while)."""
    folder = tmp_path_factory.mktemp("distribute")
    started = {"tapejax": _Program(["tapejax", str(DEVICES), str(COMPARED)], _env(),
                                   folder / "tapejax.log")}
    if importlib.util.find_spec("tensorflow") is not None:
        started["tensorflow"] = _Program(["tensorflow", str(COMPARED), str(COMPARED)], _env(),
                                         folder / "tensorflow.log")
    yield started
    for program in started.values():
        program.stop()


@pytest.fixture(scope="module")
def ours(runs):
    return runs["tapejax"].result()


@pytest.fixture(scope="module")
def theirs(runs, real_tf):
    return runs["tensorflow"].result()


def _close(a, b, rtol, atol):
    for x, y in zip(a["params"], b["params"]):
        np.testing.assert_allclose(np.array(x), np.array(y), rtol=rtol, atol=atol)
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=rtol, atol=atol)


# --- several devices -------------------------------------------------------------------------
@pytest.mark.parametrize("replicas", [1, 2, 4, DEVICES])
def test_training_on_replicas_matches_one_device(ours, replicas):
    _close(ours[f"train_{replicas}"], ours["train_default"], rtol=1e-5, atol=1e-6)


def test_the_compiled_step_all_reduces_the_gradients(ours):
    lines = ours[f"train_{DEVICES}"]["all_reduce_lines"]
    reduce = [line for line in lines if " all-reduce(" in line or "all-reduce-start(" in line]
    assert reduce, lines
    assert any("f32[6,16]" in line and f"={DEVICES}" in line for line in reduce), reduce
    assert ours[f"train_{DEVICES}"]["tracing_count"] == 1  # PerReplica batches do not retrace


def test_training_matches_tensorflow(ours, theirs):
    for name in (f"train_{COMPARED}", f"momentum_{COMPARED}", f"eager_{COMPARED}"):
        _close(ours[name], theirs[name], rtol=1e-4, atol=1e-6)
    assert ours[f"train_{COMPARED}"]["tracing_count"] == \
        theirs[f"train_{COMPARED}"]["tracing_count"] == 1


def test_replica_semantics_match_tensorflow(ours, theirs):
    """Reductions, collectives and their gradients, aggregation, reprs and input splitting."""
    mine, tf_values = dict(ours["semantics"]), dict(theirs["semantics"])
    error = mine.pop("reduce_axis_error")
    tf_error = tf_values.pop("reduce_axis_error")  # TF's is wrapped in a graph-mode message
    assert error[0] == tf_error[0] and error[1] in tf_error[1]
    error, tf_error = mine.pop("run_args_error"), tf_values.pop("run_args_error")
    assert error == [tf_error[0], tf_error[1].replace(
        "tensorflow.python.framework.ops.EagerTensor", "tapejax.tensor.Tensor")]
    assert sorted(mine) == sorted(tf_values)
    for name in tf_values:
        assert mine[name] == tf_values[name], name


def test_keras_optimizer_calls_match_tensorflow(ours, theirs):
    """Keras's TF-backend step on several replicas: maybe_merge_call goes through merge_call
    (as TF's for every non-default strategy) into extended.update, with PerReplica values."""
    name = f"keras_like_{COMPARED}"
    _close(ours[name], theirs[name], rtol=1e-4, atol=1e-6)
    for x, y in zip(ours[name]["slots"], theirs[name]["slots"]):
        np.testing.assert_allclose(np.array(x), np.array(y), rtol=1e-4, atol=1e-6)
    assert ours[name]["iterations"] == theirs[name]["iterations"] == 6
    assert ours[name]["no_merge_call"] == theirs[name]["no_merge_call"] == [False] * 6
    for key in ("end", "iterator_type", "tracing_count"):  # the iterator feeds the function
        assert ours[name][key] == theirs[name][key], key


def test_slots_created_inside_run_on_the_first_trace(ours):
    _close(ours[f"lazy_slots_{COMPARED}"], ours[f"momentum_{COMPARED}"], rtol=0, atol=0)


def test_values_live_on_the_mesh(ours):
    found = ours["internals"]
    assert found["variable_replicated"] == [True, DEVICES]
    assert found["assigned_replicated"] == [True, DEVICES]  # an eager assign stays mirrored
    assert found["batch_spec"][1], found["batch_spec"]
    assert found["eager_run_traces"] == 1  # an eager run is compiled once per function
    assert found["kwargs_and_replicated_args"] == found["expected_kwargs_and_replicated_args"]
    assert found["dict_batch"] == {"ids": ["PerReplica", "int64", [2]],
                                   "w": ["PerReplica", "float64", [2, 2]]}


def test_what_the_mesh_cannot_express_raises(ours):
    found = ours["internals"]
    assert found["uneven_error"][0] == "ValueError"
    assert "not divisible by the 8 replicas" in found["uneven_error"][1]
    assert found["unequal_error"][0] == "ValueError"
    assert found["other_strategy_error"][0] == "ValueError"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_two_processes_agree_with_one(tmp_path):
    """Two processes (two CPU devices each) joined by jax.distributed on localhost."""
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    started = []
    try:
        for index in range(2):  # worker 0 reads TF_CONFIG, worker 1 gets a cluster resolver
            config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            flags = "--xla_force_host_platform_device_count=2"
            started.append(_Program(
                ["worker", "4"] + ([config] if index else []),
                _env(XLA_FLAGS=flags, **({} if index else {"TF_CONFIG": config})),
                tmp_path / f"worker{index}.log"))
        results = [program.result() for program in started]
    finally:
        for program in started:
            program.stop()
    expected = programs.train(tf, tf.distribute.get_strategy(), steps=4)
    for index, result in enumerate(results):
        assert result["replicas"] == 4
        assert result["worker_devices"] == [f"/job:worker/replica:0/task:{index}/device:CPU:{i}"
                                            for i in range(2)]
        _close(result, expected, rtol=1e-5, atol=1e-6)


# --- one device (this process) ---------------------------------------------------------------
def test_default_strategy_and_contexts_match_tensorflow(real_tf):
    for lib in (tf, real_tf):
        context = lib.distribute.get_replica_context()
        assert (lib.distribute.has_strategy(), lib.distribute.in_cross_replica_context()) == \
            (False, False)
        assert context.replica_id_in_sync_group == 0 and context.num_replicas_in_sync == 1
        assert lib.distribute.get_strategy().num_replicas_in_sync == 1
        assert_same(context.all_reduce("MEAN", lib.constant(3)), real_tf.constant(3))
    for lib in (tf, real_tf):
        default = lib.distribute.get_strategy()
        with default.scope() as entered:  # changes nothing
            assert entered is default and not lib.distribute.in_cross_replica_context()
            assert type(lib.Variable(1.0)).__name__ in ("Variable", "ResourceVariable")
        assert_same(default.run(
            lambda: lib.distribute.get_replica_context().replica_id_in_sync_group),
            real_tf.constant(0))
    strategies = [tf.distribute.MirroredStrategy(), real_tf.distribute.MirroredStrategy()]
    for lib, strategy in zip((tf, real_tf), strategies):
        with strategy.scope() as entered:
            assert entered is strategy
            assert lib.distribute.get_replica_context() is None
            assert lib.distribute.in_cross_replica_context() and lib.distribute.has_strategy()
            assert lib.distribute.get_strategy() is strategy
        rid = strategy.run(lambda: lib.distribute.get_replica_context().replica_id_in_sync_group)
        assert_same(rid, real_tf.constant(0))


def test_mirrored_variable_on_one_device_matches_tensorflow(real_tf):
    reprs = []
    for lib in (tf, real_tf):
        strategy = lib.distribute.MirroredStrategy()
        with strategy.scope():
            v = lib.Variable([1.0, 2.0])
        assert isinstance(v, lib.Variable)
        assert strategy.extended.variable_created_in_scope(v)
        v.assign_add([1.0, 1.0])
        reprs.append(repr(v))
        assert_same(strategy.run(lambda: v * 2.0), real_tf.constant([4.0, 6.0]))
        assert len(strategy.experimental_local_results(v)) == 1
    assert reprs[0] == reprs[1]
    one_device = [lib.distribute.OneDeviceStrategy("/cpu:0") for lib in (tf, real_tf)]
    for strategy, lib in zip(one_device, (tf, real_tf)):
        with strategy.scope():
            v = lib.Variable(1.0)
        assert repr(v) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>"
    assert one_device[0].extended.worker_devices == one_device[1].extended.worker_devices


@pytest.mark.parametrize("strategy_kind", ["default", "one_device", "mirrored"])
def test_one_replica_training_matches_tensorflow(real_tf, strategy_kind):
    def make(lib):
        if strategy_kind == "default":
            return lib.distribute.get_strategy()
        if strategy_kind == "one_device":
            return lib.distribute.OneDeviceStrategy("/cpu:0")
        return lib.distribute.MirroredStrategy()
    _close(programs.train(tf, make(tf), steps=10), programs.train(real_tf, make(real_tf),
                                                                   steps=10),
           rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("op", ["SUM", "MEAN"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_reduce_of_one_replica_matches_tensorflow(real_tf, op, axis, dtype):
    value = np.arange(6).reshape(2, 3).astype(dtype)
    ours = tf.distribute.get_strategy().reduce(op, tf.constant(value), axis=axis)
    theirs = real_tf.distribute.get_strategy().reduce(op, real_tf.constant(value), axis=axis)
    assert_same(ours, theirs)


def test_reduce_errors_match_tensorflow(real_tf):
    for bad, kind in [("MAX", ValueError), (3, TypeError)]:
        with pytest.raises(kind) as ours:
            tf.distribute.get_strategy().reduce(bad, tf.constant(1.0), axis=None)
        if kind is ValueError:
            with pytest.raises(kind) as theirs:
                real_tf.distribute.get_strategy().reduce(bad, real_tf.constant(1.0), axis=None)
            assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Invalid reduction dimension 2 for input with 2"):
        tf.distribute.get_strategy().reduce("SUM", tf.ones([2, 2]), axis=2)


def test_context_errors_match_tensorflow(real_tf):
    messages = []
    for lib in (tf, real_tf):
        first, second = lib.distribute.MirroredStrategy(), lib.distribute.MirroredStrategy()
        with first.scope():
            with pytest.raises(RuntimeError) as mixing:
                second.scope().__enter__()
            with first.scope():  # the same strategy may be entered again
                pass
        with pytest.raises(RuntimeError) as nested:
            first.run(lambda: first.run(lambda: lib.constant(1.0)))
        with pytest.raises(ValueError) as bad_args:
            first.run(lambda x: x, args=None)
        messages.append((str(mixing.value).split(":")[0], str(nested.value), str(bad_args.value)))
    assert messages[0] == messages[1]


def test_device_strings(real_tf):
    with pytest.raises(AssertionError) as ours:
        tf.distribute.MirroredStrategy(["/cpu:0", "CPU:0"])
    with pytest.raises(AssertionError) as theirs:
        real_tf.distribute.MirroredStrategy(["/cpu:0", "CPU:0"])
    assert str(ours.value) == str(theirs.value)
    names = ["/job:localhost/replica:0/task:0/device:CPU:0", "/device:CPU:0", "cpu:0"]
    for name in names:
        assert tf.distribute.MirroredStrategy([name]).extended.worker_devices == \
            real_tf.distribute.MirroredStrategy([name]).extended.worker_devices
    # TF accepts devices that do not exist and fails later; tapejax says so at once
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
        tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:3"])
    with pytest.raises(ValueError, match=r"tapejax\[cuda\]"):
        tf.distribute.OneDeviceStrategy("/gpu:0")


def test_variable_creator_scope_matches_tensorflow(real_tf):
    seen = []
    for lib in (tf, real_tf):
        calls = []

        def outer(next_creator, **kwargs):
            calls.append(("outer", sorted(kwargs)))
            return next_creator(**kwargs)

        def inner(next_creator, **kwargs):
            calls.append(("inner", kwargs["name"], kwargs["trainable"]))
            kwargs["name"] = "renamed"
            return next_creator(**kwargs)

        with lib.variable_creator_scope(outer), lib.variable_creator_scope(inner):
            v = lib.Variable(1.0, False, name="x")
        with lib.variable_creator_scope(lambda next_creator, **kwargs: 42):
            assert lib.Variable(1.0) == 42
        seen.append((calls, v.name, v.trainable))
    assert seen[0] == seen[1]


def test_reduce_op_and_input_context_match_tensorflow(real_tf):
    for lib in (tf, real_tf):
        assert lib.distribute.ReduceOp("SUM") is lib.distribute.ReduceOp.SUM
        assert [op.value for op in lib.distribute.ReduceOp] == ["SUM", "MEAN"]
        assert lib.distribute.ReduceOp.from_variable_aggregation(
            lib.VariableAggregation.MEAN) is lib.distribute.ReduceOp.MEAN
    with pytest.raises(ValueError) as ours:
        tf.distribute.ReduceOp("MAX")
    with pytest.raises(ValueError) as theirs:
        real_tf.distribute.ReduceOp("MAX")
    assert str(ours.value) == str(theirs.value)
    contexts = [lib.distribute.InputContext(2, 1, 4) for lib in (tf, real_tf)]
    assert str(contexts[0]) == str(contexts[1])
    assert contexts[0].get_per_replica_batch_size(8) == 2
    errors = []
    for context in contexts:
        with pytest.raises(ValueError) as caught:
            context.get_per_replica_batch_size(7)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert str(tf.distribute.experimental.ValueContext(1, 4)) == \
        str(real_tf.distribute.experimental.ValueContext(1, 4))


def test_distributed_input_on_one_replica(real_tf):
    strategy = tf.distribute.MirroredStrategy()
    batches = [(np.ones((2, 3), np.float64), np.array([1, 2], np.int32))]
    (x, y), = list(strategy.experimental_distribute_dataset(batches))
    theirs = next(iter(real_tf.distribute.MirroredStrategy().experimental_distribute_dataset(
        real_tf.data.Dataset.from_tensor_slices((np.ones((2, 3), np.float64),
                                                 np.array([1, 2], np.int32))).batch(2))))
    assert_same((x, y), theirs)
    iterator = iter(strategy.distribute_datasets_from_function(lambda context: batches))
    assert_same(iterator.get_next(), theirs)
    with pytest.raises(tf.errors.OutOfRangeError):
        iterator.get_next()
    value = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(float(context.replica_id_in_sync_group)))
    assert_same(value, real_tf.constant(0.0))


def test_tf_config_cluster_resolver_matches_tensorflow(real_tf, monkeypatch):
    config = {"cluster": {"chief": ["h0:1"], "worker": ["h1:2", "h2:3"]},
              "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    found = []
    for lib in (tf, real_tf):
        resolver = lib.distribute.cluster_resolver.TFConfigClusterResolver()
        spec = resolver.cluster_spec()
        found.append((spec.as_dict(), spec.num_tasks("worker"), spec.job_tasks("worker"),
                      resolver.task_type, resolver.task_id, resolver.master()))
    assert found[0] == found[1]
    simple = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.distribute.cluster_resolver.ClusterSpec({"worker": ["a:1"]}), task_type="worker",
        task_id=0)
    assert (simple.task_type, simple.task_id, simple.cluster_spec().as_dict()) == \
        ("worker", 0, {"worker": ["a:1"]})


def test_multi_worker_without_cluster_is_local(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == 1
    assert strategy.cluster_resolver.cluster_spec().as_dict() == {}


def test_experimental_get_compiler_ir():
    @tf.function
    def f(x):
        return tf.reduce_sum(x * 2.0)

    x = tf.ones([3])
    ir = f.experimental_get_compiler_ir(x)
    assert "multiply" in ir(stage="hlo") and "stablehlo.multiply" in ir(stage="stablehlo")
    assert "HloModule" in ir(stage="optimized_hlo")
    with pytest.raises(ValueError, match="Unsupported stage"):
        ir(stage="optimized_hlo_dot")
    assert f.experimental_get_tracing_count() == 1
    f(x)
    assert f.experimental_get_tracing_count() == 1


def test_transpose_with_perm_inside_function():
    """The transformer step of bench_distribute; ``range`` in array_ops was ``tf.range``."""
    f = tf.function(lambda x: tf.transpose(x, [0, 2, 1]))
    assert f(tf.ones([2, 3, 4])).shape == [2, 4, 3]
