"""``tf.keras``: what custom training loops use (layers, models, losses, metrics, optimizers,
initializers). No ``model.fit``: write the loop with ``GradientTape``."""
from . import activations as activations, initializers as initializers  # noqa: F401
from . import layers as layers, losses as losses, metrics as metrics  # noqa: F401
from . import optimizers as optimizers  # noqa: F401
from .models import Model as Model, Sequential as Sequential  # noqa: F401
