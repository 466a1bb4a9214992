"""``tf.train``: checkpoints in TensorFlow's format (``Checkpoint``, ``CheckpointManager``,
``latest_checkpoint``, ``load_checkpoint``, …)."""
from ._state import get_checkpoint_state as get_checkpoint_state
from ._state import latest_checkpoint as latest_checkpoint
from .checkpoint import Checkpoint as Checkpoint
from .checkpoint import CheckpointLoadStatus as CheckpointLoadStatus
from .manager import CheckpointManager as CheckpointManager
from .reader import CheckpointReader as CheckpointReader
from .reader import list_variables as list_variables
from .reader import load_checkpoint as load_checkpoint
from .reader import load_variable as load_variable
