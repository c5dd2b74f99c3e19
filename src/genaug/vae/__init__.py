"""Variational autoencoders: one paper per file.

* :mod:`genaug.vae.elbo`: the ELBO's pieces (Kingma & Welling, 2014), lesson 4.2.
* :mod:`genaug.vae.cvae`: conditional VAE (Sohn et al., 2015), lesson 5.2.2;
  with ``num_classes=0`` the plain convolutional VAE (:func:`genaug.train.vae.fit_vae` trains both).
* :mod:`genaug.vae.latent_arithmetic`: interpolation and attribute-vector augmenters
  (White, 2016), lesson 3.2.
* :mod:`genaug.vae.nvae`: a small hierarchical NVAE (Vahdat & Kautz, 2020), lesson 5.2.3.
* :mod:`genaug.vae.beta_vae`: beta-VAE (Higgins et al., 2017) tools, lesson 5.2.1.

The course's trained VAEs (their data, sizes and cache names) are in :mod:`genaug.recipes`.
"""

from genaug.vae.beta_vae import (
    capacity_loss,
    kl_per_dimension,
    latent_traversal,
)
from genaug.vae.cvae import CVAE, CVAEAugmenter, CVAEConfig
from genaug.vae.elbo import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    gaussian_log_density,
    linear_gaussian_elbo,
    linear_gaussian_log_marginal,
    linear_gaussian_posterior,
    reparameterize,
)
from genaug.vae.latent_arithmetic import (
    AttributeEditAugmenter,
    InterpolationAugmenter,
    attribute_direction,
    lerp,
    slerp,
)
from genaug.vae.nvae import NVAE, NVAEConfig, kl_balance_weights

__all__ = [
    "AttributeEditAugmenter",
    "InterpolationAugmenter",
    "NVAE",
    "NVAEConfig",
    "attribute_direction",
    "lerp",
    "slerp",
    "CVAE",
    "CVAEAugmenter",
    "CVAEConfig",
    "bernoulli_log_likelihood",
    "capacity_loss",
    "elbo",
    "gaussian_kl",
    "gaussian_log_density",
    "kl_balance_weights",
    "kl_per_dimension",
    "latent_traversal",
    "linear_gaussian_elbo",
    "linear_gaussian_log_marginal",
    "linear_gaussian_posterior",
    "reparameterize",
]
