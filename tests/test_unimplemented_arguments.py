"""Arguments Keras accepts that tapejax does not implement raise, naming the argument (#14).

Real Keras applies a regularizer (``model.losses``); tapejax's hand-written layers have none,
so a non-default value is a ``NotImplementedError`` rather than a silently different model.
"""
import pytest

import tapejax as tf

CASES = [
    (tf.keras.layers.Dense, (3,), "kernel_regularizer", "l2"),
    (tf.keras.layers.Dense, (3,), "bias_regularizer", "l2"),
    (tf.keras.layers.Dense, (3,), "activity_regularizer", "l2"),
    (tf.keras.layers.Dense, (3,), "lora_rank", 2),
    (tf.keras.layers.Conv2D, (2, 3), "kernel_regularizer", "l1"),
    (tf.keras.layers.Conv2D, (2, 3), "bias_regularizer", "l1"),
    (tf.keras.layers.Conv2D, (2, 3), "activity_regularizer", "l1"),
    (tf.keras.layers.Embedding, (5, 2), "embeddings_regularizer", "l2"),
    (tf.keras.layers.Embedding, (5, 2), "lora_rank", 2),
    (tf.keras.layers.LayerNormalization, (), "gamma_regularizer", "l2"),
    (tf.keras.layers.LayerNormalization, (), "beta_constraint", "non_neg"),
    (tf.keras.layers.BatchNormalization, (), "beta_regularizer", "l2"),
    (tf.keras.layers.BatchNormalization, (), "gamma_constraint", "non_neg"),
]


@pytest.mark.parametrize("layer, args, argument, value", CASES,
                         ids=[f"{c[0].__name__}-{c[2]}" for c in CASES])
def test_unimplemented_layer_argument_raises_naming_it(real_tf, layer, args, argument, value):
    getattr(real_tf.keras.layers, layer.__name__)(*args, **{argument: value})  # Keras takes it
    with pytest.raises(NotImplementedError, match=f"`{argument}`"):
        layer(*args, **{argument: value})
    assert layer(*args, **{argument: None}).losses == []


def test_add_weight_regularizer_raises():
    layer = tf.keras.layers.Layer()
    with pytest.raises(NotImplementedError, match="`regularizer`"):
        layer.add_weight(shape=(2,), regularizer="l2")
