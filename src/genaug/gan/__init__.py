"""Generative adversarial networks: one paper per file.

* :mod:`genaug.gan.dcgan`: DCGAN (Radford et al., 2016), lesson 5.1.1; :class:`~genaug.gan.dcgan.DCGANAugmenter`.
* :mod:`genaug.gan.stylegan`: a small StyleGAN (Karras et al., 2019, 2020), lesson 5.1.2.
* :mod:`genaug.gan.equalized`: equalised-lr linear layers (StyleGAN's mapping network).
* :mod:`genaug.gan.stylegan_discriminator`: its discriminator (minibatch std) and the R1 penalty.
* :mod:`genaug.gan.style_mixing`: style mixing as augmentation, :class:`~genaug.gan.style_mixing.StyleMixingAugmenter`.
* :mod:`genaug.gan.cyclegan`: CycleGAN (Zhu et al., 2017), lesson 5.1.3; :class:`~genaug.gan.cyclegan.CycleGANAugmenter`.
* :mod:`genaug.gan.losses`: adversarial losses (Goodfellow et al., 2014; Mao et al., 2017).
* :mod:`genaug.gan.diffaugment`: DiffAugment (Zhao et al., 2020), lesson 3.1.1.
* :mod:`genaug.gan.ada`: adaptive discriminator augmentation (Karras et al., 2020), lesson 3.1.1.
"""

from genaug.gan.ada import ADAAugment, ADAConfig, AdaptiveProbability
from genaug.gan.cyclegan import (
    CycleGAN,
    CycleGANAugmenter,
    CycleGANConfig,
    CycleGANGenerator,
    ImageBuffer,
    PatchDiscriminator,
    cycle_consistency_loss,
    identity_loss,
)
from genaug.gan.dcgan import DCGANAugmenter, DCGANConfig, DCGANDiscriminator, DCGANGenerator
from genaug.gan.diffaugment import DiffAugment
from genaug.gan.equalized import EqualizedLinear
from genaug.gan.losses import (
    discriminator_loss,
    generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    saturating_generator_loss,
)
from genaug.gan.style_mixing import StyleMixingAugmenter
from genaug.gan.stylegan import MappingNetwork, ModulatedConv2d, StyleGANConfig, StyleGANGenerator
from genaug.gan.stylegan_discriminator import MinibatchStd, StyleGANDiscriminator, r1_penalty

__all__ = [
    "ADAAugment",
    "ADAConfig",
    "AdaptiveProbability",
    "CycleGAN",
    "CycleGANAugmenter",
    "CycleGANConfig",
    "CycleGANGenerator",
    "DCGANAugmenter",
    "DCGANConfig",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DiffAugment",
    "EqualizedLinear",
    "ImageBuffer",
    "MappingNetwork",
    "MinibatchStd",
    "ModulatedConv2d",
    "PatchDiscriminator",
    "StyleGANConfig",
    "StyleGANDiscriminator",
    "StyleGANGenerator",
    "StyleMixingAugmenter",
    "cycle_consistency_loss",
    "discriminator_loss",
    "generator_loss",
    "identity_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "r1_penalty",
    "saturating_generator_loss",
]
