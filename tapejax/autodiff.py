"""``tf.autodiff``: GradientTape and ForwardAccumulator."""
from .forwardprop import ForwardAccumulator as ForwardAccumulator
from .tape import GradientTape as GradientTape
