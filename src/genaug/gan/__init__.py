"""Generative adversarial networks: one paper per file.

* :mod:`genaug.gan.dcgan`: DCGAN (Radford et al., 2016), lesson 5.1.1.
* :mod:`genaug.gan.losses`: adversarial losses (Goodfellow et al., 2014; Mao et al., 2017).
* :mod:`genaug.gan.diffaugment`: DiffAugment (Zhao et al., 2020), lesson 3.1.1.
* :mod:`genaug.gan.ada`: adaptive discriminator augmentation (Karras et al., 2020), lesson 3.1.1.
"""

from genaug.gan.ada import ADAAugment, ADAConfig, AdaptiveProbability
from genaug.gan.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from genaug.gan.diffaugment import DiffAugment
from genaug.gan.losses import (
    discriminator_loss,
    generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    saturating_generator_loss,
)

__all__ = [
    "ADAAugment",
    "ADAConfig",
    "AdaptiveProbability",
    "DCGANConfig",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DiffAugment",
    "discriminator_loss",
    "generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "saturating_generator_loss",
]
