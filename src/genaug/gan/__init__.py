"""Generative adversarial networks: one paper per file.

* :mod:`genaug.gan.dcgan`: DCGAN (Radford et al., 2016), lesson 5.1.1.
* :mod:`genaug.gan.losses`: adversarial losses (Goodfellow et al., 2014).
"""

from genaug.gan.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from genaug.gan.losses import discriminator_loss, generator_loss

__all__ = [
    "DCGANConfig",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "discriminator_loss",
    "generator_loss",
]
