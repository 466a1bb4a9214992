"""``tf.train`` checkpoints: TF's on-disk format, both ways against real TF 2.21, and safety.

Cross tests build the same object structure in tapejax and TF; one library writes, the other
restores with ``assert_consumed`` and the values must be equal. Safety tests flip every byte,
truncate at every length and interrupt a save between every file operation.
"""
import os

import ml_dtypes
import numpy as np
import pytest

import tapejax
from tapejax import _crc32c
from tapejax.train import _bundle, _protos, _state

RNG = np.random.RandomState(0)
DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128"]


def _value(dtype, shape):
    if dtype == "bool":
        return RNG.rand(*shape) > 0.5
    if dtype.startswith("complex"):
        return (RNG.normal(size=shape) + 1j * RNG.normal(size=shape)).astype(dtype)
    if dtype.startswith(("int", "uint")):
        return RNG.randint(0, 100, size=shape).astype(dtype)
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
    return RNG.normal(size=shape).astype(np_dtype)


def _structure(lib, values):
    """A Module with a list of submodules, a dict and one Variable per dtype."""
    class Dense(lib.Module):
        def __init__(self, w, b):
            super().__init__()
            self.w = lib.Variable(w, name="w")
            self.b = lib.Variable(b, name="b")

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(values["w0"], values["b0"]), Dense(values["w1"], values["b1"])]
            self.table = {d: lib.Variable(values[d], name=d) for d in DTYPES}
    return Net()


def _values():
    out = {"w0": _value("float32", (2, 3)), "b0": _value("float32", (3,)),
           "w1": _value("float32", (3, 1)), "b1": _value("float32", (1,))}
    out.update({d: _value(d, (2, 2)) for d in DTYPES})
    return out


def _zeros_like(values):
    return {k: np.zeros_like(v) for k, v in values.items()}


def _read(net):
    out = {"w0": net.layers[0].w, "b0": net.layers[0].b, "w1": net.layers[1].w,
           "b1": net.layers[1].b}
    out.update(net.table)
    return {k: np.asarray(v.numpy()) for k, v in out.items()}


def _assert_values(got, want):
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_protos_match_tensorflow(real_tf):
    from tensorflow.core.framework import tensor_shape_pb2, versions_pb2
    from tensorflow.core.protobuf import tensor_bundle_pb2, trackable_object_graph_pb2
    from tensorflow.python.training import checkpoint_state_pb2
    pairs = [(_protos.BundleHeaderProto, tensor_bundle_pb2.BundleHeaderProto),
             (_protos.BundleEntryProto, tensor_bundle_pb2.BundleEntryProto),
             (_protos.TrackableObjectGraph, trackable_object_graph_pb2.TrackableObjectGraph),
             (_protos.CheckpointState, checkpoint_state_pb2.CheckpointState),
             (_protos.TensorShapeProto, tensor_shape_pb2.TensorShapeProto),
             (_protos.VersionDef, versions_pb2.VersionDef)]

    def fields(d):
        out = {f.name: (f.number, f.type, f.is_repeated) for f in d.fields}
        for n in d.nested_types:
            out[n.name] = fields(n)
        return out

    def subset(ours, theirs):
        for name, spec in ours.items():
            assert name in theirs, name
            if isinstance(spec, dict):
                subset(spec, theirs[name])
            elif name != "has_checkpoint_values":
                assert spec == theirs[name], name
    for ours, theirs in pairs:
        subset(fields(ours.DESCRIPTOR), fields(theirs.DESCRIPTOR))
    from tensorflow.core.framework import types_pb2
    for d in DTYPES:
        assert _protos.DATA_TYPES[d] == real_tf.as_dtype(d).as_datatype_enum
    assert _protos.DATA_TYPES["string"] == types_pb2.DT_STRING


def test_crc32c_known_values():
    assert _crc32c.value(b"123456789") == 0xE3069283
    assert _crc32c.value(bytes(32)) == 0x8A9136AA
    data = RNG.bytes(300_000)
    assert _crc32c.extend(_crc32c.value(data[:777]), data[777:]) == _crc32c.value(data)
    array = np.frombuffer(data, np.float32).reshape(1000, -1)
    assert _crc32c.value(array) == _crc32c.value(data)
    assert _crc32c.value(array[:, ::2]) == _crc32c.value(np.ascontiguousarray(array[:, ::2]))
    assert _crc32c.value(bytearray(data)) == _crc32c.value(memoryview(data)) == \
        _crc32c.value(data)
    assert all(_crc32c.unmask(_crc32c.mask(c)) == c for c in (0, 1, 2**31, 2**32 - 1))


def test_module_tapejax_to_tf(real_tf, tmp_path):
    values = _values()
    path = tapejax.train.Checkpoint(model=_structure(tapejax, values)).write(
        str(tmp_path / "ckpt"))
    net = _structure(real_tf, _zeros_like(values))
    real_tf.train.Checkpoint(model=net).read(path).assert_consumed()
    _assert_values(_read(net), values)


def test_module_tf_to_tapejax(real_tf, tmp_path):
    values = _values()
    ckpt = real_tf.train.Checkpoint(model=_structure(real_tf, values))
    path = ckpt.save(str(tmp_path / "ckpt"))
    net = _structure(tapejax, _zeros_like(values))
    restored = tapejax.train.Checkpoint(model=net)
    restored.restore(tapejax.train.latest_checkpoint(str(tmp_path))).assert_consumed()
    _assert_values(_read(net), values)
    assert int(restored.save_counter.numpy()) == 1
    assert path == tapejax.train.latest_checkpoint(str(tmp_path))


def test_reader_agrees_with_tf(real_tf, tmp_path):
    values = _values()
    path = tapejax.train.Checkpoint(model=_structure(tapejax, values)).write(
        str(tmp_path / "ckpt"))
    ours, theirs = tapejax.train.load_checkpoint(path), real_tf.train.load_checkpoint(path)
    assert ours.get_variable_to_shape_map() == theirs.get_variable_to_shape_map()
    assert {k: v.name for k, v in ours.get_variable_to_dtype_map().items()} == \
        {k: v.name for k, v in theirs.get_variable_to_dtype_map().items()}
    for key in theirs.get_variable_to_shape_map():
        a, b = ours.get_tensor(key), theirs.get_tensor(key)
        if key == "_CHECKPOINTABLE_OBJECT_GRAPH":
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)
    assert tapejax.train.list_variables(str(tmp_path / "ckpt")) == \
        real_tf.train.list_variables(str(tmp_path / "ckpt"))
    key = "model/layers/0/w/.ATTRIBUTES/VARIABLE_VALUE"
    np.testing.assert_array_equal(tapejax.train.load_variable(path, key), values["w0"])
    with pytest.raises(tapejax.errors.NotFoundError, match="Key nope not found in checkpoint"):
        ours.get_tensor("nope")


# --- statuses and errors, as TF ---------------------------------------------------------
def _one(lib, shape=(3,), dtype="float32", extra=False):
    m = lib.Module()
    m.w = lib.Variable(np.zeros(shape, dtype))
    if extra:
        m.extra = lib.Variable(1.0)
    return m


def _outcome(fn):
    try:
        fn()
        return "ok"
    except Exception as exc:  # the class and text are compared
        # the unmatched objects are listed in no fixed order: compare up to the list
        return type(exc).__name__, str(exc).split("\n")[0].split(": [")[0]


@pytest.mark.parametrize("case", ["extra", "other", "empty"])
def test_status_assertions_as_tf(real_tf, tmp_path, case):
    results = {}
    for name, lib in (("tapejax", tapejax), ("tf", real_tf)):
        path = lib.train.Checkpoint(model=_one(lib)).write(str(tmp_path / name))
        kwargs = {"extra": dict(model=_one(lib, extra=True)),
                  "other": dict(other=_one(lib, extra=True)),
                  "empty": dict(model=lib.Module())}[case]
        status = lib.train.Checkpoint(**kwargs).read(path).expect_partial()
        results[name] = [_outcome(getattr(status, f)) for f in
                         ("assert_consumed", "assert_existing_objects_matched",
                          "assert_nontrivial_match")]
    assert results["tapejax"] == results["tf"]


def test_restore_none_and_missing(real_tf, tmp_path):
    status = tapejax.train.Checkpoint(model=_one(tapejax)).restore(None)
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()
    for lib in (tapejax, real_tf):
        with pytest.raises(lib.errors.NotFoundError, match="Failed to find any matching files"):
            lib.train.Checkpoint(model=_one(lib)).restore(str(tmp_path / "missing"))
        with pytest.raises(ValueError, match="was expecting v to be a trackable object"):
            lib.train.Checkpoint(v=1)


@pytest.mark.parametrize("shape,dtype", [((2,), "float32"), ((3,), "float64"),
                                         ((3,), "int32")])
def test_mismatch_raises_as_tf_and_changes_nothing(real_tf, tmp_path, shape, dtype):
    results = {}
    for name, lib in (("tapejax", tapejax), ("tf", real_tf)):
        src = lib.Module()
        src.a, src.w = lib.Variable(np.ones(2, np.float32)), lib.Variable(np.ones(3, np.float32))
        path = lib.train.Checkpoint(model=src).write(str(tmp_path / name))
        dst = lib.Module()
        dst.a, dst.w = lib.Variable(np.zeros(2, np.float32)), lib.Variable(np.zeros(shape, dtype))
        results[name] = _outcome(lambda: lib.train.Checkpoint(model=dst).read(path))
        if name == "tapejax":  # restore is all-or-nothing: `a` (fine) is untouched too
            np.testing.assert_array_equal(dst.a.numpy(), np.zeros(2, np.float32))
    assert results["tapejax"][0] == results["tf"][0]
    # TF prefixes its kernel's node name: "{{function_node __wrapped__RestoreV2_...}} "
    assert results["tapejax"][1] == results["tf"][1].split("}} ")[-1]


# --- corruption, truncation, interruption -------------------------------------------------
def _small_checkpoint(tmp_path):
    m = _one(tapejax)
    m.w.assign(np.arange(3, dtype=np.float32))
    return tapejax.train.Checkpoint(model=m).write(str(tmp_path / "ckpt"))


def _restore_outcome(path):
    m = _one(tapejax)
    try:
        tapejax.train.Checkpoint(model=m).read(path).expect_partial()
    except tapejax.errors.DataLossError:
        return "loss"
    got = m.w.numpy()
    return "same" if np.array_equal(got, np.arange(3, dtype=np.float32)) else \
        "untouched" if not got.any() else f"WRONG {got}"


def _damaged_versions(tmp_path, suffix, damage):
    """``_restore_outcome`` after each ``damage(good bytes, k)`` written over one file."""
    path = _small_checkpoint(tmp_path)
    target = path + suffix
    with open(target, "rb") as f:
        good = f.read()
    for k in range(len(good)):
        with open(target, "wb") as f:
            f.write(damage(good, k))
        yield k, _restore_outcome(path)


def _flip(good, pos):
    bad = bytearray(good)
    bad[pos] ^= 0x10
    return bytes(bad)


@pytest.mark.parametrize("suffix", [".index", ".data-00000-of-00001"])
def test_every_flipped_byte_is_caught(tmp_path, suffix):
    seen = {outcome for _, outcome in _damaged_versions(tmp_path, suffix, _flip)}
    assert seen <= {"loss", "same", "untouched"}, seen
    assert "loss" in seen


@pytest.mark.parametrize("suffix", [".index", ".data-00000-of-00001"])
def test_every_truncation_is_caught(tmp_path, suffix):
    for size, outcome in _damaged_versions(tmp_path, suffix, lambda good, k: good[:k]):
        assert outcome == "loss", size


class _Killed(BaseException):
    pass


def test_interrupted_saves_never_leave_a_bad_latest(tmp_path, monkeypatch):
    """Kill a CheckpointManager save after each file operation (temp files left, as a real
    kill leaves them): the latest checkpoint always restores the old or the new values."""
    directory = str(tmp_path)
    m = _one(tapejax)
    ckpt = tapejax.train.Checkpoint(model=m)
    manager = tapejax.train.CheckpointManager(ckpt, directory, max_to_keep=2)
    for step in range(3):
        m.w.assign(np.full(3, step, np.float32))
        manager.save()
    budget = {"n": 0}
    real = {"replace": os.replace, "remove": os.remove, "fsync": os.fsync}

    def counted(name):
        def op(*args, **kwargs):
            if budget["n"] <= 0:
                raise _Killed
            budget["n"] -= 1
            return real[name](*args, **kwargs)
        return op
    writes = _bundle.BundleWriter._write

    def counted_write(self, chunk):
        if budget["n"] <= 0:
            raise _Killed
        budget["n"] -= 1
        return writes(self, chunk)
    # a kill leaves the temporary files behind: abort only closes the handle
    monkeypatch.setattr(_bundle.BundleWriter, "abort", lambda self: self._data.close())
    monkeypatch.setattr(_bundle.BundleWriter, "_write", counted_write)
    for name in real:
        monkeypatch.setattr(os, name, counted(name))
    finished = False
    for n in range(200):
        m.w.assign(np.full(3, 10 + n, np.float32))
        budget["n"] = n
        try:
            tapejax.train.CheckpointManager(ckpt, directory, max_to_keep=2).save()
            finished = True
        except _Killed:
            pass
        budget["n"] = 10**9
        latest = tapejax.train.latest_checkpoint(directory)
        probe = _one(tapejax)
        tapejax.train.Checkpoint(model=probe).restore(latest).assert_consumed()
        value = probe.w.numpy()
        assert value[0] in (2, 10 + n) or value[0] >= 10, value
        for path in tapejax.train.CheckpointManager(ckpt, directory, 2).checkpoints:
            if _state.checkpoint_exists(path):
                tapejax.train.Checkpoint(model=_one(tapejax)).restore(path).assert_consumed()
        if finished:
            break
    assert finished and value[0] == 10 + n


# --- CheckpointManager, as TF -------------------------------------------------------------
def _manager_run(lib, directory):
    ckpt = lib.train.Checkpoint(v=lib.Variable(1.0))
    ckpt.save(os.path.join(directory, "ck"))
    log = []
    manager = lib.train.CheckpointManager(ckpt, directory, max_to_keep=2, checkpoint_name="c")
    for _ in range(3):
        log.append((manager.save(), list(manager.checkpoints), manager.latest_checkpoint))
    log.append(manager.save(checkpoint_number=10))
    step = lib.Variable(0)
    again = lib.train.CheckpointManager(ckpt, directory, max_to_keep=2, checkpoint_name="c",
                                        checkpoint_interval=5, step_counter=step)
    log.append(list(again.checkpoints))
    log.append(again.save())
    log.append(again.save())
    step.assign(7)
    log.append(again.save())
    log.append(lib.train.latest_checkpoint(directory))
    log.append(sorted(os.listdir(directory)))
    state = lib.train.get_checkpoint_state(directory)
    log.append((state.model_checkpoint_path, list(state.all_model_checkpoint_paths),
                len(state.all_model_checkpoint_timestamps)))
    return log


def test_manager_as_tf(real_tf, tmp_path):
    ours = _manager_run(tapejax, str(tmp_path / "a"))
    theirs = _manager_run(real_tf, str(tmp_path / "b"))
    assert repr(ours).replace(str(tmp_path / "a"), "D") == \
        repr(theirs).replace(str(tmp_path / "b"), "D")


def test_manager_keep_every_n_hours_and_restore_or_initialize(tmp_path, monkeypatch):
    import time
    clock = {"t": 1000.0}
    monkeypatch.setattr(time, "time", lambda: clock["t"])
    v = tapejax.Variable(0.0)
    ckpt = tapejax.train.Checkpoint(v=v)
    calls = []
    manager = tapejax.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=1,
                                              keep_checkpoint_every_n_hours=1,
                                              init_fn=lambda: calls.append(1))
    assert manager.restore_or_initialize() is None and calls == [1]
    for _ in range(5):
        clock["t"] += 1800  # half an hour per save
        v.assign_add(1.0)
        manager.save()
    names = sorted(n for n in os.listdir(tmp_path) if n.endswith(".index"))
    assert names == ["ckpt-2.index", "ckpt-4.index", "ckpt-5.index"]
    v.assign(0.0)
    assert manager.restore_or_initialize().endswith("ckpt-5") and v.numpy() == 5.0
    with pytest.raises(ValueError, match="Expected a positive integer or `None` for "
                                         "`max_to_keep`, got 0."):
        tapejax.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=0)


def test_mirrored_variable_saves_one_copy(tmp_path):
    strategy = tapejax.distribute.MirroredStrategy()
    with strategy.scope():
        m = _one(tapejax)
    m.w.assign(np.arange(3, dtype=np.float32))
    path = tapejax.train.Checkpoint(model=m).write(str(tmp_path / "ckpt"))
    assert tapejax.train.list_variables(path)[1] == ("model/w/.ATTRIBUTES/VARIABLE_VALUE", [3])
    with strategy.scope():
        m2 = _one(tapejax)
    tapejax.train.Checkpoint(model=m2).read(path).assert_consumed()
    np.testing.assert_array_equal(m2.w.numpy(), np.arange(3, dtype=np.float32))
    assert type(m2.w).__name__ == "MirroredVariable"


_REPLICAS_PROGRAM = """
import sys, numpy as np, tapejax
strategy = tapejax.distribute.MirroredStrategy()
with strategy.scope():
    m = tapejax.Module()
    m.w = tapejax.Variable(np.zeros(3, np.float32))
tapejax.train.Checkpoint(model=m).read(sys.argv[1]).assert_consumed()
copies = [np.asarray(s.data) for s in m.w._stored._value.addressable_shards]
assert strategy.num_replicas_in_sync == 4 and len(copies) == 4, len(copies)
assert all(np.array_equal(c, np.arange(3)) for c in copies), copies
m.w.assign_add(np.ones(3, np.float32))
tapejax.train.Checkpoint(model=m).write(sys.argv[2])
"""


def test_mirrored_variable_restores_into_four_replicas(tmp_path):
    """Written with one device, restored into four replicas (each copy gets the value) in a
    process with four CPU devices, whose save again holds one copy."""
    import subprocess
    import sys
    m = _one(tapejax)
    m.w.assign(np.arange(3, dtype=np.float32))
    src = tapejax.train.Checkpoint(model=m).write(str(tmp_path / "one"))
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", _REPLICAS_PROGRAM, src, str(tmp_path / "four")],
                   env=env, check=True, timeout=300)
    back = _one(tapejax)
    tapejax.train.Checkpoint(model=back).read(str(tmp_path / "four")).assert_consumed()
    np.testing.assert_array_equal(back.w.numpy(), np.arange(3, dtype=np.float32) + 1)


def test_variable_set_after_restore_is_restored(tmp_path):
    """As TF: a Variable assigned to a Module after ``restore`` takes the checkpoint's value;
    a wrong shape raises at that assignment."""
    path = _small_checkpoint(tmp_path)
    late = tapejax.Module()
    status = tapejax.train.Checkpoint(model=late).read(path)
    status.assert_existing_objects_matched()
    late.w = tapejax.Variable(np.zeros(3, np.float32))
    np.testing.assert_array_equal(late.w.numpy(), np.arange(3, dtype=np.float32))
    status.assert_consumed()
    wrong = tapejax.Module()
    tapejax.train.Checkpoint(model=wrong).read(path).expect_partial()
    with pytest.raises(ValueError, match="Received incompatible tensor with shape"):
        wrong.w = tapejax.Variable(np.zeros(2, np.float32))
    wrong.other = tapejax.Variable(1.0)  # reported once, not at every later assignment


def test_restore_unpickles_nothing(tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("a checkpoint was unpickled")
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(np, "load", refuse)
    assert _restore_outcome(_small_checkpoint(tmp_path)) == "same"


def test_benchmark_smoke(tmp_path):
    from benchmarks import bench_checkpoint
    result = bench_checkpoint._run("tapejax", 1, 2, str(tmp_path))
    assert result["save_mib_s"] > 0 and result["restore_mib_s"] > 0


def test_data_iterator_refused_where_tf_saves_its_position(real_tf, tmp_path):
    """TF checkpoints an iterator's position (``ITERATOR_STATE``, a serialized dataset graph);
    tapejax cannot, and says so instead of silently leaving it out."""
    ds = real_tf.data.Dataset.range(10).batch(2)
    it = iter(ds)
    next(it)
    path = real_tf.train.Checkpoint(iterator=it).save(str(tmp_path / "tf" / "ckpt"))
    assert "iterator/.ATTRIBUTES/ITERATOR_STATE" in dict(real_tf.train.list_variables(path))
    next(it)
    real_tf.train.Checkpoint(iterator=it).restore(path)
    assert next(it).numpy().tolist() == [2, 3]

    it = iter(tapejax.data.Dataset.range(10).batch(2))
    with pytest.raises(NotImplementedError, match="cannot checkpoint a tf.data iterator"):
        tapejax.train.Checkpoint(iterator=it)
    ckpt = tapejax.train.Checkpoint()
    with pytest.raises(NotImplementedError, match="ITERATOR_STATE"):
        ckpt.iterator = it
    module = tapejax.Module()
    module.v = tapejax.Variable(1.0)
    module.it = it
    with pytest.raises(NotImplementedError, match="Dataset.skip"):
        tapejax.train.Checkpoint(model=module).write(str(tmp_path / "ours"))
    assert not os.path.exists(str(tmp_path / "ours.index"))
    # A TF checkpoint holding an iterator restores the rest into tapejax objects.
    ckpt = tapejax.train.Checkpoint()
    ckpt.restore(path).expect_partial()
    assert int(ckpt.save_counter.numpy()) == 1
