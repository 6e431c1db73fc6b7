"""TF1's ``tf.app``: ``run(main)`` parses the command line's flags (``tf.flags``) and calls ``main(argv)`` with the
arguments left, exiting with its return value, as TF1 does through absl."""
import sys

from . import flags  # noqa: F401 - tf.app.flags

__all__ = ["run", "flags"]


def run(main=None, argv=None):
    """Parse flags from ``argv`` (default ``sys.argv``), then ``sys.exit(main(remaining argv))``; ``main`` defaults
    to the ``main`` of the ``__main__`` module."""
    from absl import app as absl_app
    if main is None:
        main = sys.modules["__main__"].main
    absl_app.run(main, argv=argv)
