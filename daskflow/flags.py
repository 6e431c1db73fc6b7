"""TF1's ``tf.flags`` (and ``tf.app.flags``): absl's command-line flags, which TF1 re-exports (``DEFINE_string``,
``DEFINE_integer``, ``FLAGS``...). absl-py comes with daskflow's ``tf`` extra."""
try:
    from absl.flags import *  # noqa: F401,F403
    from absl.flags import FLAGS  # noqa: F401
except ImportError as e:  # pragma: no cover - absl-py comes with the tf and test extras
    raise ImportError("tf.flags is absl's flags module: pip install 'daskflow[tf]' (or absl-py)") from e
