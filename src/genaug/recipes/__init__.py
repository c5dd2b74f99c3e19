"""The course's trained models: a config per profile, a cache name and a ``pretrained_*()``
function each.

The only room that brings data, networks, a family, the training loop and the
cache together; the algorithm files know nothing of datasets, profiles or the cache.

* :mod:`~genaug.recipes.reference`: the reference digits classifier (every FD and KID);
* :mod:`~genaug.recipes.digits_ddpm`: the class-conditional digits DDPM (5.3.1, 5.3.2, 3.3);
* :mod:`~genaug.recipes.digits_ldm`: the digits latent diffusion model (5.3.3);
* :mod:`~genaug.recipes.vae`: the digits CVAE (5.2.2, 3.2) and the shapes beta-VAEs (5.2.1, 3.2);
* :mod:`~genaug.recipes.limited_gan`: the limited-data DCGAN of lesson 3.1 and its benchmark;
* :mod:`~genaug.recipes.backbone`: the digits 0-4 backbone that lesson 7.3 transfers.
"""

from genaug.recipes.backbone import (
    BackboneConfig,
    TrainedBackbone,
    digits_backbone_config,
    digits_with_classes,
    pretrained_digits_backbone,
)
from genaug.recipes.digits_ddpm import (
    DigitsDDPMConfig,
    TrainedDiffusion,
    digits_ddpm_config,
    digits_training_set,
    pretrained_digits_ddpm,
)
from genaug.recipes.digits_ldm import (
    DigitsLDMConfig,
    TrainedLatentDiffusion,
    digits_ldm_config,
    pretrained_digits_ldm,
)
from genaug.recipes.limited_gan import train_limited_data_gan
from genaug.recipes.reference import ReferenceConfig, reference_classifier
from genaug.recipes.vae import (
    digits_cvae_settings,
    pretrained_digits_cvae,
    pretrained_shapes_beta_vae,
    shapes_beta_vae_settings,
    shapes_training_images,
)

__all__ = [
    "BackboneConfig",
    "TrainedBackbone",
    "digits_backbone_config",
    "digits_with_classes",
    "pretrained_digits_backbone",
    "DigitsDDPMConfig",
    "DigitsLDMConfig",
    "ReferenceConfig",
    "TrainedDiffusion",
    "TrainedLatentDiffusion",
    "digits_cvae_settings",
    "digits_ddpm_config",
    "digits_ldm_config",
    "digits_training_set",
    "pretrained_digits_cvae",
    "pretrained_digits_ddpm",
    "pretrained_digits_ldm",
    "pretrained_shapes_beta_vae",
    "reference_classifier",
    "shapes_beta_vae_settings",
    "shapes_training_images",
    "train_limited_data_gan",
]
