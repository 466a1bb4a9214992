"""``tf.compat``: text/bytes conversion and the ``v1`` names Keras 3 calls, as TF's.

(``tapejax.compat`` is the ``tensorflow`` redirect; the redirect serves ``tensorflow.compat``
from this module.)
"""
from . import _tf_compat_v1 as v1  # noqa: F401


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes`` as is, ``str`` encoded; anything else is TF's ``TypeError``."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """``str`` as is, ``bytes`` decoded; anything else is TF's ``TypeError``."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text
