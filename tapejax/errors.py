"""Exception classes mirroring ``tf.errors`` and the user-facing message texts.

Messages that TF users know are kept word for word (including TF's own typos), so code and
tests written against TensorFlow's messages keep working.
"""


class OpError(Exception):
    """Base class of op errors, as ``tf.errors.OpError(node_def, op, message)``."""

    error_code = 2

    def __init__(self, node_def, op, message, *args):
        super().__init__(message, *args)
        self._node_def = node_def
        self._op = op
        self._message = message

    message = property(lambda self: self._message)
    op = property(lambda self: self._op)
    node_def = property(lambda self: self._node_def)

    def __str__(self):
        return self._message

    def __reduce__(self):
        return type(self), (self._node_def, self._op, self._message)


def _error(name, code, doc):
    cls = type(name, (OpError,), {"__doc__": doc, "error_code": code})

    def __init__(self, node_def=None, op=None, message="", *args):
        OpError.__init__(self, node_def, op, message, *args)

    cls.__init__ = __init__
    return cls


CancelledError = _error("CancelledError", 1, "An operation was cancelled.")
UnknownError = _error("UnknownError", 2, "Unknown error.")
InvalidArgumentError = _error("InvalidArgumentError", 3, "An op received an invalid argument.")
DeadlineExceededError = _error("DeadlineExceededError", 4, "A deadline expired.")
NotFoundError = _error("NotFoundError", 5, "A requested entity was not found.")
AlreadyExistsError = _error("AlreadyExistsError", 6, "An entity already exists.")
PermissionDeniedError = _error("PermissionDeniedError", 7, "Permission denied.")
ResourceExhaustedError = _error("ResourceExhaustedError", 8, "A resource was exhausted.")
FailedPreconditionError = _error("FailedPreconditionError", 9, "A precondition failed.")
AbortedError = _error("AbortedError", 10, "An operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", 11, "An operation iterated past the valid range.")
UnimplementedError = _error("UnimplementedError", 12, "An operation is not implemented.")
InternalError = _error("InternalError", 13, "An internal invariant was broken.")
UnavailableError = _error("UnavailableError", 14, "The runtime is currently unavailable.")
DataLossError = _error("DataLossError", 15, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _error("UnauthenticatedError", 16, "Missing valid authentication.")


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operation (``bool``, iteration) that a traced tensor cannot support, as TF's."""


class InaccessibleTensorError(ValueError):
    """A tensor of a staged loop or branch body used outside it (TF's class, which
    ``tf.errors`` does not export either)."""


# --- Message texts (TF's wording where TF users rely on it) -------------------------------
NON_PERSISTENT_USED = ("A non-persistent GradientTape can only be used to compute one set of "
                       "gradients (or jacobians)")
TAPE_STILL_RECORDING = ("Tape is still recording, This can happen if you try to re-enter an "
                        "already-active tape.")
TAPE_NOT_RECORDING = "Tape is not recording."
STOP_RECORDING_INACTIVE = "Trying to stop recording a tape which is not recording."
TARGET_IS_NONE = ("Argument `target` should be a list or nested structure of Tensors, Variables "
                  "or CompositeTensors to be differentiated, but received None.")
WATCH_NOT_TENSOR = ("Passed in object {obj} of type {typ!r}, not tf.Tensor or tf.Variable or "
                    "ExtensionType.")
WATCH_NOT_FLOAT = "The dtype of the watched tensor must be floating (e.g. tf.float32), got %r"
PERSISTENT_GRADIENT_IN_CONTEXT = (
    "Calling GradientTape.gradient on a persistent tape inside its context is significantly less "
    "efficient than calling it outside the context (it causes the gradient ops to be recorded on "
    "the tape, leading to increased CPU and memory usage). Only call GradientTape.gradient inside "
    "the context if you actually want to trace the gradient in order to compute higher order "
    "derivatives.")
UNKNOWN_UNCONNECTED = "Unknown value for unconnected_gradients: %r"
# TF's texts, double spaces included.
JACOBIAN_NEEDS_PERSISTENT = ("GradientTape must be created with persistent=True to compute the "
                             "jacobian with eager execution enabled and with  "
                             "experimental_use_pfor set to False.")
BATCH_JACOBIAN_NEEDS_PERSISTENT = ("GradientTape must be created with persistent=True to "
                                   "compute the batch_jacobian with eager execution enabled "
                                   "and  with experimental_use_pfor set to False.")
BATCH_JACOBIAN_SHAPES = ("Need first dimension of target shape ({target}) and source shape "
                         "({source}) to match.")
DTYPE_MISMATCH = ("cannot compute {op} as input #{index}(zero-based) was expected to be a "
                  "{expected} tensor but is a {got} tensor [Op:{op}] name: ")
CONVERSION_DTYPE = ("Tensor conversion requested dtype {requested} for Tensor with dtype {actual}: "
                    "{value!r}")
VARIABLE_CONVERSION_DTYPE = ("Incompatible type conversion requested to type {requested} for "
                             "`tf.Variable of type {actual}. (Variable: {value!r})")
CANNOT_CONVERT = "Cannot convert {value!r} to EagerTensor of dtype {dtype}"
PARTIAL_SHAPE = "Cannot convert a partially known TensorShape {shape} to a Tensor."
KERNEL_TYPE_NAMES = {"float16": "half", "float32": "float", "float64": "double"}  # TF's names
TENSOR_UNHASHABLE = "Tensor is unhashable. Instead, use tensor.ref() as the key."
VARIABLE_UNHASHABLE = ("Variable is unhashable. Instead, use variable.ref() as the key. "
                       "(Variable: {var!r})")
ASSIGN_SHAPE = ("Cannot assign value to variable ' {name}': Shape mismatch.The variable shape "
                "{var_shape}, and the assigned value shape {value_shape} are incompatible.")
BOOL_IN_GRAPH = (
    "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed. Inside tapejax.function "
    "(and any JAX transformation) tensors are traced and have no value yet, so a Python `if` or "
    "`while` cannot branch on them unless AutoGraph converts the code (it is off with "
    "`autograph=False` and for `do_not_convert` functions). Use "
    "`tf.cond(pred, true_fn, false_fn)` instead of `if`, `tf.while_loop(cond, body, loop_vars)` "
    "instead of `while`, or `tf.where` to select elementwise.")
SCALAR_IN_GRAPH = (
    "{kind}() argument must be a string or a real number, not 'SymbolicTensor': inside "
    "tapejax.function tensors are traced and have no Python value. Keep the value a tensor, or "
    "pass it to the function as a Python number.")
SYMBOLIC_NUMPY = "'SymbolicTensor' object has no attribute 'numpy'"
OUT_OF_SCOPE = (
    "{tensor} is out of scope and cannot be used here. Use return values, explicit Python locals "
    "or TensorFlow collections to access it.\nPlease see "
    "https://www.tensorflow.org/guide/function#all_outputs_of_a_tffunction_must_be_return_values "
    "for more information.")
