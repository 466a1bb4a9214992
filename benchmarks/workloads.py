"""The benchmark workloads, each written once as TF2 code.

Every ``wN_*(tf, wrap, quick)`` takes the framework module (``tensorflow`` or ``tapejax``),
``wrap`` (identity in eager mode, ``tf.function`` or ``tf.function(jit_compile=True)`` otherwise)
and the ``quick`` flag (smaller shapes for the smoke test). It returns ``(run, args)``:
``run(*args)`` is one timed call and returns the values the frameworks must agree on (loss,
gradients, ...).

Workloads only use names reached as ``tf.<...>`` inside their own body (helpers are nested), so
the harness can read the names a workload needs from its source and report a missing one as
``n/a: tf.nn.conv2d`` instead of failing or skipping. Inputs and initial values come from the
``data_*`` functions, shared with the pure-JAX floor in ``jax_floor.py``: same seed, same numbers.
"""
import numpy as np

F32 = np.float32


def _rng(seed):
    return np.random.default_rng(seed)


def _normal(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(F32)


def _one_hot(rng, batch, classes):
    return np.eye(classes, dtype=F32)[rng.integers(0, classes, batch)]


# --- data (numpy, shared with the JAX floor) ---------------------------------------------
def data_w1(quick):
    return {"x": F32(3.0)}


W2_REPEATS = 50  # four ops per repeat: 200 elementwise ops


def data_w2(quick):
    return {"x": _normal(_rng(2), (1000,))}


def data_w3(quick):
    rng = _rng(3)
    batch, sizes = 128, (784, 512, 512, 10)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [_normal(rng, (fan_in, fan_out), 1 / np.sqrt(fan_in)), np.zeros(fan_out, F32)]
    return {"params": params, "x": _normal(rng, (batch, 784)), "y": _one_hot(rng, batch, 10)}


def data_w4(quick):
    rng = _rng(4)
    n, batch = 256, (8 if quick else 64)
    return {"w": _normal(rng, (n, n), 1 / np.sqrt(n)), "x": _normal(rng, (n,)),
            "xs": _normal(rng, (batch, n))}


def data_w5(quick):
    rng = _rng(5)
    n = 1000
    return {"x": (1.0 + 0.1 * rng.standard_normal(n)).astype(F32), "v": _normal(rng, (n,))}


def data_w6(quick):
    rng = _rng(6)
    batch = 8 if quick else 64
    params = [_normal(rng, (3, 3, 1, 32), 1 / 3), np.zeros(32, F32),
              _normal(rng, (3, 3, 32, 64), 1 / np.sqrt(9 * 32)), np.zeros(64, F32),
              _normal(rng, (7 * 7 * 64, 10), 1 / np.sqrt(7 * 7 * 64)), np.zeros(10, F32)]
    return {"params": params, "x": rng.random((batch, 28, 28, 1), dtype=F32),
            "y": _one_hot(rng, batch, 10)}


def w7_dims(quick):
    """(batch, sequence, width, heads, hidden) of the transformer block."""
    return (2, 32, 64, 4, 128) if quick else (16, 128, 256, 4, 1024)


def data_w7(quick):
    rng = _rng(7)
    b, t, d, _, f = w7_dims(quick)
    dense = lambda i, o: _normal(rng, (i, o), 1 / np.sqrt(i))  # noqa: E731
    ones, zeros = np.ones(d, F32), np.zeros(d, F32)
    params = [ones, zeros, dense(d, d), dense(d, d), dense(d, d), dense(d, d),
              ones.copy(), zeros.copy(), dense(d, f), np.zeros(f, F32), dense(f, d), zeros.copy()]
    return {"params": params, "x": _normal(rng, (b, t, d)), "target": _normal(rng, (b, t, d))}


W8_BATCHES = 8


def w8_steps(quick):
    return 20 if quick else 1000


def data_w8(quick):
    rng = _rng(8)
    sizes = (32, 64, 64, 1)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [_normal(rng, (fan_in, fan_out), 1 / np.sqrt(fan_in)), np.zeros(fan_out, F32)]
    xs = _normal(rng, (W8_BATCHES, 64, 32))
    ys = np.sin(xs.sum(axis=2, keepdims=True) / 4).astype(F32)
    return {"params": params, "xs": xs, "ys": ys}


# --- workloads (TF2 code) ------------------------------------------------------------------
def sgd_update(tape, loss, params, lr):
    """``v -= lr * grad`` for each Variable; returns the gradients (methods only: no ``tf.``)."""
    grads = tape.gradient(loss, params)
    for v, g in zip(params, grads):
        v.assign_sub(lr * g)
    return grads


def w1_cube(tf, wrap, quick):
    """Scalar ``x*x*x`` tape round trip: value and gradient."""
    x = tf.constant(data_w1(quick)["x"])

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x * x
        return y, tape.gradient(y, x)
    return wrap(step), (x,)


def w2_chain(tf, wrap, quick):
    """200 elementwise ops on a 1000-vector, then the gradient of their sum."""
    x = tf.constant(data_w2(quick)["x"])

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(W2_REPEATS):
                y = tf.tanh(tf.sin(y) * 0.9 + 0.1)
            loss = tf.reduce_sum(y)
        return loss, tape.gradient(loss, x)
    return wrap(step), (x,)


def w3_mlp(tf, wrap, quick):
    """MLP 784-512-512-10 training step, batch 128, SGD on Variables."""
    d = data_w3(quick)
    params = [tf.Variable(p) for p in d["params"]]

    def step(x, y):
        w1, b1, w2, b2, w3, b3 = params
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            h = tf.nn.relu(tf.matmul(h, w2) + b2)
            logits = tf.matmul(h, w3) + b3
            loss = -tf.reduce_mean(tf.reduce_sum(y * tf.nn.log_softmax(logits), axis=1))
        return loss, sgd_update(tape, loss, params, 0.01)
    return wrap(step), (tf.constant(d["x"]), tf.constant(d["y"]))


def w4_jacobians(tf, wrap, quick):
    """``jacobian`` of ``tanh(W x)`` (256) and ``batch_jacobian`` of ``tanh(X W^T)``."""
    d = data_w4(quick)
    w = tf.constant(d["w"])

    def step(x, xs):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.tanh(tf.reshape(tf.matmul(w, tf.reshape(x, [-1, 1])), [-1]))
        jac = tape.jacobian(y, x)
        with tf.GradientTape() as tape:
            tape.watch(xs)
            ys = tf.tanh(tf.matmul(xs, w, transpose_b=True))
        return jac, tape.batch_jacobian(ys, xs)
    return wrap(step), (tf.constant(d["x"]), tf.constant(d["xs"]))


def w5_hvp(tf, wrap, quick):
    """Hessian-vector product of the 1000-dim Rosenbrock function by nested tapes."""
    d = data_w5(quick)

    def step(x, v):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                head, tail = x[:-1], x[1:]
                f = tf.reduce_sum(100.0 * tf.square(tail - tf.square(head))
                                  + tf.square(1.0 - head))
            g = inner.gradient(f, x)
            gv = tf.reduce_sum(g * v)
        return f, g, outer.gradient(gv, x)
    return wrap(step), (tf.constant(d["x"]), tf.constant(d["v"]))


def w6_cnn(tf, wrap, quick):
    """Small CNN training step: conv 3x3x32, pool, conv 3x3x64, pool, dense 10 on 28x28x1."""
    d = data_w6(quick)
    params = [tf.Variable(p) for p in d["params"]]

    def step(x, y):
        k1, c1, k2, c2, w, b = params
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.nn.conv2d(x, k1, strides=1, padding="SAME") + c1)
            h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
            h = tf.nn.relu(tf.nn.conv2d(h, k2, strides=1, padding="SAME") + c2)
            h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
            logits = tf.matmul(tf.reshape(h, [-1, 7 * 7 * 64]), w) + b
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        return loss, sgd_update(tape, loss, params, 0.01)
    return wrap(step), (tf.constant(d["x"]), tf.constant(d["y"]))


def w7_transformer(tf, wrap, quick):
    """Pre-norm transformer encoder block (4 heads, layer norm and GELU by hand) training step."""
    d = data_w7(quick)
    batch, seq, width, heads, _ = w7_dims(quick)
    params = [tf.Variable(p) for p in d["params"]]

    def layer_norm(x, gain, bias):
        mean = tf.reduce_mean(x, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.square(x - mean), axis=-1, keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-5) * gain + bias

    def split_heads(x):
        return tf.reshape(x, [batch, seq, heads, width // heads])

    def gelu(x):  # tanh approximation, by hand: smooth, so float32 rounding cannot flip a kink
        return 0.5 * x * (1.0 + tf.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))

    def block(x):
        g1, b1, wq, wk, wv, wo, g2, b2, w1, c1, w2, c2 = params
        h = layer_norm(x, g1, b1)
        q = split_heads(tf.einsum("btd,de->bte", h, wq))
        k = split_heads(tf.einsum("btd,de->bte", h, wk))
        v = split_heads(tf.einsum("btd,de->bte", h, wv))
        scores = tf.einsum("bqhd,bkhd->bhqk", q, k) * float(1 / np.sqrt(width // heads))
        attention = tf.nn.softmax(scores, axis=-1)
        context = tf.reshape(tf.einsum("bhqk,bkhd->bqhd", attention, v), [batch, seq, width])
        x = x + tf.einsum("btd,de->bte", context, wo)
        h = gelu(tf.einsum("btd,df->btf", layer_norm(x, g2, b2), w1) + c1)
        return x + tf.einsum("btf,fd->btd", h, w2) + c2

    def step(x, target):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(block(x) - target))
        return loss, sgd_update(tape, loss, params, 0.01)
    return wrap(step), (tf.constant(d["x"]), tf.constant(d["target"]))


def w8_train_loop(tf, wrap, quick):
    """1000 SGD steps of a 32-64-64-1 tanh MLP over 8 cached batches; ``wrap`` is applied to
    the step, the loop is Python (as users write it). Each call restarts from the same initial
    values, so its first call is the end-to-end time including compilation."""
    d = data_w8(quick)
    initial = d["params"]
    params = [tf.Variable(p) for p in initial]
    steps = w8_steps(quick)

    def train_step(x, y):
        w1, b1, w2, b2, w3, b3 = params
        with tf.GradientTape() as tape:
            h = tf.tanh(tf.matmul(x, w1) + b1)
            h = tf.tanh(tf.matmul(h, w2) + b2)
            loss = tf.reduce_mean(tf.square(tf.matmul(h, w3) + b3 - y))
        sgd_update(tape, loss, params, 0.05)
        return loss

    train_step = wrap(train_step)
    batches = [(tf.constant(x), tf.constant(y)) for x, y in zip(d["xs"], d["ys"])]

    def run():
        for v, value in zip(params, initial):
            v.assign(value)
        loss = None
        for i in range(steps):
            loss = train_step(*batches[i % W8_BATCHES])
        return loss, [v.read_value() for v in params]
    return run, ()


WORKLOADS = {
    "w1": w1_cube, "w2": w2_chain, "w3": w3_mlp, "w4": w4_jacobians,
    "w5": w5_hvp, "w6": w6_cnn, "w7": w7_transformer, "w8": w8_train_loop,
}
TITLES = {
    "w1": "W1 scalar x*x*x tape", "w2": "W2 200-op chain", "w3": "W3 MLP step",
    "w4": "W4 jacobian+batch_jacobian", "w5": "W5 HVP nested tapes", "w6": "W6 CNN step",
    "w7": "W7 transformer block step", "w8": "W8 1000-step loop",
}
