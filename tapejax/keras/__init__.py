"""``tf.keras``: what custom training loops use (layers, models, losses, metrics, optimizers,
initializers). No ``model.fit``: write the loop with ``GradientTape``."""
from . import optimizers as optimizers  # noqa: F401
