"""``tf.nn.experimental``: dropout with a stateless (seeded) or caller-given uniform sampler."""
from .ops.nn_ops import general_dropout as general_dropout, stateless_dropout as stateless_dropout
