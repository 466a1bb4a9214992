"""``tf.distribute.experimental``: the names TF code commonly uses from it."""
from ._input import ValueContext as ValueContext  # noqa: F401
from ._multi_worker import (  # noqa: F401
    CommunicationImplementation as CommunicationImplementation,
    CommunicationOptions as CommunicationOptions,
    MultiWorkerMirroredStrategy as MultiWorkerMirroredStrategy,
)

CollectiveCommunication = CommunicationImplementation
