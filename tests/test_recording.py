"""The tape interface (``_recording.Tape``) and the stack-frame hints of notes."""
import sys

import numpy as np

import tapejax as tf
from tapejax import _capture, _recording
from tapejax._recording import RecordingTape, Tape


def _stand_ins():
    """The four things that stand on the recording stack, as the library makes them."""
    found = {}
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        found["TapeState"] = _recording.STACK.tapes[-1]
        with tape.stop_recording():
            found["paused view"] = _recording.STACK.tapes[-1]
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])):
        found["accumulator"] = _recording.STACK.tapes[-1]
    original = _recording.recording_on

    def spy(tapes):
        found.setdefault("control-flow collector", tapes[0])
        return original(tapes)
    _capture.recording_on = spy
    try:
        tf.function(lambda a: tf.cond(a > 0, lambda: a * x, lambda: a + x))(tf.constant(1.0))
    finally:
        _capture.recording_on = original
    return found


def test_every_stand_in_is_a_tape_and_the_recording_ones_record():
    found = _stand_ins()
    assert set(found) == {"TapeState", "paused view", "accumulator", "control-flow collector"}
    for name, tape in found.items():
        assert isinstance(tape, Tape), name
        assert isinstance(tape, RecordingTape) is (name != "paused view"), name
        assert tape.paused is (name == "paused view"), name


def test_a_note_names_the_users_line():
    """Notes read the caller's frames (``sys._getframe``, ``f_back``, ``f_code.co_filename``,
    ``f_lineno``): this fails if the interpreter stops giving them."""
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        line = sys._getframe().f_lineno + 1
        y = tf.cast(tf.argmax(x), tf.float32)
    assert tape._tape.notes[id(y)].site == f"{__file__}:{line}"
    assert f"{__file__}:{line}" in tf.explain_gradient(tape, y, x)


def test_the_tape_is_a_graph_in_the_one_encoding():
    """A tape's codes: ``r >= 0`` its ``values[r]``, ``r < 0`` its leaf ``-r - 1``."""
    x = tf.constant(np.float32(2.0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x * x
        y = h + x
    state = tape._tape
    assert state.values == [h, y] and state.leaves[0] is x
    assert [entry[2] for entry in state.structure] == [(-1, -1), (0, -1)]
    assert state.producer[id(h)] == 0 and state.leaf_index[id(x)] == -1
