"""tf.profiler.experimental on JAX's profiler: the trace files, TF's errors and options."""
import glob
import gzip
import json
import os

import tapejax
from tf_oracle import same_error


def _profiles(logdir):
    return glob.glob(os.path.join(str(logdir), "plugins", "profile", "*", "*.xplane.pb"))


def test_profile_writes_a_trace_with_the_annotations(tmp_path):
    tf = tapejax
    step = tf.function(lambda x: x * 2.0 + 1.0)
    with tf.profiler.experimental.Profile(str(tmp_path)):
        for i in range(2):
            with tf.profiler.experimental.Trace("train", step_num=i, _r=1):
                step(tf.constant([1.0, 2.0]))
        with tf.profiler.experimental.Trace("evaluate"):
            step(tf.constant([3.0]))
    (xplane,) = _profiles(tmp_path)
    assert os.path.getsize(xplane) > 0
    (trace,) = glob.glob(os.path.join(os.path.dirname(xplane), "*.trace.json.gz"))
    with gzip.open(trace) as f:
        names = {e.get("name") for e in json.load(f)["traceEvents"]}
    assert {"train", "evaluate"} <= names


def test_errors_match_tf(real_tf, tmp_path):
    same_error(real_tf, lambda tf: tf.profiler.experimental.stop())

    def start_twice(tf):
        tf.profiler.experimental.start(str(tmp_path / tf.__name__))
        try:
            tf.profiler.experimental.start(str(tmp_path / tf.__name__))
        finally:
            tf.profiler.experimental.stop()
    same_error(real_tf, start_twice)


def test_profiler_options_as_tf(real_tf):
    ours = tapejax.profiler.experimental.ProfilerOptions(python_tracer_level=1)
    theirs = real_tf.profiler.experimental.ProfilerOptions(python_tracer_level=1)
    assert tuple(ours) == tuple(theirs) and ours._fields == theirs._fields


def test_summary_trace_on_profiler(tmp_path):
    tf = tapejax
    tf.summary.trace_on(graph=False, profiler=True, profiler_outdir=str(tmp_path))
    tf.constant([1.0]) * 2.0
    with tf.summary.create_file_writer(str(tmp_path / "events")).as_default():
        tf.summary.trace_export("profile", step=0)
    assert len(_profiles(tmp_path)) == 1
