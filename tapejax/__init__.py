"""tapejax: TensorFlow's GradientTape programming model on JAX.

``import tapejax as tf`` and write TF2 code: tapes, Variables, ops. JAX computes every value
and every derivative. Importing tapejax turns on JAX's 64-bit mode, because TF has float64 and
int64 tensors (``int32 / int32`` is float64 in TF); tapejax still picks TF's default dtypes
(float32, int32) itself.
"""
import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import dtypes as dtypes, errors as errors, linalg as linalg, math as math  # noqa: E402
from . import nest as nest, nn as nn, random as random  # noqa: E402
from ._backprop import CACHE as _GRADIENT_CACHE  # noqa: E402
from .dtypes import (  # noqa: E402
    DType as DType, as_dtype as as_dtype, bfloat16 as bfloat16, bool as bool,
    complex64 as complex64, complex128 as complex128, double as double, float16 as float16,
    float32 as float32, float64 as float64, half as half, int8 as int8, int16 as int16,
    int32 as int32, int64 as int64, uint8 as uint8, uint16 as uint16, uint32 as uint32,
    uint64 as uint64,
)
from .ops.array_ops import (  # noqa: E402
    argsort as argsort, boolean_mask as boolean_mask,
    broadcast_dynamic_shape as broadcast_dynamic_shape,
    broadcast_static_shape as broadcast_static_shape, broadcast_to as broadcast_to,
    clip_by_global_norm as clip_by_global_norm, clip_by_norm as clip_by_norm,
    clip_by_value as clip_by_value, concat as concat, ensure_shape as ensure_shape,
    expand_dims as expand_dims, fill as fill, gather as gather, gather_nd as gather_nd,
    linspace as linspace, meshgrid as meshgrid, one_hot as one_hot, ones as ones,
    ones_like as ones_like, pad as pad, range as range, rank as rank, repeat as repeat,
    reshape as reshape, reverse as reverse, reverse_sequence as reverse_sequence, roll as roll,
    scatter_nd as scatter_nd, searchsorted as searchsorted, sequence_mask as sequence_mask,
    shape as shape, shape_n as shape_n, size as size, slice as slice, sort as sort,
    split as split, squeeze as squeeze, stack as stack, strided_slice as strided_slice,
    tensor_scatter_nd_add as tensor_scatter_nd_add,
    tensor_scatter_nd_sub as tensor_scatter_nd_sub,
    tensor_scatter_nd_update as tensor_scatter_nd_update, tile as tile, transpose as transpose,
    unique as unique, unique_with_counts as unique_with_counts, unstack as unstack,
    where as where, zeros as zeros, zeros_like as zeros_like,
)
from .ops.control_flow_ops import (  # noqa: E402
    cond as cond, switch_case as switch_case, while_loop as while_loop,
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
)

newaxis = None
__version__ = "0.1.0"
