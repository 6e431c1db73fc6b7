"""``df.app.run`` and ``df.flags`` (absl's flags, as TF1 re-exports them): a TF1-style script parses its flags and
exits with main's return value."""
import subprocess
import sys
import textwrap

import daskflow as df


def test_flags_is_absl():
    import absl.flags
    assert df.flags.DEFINE_string is absl.flags.DEFINE_string and df.flags.FLAGS is absl.flags.FLAGS
    assert df.app.flags is df.flags


def test_a_tf1_script_runs_with_its_flags(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import daskflow as tf
        tf.app.flags.DEFINE_integer("steps", 3, "training steps")
        tf.flags.DEFINE_string("name", "model", "a name")
        FLAGS = tf.flags.FLAGS

        def main(argv):
            x = tf.Variable(0.0)
            step = tf.assign_add(x, 2.0)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                for _ in range(FLAGS.steps):
                    v = s.run(step)
            print(FLAGS.name, v, argv[1:])
            return 3

        if __name__ == "__main__":
            tf.app.run()
    """))
    out = subprocess.run([sys.executable, str(script), "--steps=5", "--name", "lin", "--", "rest"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == "lin 10.0 ['rest']"
