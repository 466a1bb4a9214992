"""``tf.train``: checkpoints in TensorFlow's format (``Checkpoint``, ``CheckpointManager``,
``latest_checkpoint``, ``load_checkpoint``, …)."""
from ._state import (
    get_checkpoint_state as get_checkpoint_state,
    latest_checkpoint as latest_checkpoint,
)
from ._trackable_view import TrackableView as TrackableView
from .checkpoint import Checkpoint as Checkpoint, CheckpointLoadStatus as CheckpointLoadStatus
from .manager import CheckpointManager as CheckpointManager
from .reader import (
    CheckpointReader as CheckpointReader,
    list_variables as list_variables,
    load_checkpoint as load_checkpoint,
    load_variable as load_variable,
)
