"""TF1's ``tf.logging``: leveled logging to the ``tensorflow`` logger of Python's ``logging`` (what TF1 logs to, so
handlers and filters set up for TF programs apply), with TF's level numbers and its ``log_every_n`` helpers."""
import logging as _logging
import sys as _sys

__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "TaskLevelStatusMessage", "debug", "info", "warn", "warning",
           "error", "fatal", "log", "log_every_n", "log_first_n", "log_if", "vlog", "flush", "get_verbosity",
           "set_verbosity", "get_logger"]

DEBUG, INFO, WARN, ERROR, FATAL = _logging.DEBUG, _logging.INFO, _logging.WARN, _logging.ERROR, _logging.FATAL
_counts = {}


def get_logger():
    """The ``tensorflow`` logger (a handler to stderr is added on first use when it has none, as TF's)."""
    logger = _logging.getLogger("tensorflow")
    if not logger.handlers and not _logging.getLogger().handlers:
        handler = _logging.StreamHandler(_sys.stderr)
        handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        logger.addHandler(handler)
        if logger.level == _logging.NOTSET:
            logger.setLevel(WARN)
    return logger


def log(level, msg, *args, **kwargs):
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    get_logger().info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    get_logger().warning(msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs):
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    get_logger().critical(msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    get_logger().log(level, msg, *args, **kwargs)


def _caller():
    f = _sys._getframe(2)
    return f.f_code.co_filename, f.f_lineno


def log_every_n(level, msg, n, *args):
    """Log ``msg`` on the 1st, (n+1)th, (2n+1)th... call from the same line."""
    key = _caller()
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count % n == 0:
        log(level, msg, *args)


def log_first_n(level, msg, n, *args):
    """Log ``msg`` on the first ``n`` calls from the same line."""
    key = _caller()
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count < n:
        log(level, msg, *args)


def log_if(level, msg, condition, *args):
    if condition:
        log(level, msg, *args)


def flush():
    for handler in get_logger().handlers:
        handler.flush()


def get_verbosity():
    """The ``tensorflow`` logger's effective level."""
    return get_logger().getEffectiveLevel()


def set_verbosity(v):
    """Log messages of level ``v`` (``tf.logging.INFO``...) and above."""
    get_logger().setLevel(v)


def TaskLevelStatusMessage(msg):  # noqa: N802 - TF's name
    error(msg)
