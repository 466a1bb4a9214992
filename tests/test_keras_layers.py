"""``tf.keras`` layers, models, losses and metrics against real Keras 3 given the same weights."""
import numpy as np
import pytest

import tapejax

RNG = np.random.RandomState(0)
IMAGES = RNG.normal(size=(2, 6, 6, 3)).astype(np.float32)
VECTORS = RNG.normal(size=(4, 5)).astype(np.float32)
SEQUENCES = RNG.normal(size=(2, 3, 5)).astype(np.float32)

LAYERS = {
    "dense": (lambda k: k.layers.Dense(3, activation="relu"), VECTORS),
    "dense_rank3": (lambda k: k.layers.Dense(4, activation="tanh"), SEQUENCES),
    "conv2d_valid": (lambda k: k.layers.Conv2D(4, 3, activation="relu"), IMAGES),
    "conv2d_same_strided": (lambda k: k.layers.Conv2D(2, (3, 2), strides=2, padding="same"),
                            IMAGES),
    "conv2d_dilated": (lambda k: k.layers.Conv2D(2, 2, dilation_rate=2, use_bias=False),
                       IMAGES),
    "max_pool": (lambda k: k.layers.MaxPooling2D(), IMAGES),
    "avg_pool_same": (lambda k: k.layers.AveragePooling2D(pool_size=(4, 4), strides=(3, 3),
                                                          padding="same"), IMAGES),
    "flatten": (lambda k: k.layers.Flatten(), IMAGES),
    "dropout_inference": (lambda k: k.layers.Dropout(0.5), VECTORS),
    "layer_norm": (lambda k: k.layers.LayerNormalization(), SEQUENCES),
    "layer_norm_axes": (lambda k: k.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5),
                        SEQUENCES),
    "batch_norm_inference": (lambda k: k.layers.BatchNormalization(), IMAGES),
    "relu_options": (lambda k: k.layers.ReLU(max_value=0.5, negative_slope=0.1,
                                             threshold=0.2), VECTORS),
    "softmax": (lambda k: k.layers.Softmax(), VECTORS),
}


def _random_weights(layer):
    rng = np.random.RandomState(1)
    return [rng.uniform(0.5, 1.5, size=w.shape).astype(np.float32) for w in layer.get_weights()]


def _run(lib, layer, x, weights=None, training=False):
    x = lib.constant(x)
    layer(x)  # build
    if weights is None:
        weights = _random_weights(layer)
    layer.set_weights(weights)
    with lib.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=training)
        loss = lib.reduce_sum(y * lib.sin(lib.range(y.shape[-1], dtype=lib.float32) + 1.0))
    grads = tape.gradient(loss, [x] + list(layer.trainable_variables))
    return y, grads, weights


@pytest.mark.parametrize("case", sorted(LAYERS))
def test_layer_matches_keras(real_tf, case):
    make, x = LAYERS[case]
    tf_layer, our_layer = make(real_tf.keras), make(tapejax.keras)
    y_tf, g_tf, weights = _run(real_tf, tf_layer, x)
    y, g, _ = _run(tapejax, our_layer, x, weights)
    assert [w.shape for w in our_layer.get_weights()] == [w.shape for w in weights]
    assert y.dtype.name == y_tf.dtype.name and tuple(y.shape) == tuple(y_tf.shape)
    np.testing.assert_allclose(y.numpy(), y_tf.numpy(), rtol=1e-4, atol=1e-5)
    assert len(g) == len(g_tf)
    for a, b in zip(g, g_tf):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b), rtol=1e-4, atol=1e-5)


def test_batch_norm_training_updates_moving_statistics(real_tf):
    results = []
    for lib in (tapejax, real_tf):
        layer = lib.keras.layers.BatchNormalization(momentum=0.9)
        y, grads, _ = _run(lib, layer, IMAGES, [np.full(3, 1.5, np.float32),
                                                np.full(3, 0.2, np.float32),
                                                np.zeros(3, np.float32),
                                                np.ones(3, np.float32)], training=True)
        results.append((y.numpy(), [np.asarray(g) for g in grads], layer.get_weights(),
                        [v.name.split(":")[0] for v in layer.weights],
                        len(layer.trainable_variables)))
    ours, theirs = results
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert ours[3:] == theirs[3:]


def test_embedding_and_dropout_training(real_tf):
    ids = np.array([[1, 0, 3], [2, 2, 4]], np.int32)
    for lib in (tapejax, real_tf):
        layer = lib.keras.layers.Embedding(5, 3)
        layer(lib.constant(ids))
        layer.set_weights([np.arange(15, dtype=np.float32).reshape(5, 3)])
        np.testing.assert_array_equal(layer(lib.constant(ids)).numpy(),
                                      np.arange(15, dtype=np.float32).reshape(5, 3)[ids])
    drop = tapejax.keras.layers.Dropout(0.5, seed=3)
    out = drop(tapejax.ones([1000]), training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 400 < np.count_nonzero(out) < 600
    with pytest.raises(ValueError, match="Invalid value received for argument `rate`"):
        tapejax.keras.layers.Dropout(1.5)
    for lib in (tapejax, real_tf):
        with pytest.raises(ValueError, match="threshold of a ReLU layer cannot be None"):
            lib.keras.layers.ReLU(threshold=-1.0)


def _models(lib):
    class Net(lib.keras.Model):
        def __init__(self):
            super().__init__()
            self.second = lib.keras.layers.Dense(3)
            self.first = lib.keras.layers.Dense(4, activation="relu")
            self.norm = lib.keras.layers.LayerNormalization()
            self.extra = lib.Variable(1.0)  # a plain Variable attribute is not a weight

        def call(self, x, training=None):
            return self.second(self.norm(self.first(x)))

    sequential = lib.keras.Sequential([lib.keras.layers.Dense(4, activation="relu"),
                                       lib.keras.layers.Dropout(0.3),
                                       lib.keras.layers.Dense(3)])
    return Net(), sequential


def test_model_weights_order_and_forward_match_keras(real_tf):
    ours, theirs = _models(tapejax), _models(real_tf)
    for our_model, tf_model in zip(ours, theirs):
        tf_model(real_tf.constant(VECTORS))
        our_model(tapejax.constant(VECTORS))
        assert [tuple(v.shape) for v in our_model.trainable_variables] == \
            [tuple(v.shape) for v in tf_model.trainable_variables]
        assert [v.name.split(":")[0] for v in our_model.trainable_variables] == \
            [v.name for v in tf_model.trainable_variables]
        our_model.set_weights(tf_model.get_weights())
        np.testing.assert_allclose(our_model(VECTORS).numpy(),
                                   tf_model(VECTORS).numpy(), rtol=1e-4, atol=1e-5)
        assert len(our_model.layers) == len(tf_model.layers)


def test_sequential_with_input_shape_is_built_at_once(real_tf):
    for lib in (tapejax, real_tf):
        with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):
            model = lib.keras.Sequential([lib.keras.layers.Dense(2, input_shape=(3,))])
        assert [tuple(v.shape) for v in model.trainable_variables] == [(3, 2), (2,)]


def test_model_fit_points_at_custom_loops():
    model = tapejax.keras.Sequential([tapejax.keras.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="GradientTape"):
        model.fit(VECTORS, VECTORS)


def test_initializers_are_seeded_and_scaled():
    init = tapejax.keras.initializers.GlorotUniform(seed=7)
    a, b = init((200, 300)), init((200, 300))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    limit = np.sqrt(6 / 500)
    assert a.numpy().max() <= limit and a.numpy().min() >= -limit
    he = tapejax.keras.initializers.get("he_normal")((400, 300)).numpy()
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.1 * np.sqrt(2 / 400)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 400) / 0.87962566103423978 + 1e-6
    assert np.all(tapejax.keras.initializers.get("zeros")((2, 2)).numpy() == 0)


LOSSES = {
    "mse": (lambda k: k.losses.MeanSquaredError(), "regression"),
    "bce": (lambda k: k.losses.BinaryCrossentropy(), "binary_probs"),
    "bce_logits_smooth": (lambda k: k.losses.BinaryCrossentropy(from_logits=True,
                                                                label_smoothing=0.1),
                          "binary_logits"),
    "cce": (lambda k: k.losses.CategoricalCrossentropy(), "onehot_probs"),
    "cce_logits": (lambda k: k.losses.CategoricalCrossentropy(from_logits=True,
                                                              label_smoothing=0.2),
                   "onehot_logits"),
    "scce": (lambda k: k.losses.SparseCategoricalCrossentropy(), "sparse_probs"),
    "scce_logits": (lambda k: k.losses.SparseCategoricalCrossentropy(from_logits=True),
                    "sparse_logits"),
    "scce_sum": (lambda k: k.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  reduction="sum"),
                 "sparse_logits"),
}


def _loss_data(kind):
    rng = np.random.RandomState(2)
    logits = rng.normal(size=(4, 3)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([0, 2, 1, 2], np.int32)
    onehot = np.eye(3, dtype=np.float32)[labels]
    binary = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float32)
    return {"regression": (logits * 0.5, logits), "binary_probs": (binary, probs),
            "binary_logits": (binary, logits), "onehot_probs": (onehot, probs),
            "onehot_logits": (onehot, logits), "sparse_probs": (labels, probs),
            "sparse_logits": (labels, logits)}[kind]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(LOSSES))
def test_loss_matches_keras(real_tf, case, weighted):
    make, kind = LOSSES[case]
    y_true, y_pred = _loss_data(kind)
    weight = np.array([1.0, 0.5, 2.0, 0.0], np.float32) if weighted else None
    results = []
    for lib in (tapejax, real_tf):
        pred = lib.constant(y_pred)
        with lib.GradientTape() as tape:
            tape.watch(pred)
            loss = make(lib.keras)(lib.constant(y_true), pred, sample_weight=weight)
        results.append((loss, tape.gradient(loss, pred)))
    (loss, grad), (loss_tf, grad_tf) = results
    assert loss.dtype.name == loss_tf.dtype.name and tuple(loss.shape) == tuple(loss_tf.shape)
    np.testing.assert_allclose(loss.numpy(), loss_tf.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad.numpy(), grad_tf.numpy(), rtol=1e-4, atol=1e-6)


def test_metrics_match_keras(real_tf):
    y_true = np.array([0, 2, 1, 2], np.int32)
    logits = _loss_data("sparse_logits")[1]
    results = []
    for lib in (tapejax, real_tf):
        mean = lib.keras.metrics.Mean()
        sparse = lib.keras.metrics.SparseCategoricalAccuracy()
        categorical = lib.keras.metrics.CategoricalAccuracy()
        out = [float(mean.result())]
        mean.update_state([1.0, 2.0, 3.0])
        mean.update_state(lib.constant([4.0, 8.0]), sample_weight=[1.0, 0.0])
        sparse.update_state(lib.constant(y_true), lib.constant(logits))
        sparse.update_state(lib.constant(y_true[:2, None]), lib.constant(logits[:2]))
        categorical.update_state(np.eye(3, dtype=np.float32)[y_true], logits)
        out += [float(m.result()) for m in (mean, sparse, categorical)]
        out += [sparse.name, categorical.name, mean.result().dtype.name,
                [v.name.split(":")[0] for v in mean.variables]]
        mean.reset_state()
        out.append(float(mean.result()))
        results.append(out)
    assert results[0][:4] == pytest.approx(results[1][:4])
    assert results[0][4:] == results[1][4:]


def test_metrics_update_inside_function():
    metric = tapejax.keras.metrics.Mean()

    @tapejax.function
    def step(x):
        metric.update_state(x)
        return metric.result()
    for k in range(3):
        out = step(tapejax.constant(float(k)))
    assert float(out) == 1.0 and step.experimental_get_tracing_count() == 1
