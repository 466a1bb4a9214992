"""tapejax: TensorFlow's GradientTape programming model on JAX.

``import tapejax as tf`` and write TF2 code: tapes, Variables, ops. JAX computes every value
and every derivative. Importing tapejax turns on JAX's 64-bit mode, because TF has float64 and
int64 tensors (``int32 / int32`` is float64 in TF); tapejax still picks TF's default dtypes
(float32, int32) itself.
"""
import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import dtypes as dtypes, errors as errors, linalg as linalg, math as math  # noqa: E402
from . import autodiff as autodiff, debugging as debugging, nest as nest, nn as nn  # noqa: E402
from . import test as test  # noqa: E402
from ._backprop import CACHE as _GRADIENT_CACHE  # noqa: E402
from .custom_gradient import custom_gradient as custom_gradient  # noqa: E402
from .custom_gradient import recompute_grad as recompute_grad  # noqa: E402
from .dtypes import (  # noqa: E402
    DType as DType, as_dtype as as_dtype, bfloat16 as bfloat16, bool as bool,
    complex64 as complex64, complex128 as complex128, double as double, float16 as float16,
    float32 as float32, float64 as float64, half as half, int8 as int8, int16 as int16,
    int32 as int32, int64 as int64, uint8 as uint8, uint16 as uint16, uint32 as uint32,
    uint64 as uint64,
)
from .ops.array_ops import (  # noqa: E402
    concat as concat, expand_dims as expand_dims, fill as fill, ones as ones,
    ones_like as ones_like, range as range, rank as rank, reshape as reshape, shape as shape,
    size as size, squeeze as squeeze, stack as stack, transpose as transpose,
    unstack as unstack, where as where, zeros as zeros, zeros_like as zeros_like,
)
from .ops.math_ops import (  # noqa: E402
    abs as abs, add as add, cast as cast, cos as cos, divide as divide, equal as equal,
    exp as exp, floordiv as floordiv, greater as greater, greater_equal as greater_equal,
    identity as identity, less as less, less_equal as less_equal, log as log,
    matmul as matmul, maximum as maximum, minimum as minimum, multiply as multiply,
    negative as negative, not_equal as not_equal, pow as pow, reduce_all as reduce_all,
    reduce_any as reduce_any, reduce_max as reduce_max, reduce_mean as reduce_mean,
    reduce_min as reduce_min, reduce_prod as reduce_prod, reduce_sum as reduce_sum,
    sigmoid as sigmoid, sin as sin, sqrt as sqrt, square as square,
    stop_gradient as stop_gradient, subtract as subtract, tanh as tanh, truediv as truediv,
)
from .explain import explain_gradient as explain_gradient  # noqa: E402
from .function import function as function  # noqa: E402
from .printing import print_ as print  # noqa: E402,A004 - TF's name
from .tape import GradientTape as GradientTape  # noqa: E402
from .tape import UnconnectedGradients as UnconnectedGradients  # noqa: E402
from .tensor import (  # noqa: E402
    Tensor as Tensor, constant as constant, convert_to_tensor as convert_to_tensor,
    is_tensor as is_tensor,
)
from .tensor_shape import TensorShape as TensorShape  # noqa: E402
from .tensor_spec import TensorSpec as TensorSpec  # noqa: E402
from .variables import (  # noqa: E402
    Variable as Variable, VariableAggregation as VariableAggregation,
    VariableSynchronization as VariableSynchronization,
    variable_creator_scope as variable_creator_scope,
)
from . import distribute as distribute  # noqa: E402

newaxis = None
__version__ = "0.1.0"
