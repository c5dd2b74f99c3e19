"""Training: the one loop and what every trainer shares.

* :mod:`~genaug.train.loop`: :func:`~genaug.train.loop.fit` (progress, EMA, NaN guard, checkpoint and resume)
  and :class:`~genaug.train.loop.EMA`;
* :mod:`~genaug.train.scaffold`: re-initialise from a seed, draw a batch, linear warm-up;
* :mod:`~genaug.train.vae`: the VAE trainers; :mod:`~genaug.train.diffusion`: the
  noise-predictor trainer.

The course's trained models (which data, which sizes, which cache name) are in
:mod:`genaug.recipes`.
"""

from genaug.train.diffusion import fit_noise_predictor
from genaug.train.loop import EMA, fit, fit_adam
from genaug.train.scaffold import draw_batch, linear_warmup, reinitialise
from genaug.train.vae import fit_nvae, fit_vae

__all__ = [
    "EMA",
    "draw_batch",
    "fit",
    "fit_adam",
    "fit_noise_predictor",
    "fit_nvae",
    "fit_vae",
    "linear_warmup",
    "reinitialise",
]
