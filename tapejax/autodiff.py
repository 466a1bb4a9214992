"""``tf.autodiff``: GradientTape and ForwardAccumulator."""
from .forwardprop import ForwardAccumulator as ForwardAccumulator  # noqa: F401
from .tape import GradientTape as GradientTape  # noqa: F401
