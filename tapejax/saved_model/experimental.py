"""``tf.saved_model.experimental``: ``TrackableResource``, the base class of TF's resources
(lookup tables, …), which Keras's export looks for among a model's dependencies."""
from .._trackable import Trackable


class TrackableResource(Trackable):
    """TF's base class of objects owning a resource handle. tapejax has no resource handles:
    a subclass can be made and tracked, and its handle raises ``NotImplementedError``."""

    def __init__(self, device=""):
        self._resource_device = device

    @property
    def resource_handle(self):
        raise NotImplementedError("tapejax has no TF resource handles "
                                  "(tf.saved_model.experimental.TrackableResource).")
