"""``tf.data``: input pipelines of host elements (``Dataset``, ``Iterator``, ``Options``)."""
from . import experimental as experimental
from ._dataset import (
    AUTOTUNE as AUTOTUNE,
    INFINITE as _INFINITE,
    UNKNOWN as _UNKNOWN,
    Dataset as Dataset,
)
from ._iterator import Iterator as Iterator
from ._options import Options as Options, ThreadingOptions as ThreadingOptions
from ._readers import TFRecordDataset as TFRecordDataset

INFINITE_CARDINALITY = _INFINITE
UNKNOWN_CARDINALITY = _UNKNOWN
