"""``tf.summary``: event files for TensorBoard, written without TensorFlow.

Events are TensorBoard's protobufs (the ``tensorboard`` package, which needs no TensorFlow) in
TF's record framing (``tapejax._crc32c.frame``, on ``google_crc32c``), so TensorBoard,
``tf.compat.v1.train.summary_iterator`` and TF's own readers read them. Records carry the
tags, plugin names, dtypes and shapes TF writes.
"""
from . import experimental as experimental
from ._ops import (
    audio as audio,
    histogram as histogram,
    image as image,
    record_if as record_if,
    scalar as scalar,
    should_record_summaries as should_record_summaries,
    text as text,
    write as write,
)
from ._trace import trace_export as trace_export, trace_off as trace_off, trace_on as trace_on
from ._writer import (
    SummaryWriter as SummaryWriter,
    create_file_writer as create_file_writer,
    create_noop_writer as create_noop_writer,
    flush as flush,
)
