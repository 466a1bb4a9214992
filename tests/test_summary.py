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


def _clear_default_writers():
    from tapejax.summary import _state
    _state.STATE.writer = _state.STATE.step = _state.STATE.condition = None
    tf_summary = sys.modules.get("tensorflow.python.ops.summary_ops_v2")
    if tf_summary is not None:  # TF's thread-local summary state
        tf_summary._summary_state.writer = tf_summary._summary_state.step = None
        tf_summary._summary_state.is_recording = None


@pytest.fixture(autouse=True)
def no_default_writer_left():
    """Each test starts and ends with no default writer, step or condition on this thread, in
    tapejax and, once TF is imported, in TF (a closed writer another test left as TF's default
    would make every TF summary fail, and TF's no-op writer cannot replace it)."""
    _clear_default_writers()
    yield
    _clear_default_writers()


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


def test_eager_tensor_scalars_match_tf(real_tf, tmp_path):
    """The training loop's call: a computed float32 scalar Tensor, at Python int, Variable and
    Tensor steps (tapejax queues these on a short path), next to the calls that leave it."""
    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir, max_queue=2)
        step = tf.Variable(5, dtype=tf.int64)
        loss = tf.constant(0.75) * 2.0
        with writer.as_default():
            results = [tf.summary.scalar("loss", loss, step=1),
                       tf.summary.scalar("loss", loss + 1.0, step=step),
                       tf.summary.scalar("loss", loss - 1.0, step=tf.constant(7, tf.int64))]
            with tf.name_scope("eval"):
                results.append(tf.summary.scalar("loss", loss, step=8, description="held out"))
            tf.summary.experimental.set_step(step)
            step.assign(9)
            results.append(tf.summary.scalar("at_default", tf.constant(-0.5)))
            tf.summary.experimental.set_step(None)
            with tf.summary.record_if(False):
                results.append(tf.summary.scalar("skipped", loss, step=10))
            results.append(tf.summary.scalar("half", tf.constant(1.5, tf.float16), step=11))
            results.append(tf.summary.scalar("bool_step", loss, step=True))
            assert [bool(r) for r in results] == [True] * 5 + [False, True, True]
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert [r[:2] for r in ours] == [(1, "loss"), (5, "loss"), (7, "loss"), (8, "eval/loss"),
                                     (9, "at_default"), (11, "half"), (1, "bool_step")]
    assert_same_records(ours, theirs)


@pytest.mark.parametrize("step", [
    lambda tf: tf.constant(7, tf.int32), lambda tf: tf.constant(2.0), lambda tf: 1.5,
    lambda tf: "3", lambda tf: 2**63, lambda tf: tf.constant([1, 2], tf.int64),
    lambda tf: np.zeros((2, 1), np.int64), lambda tf: tf.Variable(3)])
@pytest.mark.parametrize("writing", [True, False])
def test_bad_steps_raise_as_tf(real_tf, tmp_path, step, writing):
    """TF converts an explicit step to int64 and wants one element, even when nothing is
    written; tapejax once queued such steps and failed at the next flush."""
    def program(tf):
        if not writing:
            return tf.summary.scalar("loss", tf.constant(1.0), step=step(tf))
        with tf.summary.create_file_writer(str(tmp_path / tf.__name__)).as_default():
            return tf.summary.scalar("loss", tf.constant(1.0), step=step(tf))
    same_error(real_tf, program)


def test_steps_tf_converts_are_written_as_tf(real_tf, tmp_path):
    def program(tf, logdir):
        with tf.summary.create_file_writer(logdir).as_default():
            for k, step in enumerate([True, np.float64(2.7), np.uint64(2**63 + 5), [[4]],
                                      np.array([5], np.int32)]):
                tf.summary.scalar(f"s{k}", tf.constant(1.0), step=step)
                tf.summary.histogram(f"h{k}", [1.0, 2.0], step=step)

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert [r[0] for r in ours if r[1].startswith("s")] == [1, 2, -(2**63) + 5, 4, 5]
    assert_same_records(ours, theirs)


def test_summaries_in_function_match_tf(real_tf, tmp_path):
    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir)
        step = tf.Variable(0, dtype=tf.int64)

        @tf.function
        def train(x):
            step.assign_add(1)
            tf.summary.scalar("loss", tf.reduce_sum(x * x), step=step)
            every_second, every_third = step % 2 == 0, step % 3 == 0
            with tf.summary.record_if(every_second):
                tf.summary.histogram("x", x, step=step, buckets=5)
                tf.summary.image("x_image", tf.reshape(x, [1, 2, 2, 1]), step=step)
            with tf.summary.record_if(every_third):  # interleaved tensor conditions
                tf.summary.histogram("b", x * 2.0, step=step, buckets=3)
            with tf.summary.record_if(every_second):
                tf.summary.histogram("c", -x, step=step)
            return x

        with writer.as_default():
            for i in range(7):
                train(tf.constant([0.5, float(i), -1.0, 2.0]))
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert_same_records(ours, theirs)


def test_function_whose_summaries_are_all_fixed_matches_tf(real_tf, tmp_path):
    """Summaries of values known when the function is traced: no program output to read."""
    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir)

        @tf.function
        def f(x):
            tf.summary.write("fixed", np.float32(1.5), step=3)
            return x + 1.0

        with writer.as_default():
            for i in range(3):
                f(tf.constant(float(i)))
        writer.close()

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert len(ours) == 3
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
        tf.summary.scalar("a", 1.0, step=1)
    same_error(real_tf, write_to_closed_default, message=False)
    same_error(real_tf, lambda tf: tf.summary.create_file_writer(str(tmp_path), max_queue=1.5),
               message=False)
    same_error(real_tf, lambda tf: tf.summary.create_file_writer(None))


def test_noop_writer_leaves_the_default_writer_as_tf(real_tf, tmp_path):
    """TF's no-op writer changes nothing when made the default: summaries still go to the
    enclosing or earlier default writer, at its step."""
    results = {}

    def program(tf, logdir):
        writer = tf.summary.create_file_writer(logdir)
        noop = tf.summary.create_noop_writer()
        out = []

        @tf.function
        def traced(x):
            return tf.summary.scalar("traced", x, step=4)
        with writer.as_default(step=3):
            with noop.as_default(step=7) as bound:
                out.append(bound)
                out.append(bool(tf.summary.scalar("inner", 1.0)))  # at step 3, not 7
                out.append(bool(tf.summary.should_record_summaries()))
                out.append(bool(traced(tf.constant(2.0))))
        writer.set_as_default()
        noop.set_as_default(step=9)
        out.append(bool(tf.summary.scalar("after_set", 5.0, step=5)))
        out.append(tf.summary.experimental.get_step())
        writer.flush()
        results[tf.__name__] = out

    ours, theirs = run_both(real_tf, tmp_path, program)
    assert ours == theirs
    assert [(step, tag) for step, tag, *_ in ours] == [(3, "inner"), (4, "traced"),
                                                       (5, "after_set")]
    assert results["tapejax"] == results["tensorflow"] == [None, True, True, True, True, None]


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


def test_eager_events_of_steps_still_running_are_written_a_queue_at_a_time(tmp_path,
                                                                            monkeypatch):
    """A loop runs ahead of its steps: an eager summary's value is often not computed when the
    next one is queued. The writer then writes, as TF, more than ``max_queue`` events at a
    time (it once wrote one event per call, each with a flush, while values were pending)."""
    from tapejax.summary import _writer
    in_flight = 3  # the newest three entries' values are "still being computed"
    entry_ready = _writer._entry_ready
    monkeypatch.setattr(_writer, "_entry_ready", lambda group, values: (
        values[0] < calls[0] - in_flight and entry_ready(group, values)))
    calls, written = [0], []
    writer = tapejax.summary.create_file_writer(str(tmp_path), max_queue=4)
    write = writer._write_records
    monkeypatch.setattr(writer, "_write_records", lambda: (
        written.append(len(writer._records)), write()))
    with writer.as_default():
        for i in range(40):
            calls[0] = i
            tapejax.summary.scalar("loss", tapejax.constant(float(i)), step=i)
        _wait_for(lambda: written)  # the writer thread writes what the loop left to it
        assert all(n > 4 for n in written)
    writer.close()
    assert [e.step for e in events(tmp_path) if e.summary.value] == list(range(40))


def _wait_for(condition, timeout=30.0):
    """Polls ``condition()`` until it is true (the writer thread works in the background)."""
    import time
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _scalar_loop(max_queue, tmp_path):
    """A ``tapejax.function`` step writing two scalars and, every third step, a histogram."""
    tf = tapejax
    writer = tf.summary.create_file_writer(str(tmp_path), max_queue=max_queue)
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def train(x):
        step.assign_add(1)
        loss = tf.reduce_sum(x * x) * tf.cast(step, tf.float32)
        tf.summary.scalar("loss", loss, step=step)
        tf.summary.scalar("half", loss / 2.0, step=step)
        with tf.summary.record_if(step % 3 == 0):
            tf.summary.histogram("x", x * tf.cast(step, tf.float32), step=step, buckets=2)
        return loss
    return writer, train


def test_function_summaries_keep_order_steps_values_and_wall_times(tmp_path):
    """Each run's events, in call order, with the run's step and values, stamped between the
    call's start and end (TF stamps an event when its op runs)."""
    import time
    writer, train = _scalar_loop(4, tmp_path)
    x = tapejax.constant([1.0, 2.0])
    spans = []
    with writer.as_default():
        for _ in range(25):
            start = time.time()
            train(x)
            spans.append((start, time.time()))
    expected = []
    for i in range(1, 26):
        expected += [(i, "loss", 5.0 * i), (i, "half", 2.5 * i)]
        if i % 3 == 0:
            expected.append((i, "x", None))
    got = [(e, v) for e in events(tmp_path) for v in e.summary.value]
    assert [(e.step, v.tag) for e, v in got] == [(i, tag) for i, tag, _ in expected]
    from tensorboard.util import tensor_util
    for (event, value), (i, _, number) in zip(got, expected):
        array = tensor_util.make_ndarray(value.tensor)
        if number is None:
            np.testing.assert_array_equal(array, [[i, 1.5 * i, 1.0], [1.5 * i, 2.0 * i, 1.0]])
        else:
            assert array == np.float32(number)
        start, end = spans[i - 1]
        assert start - 1e-3 <= event.wall_time <= end + 1e-3
    writer.close()


def test_function_summaries_reach_the_file_when_the_queue_is_full(tmp_path):
    """TF writes when more than ``max_queue`` events are queued; after a step, its events are
    written by the writer thread without a flush, and the step's own thread serializes none."""
    import threading as threads

    from tapejax.summary import _writer
    callers = []
    serialize = _writer.RunSummaries.serialize

    def spy(self, *args):
        callers.append(threads.current_thread())
        return serialize(self, *args)
    writer, train = _scalar_loop(3, tmp_path)
    x = tapejax.constant([1.0, 2.0])
    _writer.RunSummaries.serialize = spy
    try:
        with writer.as_default():
            for _ in range(10):
                train(x)
            # TF would have written at the 4th, 8th, 12th, 16th and 20th event (two a step,
            # and the 3rd, 6th and 9th steps' histograms): 20 or more of 23
            _wait_for(lambda: len([e for e in events(tmp_path) if e.summary.value]) >= 20)
            assert callers and threads.main_thread() not in callers
    finally:
        _writer.RunSummaries.serialize = serialize
    steps = [e.step for e in events(tmp_path) if e.summary.value]
    assert steps == sorted(steps) and len(steps) == 23
    writer.close()


def test_eager_values_being_computed_are_left_to_the_writer_thread(tmp_path, monkeypatch):
    """Once the queue is due and its oldest value is not computed, the writer thread waits for
    the values and writes them; the loop's own thread neither serializes them nor looks at the
    queue again on every call (it once did both)."""
    import threading as threads

    from tapejax.summary import _writer
    looked, serialized = [], []
    monkeypatch.setattr(_writer, "_entry_ready", lambda group, values: (
        looked.append(threads.current_thread()), False)[1])
    serialize = _writer.FileWriter._serialize_one
    monkeypatch.setattr(_writer.FileWriter, "_serialize_one", lambda self, *args: (
        serialized.append(threads.current_thread()), serialize(self, *args))[1])
    writer = tapejax.summary.create_file_writer(str(tmp_path), max_queue=4)
    with writer.as_default():
        for i in range(40):
            tapejax.summary.scalar("loss", tapejax.constant(float(i)), step=i)
        _wait_for(lambda: len([e for e in events(tmp_path) if e.summary.value]) >= 30)
        assert serialized and threads.main_thread() not in serialized
        assert looked.count(threads.main_thread()) < 20
    writer.close()
    assert [e.step for e in events(tmp_path) if e.summary.value] == list(range(40))


def test_writer_thread_errors_reach_the_caller(tmp_path):
    from tapejax.summary import _writer
    serialize = _writer.RunSummaries.serialize

    def failing(self, *args):
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("cannot write")
        return serialize(self, *args)
    writer, train = _scalar_loop(0, tmp_path)
    _writer.RunSummaries.serialize = failing
    try:
        with pytest.raises(RuntimeError, match="cannot write"):
            with writer.as_default():
                train(tapejax.constant([1.0]))
                _wait_for(lambda: writer._error is not None)
    finally:
        _writer.RunSummaries.serialize = serialize
    writer.close()


def test_values_reduced_under_one_condition_share_one_conditional(tmp_path):
    """XLA:CPU pays for each conditional on every run: the histograms under one ``record_if``
    are computed in one."""
    step = tapejax.Variable(0, dtype=tapejax.int64)

    @tapejax.function
    def f(x):
        with tapejax.summary.record_if(step % 100 == 0):
            for k in range(4):
                tapejax.summary.histogram(f"h{k}", x * float(k), step=step)
        with tapejax.summary.record_if(step % 7 == 0):
            tapejax.summary.histogram("other", x, step=step)
        return x

    with tapejax.summary.create_file_writer(str(tmp_path)).as_default():
        hlo = f.experimental_get_compiler_ir(tapejax.constant([1.0, 2.0]))(
            stage="optimized_hlo")
    assert hlo.count(" conditional(") == 2


def test_histogram_buckets_equal_tensorboards_bit_for_bit(real_tf):
    """Edges from TF's linspace and counts from TF's bucket division, exactly: values on a
    bucket boundary land in TF's bucket."""
    from tensorboard.plugins.histogram import summary_v2

    from tapejax.summary import _encode
    rng = np.random.default_rng(3)
    for k in range(40):
        data = rng.standard_normal(int(rng.integers(1, 500))) * rng.choice([1.0, 3.0, 1e3])
        data = np.round(data, int(rng.integers(0, 3)))  # many values on bucket edges
        if k % 10 == 9:
            data[rng.integers(0, data.size)] = rng.choice([np.inf, -np.inf, np.nan])
        data = data.astype([np.float64, np.float32, np.float16, np.int32, np.bool_][k % 5])
        buckets = int(rng.integers(1, 40))
        np.testing.assert_array_equal(
            np.asarray(_encode.histogram_buckets(data, buckets)),
            summary_v2._buckets(real_tf.constant(data), buckets).numpy())


def test_one_program_output_for_all_summaries(tmp_path):
    """The summaries of one function leave its program as ONE uint8 output: two float32
    values and the int64 step they share, 16 bytes."""
    step = tapejax.Variable(3, dtype=tapejax.int64)

    @tapejax.function
    def f(x):
        tapejax.summary.scalar("a", x, step=step)
        tapejax.summary.scalar("b", x * 2.0, step=step)
        return x + 1

    import re
    with tapejax.summary.create_file_writer(str(tmp_path)).as_default():
        hlo = jax_program(f, tapejax.constant(1.0)).splitlines()[0]
    assert re.sub(r"\{[^}]*\}", "", hlo.split("->")[1]).strip().startswith("(f32[], u8[16])")


def test_function_writing_to_two_writers(tmp_path):
    """Summaries to two writers, interleaved in one function: each file gets its own, in
    call order."""
    tf = tapejax
    first = tf.summary.create_file_writer(str(tmp_path / "a"))
    second = tf.summary.create_file_writer(str(tmp_path / "b"))

    @tf.function
    def f(x):
        with first.as_default():
            tf.summary.scalar("a1", x, step=1)
        with second.as_default():
            tf.summary.scalar("b1", x * 2.0, step=2)
        with first.as_default():
            tf.summary.scalar("a2", x * 3.0, step=3)
        return x

    for i in range(3):
        f(tf.constant(float(i)))
    first.close()
    second.close()
    assert [r[:2] + (float(r[7]),) for r in records(tmp_path / "a")] == [
        row for i in range(3) for row in ((1, "a1", float(i)), (3, "a2", 3.0 * i))]
    assert [r[:2] + (float(r[7]),) for r in records(tmp_path / "b")] == [
        (2, "b1", 2.0 * i) for i in range(3)]


@pytest.mark.parametrize("max_queue", [0, 1000])
def test_exit_writes_function_summaries(tmp_path, max_queue):
    """At exit, every run's values are written and the process exits cleanly, also while the
    writer thread waits for a step's values (``max_queue=0``: it writes after every step; a
    daemon thread still inside JAX at finalization would abort the process)."""
    script = ("import sys, tapejax as tf\n"
              f"w = tf.summary.create_file_writer(sys.argv[1], max_queue={max_queue})\n"
              "w.set_as_default()\n"
              "step = tf.Variable(0, dtype=tf.int64)\n"
              "m = tf.Variable(tf.ones([300, 300]) / 300.0)\n"
              "@tf.function\n"
              "def train(x):\n"
              "    step.assign_add(1)\n"
              "    y = m\n"
              "    for _ in range(10):\n"
              "        y = tf.matmul(y, m)\n"
              "    tf.summary.scalar('loss', x * tf.cast(step, tf.float32) + 0.0 * y[0, 0],\n"
              "                      step=step)\n"
              "    return x\n"
              "for i in range(40):\n"
              "    train(tf.constant(0.5))\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env,
                          timeout=120, capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    rows = [(step, float(value)) for step, *_, value in records(tmp_path)]
    assert rows == [(i, 0.5 * i) for i in range(1, 41)]


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
    assert all(wall > 0 and cpu > 0 and len(rounds) == 1 for wall, cpu, rounds in times.values())
    assert bench_summary.paired_median([2.0, 3.0, 9.0], [1.0, 1.0, 3.0]) == 3.0
    tags = {r[1] for r in records(tmp_path)}
    assert {"loss", "accuracy", "eager/loss", "eager/accuracy"} <= tags


def test_benchmark_runs_the_same_program_on_tensorflow(real_tf, tmp_path):
    from benchmarks import bench_summary
    times = bench_summary.measure((8, 8, 3), 4, 0, 50, str(tmp_path), real_tf)
    assert sorted(times) == ["bare", "eager", "in function", "no writer"]
    tags = {r[1] for r in records(tmp_path)}
    assert {"loss", "accuracy", "eager/loss", "eager/accuracy"} <= tags


def test_writer_thread_leaves_eager_in_place_updates_on(tmp_path):
    """The writer thread never touches a Variable, so once it runs an eager ``assign_sub``
    still reuses the Variable's buffer (in-place updates are off only while another thread
    that could read the Variable runs)."""
    writer = tapejax.summary.create_file_writer(str(tmp_path), max_queue=1)

    @tapejax.function
    def step(x):
        tapejax.summary.scalar("x", x)
        return x

    with writer.as_default(step=0):
        for _ in range(4):
            step(tapejax.constant(1.0))
    writer.close()
    assert any(t.name == "tapejax.summary writer" and t.is_alive()
               for t in threading.enumerate())
    v = tapejax.Variable(np.ones(1000, np.float32))
    pointer = v._stored._value.unsafe_buffer_pointer()
    v.assign_sub(tapejax.constant(np.ones(1000, np.float32)))
    assert v._stored._value.unsafe_buffer_pointer() == pointer
    np.testing.assert_allclose(v.numpy(), np.zeros(1000))
