"""``tf.math``: elementwise, reduction, scan, segment and comparison ops."""
from .ops.math_ops import (  # noqa: F401
    abs as abs, acos as acos, acosh as acosh, add as add, add_n as add_n, argmax as argmax,
    argmin as argmin, asin as asin, asinh as asinh, atan as atan, atan2 as atan2, atanh as atanh,
    bincount as bincount, ceil as ceil, cos as cos, cosh as cosh, count_nonzero as count_nonzero,
    cumprod as cumprod, cumsum as cumsum, digamma as digamma, divide as divide,
    divide_no_nan as divide_no_nan, equal as equal, erf as erf, erfc as erfc, exp as exp,
    expm1 as expm1, floor as floor, floordiv as floordiv, floormod as floormod, greater as greater,
    greater_equal as greater_equal, is_finite as is_finite, is_inf as is_inf, is_nan as is_nan,
    l2_normalize as l2_normalize, less as less, less_equal as less_equal, lgamma as lgamma,
    log as log, log1p as log1p, log_sigmoid as log_sigmoid, logical_and as logical_and,
    logical_not as logical_not, logical_or as logical_or, logical_xor as logical_xor,
    maximum as maximum, minimum as minimum, multiply as multiply,
    multiply_no_nan as multiply_no_nan, negative as negative, not_equal as not_equal, pow as pow,
    reciprocal as reciprocal, reduce_all as reduce_all, reduce_any as reduce_any,
    reduce_euclidean_norm as reduce_euclidean_norm, reduce_logsumexp as reduce_logsumexp,
    reduce_max as reduce_max, reduce_mean as reduce_mean, reduce_min as reduce_min,
    reduce_prod as reduce_prod, reduce_std as reduce_std, reduce_sum as reduce_sum,
    reduce_variance as reduce_variance, round as round, rsqrt as rsqrt, segment_sum as segment_sum,
    sigmoid as sigmoid, sign as sign, sin as sin, sinh as sinh, softplus as softplus, sqrt as sqrt,
    square as square, squared_difference as squared_difference, subtract as subtract, tan as tan,
    tanh as tanh, top_k as top_k, truediv as truediv, unsorted_segment_sum as unsorted_segment_sum,
    xdivy as xdivy, xlogy as xlogy,
)
from .ops.math_ops import floormod as mod  # noqa: F401
from . import _math_special as special  # noqa: F401,E402
from .ops.composite_ops import (  # noqa: F401,E402
    accumulate_n as accumulate_n, approx_max_k as approx_max_k, betainc as betainc,
    confusion_matrix as confusion_matrix, cumulative_logsumexp as cumulative_logsumexp,
    in_top_k as in_top_k, invert_permutation as invert_permutation,
    is_non_decreasing as is_non_decreasing, is_strictly_increasing as is_strictly_increasing,
    lbeta as lbeta, polyval as polyval,
)
from .ops.math_ops import scalar_mul as scalar_mul  # noqa: F401,E402
from .ops.nn_ops import (  # noqa: F401,E402
    log_softmax as log_softmax, softmax as softmax, softsign as softsign,
    zero_fraction as zero_fraction,
)
from .ops.segment_ops import (  # noqa: F401,E402
    segment_max as segment_max, segment_mean as segment_mean, segment_min as segment_min,
    segment_prod as segment_prod, unsorted_segment_max as unsorted_segment_max,
    unsorted_segment_mean as unsorted_segment_mean, unsorted_segment_min as unsorted_segment_min,
    unsorted_segment_prod as unsorted_segment_prod,
    unsorted_segment_sqrt_n as unsorted_segment_sqrt_n,
)
from .ops.special_ops import (  # noqa: F401,E402
    angle as angle, bessel_i0 as bessel_i0, bessel_i0e as bessel_i0e, bessel_i1 as bessel_i1,
    bessel_i1e as bessel_i1e, conj as conj, erfcinv as erfcinv, erfinv as erfinv,
    igamma as igamma, igammac as igammac, imag as imag, ndtri as ndtri, nextafter as nextafter,
    real as real, reciprocal_no_nan as reciprocal_no_nan, rint as rint, xlog1py as xlog1py,
)
