"""Latent diffusion: Rombach, Blattmann, Lorenz, Esser & Ommer, "High-Resolution Image
Synthesis with Latent Diffusion Models", CVPR 2022.

Taught in lesson 5.3.3 (``lessons/ch05_practice/09_latent_diffusion.ipynb``).

Two stages, trained one after the other:

1. **A KL-regularised autoencoder** (the paper's "first stage", Sec. 3.1), in
   :mod:`genaug.diffusion.autoencoder`.
2. **A diffusion model on the latents** (Sec. 3.3): the DDPM loss of
   :func:`genaug.diffusion.ddpm.ddpm_loss` on z * scale_factor, where
   scale_factor = 1 / std(z) over the training latents (the paper's rescaling
   for KL-regularised latents, Sec. 4.3.2 and Appendix G), so the diffused signal
   has unit variance like the images a schedule was designed for. Sampling runs
   :class:`~genaug.diffusion.ddim.DDIMSampler` in latent space with classifier-free
   guidance and decodes once at the end: x = D(z_0 / scale_factor).

Symbol map: ``latents`` -> z (unscaled), ``latents * scale_factor`` -> z_0 of the
diffusion. The course's trained model is :func:`genaug.recipes.digits_ldm.pretrained_digits_ldm`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from genaug._checks import check_float, check_int, check_labels, check_seeds
from genaug.augment.generative import ConditionalAugmenter
from genaug.diffusion.autoencoder import KLAutoencoder
from genaug.diffusion.ddim import DDIMSampler
from genaug.diffusion.guidance import classifier_free_guidance
from genaug.diffusion.schedule import NoiseSchedule
from genaug.vae.elbo import reparameterize


class LatentDiffusion:
    """A trained autoencoder and a latent noise predictor, with encode / decode / sample.

    Not a network but the process around two networks: it scales latents, runs the
    DDIM sampler in latent space with classifier-free guidance, and decodes.

    Args:
        autoencoder: the first stage (:class:`~genaug.diffusion.autoencoder.KLAutoencoder`).
        model: the class-conditional latent noise predictor eps_theta(z_t, t, y), e.g.
            :class:`genaug.nn.unet.UNet` with ``in_channels = C`` and ``image_size = h``.
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` it was trained with.
        scale_factor: s of :func:`~genaug.diffusion.autoencoder.latent_scale_factor` (> 0).
    """

    def __init__(
        self,
        autoencoder: KLAutoencoder,
        model: nn.Module,
        schedule: NoiseSchedule,
        scale_factor: float,
    ) -> None:
        if not isinstance(autoencoder, KLAutoencoder):
            raise TypeError(
                f"autoencoder must be a KLAutoencoder, got {type(autoencoder).__name__}"
            )
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        check_float("scale_factor", scale_factor, min=0.0, min_open=True)
        self.autoencoder, self.model, self.schedule = autoencoder, model, schedule
        self.scale_factor = float(scale_factor)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """(C, h, w) of one latent."""
        return self.autoencoder.config.latent_shape

    def _device(self) -> torch.device:
        return next(self.autoencoder.parameters()).device

    @torch.no_grad()
    def encode(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Scaled latents z_0 = s * z, z ~ q(z | x) (or its mean when ``generator`` is None).

        Args:
            images: (B, C_x, H, W) images in [0, 1].
            generator: draw z from q(z | x) with it; None returns s * mean.

        Returns:
            (B, C, h, w) scaled latents, about unit variance, on the autoencoder's device.
        """
        mean, logvar = self.autoencoder.encode(images.to(self._device()))
        latents = mean if generator is None else reparameterize(mean, logvar, generator=generator)
        return latents * self.scale_factor

    @torch.no_grad()
    def decode(self, latents: Tensor) -> Tensor:
        """Images from scaled latents: D(z_0 / s).

        Args:
            latents: (B, C, h, w) scaled latents z_0.

        Returns:
            (B, C_x, H, W) images in [0, 1], on the autoencoder's device.
        """
        return self.autoencoder.decode(latents.to(self._device()) / self.scale_factor)

    @torch.no_grad()
    def sample(
        self,
        num_samples: int,
        *,
        labels: Tensor | None = None,
        generator: torch.Generator | None = None,
        seeds: Sequence[int] | Tensor | None = None,
        num_steps: int = 50,
        guidance: float = 1.5,
        eta: float = 0.0,
        clip_range: float | None = None,
    ) -> Tensor:
        """Class-conditional samples: DDIM in latent space, then one decoder pass.

        Each image depends only on its own seed and label, whatever the batch. The
        seeds are drawn from ``generator`` (one int per image), or given directly.

        Args:
            num_samples: number of images B.
            labels: (B,) int64 classes in [0, num_classes); required (the model is
                class-conditional; ``guidance=0`` gives unconditional samples).
            generator: CPU generator to draw the B seeds from (default: torch's global one).
            seeds: instead of ``generator``, B seeds, one per image (its z_T and, for
                eta > 0, its noise).
            num_steps: DDIM steps (1 .. T).
            guidance: classifier-free guidance weight w >= 0 (0: unconditional, 1: conditional).
            eta: DDIM's eta (0: deterministic given the seed).
            clip_range: clip the predicted z_0 to [-clip_range, clip_range]; None (default)
                does not clip: latents, unlike pixels, have no natural range.

        Returns:
            (B, C_x, H, W) images in [0, 1].
        """
        check_int("num_samples", num_samples, min=1)
        if labels is None:
            raise ValueError(
                "LatentDiffusion is class-conditional: pass labels (with guidance=0 for "
                "unconditional samples)"
            )
        check_labels("labels", labels)
        if len(labels) != num_samples:
            raise ValueError(f"got {len(labels)} labels for num_samples={num_samples}")
        if seeds is None:
            seeds = torch.randint(0, 2**31 - 1, (num_samples,), generator=generator).tolist()
        elif generator is not None:
            raise ValueError("pass seeds or generator, not both")
        check_seeds("seeds", seeds, num=len(labels))
        check_float("guidance", guidance, min=0.0)
        if clip_range is not None:  # <= 0 would clamp every predicted z_0 to one value
            check_float("clip_range", clip_range, min=0.0, min_open=True)
        device = next(self.model.parameters()).device
        sampler = DDIMSampler(
            self.schedule, clip_sample=clip_range is not None, clip_range=clip_range or 1.0
        )
        latents = sampler.sample(  # (B, C, h, w) scaled latents z_0
            classifier_free_guidance(self.model, labels.long().to(device), guidance),
            num_steps=num_steps,
            seeds=seeds,
            shape=self.latent_shape,
            eta=eta,
            device=device,
        )
        return self.decode(latents)


class LatentDiffusionAugmenter(ConditionalAugmenter):
    """New labelled images from a latent diffusion model (the course's augmenter interface).

    Args:
        ldm: a :class:`~genaug.diffusion.ldm.LatentDiffusion`.
        guidance: classifier-free guidance weight w.
        num_steps: DDIM steps.
    """

    def __init__(self, ldm: LatentDiffusion, *, guidance: float = 1.5, num_steps: int = 50) -> None:
        if not isinstance(ldm, LatentDiffusion):
            raise TypeError(f"ldm must be a LatentDiffusion, got {type(ldm).__name__}")
        check_float("guidance", guidance, min=0.0)
        check_int("num_steps", num_steps, min=1, max=ldm.schedule.num_timesteps)
        self.ldm, self.guidance, self.num_steps = ldm, guidance, num_steps

    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One image per label, in [0, 1] (see :class:`~genaug.augment.generative.ConditionalAugmenter`)."""
        return self.ldm.sample(
            len(labels),
            labels=labels.long(),
            generator=generator,
            num_steps=self.num_steps,
            guidance=self.guidance,
        ).clamp(0, 1)


# --- the course's digits model (lesson 5.3.3) ------------------------------------------------
