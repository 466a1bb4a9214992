"""``tf.keras.optimizers``: Keras 3's optimizers, their update rules written as optax transforms.

The optimizer's state lives in tapejax Variables (``iterations``, ``learning_rate`` and one slot
Variable per model variable and slot kind, named and ordered as Keras's), so an optimizer works
the same eagerly and inside ``tapejax.function``: there, the slots are created on the first
call only, and each ``apply_gradients`` is part of the one compiled step. The arithmetic of a
step (clipping, weight decay, the rule) is one ``jax.jit`` function over arrays.
"""
import warnings

import numpy as np

from ... import _tracking, dtypes
from ...module import camel_to_snake
from ...tensor import Tensor, TensorLike, convert_to_tensor
from ...variables import Variable
from . import _rules
from .schedules import LearningRateSchedule

_NAME_COUNTS = {}


def _auto_name(prefix):
    count = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _array(x):
    if type(x) is Tensor:
        return x._value
    if isinstance(x, TensorLike):
        return x._tensor._value
    if type(x).__name__ == "IndexedSlices":  # its dense tensor, as Keras's update reads it
        return convert_to_tensor(x)._value
    return np.asarray(x, np.float32)


class Optimizer:
    """Base class of Keras 3 optimizers (``tf.keras.optimizers.Optimizer``).

    Subclasses give ``_make_rule()`` (an optax transformation from ``_rules``). Arguments are
    Keras's; ``use_ema`` and ``gradient_accumulation_steps`` are not supported.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=1)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if use_ema or gradient_accumulation_steps:
            raise NotImplementedError("tapejax optimizers do not support `use_ema` or "
                                      "`gradient_accumulation_steps` yet.")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}")
        self.name = name if name is not None else _auto_name(camel_to_snake(
            type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._iterations = Variable(np.int64(0), trainable=False, name="iteration")
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        elif isinstance(learning_rate, float):
            self._learning_rate = Variable(np.float32(learning_rate), trainable=False,
                                           name="learning_rate")
        else:
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration "
                "value and returns the corresponding learning rate value). Received instead: "
                f"learning_rate={learning_rate}")
        self._exclude_ids, self._exclude_names = set(), None
        self._trainable_variables = []
        self._index = {}  # id(model variable) -> index
        self._slot_groups = []  # [[slot names created together, interleaved per variable]]
        self._slots = {}  # slot name -> [Variable per model variable]
        self._extra = {}  # scalar state name -> Variable
        self._step = None

    # --- Keras's properties -----------------------------------------------------------------
    @property
    def iterations(self):
        """The step counter (int64 Variable), advanced by each ``apply_gradients``."""
        return self._iterations

    @property
    def learning_rate(self):
        """The learning rate Variable, or the schedule's value at ``iterations``."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._learning_rate = value
        elif isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument.")
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(convert_to_tensor(value, dtypes.float32))
        else:
            self._learning_rate = Variable(np.float32(value), trainable=False,
                                           name="learning_rate")

    @property
    def variables(self):
        """``[iteration, learning_rate]`` then the slots, in Keras's order."""
        out = [self._iterations]
        if isinstance(self._learning_rate, Variable):
            out.append(self._learning_rate)
        for group in self._slot_groups:
            for k in range(len(self._trainable_variables)):
                out.extend(self._slots[name][k] for name in group)
        return out + list(self._extra.values())

    # --- building ---------------------------------------------------------------------------
    def _make_rule(self):
        raise NotImplementedError

    def _slot_layout(self):
        """Slot names in groups (Keras creates each group interleaved per variable)."""
        raise NotImplementedError

    def build(self, var_list):
        """Creates the slot Variables for ``var_list`` (in a ``tapejax.function``, on the first
        call only)."""
        if self.built:
            return
        var_list = list(var_list)
        self._trainable_variables = var_list
        self._index = {id(v): k for k, v in enumerate(var_list)}
        rule = self._make_rule()
        state = rule.init([_array(v) for v in var_list])
        self._slot_groups = self._slot_layout()
        self._slots = {name: [None] * len(var_list) for group in self._slot_groups
                       for name in group}
        for group in self._slot_groups:
            for k, v in enumerate(var_list):
                prefix = v.name.replace(":", "_")
                for name in group:
                    self._slots[name][k] = Variable(Tensor(state[name][k]), trainable=False,
                                                    name=f"{prefix}_{name}")
        self._extra = {name: Variable(Tensor(value), trainable=False, name="variable")
                       for name, value in state.items() if name not in self._slots}
        self._step = _rules.step_fn(rule, self._make_clip())
        self.built = True
        _tracking.changed(self)  # slots of a checkpoint restored before they existed

    def _make_clip(self):
        if self.clipnorm and self.clipnorm > 0:
            return _rules.clip_by_norm(self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _rules.clip_by_global_norm(self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return _rules.clip_by_value(self.clipvalue)
        return None

    # --- applying ---------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies ``[(gradient, variable), ...]``; returns ``iterations`` (as tf.keras does).

        A ``None`` gradient skips its variable with Keras's warning."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates the variables from ``grads`` (the optimizer's own variables when omitted)."""
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first. ")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must "
                    "match `optimizer.variables` one-to-on. Received a list of "
                    f"{len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            for v in trainable_variables:
                if id(v) not in self._index:
                    raise ValueError(
                        f"Unknown variable: {v}. This optimizer can only be called for the "
                        "variables it was originally built with. When working with a new set "
                        "of variables, you should recreate a new optimizer instance.")
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(trainable_variables):
            missing = [v.name for g, v in zip(grads, trainable_variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3)
        self._update(pairs)
        for v in trainable_variables:
            if v.constraint is not None:
                v.assign(v.constraint(v))
        self._iterations.assign_add(1)

    def _update(self, pairs):
        indices = [self._index[id(v)] for _, v in pairs]
        variables = [v for _, v in pairs]
        grads = [_array(g) for g, _ in pairs]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        grads = [g.astype(v.dtype.as_numpy_dtype) for g, v in zip(grads, variables)]
        state = {name: [self._slots[name][k]._tensor._value for k in indices]
                 for name in self._slots}
        state.update({name: v._tensor._value for name, v in self._extra.items()})
        decay = tuple(self._use_weight_decay(v) for v in variables)
        params, state = self._step(
            [v._tensor._value for v in variables], grads, state, _array(self.learning_rate),
            self._iterations._tensor._value, weight_decay=self.weight_decay, decay=decay)
        for v, value in zip(variables, params):
            v.assign(Tensor(value))
        for name, values in state.items():
            if name in self._extra:
                self._extra[name].assign(Tensor(values))
                continue
            for k, value in zip(indices, values):
                self._slots[name][k].assign(Tensor(value))

    # --- weight decay -----------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Variables (or variables whose name contains one of ``var_names``) that weight decay
        skips; must be called before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_names = list(var_names) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_names:
            return not any(name in variable.name for name in self._exclude_names)
        return True

    # --- configuration ----------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            lr = float(lr.numpy())
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        return {**config, **self._own_config()}

    def _own_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """``tf.keras.optimizers.SGD``: gradient descent, optionally with (Nesterov) momentum.

    >>> import tapejax as tf
    >>> w = tf.Variable(1.0)
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    >>> int(opt.apply_gradients([(tf.constant(2.0), w)]).numpy()), w.numpy()
    (1, np.float32(0.8))
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "SGD"), **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def _make_rule(self):
        return _rules.sgd(self.momentum, self.nesterov)

    def _slot_layout(self):
        return [["momentum"]] if self.momentum != 0 else []

    def _own_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """``tf.keras.optimizers.Adam`` (Keras's epsilon placement; ``amsgrad`` supported)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "adam"), **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _make_rule(self):
        return _rules.adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad)

    def _slot_layout(self):
        return [["momentum", "velocity"]] + ([["velocity_hat"]] if self.amsgrad else [])

    def _own_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """``tf.keras.optimizers.AdamW``: Adam after decoupled weight decay
    (``var -= var * weight_decay * lr`` first, then the Adam step), default decay 0.004."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adamw", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "adamw"), **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")


class RMSprop(Optimizer):
    """``tf.keras.optimizers.RMSprop`` (``rho=0.9``, ``momentum=0``, optional ``centered``)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "rmsprop"), **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _make_rule(self):
        return _rules.rmsprop(self.rho, self.momentum, self.epsilon, self.centered)

    def _slot_layout(self):
        return [["velocity"]] + ([["momentum"]] if self.momentum > 0 else []) + \
            ([["average_gradient"]] if self.centered else [])

    def _own_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adagrad(Optimizer):
    """``tf.keras.optimizers.Adagrad`` (accumulators start at ``initial_accumulator_value``)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adagrad",
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "adagrad"), **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _make_rule(self):
        return _rules.adagrad(self.initial_accumulator_value, self.epsilon)

    def _slot_layout(self):
        return [["accumulator"]]

    def _own_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """``tf.keras.optimizers.Adadelta`` (``rho=0.95``)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adadelta", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "adadelta"), **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _make_rule(self):
        return _rules.adadelta(self.rho, self.epsilon)

    def _slot_layout(self):
        return [["accumulated_grad", "accumulated_delta_var"]]

    def _own_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """``tf.keras.optimizers.Nadam`` (Keras's momentum schedule and ``u_product`` Variable)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nadam",
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, _name(name, "nadam"), **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _make_rule(self):
        return _rules.nadam(self.beta_1, self.beta_2, self.epsilon)

    def _slot_layout(self):
        return [["momentum", "velocity"]]

    def _own_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


def _name(name, default):
    """Keras names an optimizer after its class unless given a name: ``adam``, ``adam_1``..."""
    return None if name == default else name

