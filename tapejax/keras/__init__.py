"""``tf.keras``: what custom training loops use (layers, models, losses, metrics, optimizers,
initializers). No ``model.fit``: write the loop with ``GradientTape``."""
from . import (
    activations as activations,
    initializers as initializers,
    layers as layers,
    losses as losses,
    metrics as metrics,
    optimizers as optimizers,
)
from .models import Model as Model, Sequential as Sequential
