"""TF's ``tf.math.special`` namespace: Bessel functions, Dawson's, exponential, Fresnel and Spence's integrals."""
from .ops import special as _special

__all__ = list(_special.SPECIAL)
globals().update({n: getattr(_special, n) for n in __all__})
