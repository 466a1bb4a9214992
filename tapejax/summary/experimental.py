"""``tf.summary.experimental``: the default step, summary scopes and raw summaries."""
from ._ops import (
    get_step as get_step,
    set_step as set_step,
    summary_scope as summary_scope,
    write_raw_pb as write_raw_pb,
)
