"""Diffusion models: schedules, samplers, guidance, latent diffusion (chapter 5.3, lessons 3.3, 4.3).

* :mod:`genaug.diffusion.schedule`: linear and cosine noise schedules, q(x_t | x_0).
* :mod:`genaug.diffusion.sampling`: what the samplers share (step output, timestep grid).
* :mod:`genaug.diffusion.ddpm`: the simple loss and ancestral sampling (Ho et al., 2020).
* :mod:`genaug.diffusion.ddim`: deterministic sampling and inversion (Song et al., 2021).
* :mod:`genaug.diffusion.guidance`: classifier-free and classifier guidance.
* :mod:`genaug.diffusion.sdedit`: SDEdit and the diffusion augmenters (lesson 3.3).
* :mod:`genaug.diffusion.autoencoder`: stage 1 of latent diffusion, a KL autoencoder.
* :mod:`genaug.diffusion.ldm`: latent diffusion, diffusion on the autoencoder's
  latents (Rombach et al., 2022).

The course's trained models (the digits DDPM and LDM) are in :mod:`genaug.recipes`.
"""

from genaug.diffusion.autoencoder import (
    AutoencoderConfig,
    KLAutoencoder,
    autoencoder_loss,
    latent_scale_factor,
)
from genaug.diffusion.ddim import DDIMSampler
from genaug.diffusion.ddpm import DDPMSampler, ddpm_loss, drop_labels
from genaug.diffusion.guidance import (
    classifier_free_guidance,
    classifier_guidance,
    guidance_combine,
)
from genaug.diffusion.ldm import LatentDiffusion, LatentDiffusionAugmenter
from genaug.diffusion.sampling import StepOutput, leading_timesteps
from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise
from genaug.diffusion.sdedit import GuidedDiffusionAugmenter, SDEditAugmenter, sdedit

__all__ = [
    "AutoencoderConfig",
    "DDIMSampler",
    "DDPMSampler",
    "GuidedDiffusionAugmenter",
    "KLAutoencoder",
    "LatentDiffusion",
    "LatentDiffusionAugmenter",
    "SDEditAugmenter",
    "NoiseSchedule",
    "StepOutput",
    "autoencoder_loss",
    "classifier_free_guidance",
    "classifier_guidance",
    "ddpm_loss",
    "drop_labels",
    "guidance_combine",
    "latent_scale_factor",
    "leading_timesteps",
    "make_generators",
    "per_sample_noise",
    "sdedit",
]
