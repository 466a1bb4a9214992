"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.data.TFRecordDataset`` and
``tf.compat.v1.io.tf_record_iterator`` against TF 2.21, files crossing both ways."""
import re
import subprocess
import sys
import textwrap

import pytest

import tapejax
from tapejax._tf_compat import v1 as tapejax_v1

RECORDS = [b"hello", "wörld", b"", bytes(range(256)) * 40]


def _expected():
    return [r.encode() if isinstance(r, str) else r for r in RECORDS]


def _write(lib, path, compression):
    with lib.io.TFRecordWriter(str(path), compression) as writer:
        for record in RECORDS:
            writer.write(record)


def _iterate(lib, path, compression=None):
    iterator = (tapejax_v1 if lib is tapejax else lib.compat.v1).io.tf_record_iterator
    return list(iterator(str(path), compression))


def _dataset(lib, paths, **kwargs):
    return [x.numpy() for x in lib.data.TFRecordDataset(paths, **kwargs)]


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_files_cross_both_ways(real_tf, tmp_path, compression):
    for writer, reader in ((tapejax, real_tf), (real_tf, tapejax)):
        path = tmp_path / f"{writer.__name__}.tfrecord"
        _write(writer, path, compression)
        assert _iterate(reader, path, compression) == _expected()
        assert _dataset(reader, str(path), compression_type=compression) == _expected()
        assert reader.data.TFRecordDataset(str(path)).element_spec == \
            reader.TensorSpec([], reader.string)


@pytest.mark.parametrize("reads", [None, 1, 2, 3, -1])
def test_several_files_in_tensorflows_order(real_tf, tmp_path, reads):
    paths = []
    for k, n in enumerate((3, 1, 4, 2)):
        paths.append(str(tmp_path / f"f{k}.tfrecord"))
        with real_tf.io.TFRecordWriter(paths[-1]) as writer:
            for i in range(n):
                writer.write(f"{k}-{i}")
    for make in (lambda lib: paths, lambda lib: lib.constant(paths),
                 lambda lib: lib.data.Dataset.from_tensor_slices(paths)):
        assert _dataset(tapejax, make(tapejax), num_parallel_reads=reads) == \
            _dataset(real_tf, make(real_tf), num_parallel_reads=reads)


def _damaged(tmp_path):
    path = tmp_path / "good.tfrecord"
    _write(tapejax, path, "")
    data = path.read_bytes()
    files = {"truncated": data[:-3], "data_crc": data[:14] + b"X" + data[15:],
             "header_crc": data[:2] + b"X" + data[3:]}
    for name, content in files.items():
        (tmp_path / f"{name}.tfrecord").write_bytes(content)
    return [str(tmp_path / f"{name}.tfrecord") for name in list(files) + ["missing"]]


def _error(call):
    try:
        call()
    except Exception as error:  # the class and the message's TF part are compared
        message = re.sub(r"\{\{function_node [^}]*\}\} ", "", str(error)).strip()
        return type(error).__name__, message
    return None


@pytest.mark.parametrize("case", range(4))
def test_damaged_files_raise_tensorflows_errors(real_tf, tmp_path, case):
    path = _damaged(tmp_path)[case]
    for read in (_iterate, lambda lib, p: _dataset(lib, p)):
        ours, theirs = (_error(lambda lib=lib: read(lib, path)) for lib in (tapejax, real_tf))
        assert ours == theirs and theirs is not None


@pytest.mark.parametrize("call", [
    lambda lib, p: lib.io.TFRecordWriter(p, "gzip"),
    lambda lib, p: _dataset(lib, p, compression_type="GZIP"),
    lambda lib, p: _dataset(lib, p, compression_type="ZLIB"),
    lambda lib, p: _dataset(lib, p, num_parallel_reads=0),
    lambda lib, p: _dataset(lib, 3),
    lambda lib, p: _dataset(lib, p, compression_type="FOO"),  # TF logs and reads it plain
])
def test_bad_arguments_as_tensorflow(real_tf, tmp_path, call):
    path = str(tmp_path / "plain.tfrecord")
    _write(tapejax, path, "")
    assert _error(lambda: call(tapejax, path)) == _error(lambda: call(real_tf, path))


def test_closed_writer_and_a_growing_file(real_tf, tmp_path):
    """A closed writer raises TF's error; an iterator over a file still being written yields
    the new records on later calls (TensorBoard's event reader relies on it)."""
    def program(lib):
        path = str(tmp_path / f"grow_{lib.__name__}.tfrecord")
        writer = lib.io.TFRecordWriter(path)
        writer.write(b"one")
        writer.flush()
        iterator = iter(_iterate_lazily(lib, path))
        seen = [next(iterator), next(iterator, "end")]
        writer.write(b"two")
        writer.close()
        seen.append(next(iterator))
        return seen, _error(lambda: writer.write(b"three"))
    assert program(tapejax) == program(real_tf)


def _iterate_lazily(lib, path):
    return (tapejax_v1 if lib is tapejax else lib.compat.v1).io.tf_record_iterator(path)


def test_tensorboard_reads_event_files_under_the_redirect(tmp_path):
    """With ``tensorflow`` being tapejax, TensorBoard's own event reader reads the records
    through ``tf.compat.v1.io.tf_record_iterator``."""
    program = tmp_path / "read_events.py"
    program.write_text(textwrap.dedent(f"""
        import os
        import tensorflow as tf
        from tensorboard.backend.event_processing import event_file_loader
        from tensorboard.util import tensor_util
        writer = tf.summary.create_file_writer({str(tmp_path / "logs")!r})
        with writer.as_default():
            for step in range(3):
                tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
        writer.flush()
        logs = {str(tmp_path / "logs")!r}
        path = os.path.join(logs, os.listdir(logs)[0])
        events = list(event_file_loader.EventFileLoader(path).Load())
        print(tf.__name__, [(e.step, v.tag, round(float(tensor_util.make_ndarray(v.tensor)), 4))
                            for e in events for v in e.summary.value])
    """))
    result = subprocess.run([sys.executable, "-m", "tapejax", "run", str(program)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == \
        "tensorflow [(0, 'loss', 1.0), (1, 'loss', 0.5), (2, 'loss', 0.3333)]"
