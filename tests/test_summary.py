"""tf.summary: the same programs under tapejax and TensorFlow write the same event records.

Records are read back with TensorBoard's event reader (which checks every record's CRCs) and
compared field by field: step, tag, plugin name and content, description, tensor dtype, shape
and values (decoded pixels for PNGs). Also: writes inside ``tapejax.function``, TF's queueing,
a writer killed with SIGKILL, writers shared by threads, and the real TensorBoard server.
"""
import glob
import io
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import tapejax
from tf_oracle import same_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def no_default_writer_left():
    """Each test starts and ends with no default writer, step or condition on this thread."""
    from tapejax.summary import _state
    yield
    _state.STATE.writer = _state.STATE.step = _state.STATE.condition = None


def events(logdir):
    """Every event of every event file under ``logdir``, as TensorBoard's reader reads them
    (CRCs checked, no conversion of old formats)."""
    from tensorboard.backend.event_processing import event_file_loader
    out = []
    for path in sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))):
        out.extend(event_file_loader.LegacyEventFileLoader(path).Load())
    return out


def records(logdir):
    """Comparable content of the summary events: one tuple per summary value."""
    from tensorboard.util import tensor_util
    rows = []
    for event in events(logdir):
        for value in event.summary.value:
            md = value.metadata
            array = tensor_util.make_ndarray(value.tensor)
            if md.plugin_data.plugin_name == "images":
                array = list(array[:2]) + [_pixels(png) for png in array[2:]]
            rows.append((event.step, value.tag, md.plugin_data.plugin_name,
                         md.plugin_data.content, md.summary_description, value.tensor.dtype,
                         tuple(d.size for d in value.tensor.tensor_shape.dim), array))
    return rows


def _pixels(png):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def assert_same_records(ours, theirs):
    assert len(ours) == len(theirs), ([r[:2] for r in ours], [r[:2] for r in theirs])
    for a, b in zip(ours, theirs):
        assert a[:7] == b[:7], (a[:7], b[:7])
        if a[2] == "images":
            assert a[7][:2] == b[7][:2]
            for x, y in zip(a[7][2:], b[7][2:]):
                np.testing.assert_array_equal(x, y)
        elif a[2] == "histograms":
            np.testing.assert_allclose(a[7], b[7], rtol=1e-12, err_msg=a[1])
        else:
            np.testing.assert_array_equal(a[7], b[7], err_msg=a[1])


def run_both(real_tf, tmp_path, program):
    """Runs ``program(lib, logdir)`` with TF and tapejax; returns both records."""
    out = []
    for lib in (real_tf, tapejax):
        logdir = str(tmp_path / lib.__name__)
        program(lib, logdir)
        out.append(records(logdir))
    return out[1], out[0]


def test_eager_summaries_match_tf(real_tf, tmp_path):
    rng = np.random.RandomState(0)
    weights = rng.normal(size=(50, 7)).astype(np.float32)
    pictures = rng.uniform(-0.2, 1.2, size=(4, 5, 6, 3)).astype(np.float32)
    gray = rng.randint(0, 256, size=(2, 3, 4, 1)).astype(np.uint8)
    ints = rng.randint(-2**31, 2**31 - 1, size=(1, 3, 3, 4)).astype(np.int32)
    clips = rng.uniform(-1.2, 1.2, size=(2, 40, 2)).astype(np.float32)

    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir)
        assert not bool(tf.summary.scalar("before", 1.0, step=0))
        with writer.as_default(step=3):
            assert bool(tf.summary.should_record_summaries())
            assert bool(tf.summary.scalar("loss", 0.25))
            tf.summary.scalar("count", tf.constant(7, tf.int64), step=4,
                              description="an *int* scalar")
            with tf.name_scope("train"):
                tf.summary.scalar("accuracy", np.float64(0.5), step=5)
            tf.summary.histogram("weights", weights, step=6)
            tf.summary.histogram("few", weights[:1, :3], step=6, buckets=4)
            tf.summary.histogram("same", tf.fill([5], 2.0), step=6)
            tf.summary.histogram("empty", tf.zeros([0]), step=6, buckets=3)
            tf.summary.image("pictures", pictures, step=7, max_outputs=2)
            tf.summary.image("gray", gray, step=7)
            tf.summary.image("ints", ints, step=7)
            tf.summary.audio("clips", clips, 8000, step=8)
            tf.summary.text("notes", "**bold** text", step=9)
            tf.summary.text("table", [["a", "bé"], ["c", "d"]], step=9)
            tf.summary.write("raw", tf.constant([1, 2, 3]), step=10)
            with tf.summary.record_if(False):
                assert not bool(tf.summary.scalar("skipped", 1.0))
                assert not bool(tf.summary.should_record_summaries())
            with tf.summary.record_if(lambda: True):
                tf.summary.scalar("called", 2.0)
            tf.summary.experimental.set_step(11)  # as_default(step=...) restores on exit
        assert tf.summary.experimental.get_step() is None
        tf.summary.experimental.set_step(11)
        with writer.as_default():
            tf.summary.scalar("default_step", 3.0)
        tf.summary.experimental.set_step(None)
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert_same_records(ours, theirs)


def test_summaries_in_function_match_tf(real_tf, tmp_path):
    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir)
        step = tf.Variable(0, dtype=tf.int64)

        @tf.function
        def train(x):
            step.assign_add(1)
            tf.summary.scalar("loss", tf.reduce_sum(x * x), step=step)
            with tf.summary.record_if(step % 2 == 0):
                tf.summary.histogram("x", x, step=step, buckets=5)
                tf.summary.image("x_image", tf.reshape(x, [1, 2, 2, 1]), step=step)
            return x

        with writer.as_default():
            for i in range(4):
                train(tf.constant([0.5, float(i), -1.0, 2.0]))
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert_same_records(ours, theirs)


def test_queued_values_survive_donation_and_branches(real_tf, tmp_path):
    """Values queued (not yet written) keep the value they had at the call, though the
    function donates the Variable's buffers; a summary in a ``tf.cond`` branch works."""
    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir, max_queue=100)
        v = tf.Variable([1.0, 2.0])

        @tf.function
        def step(i):
            v.assign(v * 2.0)
            tf.summary.histogram("v_in", v, step=i, buckets=2)
            tf.summary.write("v_raw", v, step=i)
            return tf.cond(v[0] > 3.0, lambda: tf.summary.scalar("branch", v[1], step=i),
                           lambda: tf.constant(False))

        with writer.as_default():
            tf.summary.histogram("v_eager", v, step=0, buckets=2)
            tf.summary.write("v_eager_raw", v, step=0)
            for i in range(1, 4):
                step(tf.constant(i, tf.int64))
            tf.summary.write("v_last", v.read_value(), step=4)
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    # TF's graph-mode cond opens a name scope "cond" (tapejax's tf.cond names nothing)
    theirs = [(r[0], r[1].replace("cond/", "")) + r[2:] for r in theirs]
    # a branch's summary reaches the writer during the run, the others after it
    by_step = lambda row: row[:2]  # noqa: E731
    assert_same_records(sorted(ours, key=by_step), sorted(theirs, key=by_step))


@pytest.mark.parametrize("size", [0, 1, 100, 70_000])
def test_records_framed_as_tensorboards_writer(size):
    """``_crc32c.frame`` writes the bytes TensorBoard's own (pure-Python) RecordWriter writes."""
    from tensorboard.summary.writer.record_writer import RecordWriter

    from tapejax import _crc32c
    data = np.random.default_rng(size).bytes(size)
    out = io.BytesIO()
    RecordWriter(out).write(data)
    assert _crc32c.frame(data) == out.getvalue()


def test_first_record_and_file_name(tmp_path):
    writer = tapejax.summary.create_file_writer(str(tmp_path), filename_suffix=".run")
    writer.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    assert path.endswith(".run")
    (first,) = events(tmp_path)
    assert first.file_version == "brain.Event:2"


@pytest.mark.parametrize("max_queue", [0, 2, 3])
def test_queue_flushes_as_tf(real_tf, tmp_path, max_queue):
    seen = {}
    for tf in (real_tf, tapejax):
        logdir = str(tmp_path / f"{tf.__name__}{max_queue}")
        writer = tf.summary.create_file_writer(logdir, max_queue=max_queue)
        counts = []
        with writer.as_default():
            for i in range(5):
                tf.summary.scalar("a", float(i), step=i)
                counts.append(len(events(logdir)))
        seen[tf.__name__] = counts
        writer.close()
    assert seen["tapejax"] == seen["tensorflow"]


@pytest.mark.parametrize("program", [
    lambda tf: tf.summary.scalar("a", 1.0),
    lambda tf: tf.summary.scalar("a", [1.0, 2.0], step=1),
    lambda tf: tf.summary.scalar("a", "text", step=1),
    lambda tf: tf.summary.histogram("a", "text", step=1),
    lambda tf: tf.summary.image("a", np.zeros((3, 4, 3), np.float32), step=1),
    lambda tf: tf.summary.text("a", 3.0, step=1),
    lambda tf: tf.summary.audio("a", np.zeros((1, 4, 1), np.float32), 8000, step=1,
                                encoding="mp3"),
])
def test_errors_match_tf(real_tf, tmp_path, program):
    def under_writer(tf):
        with tf.summary.create_file_writer(str(tmp_path / tf.__name__)).as_default():
            program(tf)
    same_error(real_tf, under_writer)


def test_closed_writer_and_bad_arguments(real_tf, tmp_path):
    def write_after_close(tf):
        writer = tf.summary.create_file_writer(str(tmp_path / tf.__name__))
        writer.close()
        with writer.as_default():
            tf.summary.scalar("a", 1.0, step=1)
    same_error(real_tf, write_after_close, message=False)

    def write_to_closed_default(tf):
        writer = tf.summary.create_file_writer(str(tmp_path / tf.__name__))
        writer.set_as_default()
        writer.close()
        try:
            tf.summary.scalar("a", 1.0, step=1)
        finally:
            tf.summary.create_noop_writer().set_as_default()
    same_error(real_tf, write_to_closed_default, message=False)
    same_error(real_tf, lambda tf: tf.summary.create_file_writer(str(tmp_path), max_queue=1.5),
               message=False)
    same_error(real_tf, lambda tf: tf.summary.create_file_writer(None))


def test_no_writer_adds_nothing_to_a_function(tmp_path):
    @tapejax.function
    def f(x):
        tapejax.summary.scalar("a", x, step=1)
        return x + 1

    assert program_outputs(f) == "f32[]"
    with tapejax.summary.create_noop_writer().as_default():
        assert not bool(tapejax.summary.scalar("a", 1.0))  # no step needed: nothing written
        assert program_outputs(tapejax.function(f.python_function)) == "f32[]"
    with tapejax.summary.create_file_writer(str(tmp_path)).as_default():
        # the float32 value leaves the program as one extra output (its 4 bytes; the
        # Python step is static), not through a host callback inside it
        assert program_outputs(tapejax.function(f.python_function)).startswith("(f32[], u8[4]")


def program_outputs(fn):
    hlo = jax_program(fn, tapejax.constant(1.0))
    assert "callback" not in hlo
    return hlo.splitlines()[0].split("->")[1].split("}")[0]


def jax_program(fn, *args):
    return fn.experimental_get_compiler_ir(*args)(stage="hlo")


def test_trace_export_matches_tf(real_tf, tmp_path):
    from tensorboard.compat.proto import config_pb2
    graphs = {}
    for tf in (real_tf, tapejax):
        logdir = str(tmp_path / tf.__name__)
        writer = tf.summary.create_file_writer(logdir)

        @tf.function
        def f(x):
            return x * 2.0 + 1.0
        tf.summary.trace_on(graph=True)
        f(tf.constant([1.0, 2.0]))
        with writer.as_default():
            tf.summary.trace_export("my_trace", step=0)
        writer.close()
        (row,) = records(logdir)
        assert row[:7] == (0, "my_trace", "graph_run_metadata_graph", b"1", "", 7, ())
        run = config_pb2.RunMetadata.FromString(row[7].item())
        graphs[tf.__name__] = [[n.op for n in g.pre_optimization_graph.node]
                               for g in run.function_graphs]
    ops = [op for g in graphs["tapejax"] for op in g]
    assert {"_Arg", "multiply", "add", "_Retval"} <= set(ops), graphs
    assert {"_Arg", "Mul", "AddV2", "_Retval"} <= {op for g in graphs["tensorflow"] for op in g}


def test_sigkill_keeps_flushed_events(tmp_path):
    script = (
        "import sys, time, tapejax as tf\n"
        "w = tf.summary.create_file_writer(sys.argv[1], max_queue=1000)\n"
        "with w.as_default():\n"
        "    for i in range(50):\n"
        "        tf.summary.scalar('loss', float(i), step=i)\n"
        "    w.flush()\n"
        "    for i in range(50, 60):\n"
        "        tf.summary.scalar('loss', float(i), step=i)\n"
        "    print('flushed', flush=True)\n"
        "    time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                            stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"flushed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    steps = [e.step for e in events(tmp_path) if e.summary.value]
    assert steps == list(range(50))


def test_exit_closes_open_writers(tmp_path):
    script = ("import sys, tapejax as tf\n"
              "tf.summary.create_file_writer(sys.argv[1], max_queue=1000).set_as_default()\n"
              "for i in range(5):\n"
              "    tf.summary.scalar('loss', float(i), step=i)\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, check=True,
                   timeout=120)
    assert [e.step for e in events(tmp_path) if e.summary.value] == list(range(5))


def test_threads_write_whole_records(tmp_path):
    writer = tapejax.summary.create_file_writer(str(tmp_path), max_queue=3)

    def work(k):
        with writer.as_default():
            for i in range(100):
                tapejax.summary.scalar(f"thread_{k}", float(i), step=i)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    seen = {}
    for step, tag, *_, value in records(tmp_path):
        seen.setdefault(tag, []).append((step, float(value)))
    assert sorted(seen) == [f"thread_{k}" for k in range(6)]
    for rows in seen.values():
        assert rows == [(i, float(i)) for i in range(100)]


def test_default_writer_is_per_thread(tmp_path):
    writer = tapejax.summary.create_file_writer(str(tmp_path))
    result = []
    with writer.as_default(step=1):
        thread = threading.Thread(
            target=lambda: result.append(bool(tapejax.summary.scalar("a", 1.0, step=1))))
        thread.start()
        thread.join()
        assert bool(tapejax.summary.scalar("a", 1.0))
    assert result == [False]


def test_tensorboard_server_serves_the_scalars(tmp_path):
    import time

    from tools.tensorboard_server import get_json, serve
    tf = tapejax
    writer = tf.summary.create_file_writer(str(tmp_path / "train"))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def train(x):
        step.assign_add(1)
        tf.summary.scalar("loss", x * x, step=step)
        return x

    with writer.as_default():
        for i in range(5):
            train(tf.constant(float(i)))
    with serve(tmp_path) as url:
        deadline = time.monotonic() + 15
        points = []
        while len(points) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)  # the server loads event files in the background
            try:
                points = get_json(url + "/data/plugin/scalars/scalars?run=train&tag=loss")
            except OSError:  # the run or tag is not loaded yet
                pass
        assert [(s, v) for _, s, v in points] == [(i + 1, float(i * i)) for i in range(5)]
        assert "loss" in get_json(url + "/data/plugin/scalars/tags")["train"]



def test_benchmark_runs(tmp_path):
    from benchmarks import bench_summary
    times = bench_summary.measure((8, 8, 3), 4, 0, 50, str(tmp_path))
    assert sorted(times) == ["bare", "eager", "in function", "no writer"]
    assert all(t > 0 for t in times.values())
    tags = {r[1] for r in records(tmp_path)}
    assert {"loss", "accuracy", "eager/loss", "eager/accuracy"} <= tags
