"""The GradientTape tutorial, run on tapejax: each line prints what TensorFlow prints.

Run with ``make demo`` (or ``python examples/tutorial.py``).
"""
import tapejax as tf


def show(label, value):
    print(f"{label:<46} {value}")


# Gradient of x^3 at x = 5 (TF: 75.0).
x = tf.constant(5.0)
with tf.GradientTape() as g:
    g.watch(x)
    y = x * x * x
show("d(x^3)/dx at 5:", g.gradient(y, x))

# Nested tapes: first and second derivatives of p^3 at p = 4 (TF: 48.0 and 24.0).
p = tf.constant(4.0)
with tf.GradientTape() as outer:
    outer.watch(p)
    with tf.GradientTape() as inner:
        inner.watch(p)
        y = p**3
    first = inner.gradient(y, p)
show("d(p^3)/dp at 4:", first)
show("d2(p^3)/dp2 at 4:", outer.gradient(first, p))

# Trainable variables are watched automatically (TF: 12.0); others give None.
v = tf.Variable(2.0)
frozen = tf.Variable(4.0, trainable=False)
c = tf.constant(3.0)
with tf.GradientTape() as g:
    y = v**3 + frozen * c
show("d(v^3)/dv, d/d(non-trainable), d/d(constant):", g.gradient(y, [v, frozen, c]))

# Persistent tapes allow several gradient calls (TF: 10.0 and 27.0).
w = tf.constant(1.0)
with tf.GradientTape(persistent=True) as g:
    g.watch(w)
    a = w * 10.0
    b = w * w * 27.0 - w * 27.0
show("persistent tape, first gradient:", g.gradient(a, w))
show("persistent tape, second gradient:", g.gradient(b, w))
del g

# A non-persistent tape computes one set of gradients.
with tf.GradientTape() as g:
    g.watch(w)
    y = w * w
g.gradient(y, w)
try:
    g.gradient(y, w)
except RuntimeError as error:
    show("second gradient on a non-persistent tape:", f"RuntimeError: {error}")

# stop_recording: what happens inside is not differentiated (TF: None).
with tf.GradientTape() as g:
    g.watch(x)
    with g.stop_recording():
        y = x**2
show("gradient through stop_recording:", g.gradient(y, x))

# Jacobians are one vmap'd vector-Jacobian product.
x = tf.constant([1.0, 2.0])
with tf.GradientTape() as g:
    g.watch(x)
    y = x * x
show("jacobian of x*x at [1, 2]:", g.jacobian(y, x).numpy().tolist())

# A small training loop on Variables: fit y = 3x + 2.
xs = tf.constant([[0.0], [1.0], [2.0], [3.0]])
ys = 3.0 * xs + 2.0
kernel, bias = tf.Variable([[0.0]]), tf.Variable([0.0])
for _step in range(300):
    with tf.GradientTape() as g:
        loss = tf.reduce_mean(tf.square(tf.matmul(xs, kernel) + bias - ys))
    dk, db = g.gradient(loss, [kernel, bias])
    kernel.assign_sub(0.1 * dk)
    bias.assign_sub(0.1 * db)
show("fitted kernel and bias (3, 2):", f"{kernel.numpy().item():.3f}, {bias.numpy().item():.3f}")
