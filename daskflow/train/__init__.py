"""TF1's ``tf.train``: optimizers, the global step and learning rate schedules, built on the public graph API."""
from .learning_rate import (cosine_decay, exponential_decay, inverse_time_decay, natural_exp_decay,  # noqa: F401
                            piecewise_constant, polynomial_decay)
from .optimizer import (AdadeltaOptimizer, AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,  # noqa: F401
                        MomentumOptimizer, Optimizer, RMSPropOptimizer)
from .training_util import (assert_global_step, create_global_step, get_global_step,  # noqa: F401
                            get_or_create_global_step, global_step)
