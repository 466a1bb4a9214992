"""tapejax: TensorFlow's GradientTape programming model on JAX.

``import tapejax as tf`` and write TF2 code: tapes, Variables, ops. JAX computes every value
and every derivative. Importing tapejax turns on JAX's 64-bit mode, because TF has float64 and
int64 tensors (``int32 / int32`` is float64 in TF); tapejax still picks TF's default dtypes
(float32, int32) itself.
"""
import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import _compilation_cache

_compilation_cache.setup_at_import()

from . import (
    _internal as __internal__,
    _keras as _keras,
    autodiff as autodiff,
    autograph as autograph,
    bitwise as bitwise,
    config as config,
    data as data,
    debugging as debugging,
    distribute as distribute,
    dtypes as dtypes,
    errors as errors,
    experimental as experimental,
    image as image,
    io as io,
    linalg as linalg,
    math as math,
    nest as nest,
    nn as nn,
    profiler as profiler,
    ragged as ragged,
    random as random,
    raw_ops as raw_ops,
    saved_model as saved_model,
    signal as signal,
    sparse as sparse,
    strings as strings,
    summary as summary,
    test as test,
    train as train,
    version as version,
)
from .composite import (
    TypeSpec as TypeSpec,
    is_tensor as is_tensor,
    type_spec_from_value as type_spec_from_value,
)
from .custom_gradient import (
    custom_gradient as custom_gradient,
    recompute_grad as recompute_grad,
)
from .data._optional import OptionalSpec as OptionalSpec
from .debugging import (
    assert_equal as assert_equal,
    assert_greater as assert_greater,
    assert_less as assert_less,
    assert_rank as assert_rank,
)
from .dtypes import (
    DType as DType,
    as_dtype as as_dtype,
    bfloat16 as bfloat16,
    bool as bool,
    complex64 as complex64,
    complex128 as complex128,
    double as double,
    float16 as float16,
    float32 as float32,
    float64 as float64,
    half as half,
    int8 as int8,
    int16 as int16,
    int32 as int32,
    int64 as int64,
    string as string,
    uint8 as uint8,
    uint16 as uint16,
    uint32 as uint32,
    uint64 as uint64,
)
from .explain import explain_gradient as explain_gradient
from .framework import (
    AggregationMethod as AggregationMethod,
    Assert as Assert,
    control_dependencies as control_dependencies,
    device as device,
    executing_eagerly as executing_eagerly,
    get_logger as get_logger,
    get_static_value as get_static_value,
    group as group,
    guarantee_const as guarantee_const,
    identity_n as identity_n,
    init_scope as init_scope,
    inside_function as inside_function,
    is_symbolic_tensor as is_symbolic_tensor,
    no_op as no_op,
    timestamp as timestamp,
    tuple as tuple,
)
from .function import function as function
from .functional import (
    case as case,
    foldl as foldl,
    foldr as foldr,
    map_fn as map_fn,
    numpy_function as numpy_function,
    py_function as py_function,
    scan as scan,
    vectorized_map as vectorized_map,
)
from .indexed_slices import IndexedSlices as IndexedSlices
from .init_ops import (
    Constant as constant_initializer,
    Ones as ones_initializer,
    RandomNormal as random_normal_initializer,
    RandomUniform as random_uniform_initializer,
    Zeros as zeros_initializer,
)
from .module import (
    Module as Module,
    get_current_name_scope as get_current_name_scope,
    name_scope as name_scope,
)
from .ops.array_ops import (
    argsort as argsort,
    boolean_mask as boolean_mask,
    broadcast_dynamic_shape as broadcast_dynamic_shape,
    broadcast_static_shape as broadcast_static_shape,
    broadcast_to as broadcast_to,
    concat as concat,
    ensure_shape as ensure_shape,
    expand_dims as expand_dims,
    fill as fill,
    gather as gather,
    gather_nd as gather_nd,
    linspace as linspace,
    meshgrid as meshgrid,
    one_hot as one_hot,
    ones as ones,
    ones_like as ones_like,
    pad as pad,
    range as range,
    rank as rank,
    repeat as repeat,
    reshape as reshape,
    reverse as reverse,
    reverse_sequence as reverse_sequence,
    roll as roll,
    scatter_nd as scatter_nd,
    searchsorted as searchsorted,
    sequence_mask as sequence_mask,
    shape as shape,
    shape_n as shape_n,
    size as size,
    slice as slice,
    sort as sort,
    split as split,
    squeeze as squeeze,
    stack as stack,
    strided_slice as strided_slice,
    tensor_scatter_nd_add as tensor_scatter_nd_add,
    tensor_scatter_nd_max as tensor_scatter_nd_max,
    tensor_scatter_nd_min as tensor_scatter_nd_min,
    tensor_scatter_nd_sub as tensor_scatter_nd_sub,
    tensor_scatter_nd_update as tensor_scatter_nd_update,
    tile as tile,
    transpose as transpose,
    unique as unique,
    unique_with_counts as unique_with_counts,
    unstack as unstack,
    where as where,
    zeros as zeros,
    zeros_like as zeros_like,
)
from .ops.bitwise_ops import bitcast as bitcast
from .ops.clip_ops import (
    clip_by_global_norm as clip_by_global_norm,
    clip_by_norm as clip_by_norm,
    clip_by_value as clip_by_value,
)
from .ops.control_flow_ops import (
    cond as cond,
    switch_case as switch_case,
    while_loop as while_loop,
)
from .ops.index_ops import (
    batch_to_space as batch_to_space,
    complex as complex,
    dynamic_partition as dynamic_partition,
    dynamic_stitch as dynamic_stitch,
    histogram_fixed_width as histogram_fixed_width,
    histogram_fixed_width_bins as histogram_fixed_width_bins,
    required_space_to_batch_paddings as required_space_to_batch_paddings,
    space_to_batch as space_to_batch,
    space_to_batch_nd as space_to_batch_nd,
    unravel_index as unravel_index,
)
from .ops.linalg_ops import (
    einsum as einsum,
    eye as eye,
    norm as norm,
    tensordot as tensordot,
)
from .ops.math_ops import (
    abs as abs,
    acos as acos,
    acosh as acosh,
    add as add,
    add_n as add_n,
    argmax as argmax,
    argmin as argmin,
    asin as asin,
    asinh as asinh,
    atan as atan,
    atan2 as atan2,
    atanh as atanh,
    cast as cast,
    cos as cos,
    cosh as cosh,
    cumsum as cumsum,
    divide as divide,
    equal as equal,
    exp as exp,
    floor as floor,
    floordiv as floordiv,
    greater as greater,
    greater_equal as greater_equal,
    identity as identity,
    less as less,
    less_equal as less_equal,
    log as log,
    logical_and as logical_and,
    logical_not as logical_not,
    logical_or as logical_or,
    matmul as matmul,
    maximum as maximum,
    minimum as minimum,
    multiply as multiply,
    negative as negative,
    not_equal as not_equal,
    pow as pow,
    reduce_all as reduce_all,
    reduce_any as reduce_any,
    reduce_logsumexp as reduce_logsumexp,
    reduce_max as reduce_max,
    reduce_mean as reduce_mean,
    reduce_min as reduce_min,
    reduce_prod as reduce_prod,
    reduce_sum as reduce_sum,
    round as round,
    saturate_cast as saturate_cast,
    scalar_mul as scalar_mul,
    sigmoid as sigmoid,
    sign as sign,
    sin as sin,
    sinh as sinh,
    sqrt as sqrt,
    square as square,
    stop_gradient as stop_gradient,
    subtract as subtract,
    tan as tan,
    tanh as tanh,
    truediv as truediv,
)
from .ops.special_ops import (
    realdiv as realdiv,
    truncatediv as truncatediv,
    truncatemod as truncatemod,
)
from .printing import print_ as print
from .ragged_tensor import RaggedTensor as RaggedTensor, RaggedTensorSpec as RaggedTensorSpec
from .signal import (
    fftnd as fftnd,
    ifftnd as ifftnd,
    irfftnd as irfftnd,
    rfftnd as rfftnd,
)
from .sparse_tensor import SparseTensor as SparseTensor, SparseTensorSpec as SparseTensorSpec
from .strings import as_string as as_string
from .tape import GradientTape as GradientTape, UnconnectedGradients as UnconnectedGradients
from .tensor import (
    Tensor as Tensor,
    constant as constant,
    convert_to_tensor as convert_to_tensor,
)
from .tensor_array import TensorArray as TensorArray
from .tensor_shape import TensorShape as TensorShape
from .tensor_spec import TensorSpec as TensorSpec
from .variables import (
    Variable as Variable,
    VariableAggregation as VariableAggregation,
    VariableSynchronization as VariableSynchronization,
    variable_creator_scope as variable_creator_scope,
)

newaxis = None
__version__ = "0.1.0"


def __getattr__(name):
    """``tf.keras`` and TF's Keras aliases (``tf.losses``, ``tf.metrics``, ``tf.optimizers``,
    ``tf.initializers``): the real Keras 3, imported on first use (``_keras.py``)."""
    if name in _keras.KERAS_ATTRIBUTES:
        value = _keras.load(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tapejax' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_keras.KERAS_ATTRIBUTES))
