"""``tf.math``: elementwise, reduction and comparison ops."""
from .ops.math_ops import (  # noqa: F401
    abs as abs, add as add, cos as cos, divide as divide, equal as equal, exp as exp,
    floordiv as floordiv, floormod as floormod, greater as greater,
    greater_equal as greater_equal, less as less, less_equal as less_equal, log as log,
    maximum as maximum, minimum as minimum, multiply as multiply, negative as negative,
    not_equal as not_equal, pow as pow, reduce_all as reduce_all, reduce_any as reduce_any,
    reduce_max as reduce_max, reduce_mean as reduce_mean, reduce_min as reduce_min,
    reduce_prod as reduce_prod, reduce_sum as reduce_sum, sigmoid as sigmoid, sin as sin,
    sqrt as sqrt, square as square, subtract as subtract, tanh as tanh, truediv as truediv,
)
from .ops.math_ops import floormod as mod  # noqa: F401
