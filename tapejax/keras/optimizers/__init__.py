"""``tf.keras.optimizers``: Keras 3 optimizers on optax, their state in tapejax Variables."""
from . import schedules as schedules  # noqa: F401
from ._optimizer import (  # noqa: F401
    SGD as SGD, Adadelta as Adadelta, Adagrad as Adagrad, Adam as Adam, AdamW as AdamW,
    Nadam as Nadam, Optimizer as Optimizer, RMSprop as RMSprop,
)
