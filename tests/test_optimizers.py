"""``tf.keras.optimizers`` against real Keras 3: 20 steps give TF's weights, slots and counts."""
import warnings

import numpy as np
import pytest

import tapejax

RNG = np.random.RandomState(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)
W0 = RNG.normal(size=(3, 2)).astype(np.float32)
B0 = RNG.normal(size=(2,)).astype(np.float32)

CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd_momentum": ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(learning_rate=0.05)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.05, amsgrad=True)),
    "adamw": ("AdamW", dict(learning_rate=0.05, weight_decay=0.1)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01)),
    "rmsprop_centered_momentum": ("RMSprop", dict(learning_rate=0.01, momentum=0.5,
                                                  centered=True)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0)),
    "nadam": ("Nadam", dict(learning_rate=0.05)),
    "clipnorm": ("SGD", dict(learning_rate=0.1, clipnorm=0.5)),
    "global_clipnorm": ("Adam", dict(learning_rate=0.05, global_clipnorm=0.5)),
    "clipvalue": ("RMSprop", dict(learning_rate=0.01, clipvalue=0.1)),
    "weight_decay": ("SGD", dict(learning_rate=0.1, momentum=0.9, weight_decay=0.05)),
}
SCHEDULES = {
    "exponential": ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=5,
                                             decay_rate=0.5)),
    "exponential_staircase": ("ExponentialDecay", dict(initial_learning_rate=0.1,
                                                       decay_steps=5, decay_rate=0.5,
                                                       staircase=True)),
    "piecewise": ("PiecewiseConstantDecay", dict(boundaries=[5, 12], values=[0.1, 0.05, 0.01])),
    "cosine": ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=15)),
    "cosine_warmup": ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=10,
                                          warmup_target=0.1, warmup_steps=5)),
}


def _train(lib, make_optimizer, compiled, steps=20):
    w = lib.Variable(W0, name="w")
    b = lib.Variable(B0, name="b")
    opt = make_optimizer(lib)

    def step(x, y):
        with lib.GradientTape() as tape:
            loss = lib.reduce_mean(lib.square(lib.matmul(x, w) + b - y))
        grads = tape.gradient(loss, [w, b])
        return opt.apply_gradients(zip(grads, [w, b]))

    if compiled:
        step = lib.function(step)
    for _ in range(steps):
        out = step(lib.constant(X), lib.constant(Y))
    return w, b, opt, out, step


def _compare(real_tf, make_optimizer, compiled):
    ours = _train(tapejax, make_optimizer, compiled)
    theirs = _train(real_tf, make_optimizer, False)
    for a, e in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=2e-5, atol=2e-6)
    ours_vars = [v.numpy() for v in ours[2].variables]
    theirs_vars = [v.numpy() for v in theirs[2].variables]
    assert [v.dtype for v in ours_vars] == [v.dtype for v in theirs_vars]
    assert len(ours_vars) == len(theirs_vars)
    for a, e in zip(ours_vars, theirs_vars):
        np.testing.assert_allclose(a, e, rtol=2e-5, atol=2e-6)
    assert int(ours[2].iterations.numpy()) == 20
    assert ours[2].iterations.dtype.name == "int64"
    if not compiled:  # apply_gradients returns the iteration counter itself
        assert ours[3] is ours[2].iterations
    else:
        assert int(ours[3].numpy()) == 20 and ours[4].experimental_get_tracing_count() <= 2
    return ours


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "function"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_matches_keras(real_tf, case, compiled):
    cls, kwargs = CASES[case]
    _compare(real_tf, lambda lib: getattr(lib.keras.optimizers, cls)(**kwargs), compiled)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "function"])
@pytest.mark.parametrize("case", sorted(SCHEDULES))
def test_schedule_matches_keras(real_tf, case, compiled):
    cls, kwargs = SCHEDULES[case]

    def make(lib):
        schedule = getattr(lib.keras.optimizers.schedules, cls)(**kwargs)
        return lib.keras.optimizers.Adam(learning_rate=schedule)
    _compare(real_tf, make, compiled)
    schedule_ours = getattr(tapejax.keras.optimizers.schedules, cls)(**kwargs)
    schedule_tf = getattr(real_tf.keras.optimizers.schedules, cls)(**kwargs)
    for step in (0, 3, 5, 7, 12, 30):
        got, want = schedule_ours(step), schedule_tf(step)
        assert got.dtype.name == want.dtype.name
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_none_gradient_warns_and_is_skipped(real_tf):
    for lib in (tapejax, real_tf):
        a, b = lib.Variable([1.0, 2.0], name="a"), lib.Variable(3.0, name="b")
        opt = lib.keras.optimizers.SGD(0.1)
        with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['a:0'\]"):
            opt.apply_gradients([(None, a), (lib.constant(1.0), b)])
        np.testing.assert_allclose(a.numpy(), [1.0, 2.0])
        np.testing.assert_allclose(b.numpy(), 2.9, rtol=1e-6)
        with pytest.raises(ValueError, match="No gradients provided for any variable."):
            opt.apply_gradients([(None, a)])


def test_errors_match_keras(real_tf):
    def errors(lib):
        out = []
        for make in (lambda: lib.keras.optimizers.Adam(learning_rate=1),
                     lambda: lib.keras.optimizers.Adam(clipnorm=1.0, clipvalue=2.0),
                     lambda: lib.keras.optimizers.Adam(foo=1),
                     lambda: lib.keras.optimizers.SGD(momentum=2.0)):
            with pytest.raises(ValueError) as info:
                make()
            out.append(str(info.value))
        opt = lib.keras.optimizers.SGD(0.1)
        opt.apply_gradients([(lib.constant(1.0), lib.Variable(1.0))])
        with pytest.raises(ValueError, match="Unknown variable"):
            opt.apply_gradients([(lib.constant(1.0), lib.Variable(1.0))])
        return out
    assert errors(tapejax) == errors(real_tf)


def test_learning_rate_variable_is_settable_without_retracing():
    w = tapejax.Variable(1.0)
    opt = tapejax.keras.optimizers.SGD(learning_rate=0.5)

    @tapejax.function
    def step():
        opt.apply_gradients([(tapejax.constant(1.0), w)])
    step()
    opt.learning_rate = 0.25
    step()
    assert float(w.numpy()) == pytest.approx(0.25)
    assert step.experimental_get_tracing_count() == 1
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.25)
    sched = tapejax.keras.optimizers.Adam(
        tapejax.keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        sched.learning_rate = 0.1


def test_exclude_from_weight_decay():
    w, b = tapejax.Variable(1.0, name="kernel"), tapejax.Variable(1.0, name="bias")
    opt = tapejax.keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([(tapejax.constant(0.0), w), (tapejax.constant(0.0), b)])
    assert float(w.numpy()) == pytest.approx(0.95) and float(b.numpy()) == 1.0
