"""``df.errors``: TF's canonical error codes and the mapping between codes and classes (values as TF 2.21's)."""
import pickle

import pytest

import daskflow as df

CODES = {"OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
         "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
         "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
         "DATA_LOSS": 15, "UNAUTHENTICATED": 16}


def test_codes_and_classes_map_both_ways():
    for name, code in CODES.items():
        assert getattr(df.errors, name) == code
        if code:
            cls = df.errors.exception_type_from_error_code(code)
            assert issubclass(cls, df.errors.OpError) and cls.error_code == code
            assert df.errors.error_code_from_exception_type(cls) == code
    assert df.errors.exception_type_from_error_code(3) is df.errors.InvalidArgumentError
    assert df.errors.exception_type_from_error_code(5) is df.errors.NotFoundError
    with pytest.raises(KeyError):
        df.errors.exception_type_from_error_code(99)


def test_unknown_class_warns_and_gives_an_unknown_error():
    with pytest.warns(UserWarning, match="Unknown class exception"):
        got = df.errors.error_code_from_exception_type(ValueError)
    assert isinstance(got, df.errors.UnknownError) and str(got) == "Unknown class exception"


def test_errors_keep_their_class_and_message_across_processes():
    err = df.errors.OutOfRangeError(None, None, "End of sequence")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is df.errors.OutOfRangeError and back.message == "End of sequence" and back.error_code == 11
