"""Variables are named under ``tf.name_scope`` and ``Module.name_scope`` as TF names them (#14),
following the patterns of TF's "Introduction to modules" guide."""
import pytest

import tapejax


def _scopes(tf):
    names = []
    with tf.name_scope("a"):
        names.append(tf.Variable(1.0).name)
        with tf.name_scope("b"):
            names.append(tf.Variable(1.0, name="x").name)
        with tf.name_scope("c/"):  # absolute
            names.append(tf.Variable(1.0, name="y").name)
        names.append(tf.Variable(1.0, name="z").name)
    names.append(tf.Variable(1.0, name="outside").name)
    return names


def _modules(tf):
    class Dense(tf.Module):
        def __init__(self, in_features, out_features, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
            self.b = tf.Variable(tf.zeros([out_features]), name="b")

    class MyLinear(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(tf.ones([2, 2]), name="w")

        @tf.Module.with_name_scope
        def __call__(self, x):
            if not hasattr(self, "v"):
                self.v = tf.Variable(2.0, name="v")
            return x * self.v

    class Sequential(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.dense = Dense(2, 3)
                self.linear = MyLinear()

    linear = MyLinear(name="my_linear")
    linear(1.0)
    model = Sequential(name="seq")
    return ([v.name for v in linear.variables] + [v.name for v in model.variables]
            + [v.name for v in Dense(1, 1, name="plain").variables])


@pytest.mark.parametrize("program", [_scopes, _modules])
def test_variable_names_match_tf(real_tf, program):
    assert program(tapejax) == program(real_tf)
