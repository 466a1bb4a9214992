"""``tf.data.experimental``: cardinality constants and function, option policies."""
from ._dataset import AUTOTUNE as AUTOTUNE, INFINITE as _INFINITE, UNKNOWN as _UNKNOWN
from ._optional import Optional as Optional
from ._options import (
    AutoShardPolicy as AutoShardPolicy,
    ExternalStatePolicy as ExternalStatePolicy,
)

INFINITE_CARDINALITY = _INFINITE
UNKNOWN_CARDINALITY = _UNKNOWN


def cardinality(dataset):
    """``dataset.cardinality()`` (TF's function form)."""
    return dataset.cardinality()
