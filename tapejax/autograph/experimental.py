"""``tf.autograph.experimental``: ``do_not_convert``, ``set_loop_options``, ``Feature``.

A module (not a class) because the converter recognizes ``set_loop_options`` by resolving the
call's dotted name through modules.
"""
from malt.core.converter import Feature as Feature
from malt.impl.api import do_not_convert as do_not_convert
from malt.lang.directives import set_loop_options as set_loop_options
