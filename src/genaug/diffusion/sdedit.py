"""SDEdit: Meng et al., "SDEdit: Guided Image Synthesis and Editing with Stochastic
Differential Equations", ICLR 2022; and diffusion models as augmenters.

Taught in lesson 3.3 (``lessons/ch03_methods/03_diffusion_augmentation.ipynb``).

SDEdit perturbs a real image with the forward process up to an intermediate
time t0 and runs the reverse process from there: a small t0 keeps the image
(fidelity), a large t0 lets the model redraw it (diversity). Here:

* **strength** s in [0, 1] sets t0 = round(s * T), counted like the paper's
  t = 1..T; the image is noised with q(x_{t0} | x_0) (array index t0 - 1), and
  s = 0 returns it untouched;
* the reverse pass takes k = max(1, round(s * num_steps)) DDIM steps on timesteps
  spaced evenly from t0 - 1 down to 0, so ``num_steps`` is the number of steps a
  *full* pass (s = 1) would take; :meth:`~genaug.diffusion.ddim.DDIMSampler.sample`
  runs them, given these ``timesteps`` and the noised image as its start.

diffusers' img2img ``strength`` differs: it runs int(s * num_inference_steps) steps
starting at the timestep found that far from the end of its own "leading" schedule,
so its starting noise level depends on ``num_inference_steps`` too.

:class:`SDEditAugmenter` and :class:`GuidedDiffusionAugmenter` implement the
course's augmenter interface (:mod:`genaug.augment.generative`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from genaug._checks import check_float, check_images, check_int
from genaug.augment.generative import ConditionalAugmenter, GenerativeAugmenter
from genaug.diffusion.ddim import DDIMSampler
from genaug.diffusion.guidance import classifier_free_guidance
from genaug.diffusion.sampling import ModelFn, check_sample
from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise


def sdedit_timesteps(strength: float, num_timesteps: int, num_steps: int) -> list[int]:
    """The timesteps an SDEdit pass of a given strength visits, largest (t0 - 1) first.

    Args:
        strength: s in [0, 1].
        num_timesteps: T of the schedule.
        num_steps: DDIM steps of a full pass (s = 1), >= 1.

    Returns:
        k = max(1, round(s * num_steps)) distinct decreasing timesteps from
        round(s * T) - 1 to 0; empty for s = 0 (or any s with round(s * T) = 0).
    """
    check_float("strength", strength, min=0.0, max=1.0)
    check_int("num_steps", num_steps, min=1)
    t0 = round(strength * num_timesteps)  # the paper's t0 in 1..T; 0 means no noise
    if t0 == 0:
        return []
    count = min(max(1, round(strength * num_steps)), t0)
    spaced = torch.linspace(t0 - 1, 0, count).round().long().tolist()
    return sorted(set(spaced), reverse=True)


@torch.no_grad()
def sdedit(
    model_fn: ModelFn,
    images: Tensor,
    schedule: NoiseSchedule,
    *,
    strength: float,
    num_steps: int,
    seeds: Sequence[int] | Tensor,
    eta: float = 0.0,
) -> Tensor:
    """Noise images to t0 = round(strength * T) and denoise them with DDIM (Meng et al., 2022).

    Args:
        model_fn: eps_theta(x_t, t), e.g. guided towards each image's own label.
        images: (B, C, H, W) images in the model's range ([-1, 1]).
        schedule: the model's noise schedule.
        strength: s in [0, 1]; 0 returns the images unchanged, 1 ignores them (almost).
        num_steps: DDIM steps of a full pass; this pass takes max(1, round(s * num_steps)).
        seeds: B seeds: image i's noise comes from seed i only.
        eta: DDIM's eta for the reverse pass (0: deterministic given the noise).

    Returns:
        (B, C, H, W) edited images.
    """
    check_sample("images", images)
    check_images("images", images, value_range=(-1.0, 1.0))  # the model's range
    check_float("eta", eta, min=0.0)
    timesteps = sdedit_timesteps(strength, schedule.num_timesteps, num_steps)
    generators = make_generators(seeds)
    if len(generators) != len(images):
        raise ValueError(f"got {len(generators)} seeds for {len(images)} images")
    if not timesteps:
        return images.clone()
    # 1. perturb: x_{t0} ~ q(x_{t0} | x_0)  (Eq. 4 of Ho et al.)
    noise = per_sample_noise(generators, images.shape[1:], device=images.device)
    start = schedule.add_noise(images, noise, timesteps[0])
    # 2. denoise from t0 with DDIM steps; each image's later noise (eta > 0) continues
    #    its own generator's stream
    return DDIMSampler(schedule).sample(
        model_fn,
        timesteps=timesteps,
        start=start,
        generators=generators,
        eta=eta,
        device=images.device,
    )


def _seeds_from(generator: torch.Generator | None, count: int) -> list[int]:
    # one seed per new sample, drawn from the caller's generator (reproducible calls)
    return torch.randint(0, 2**31 - 1, (count,), generator=generator).tolist()


class SDEditAugmenter(GenerativeAugmenter):
    """New samples by SDEdit of real ones, each keeping its source's label.

    Picks ``n`` source images at random (with replacement), noises each to strength
    s and denoises it with classifier-free guidance towards its own label.

    Args:
        model: a class-conditional noise predictor (e.g. :class:`genaug.nn.unet.UNet`).
        schedule: its noise schedule.
        strength: s in [0, 1] (see :func:`sdedit`).
        guidance: classifier-free guidance weight w (1 = plain conditional model).
        num_steps: DDIM steps of a full pass.
    """

    def __init__(
        self,
        model: nn.Module,
        schedule: NoiseSchedule,
        *,
        strength: float = 0.5,
        guidance: float = 2.0,
        num_steps: int = 50,
    ) -> None:
        sdedit_timesteps(strength, schedule.num_timesteps, num_steps)  # validates
        check_float("guidance", guidance, min=0.0)
        self.model, self.schedule = model, schedule
        self.strength, self.guidance, self.num_steps = strength, guidance, num_steps

    def generate(self, images, labels, n, *, generator=None):
        """Edit ``n`` randomly chosen sources (see :class:`~genaug.augment.generative.GenerativeAugmenter`)."""
        index = torch.randint(0, len(images), (n,), generator=generator)
        sources, chosen = images[index.to(images.device)], labels[index.to(labels.device)]
        device = next(self.model.parameters()).device
        edited = sdedit(
            classifier_free_guidance(self.model, chosen.long().to(device), self.guidance),
            (sources * 2 - 1).to(device),
            self.schedule,
            strength=self.strength,
            num_steps=self.num_steps,
            seeds=_seeds_from(generator, n),
        )
        return ((edited + 1) / 2).clamp(0, 1).to(images.device), chosen


class GuidedDiffusionAugmenter(ConditionalAugmenter):
    """New samples from a class-conditional diffusion model with classifier-free guidance.

    Args:
        model: a class-conditional noise predictor.
        schedule: its noise schedule.
        guidance: guidance weight w.
        num_steps: DDIM steps.
        shape: (C, H, W) of a sample.
    """

    def __init__(
        self,
        model: nn.Module,
        schedule: NoiseSchedule,
        *,
        guidance: float = 2.0,
        num_steps: int = 50,
        shape: Sequence[int] = (1, 16, 16),
    ) -> None:
        check_float("guidance", guidance, min=0.0)
        check_int("num_steps", num_steps, min=1, max=schedule.num_timesteps)
        if len(shape) != 3:
            raise ValueError(f"shape must be (C, H, W), got {tuple(shape)}")
        for index, size in enumerate(shape):
            check_int(f"shape[{index}]", size, min=1)
        self.model, self.schedule = model, schedule
        self.guidance, self.num_steps, self.shape = guidance, num_steps, tuple(shape)

    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One DDIM sample per label, in [0, 1] (see :class:`~genaug.augment.generative.ConditionalAugmenter`)."""
        device = next(self.model.parameters()).device
        images = DDIMSampler(self.schedule).sample(
            classifier_free_guidance(self.model, labels.long().to(device), self.guidance),
            num_steps=self.num_steps,
            seeds=_seeds_from(generator, len(labels)),
            shape=self.shape,
            device=device,
        )
        return ((images + 1) / 2).clamp(0, 1)
