"""``tf.experimental``: ``Optional``."""
from .data._optional import Optional as Optional
