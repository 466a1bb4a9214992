"""``tf.distribute.experimental``: the names TF code commonly uses from it."""
from ._input import ValueContext as ValueContext
from ._multi_worker import (
    CommunicationImplementation as CommunicationImplementation,
    CommunicationOptions as CommunicationOptions,
    MultiWorkerMirroredStrategy as MultiWorkerMirroredStrategy,
)

CollectiveCommunication = CommunicationImplementation
