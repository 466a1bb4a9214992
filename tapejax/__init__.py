"""tapejax: TensorFlow's GradientTape programming model on JAX.

``import tapejax as tf`` and write TF2 code: tapes, Variables, ops. JAX computes every value
and every derivative. Importing tapejax turns on JAX's 64-bit mode, because TF has float64 and
int64 tensors (``int32 / int32`` is float64 in TF); tapejax still picks TF's default dtypes
(float32, int32) itself.
"""
import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import _compilation_cache  # noqa: E402

_compilation_cache.setup_at_import()

from . import dtypes as dtypes, errors as errors, linalg as linalg, math as math  # noqa: E402
from . import autodiff as autodiff, config as config, debugging as debugging  # noqa: E402
from . import nest as nest, nn as nn, random as random, test as test  # noqa: E402
from . import data as data, keras as keras, strings as strings  # noqa: E402
from . import io as io  # noqa: E402
from . import saved_model as saved_model  # noqa: E402
from . import autograph as autograph  # noqa: E402
from .custom_gradient import custom_gradient as custom_gradient  # noqa: E402
from .custom_gradient import recompute_grad as recompute_grad  # noqa: E402
from .dtypes import (  # noqa: E402
    DType as DType, as_dtype as as_dtype, bfloat16 as bfloat16, bool as bool,
    complex64 as complex64, complex128 as complex128, double as double, float16 as float16,
    float32 as float32, float64 as float64, half as half, int8 as int8, int16 as int16,
    int32 as int32, int64 as int64, uint8 as uint8, uint16 as uint16, uint32 as uint32,
    uint64 as uint64, string as string,
)
from .ops.array_ops import (  # noqa: E402
    argsort as argsort, boolean_mask as boolean_mask,
    broadcast_dynamic_shape as broadcast_dynamic_shape,
    broadcast_static_shape as broadcast_static_shape, broadcast_to as broadcast_to, concat as concat, ensure_shape as ensure_shape,
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
from .ops.clip_ops import (  # noqa: E402
    clip_by_global_norm as clip_by_global_norm, clip_by_norm as clip_by_norm,
    clip_by_value as clip_by_value,
)
from .ops.linalg_ops import (  # noqa: E402
    einsum as einsum, norm as norm, tensordot as tensordot,
)
from .ops.math_ops import (  # noqa: E402
    abs as abs, acos as acos, acosh as acosh, add as add, add_n as add_n, argmax as argmax,
    argmin as argmin, asin as asin, asinh as asinh, atan as atan, atan2 as atan2, atanh as atanh,
    cast as cast, cos as cos, cosh as cosh, cumsum as cumsum, divide as divide, equal as equal,
    exp as exp, floor as floor, floordiv as floordiv, greater as greater,
    greater_equal as greater_equal, identity as identity, less as less, less_equal as less_equal,
    log as log, logical_and as logical_and, logical_not as logical_not, logical_or as logical_or,
    matmul as matmul, maximum as maximum, minimum as minimum, multiply as multiply,
    negative as negative, not_equal as not_equal, pow as pow, reduce_all as reduce_all,
    reduce_any as reduce_any, reduce_logsumexp as reduce_logsumexp, reduce_max as reduce_max,
    reduce_mean as reduce_mean, reduce_min as reduce_min, reduce_prod as reduce_prod,
    reduce_sum as reduce_sum, round as round, sigmoid as sigmoid, sign as sign, sin as sin,
    sinh as sinh, sqrt as sqrt, square as square, stop_gradient as stop_gradient,
    subtract as subtract, tan as tan, tanh as tanh, truediv as truediv,
)
from .debugging import (  # noqa: E402
    Assert as Assert, assert_equal as assert_equal, assert_greater as assert_greater,
    assert_less as assert_less, assert_rank as assert_rank,
)
from .explain import explain_gradient as explain_gradient  # noqa: E402
from .framework import (  # noqa: E402
    control_dependencies as control_dependencies, executing_eagerly as executing_eagerly,
    get_logger as get_logger, group as group, identity_n as identity_n, no_op as no_op,
)
from .ops.linalg_ops import eye as eye  # noqa: E402
from .ops.array_ops import (  # noqa: E402
    tensor_scatter_nd_max as tensor_scatter_nd_max,
    tensor_scatter_nd_min as tensor_scatter_nd_min,
)
from .ops.special_ops import (  # noqa: E402
    realdiv as realdiv, truncatediv as truncatediv, truncatemod as truncatemod,
)
from .ops.index_ops import (  # noqa: E402
    batch_to_space as batch_to_space, complex as complex, dynamic_partition as dynamic_partition,
    dynamic_stitch as dynamic_stitch, histogram_fixed_width as histogram_fixed_width,
    histogram_fixed_width_bins as histogram_fixed_width_bins,
    required_space_to_batch_paddings as required_space_to_batch_paddings,
    space_to_batch as space_to_batch, space_to_batch_nd as space_to_batch_nd,
    unravel_index as unravel_index,
)
from . import image as image, io as io, signal as signal, version as version  # noqa: E402
from .keras import initializers as initializers, losses as losses  # noqa: E402
from .keras import metrics as metrics, optimizers as optimizers  # noqa: E402
from .indexed_slices import IndexedSlices as IndexedSlices  # noqa: E402
from .signal import (  # noqa: E402
    fftnd as fftnd, ifftnd as ifftnd, irfftnd as irfftnd, rfftnd as rfftnd,
)
from .init_ops import (  # noqa: E402
    Constant as constant_initializer, Ones as ones_initializer,
    RandomNormal as random_normal_initializer, RandomUniform as random_uniform_initializer,
    Zeros as zeros_initializer,
)
from .functional import (  # noqa: E402
    case as case, foldl as foldl, foldr as foldr, map_fn as map_fn,
    numpy_function as numpy_function, py_function as py_function, scan as scan,
    vectorized_map as vectorized_map,
)
from .framework import (  # noqa: E402
    AggregationMethod as AggregationMethod, Assert as Assert, device as device,
    get_static_value as get_static_value, guarantee_const as guarantee_const,
    init_scope as init_scope, inside_function as inside_function,
    is_symbolic_tensor as is_symbolic_tensor, timestamp as timestamp, tuple as tuple,
)
from .ops.math_ops import saturate_cast as saturate_cast, scalar_mul as scalar_mul  # noqa: E402
from .function import function as function  # noqa: E402
from .module import (  # noqa: E402
    Module as Module, get_current_name_scope as get_current_name_scope,
    name_scope as name_scope,
)
from .printing import print_ as print  # noqa: E402,A004 - TF's name
from .strings import as_string as as_string  # noqa: E402
from .tape import GradientTape as GradientTape  # noqa: E402
from .tape import UnconnectedGradients as UnconnectedGradients  # noqa: E402
from .tensor import (  # noqa: E402
    Tensor as Tensor, constant as constant, convert_to_tensor as convert_to_tensor,
    is_tensor as is_tensor,
)
from .tensor_array import TensorArray as TensorArray  # noqa: E402
from .tensor_shape import TensorShape as TensorShape  # noqa: E402
from .tensor_spec import TensorSpec as TensorSpec  # noqa: E402
from .variables import (  # noqa: E402
    Variable as Variable, VariableAggregation as VariableAggregation,
    VariableSynchronization as VariableSynchronization,
    variable_creator_scope as variable_creator_scope,
)
from . import distribute as distribute  # noqa: E402
from . import train as train  # noqa: E402
from . import profiler as profiler, summary as summary  # noqa: E402

newaxis = None
__version__ = "0.1.0"
