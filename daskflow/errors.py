"""Errors, named and arranged as TensorFlow's ``tf.errors``.

Every error carries the operation at fault (``.op``, may be None) and a message
naming the op, its type and the tensor or shapes involved.
"""
import warnings

__all__ = [
    "OpError", "CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
    "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "DataLossError", "UnauthenticatedError",
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED", "exception_type_from_error_code",
    "error_code_from_exception_type",
]


class OpError(Exception):
    """Base class of daskflow's errors, as ``tf.errors.OpError``.

    Parameters
    ----------
    node_def : object or None
        Kept for TensorFlow compatibility (daskflow passes None).
    op : Operation or None
        The operation at fault, when known.
    message : str
        What went wrong; names the op and the tensor at fault.
    """

    error_code = 2

    def __init__(self, node_def, op, message, *args):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __reduce__(self):
        # ops hold graphs: only the message travels between processes
        return (type(self), (None, None, self.message))

    def __str__(self):
        return self.message


def _make(name, code, doc, *bases):
    cls = type(name, (OpError, *bases), {"error_code": code, "__doc__": doc, "__module__": __name__})
    globals()[name] = cls
    return cls


CancelledError = _make("CancelledError", 1, "An operation or step was cancelled.")
UnknownError = _make("UnknownError", 2, "An error of unknown kind.")
InvalidArgumentError = _make("InvalidArgumentError", 3, "An op received an invalid argument (shape, dtype or value).",
                             ValueError)
DeadlineExceededError = _make("DeadlineExceededError", 4, "A deadline expired before the operation completed.")
NotFoundError = _make("NotFoundError", 5, "A requested entity (tensor, op, file) was not found.", KeyError)
AlreadyExistsError = _make("AlreadyExistsError", 6, "An entity that was to be created already exists.")
PermissionDeniedError = _make("PermissionDeniedError", 7, "The caller may not run this operation.")
ResourceExhaustedError = _make("ResourceExhaustedError", 8, "A resource (memory, disk) would be exhausted.")
FailedPreconditionError = _make("FailedPreconditionError", 9,
                                "The system is not in a state to run the operation, e.g. an uninitialised variable.")
AbortedError = _make("AbortedError", 10, "The operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", 11, "An iterator or index ran past its end.")
UnimplementedError = _make("UnimplementedError", 12, "The operation is not supported for these arguments.")
InternalError = _make("InternalError", 13, "An internal invariant broke: a bug in daskflow.")
UnavailableError = _make("UnavailableError", 14, "A service (scheduler, worker) is unavailable.")
DataLossError = _make("DataLossError", 15, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _make("UnauthenticatedError", 16, "The request lacks valid authentication.")


def describe(op):
    """``'name' (type Type)``, the way messages name an op."""
    return f"'{op.name}' (type {op.type})" if op is not None else "<no op>"


def raise_for(cls, op, message):
    """Raise ``cls`` with ``message`` prefixed by the op's description."""
    raise cls(None, op, f"{message} [op {describe(op)}]" if op is not None else message)


# TF's canonical error codes (``tf.errors.OK`` ... ``tf.errors.UNAUTHENTICATED``), the ``error_code`` of each class
(OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
 RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS,
 UNAUTHENTICATED) = range(17)
_BY_CODE = {cls.error_code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError, AlreadyExistsError,
    PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError, AbortedError, OutOfRangeError,
    UnimplementedError, InternalError, UnavailableError, DataLossError, UnauthenticatedError)}


def exception_type_from_error_code(error_code):
    """The error class of a canonical error code (KeyError for a code with none, as TF)."""
    return _BY_CODE[error_code]


def error_code_from_exception_type(cls):
    """The canonical error code of an error class. For a class that is not one of ``tf.errors``' TF warns and returns
    an ``UnknownError`` instance rather than a code; so does this."""
    if cls in _BY_CODE.values():
        return cls.error_code
    warnings.warn("Unknown class exception")
    return UnknownError(None, None, "Unknown class exception")
