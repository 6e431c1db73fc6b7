"""TF1's ``tf.distributions``: probability distributions on the graph (sampling, densities, distribution
functions, moments and KL divergences).

Examples
--------
>>> import daskflow as df
>>> d = df.distributions.Normal(loc=0.0, scale=1.0)
>>> with df.Session() as s:
...     round(float(s.run(d.log_prob(0.0))), 6)
-0.918939
"""
from .continuous import Laplace, Normal, StudentT, Uniform
from .discrete import Bernoulli, Categorical
from .distribution import FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED, Distribution, ReparameterizationType
from .gamma import Beta, Exponential, Gamma
from .kullback_leibler import RegisterKL, kl_divergence
from .multivariate import Dirichlet, DirichletMultinomial, Multinomial

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "DirichletMultinomial", "Distribution", "Exponential",
           "FULLY_REPARAMETERIZED", "Gamma", "Laplace", "Multinomial", "NOT_REPARAMETERIZED", "Normal",
           "RegisterKL", "ReparameterizationType", "StudentT", "Uniform", "kl_divergence"]
