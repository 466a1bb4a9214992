"""``tf.__internal__.tracking``: Trackable objects and automatic dependency tracking."""
from .._autotrackable import (  # noqa: F401
    AutoTrackable as AutoTrackable,
    NoDependency as NoDependency,
    TrackableDataStructure as TrackableDataStructure,
    no_automatic_dependency_tracking as no_automatic_dependency_tracking,
    sticky_attribute_assignment as sticky_attribute_assignment,
    wrap_or_unwrap as wrap,
)
from .._trackable import (
    Trackable as Trackable,
    TrackableReference as TrackableReference,
)
