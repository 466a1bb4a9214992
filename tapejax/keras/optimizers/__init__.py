"""``tf.keras.optimizers``: Keras 3 optimizers on optax, their state in tapejax Variables."""
from . import schedules as schedules
from ._optimizer import (
    SGD as SGD,
    Adadelta as Adadelta,
    Adagrad as Adagrad,
    Adam as Adam,
    AdamW as AdamW,
    Nadam as Nadam,
    Optimizer as Optimizer,
    RMSprop as RMSprop,
)
