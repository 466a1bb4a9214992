"""The pure-JAX floor: each workload written by hand as idiomatic ``jax.jit`` code.

This is the speed a JAX shim can reach at best: the same algorithm (reverse mode, reverse over
reverse for the HVP, vmap of reverse mode for Jacobians), same shapes, same initial values
(``workloads.data_*``), one compiled call per step, parameters passed in and returned (donated)
instead of held in Variables. Each ``wN(quick)`` returns ``(run, args)`` like the TF2 workloads,
and ``run`` returns the same values in the same order.
"""
import functools

import jax
import jax.numpy as jnp
from jax import lax

from . import workloads as wl


def _sgd_runner(loss_fn, params, lr):
    """A jitted SGD step over a parameter list, with the state kept between calls."""
    @functools.partial(jax.jit, donate_argnums=0)
    def step(params, *batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        return [p - lr * g for p, g in zip(params, grads)], loss, grads

    state = [[jnp.asarray(p) for p in params]]

    def run(*batch):
        state[0], loss, grads = step(state[0], *batch)
        return loss, grads
    return run


def w1(quick):
    @jax.jit
    def run(x):
        return jax.value_and_grad(lambda x: x * x * x)(x)
    return run, (jnp.asarray(wl.data_w1(quick)["x"]),)


def w2(quick):
    def chain(x):
        y = x
        for _ in range(wl.W2_REPEATS):
            y = jnp.tanh(jnp.sin(y) * 0.9 + 0.1)
        return jnp.sum(y)
    return jax.jit(jax.value_and_grad(chain)), (jnp.asarray(wl.data_w2(quick)["x"]),)


def w3(quick):
    d = wl.data_w3(quick)

    def loss_fn(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = jax.nn.relu(x @ w1 + b1)
        h = jax.nn.relu(h @ w2 + b2)
        logits = h @ w3 + b3
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))
    return _sgd_runner(loss_fn, d["params"], 0.01), (jnp.asarray(d["x"]), jnp.asarray(d["y"]))


def w4(quick):
    d = wl.data_w4(quick)
    w = jnp.asarray(d["w"])

    @jax.jit
    def run(x, xs):
        jac = jax.jacrev(lambda x: jnp.tanh(w @ x))(x)
        return jac, jax.vmap(jax.jacrev(lambda row: jnp.tanh(w @ row)))(xs)
    return run, (jnp.asarray(d["x"]), jnp.asarray(d["xs"]))


def w5(quick):
    d = wl.data_w5(quick)

    def rosenbrock(x):
        head, tail = x[:-1], x[1:]
        return jnp.sum(100.0 * jnp.square(tail - jnp.square(head)) + jnp.square(1.0 - head))

    @jax.jit
    def run(x, v):
        f, g = jax.value_and_grad(rosenbrock)(x)
        return f, g, jax.grad(lambda x: jnp.sum(jax.grad(rosenbrock)(x) * v))(x)
    return run, (jnp.asarray(d["x"]), jnp.asarray(d["v"]))


def _conv(x, k):
    return lax.conv_general_dilated(x, k, (1, 1), "SAME",
                                    dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _max_pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def w6(quick):
    d = wl.data_w6(quick)

    def loss_fn(params, x, y):
        k1, c1, k2, c2, w, b = params
        h = _max_pool(jax.nn.relu(_conv(x, k1) + c1))
        h = _max_pool(jax.nn.relu(_conv(h, k2) + c2))
        logits = h.reshape(h.shape[0], -1) @ w + b
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(logits), axis=-1))
    return _sgd_runner(loss_fn, d["params"], 0.01), (jnp.asarray(d["x"]), jnp.asarray(d["y"]))


def w7(quick):
    d = wl.data_w7(quick)
    batch, seq, width, heads, _ = wl.w7_dims(quick)

    def layer_norm(x, gain, bias):
        mean = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
        return (x - mean) * lax.rsqrt(var + 1e-5) * gain + bias

    def split_heads(x):
        return x.reshape(batch, seq, heads, width // heads)

    def loss_fn(params, x, target):
        g1, b1, wq, wk, wv, wo, g2, b2, w1, c1, w2, c2 = params
        h = layer_norm(x, g1, b1)
        q, k, v = (split_heads(jnp.einsum("btd,de->bte", h, m)) for m in (wq, wk, wv))
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) * (1 / (width // heads) ** 0.5)
        attention = jax.nn.softmax(scores, axis=-1)
        context = jnp.einsum("bhqk,bkhd->bqhd", attention, v).reshape(batch, seq, width)
        x = x + jnp.einsum("btd,de->bte", context, wo)
        h = jnp.einsum("btd,df->btf", layer_norm(x, g2, b2), w1) + c1
        h = 0.5 * h * (1.0 + jnp.tanh(0.7978845608 * (h + 0.044715 * h * h * h)))
        out = x + jnp.einsum("btf,fd->btd", h, w2) + c2
        return jnp.mean(jnp.square(out - target))
    return (_sgd_runner(loss_fn, d["params"], 0.01),
            (jnp.asarray(d["x"]), jnp.asarray(d["target"])))


def w8(quick):
    d = wl.data_w8(quick)
    steps = wl.w8_steps(quick)

    def loss_fn(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = jnp.tanh(x @ w1 + b1)
        h = jnp.tanh(h @ w2 + b2)
        return jnp.mean(jnp.square(h @ w3 + b3 - y))

    @functools.partial(jax.jit, donate_argnums=0)
    def train_step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return [p - 0.05 * g for p, g in zip(params, grads)], loss

    batches = [(jnp.asarray(x), jnp.asarray(y)) for x, y in zip(d["xs"], d["ys"])]

    def run():
        params = [jnp.asarray(p) for p in d["params"]]
        loss = None
        for i in range(steps):
            params, loss = train_step(params, *batches[i % wl.W8_BATCHES])
        return loss, params
    return run, ()


FLOOR = {"w1": w1, "w2": w2, "w3": w3, "w4": w4, "w5": w5, "w6": w6, "w7": w7, "w8": w8}
