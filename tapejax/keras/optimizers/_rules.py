"""Keras 3's optimizer update rules as optax gradient transformations.

Each factory returns an ``optax.GradientTransformationExtraArgs`` whose ``update`` takes the
gradients, a state dict ``{slot name: [array per variable]}`` and the variables, plus the
keyword arguments ``learning_rate`` (already a scalar array) and ``step`` (Keras's
``iterations`` before this step). The returned updates are *added* to the variables
(``optax.apply_updates``), so each rule's updates carry the learning rate and sign itself.

Where optax's own transform is Keras's formula written differently in a way that changes the
numbers, the rule spells Keras's formula out:

- Adam/AdamW: Keras's ``epsilon`` is the paper's "epsilon hat", added to ``sqrt(v)`` *without*
  bias correction, and the bias corrections are folded into the step size
  (``lr * sqrt(1 - b2^t) / (1 - b1^t)``); ``optax.scale_by_adam`` corrects ``v`` first.
- SGD: Keras keeps ``lr`` inside the momentum buffer (``m = momentum * m - lr * g``), which
  differs from ``optax.trace`` once the learning rate changes over time.
- Nadam: Keras's momentum schedule ``u_t = b1 (1 - 0.5 * 0.96^t)`` with the running product
  ``u_product`` (Dozat's paper); ``optax.nadam`` uses a constant ``b1``.
- RMSprop/Adagrad: ``lr * g / sqrt(acc + eps)`` (optax multiplies by ``rsqrt``).
- Adadelta is ``optax.scale_by_adadelta`` followed by ``-lr`` scaling (the same formula).

Gradient clipping (``clipvalue``) is ``optax.clip``; ``clipnorm`` and ``global_clipnorm`` are
transformations here with TF's ``clip_by_norm`` / Keras's ``clip_by_global_norm`` formulas.
"""
import jax
import jax.numpy as jnp
import optax


def _rule(init_fn, update_fn):
    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _slots(*names, value=0.0):
    def init_fn(params):
        return {name: [jnp.full(p.shape, value, p.dtype) for p in params] for name in names}
    return init_fn


def _as(x, dtype):
    return jnp.asarray(x).astype(dtype)


def sgd(momentum=0.0, nesterov=False):
    """Keras ``SGD``: ``m = momentum * m - lr * g``; the variable moves by ``m`` (or, with
    ``nesterov``, by ``momentum * m - lr * g`` with the new ``m``)."""
    def update_fn(grads, state, params=None, *, learning_rate, step):
        if momentum == 0:
            return [-(g * _as(learning_rate, g.dtype)) for g in grads], state
        updates, ms = [], []
        for g, m in zip(grads, state["momentum"]):
            lr, mom = _as(learning_rate, g.dtype), _as(momentum, g.dtype)
            m = m * mom - g * lr
            ms.append(m)
            updates.append(m * mom - g * lr if nesterov else m)
        return updates, {"momentum": ms}
    return _rule(_slots("momentum") if momentum != 0 else _slots(), update_fn)


def adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    """Keras ``Adam``: moments updated as ``m += (g - m)(1 - b1)``, step
    ``lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)`` with ``t = step + 1``."""
    names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    def update_fn(grads, state, params=None, *, learning_rate, step):
        new = {name: [] for name in names}
        updates = []
        for k, g in enumerate(grads):
            dtype = g.dtype
            t = _as(step + 1, dtype)
            b1_power = jnp.power(_as(beta_1, dtype), t)
            b2_power = jnp.power(_as(beta_2, dtype), t)
            alpha = _as(learning_rate, dtype) * jnp.sqrt(1 - b2_power) / (1 - b1_power)
            m = state["momentum"][k] + (g - state["momentum"][k]) * (1 - beta_1)
            v = state["velocity"][k] + (jnp.square(g) - state["velocity"][k]) * (1 - beta_2)
            new["momentum"].append(m)
            new["velocity"].append(v)
            if amsgrad:
                v = jnp.maximum(state["velocity_hat"][k], v)
                new["velocity_hat"].append(v)
            updates.append(-((m * alpha) / (jnp.sqrt(v) + epsilon)))
        return updates, new
    return _rule(_slots(*names), update_fn)


def nadam(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras ``Nadam``: Adam with Nesterov momentum and the momentum schedule
    ``u_t = b1 (1 - 0.5 * 0.96^t)``; ``u_product`` (one scalar) is the product of the
    ``u_t`` so far, advanced before the variables are updated."""
    def init_fn(params):
        state = _slots("momentum", "velocity")(params)
        state["u_product"] = jnp.ones((), params[0].dtype if params else jnp.float32)
        return state

    def update_fn(grads, state, params=None, *, learning_rate, step):
        u_dtype = state["u_product"].dtype
        u_product = state["u_product"] * beta_1 * (
            1.0 - 0.5 * jnp.power(_as(0.96, u_dtype), _as(step + 1, u_dtype)))
        new = {"momentum": [], "velocity": [], "u_product": u_product}
        updates = []
        for g, m, v in zip(grads, state["momentum"], state["velocity"]):
            dtype = g.dtype
            lr = _as(learning_rate, dtype)
            local_step, next_step = _as(step + 1, dtype), _as(step + 2, dtype)
            decay, b1, b2 = _as(0.96, dtype), _as(beta_1, dtype), _as(beta_2, dtype)
            u_t = b1 * (1.0 - 0.5 * jnp.power(decay, local_step))
            u_t_1 = b1 * (1.0 - 0.5 * jnp.power(decay, next_step))
            u_product_t = _as(u_product, dtype)
            u_product_t_1 = u_product_t * u_t_1
            b2_power = jnp.power(b2, local_step)
            m = m + (g - m) * (1 - b1)
            v = v + (jnp.square(g) - v) * (1 - b2)
            new["momentum"].append(m)
            new["velocity"].append(v)
            m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)
            v_hat = v / (1 - b2_power)
            updates.append(-((m_hat * lr) / (jnp.sqrt(v_hat) + epsilon)))
        return updates, new
    return _rule(init_fn, update_fn)


def rmsprop(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    """Keras ``RMSprop``: ``v = rho v + (1 - rho) g^2``, step ``lr g / sqrt(v + eps)``
    (``centered``: ``sqrt(v - mean_g^2 + eps)``), optionally through a momentum buffer."""
    names = ("velocity",) + (("momentum",) if momentum > 0 else ()) + \
        (("average_gradient",) if centered else ())

    def update_fn(grads, state, params=None, *, learning_rate, step):
        new = {name: [] for name in names}
        updates = []
        for k, g in enumerate(grads):
            lr = _as(learning_rate, g.dtype)
            v = rho * state["velocity"][k] + (1 - rho) * jnp.square(g)
            new["velocity"].append(v)
            if centered:
                avg = rho * state["average_gradient"][k] + (1 - rho) * g
                new["average_gradient"].append(avg)
                denominator = v - jnp.square(avg) + epsilon
            else:
                denominator = v + epsilon
            increment = (lr * g) / jnp.sqrt(denominator)
            if momentum > 0:
                increment = momentum * state["momentum"][k] + increment
                new["momentum"].append(increment)
            updates.append(-increment)
        return updates, new
    return _rule(_slots(*names), update_fn)


def adagrad(initial_accumulator_value=0.1, epsilon=1e-7):
    """Keras ``Adagrad``: ``acc += g^2``, step ``lr g / sqrt(acc + eps)``."""
    def update_fn(grads, state, params=None, *, learning_rate, step):
        accumulators = [a + jnp.square(g) for g, a in zip(grads, state["accumulator"])]
        updates = [-((_as(learning_rate, g.dtype) * g) / jnp.sqrt(a + epsilon))
                   for g, a in zip(grads, accumulators)]
        return updates, {"accumulator": accumulators}
    return _rule(_slots("accumulator", value=initial_accumulator_value), update_fn)


def adadelta(rho=0.95, epsilon=1e-7):
    """Keras ``Adadelta``: ``optax.scale_by_adadelta`` (Zeiler's rule, as Keras), times ``-lr``.

    The slots are Keras's ``accumulated_grad`` and ``accumulated_delta_var`` (optax's ``e_g``
    and ``e_x``)."""
    inner = optax.scale_by_adadelta(rho=rho, eps=epsilon)

    def update_fn(grads, state, params=None, *, learning_rate, step):
        inner_state = optax.ScaleByAdaDeltaState(e_g=state["accumulated_grad"],
                                                 e_x=state["accumulated_delta_var"])
        deltas, inner_state = inner.update(grads, inner_state)
        updates = [-(d * _as(learning_rate, d.dtype)) for d in deltas]
        return updates, {"accumulated_grad": list(inner_state.e_g),
                         "accumulated_delta_var": list(inner_state.e_x)}
    return _rule(_slots("accumulated_grad", "accumulated_delta_var"), update_fn)


# --- gradient clipping -------------------------------------------------------------------------
def _stateless(update):
    def update_fn(grads, state, params=None, **extra):
        return update(grads), state
    return _rule(lambda params: optax.EmptyState(), update_fn)


def clip_by_norm(clipnorm):
    """Each gradient scaled to L2 norm at most ``clipnorm`` (TF's ``clip_by_norm``)."""
    def clip(g):
        l2sum = jnp.sum(jnp.square(g), keepdims=True)
        positive = l2sum > 0
        l2norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, 1)), l2sum)
        return g * _as(clipnorm, g.dtype) / jnp.maximum(l2norm, _as(clipnorm, g.dtype))
    return _stateless(lambda grads: [clip(g) for g in grads])


def clip_by_global_norm(clipnorm):
    """All gradients scaled together to global L2 norm at most ``clipnorm`` (Keras's formula;
    a non-finite norm makes every gradient NaN, as Keras)."""
    def clip(grads):
        norm = jnp.sqrt(jnp.sum(jnp.stack([jnp.sum(jnp.square(g)) for g in grads])))
        scale = clipnorm * jnp.minimum(1.0 / norm, 1.0 / clipnorm) + (norm - norm)
        return [g * scale.astype(g.dtype) for g in grads]
    return _stateless(clip)


def clip_by_value(clipvalue):
    """Each gradient element clipped to ``[-clipvalue, clipvalue]`` (``optax.clip``)."""
    inner = optax.clip(clipvalue)
    return _stateless(lambda grads: list(inner.update(grads, inner.init(grads))[0]))


def step_fn(rule, clip):
    """The pure training-step function: clip, decay weights, update (``jax.jit``-able).

    ``decay`` is a tuple of bools (weight decay applies to that variable) and ``weight_decay``
    a float or None; both are static.
    """
    transform = optax.chain(clip, rule) if clip is not None else rule

    def step(params, grads, state, learning_rate, iteration, *, weight_decay, decay):
        clip_state, rule_state = (optax.EmptyState(), state) if clip is not None else (None,
                                                                                      state)
        if weight_decay is not None:
            params = [p - p * _as(weight_decay, p.dtype) * _as(learning_rate, p.dtype)
                      if d else p for p, d in zip(params, decay)]
        chain_state = (clip_state, rule_state) if clip is not None else rule_state
        updates, chain_state = transform.update(grads, chain_state, params,
                                                learning_rate=learning_rate, step=iteration)
        state = chain_state[1] if clip is not None else chain_state
        return optax.apply_updates(params, updates), state
    return jax.jit(step, static_argnames=("weight_decay", "decay"))
