"""DDPM: Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020.

Taught in lesson 5.3.1 (``lessons/ch05_practice/07_ddpm.ipynb``); the math
(posterior, variational bound, simple loss) in lesson 4.3.

Two pieces, both from the paper's Algorithms 1 and 2:

* :func:`ddpm_loss`: the simple noise-prediction loss (Eq. 14),
  || eps - eps_theta(sqrt(bar(alpha)_t) x_0 + sqrt(1 - bar(alpha)_t) eps, t) ||^2,
  with optional label dropout for classifier-free guidance (Ho & Salimans, 2022).
* :class:`DDPMSampler`: ancestral sampling, one draw from the Gaussian
  p_theta(x_{t-1} | x_t) per step (Eqs. 6-7 and 11).

Symbol map: ``alpha_prod_t`` -> bar(alpha)_t, ``alpha_prod_prev`` ->
bar(alpha)_{t-1}, ``beta_t`` -> beta_t (recomputed from the two so strided
schedules work), ``model_output`` -> eps_theta(x_t, t).

The step reproduces diffusers' ``DDPMScheduler.step`` (epsilon prediction,
``fixed_small`` or ``fixed_large`` variance, optional clipping of x_0); the
tests check it number for number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from genaug._checks import check_float, check_int, check_labels, check_probability
from genaug.diffusion.sampling import (
    Callback,
    ModelFn,
    StepOutput,
    check_sample,
    leading_timesteps,
)
from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise


class DDPMSampler:
    """Ancestral sampling with p_theta(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I).

    Args:
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` the model was trained with.
        variance: ``"small"``: sigma_t^2 = tilde(beta)_t, the posterior variance
            (diffusers' ``fixed_small``); ``"large"``: sigma_t^2 = beta_t
            (``fixed_large``). The paper found both give similar samples.
        clip_sample: clip the predicted x_0 to [-clip_range, clip_range] before
            forming the mean (diffusers' default; helps with few steps).
        clip_range: the clipping bound.
    """

    def __init__(
        self,
        schedule: NoiseSchedule,
        *,
        variance: Literal["small", "large"] = "small",
        clip_sample: bool = True,
        clip_range: float = 1.0,
    ) -> None:
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        if variance not in ("small", "large"):
            raise ValueError(f"variance must be 'small' or 'large', got {variance!r}")
        if not isinstance(clip_sample, bool):
            raise TypeError(f"clip_sample must be True or False, got {clip_sample!r}")
        # clip_range <= 0 would clamp every predicted x_0 to one value (silent garbage)
        clip_range = check_float("clip_range", clip_range, min=0.0, min_open=True)
        self.schedule = schedule
        self.variance = variance
        self.clip_sample = clip_sample
        self.clip_range = clip_range

    def timesteps(self, num_steps: int | None = None) -> list[int]:
        """The timesteps a sampling run visits, largest first.

        Args:
            num_steps: number of reverse steps; None for all T (the paper's sampler).

        Returns:
            A list of ints (see :func:`~genaug.diffusion.sampling.leading_timesteps`).
        """
        return leading_timesteps(self.schedule.num_timesteps, num_steps)

    def step(
        self,
        model_output: torch.Tensor,
        timestep: int,
        sample: torch.Tensor,
        *,
        noise: torch.Tensor | None = None,
        prev_timestep: int | None = None,
    ) -> StepOutput:
        """One reverse step x_t -> x_{t_prev} (Algorithm 2 of Ho et al.).

        Args:
            model_output: (B, C, H, W) predicted noise eps_theta(x_t, t).
            timestep: t, an int in [0, T).
            sample: (B, C, H, W) x_t.
            noise: (B, C, H, W) standard normal z for the random part; required
                when ``prev_timestep >= 0``, ignored on the last step.
            prev_timestep: the next, smaller timestep (default ``t - 1``); -1 means
                the last step, to x_0.

        Returns:
            A :class:`~genaug.diffusion.sampling.StepOutput`.
        """
        check_sample("sample", sample)
        check_sample("model_output", model_output, sample)
        timestep = int(self.schedule.check_timesteps(timestep))
        prev_timestep = timestep - 1 if prev_timestep is None else int(prev_timestep)
        if not -1 <= prev_timestep < timestep:
            raise ValueError(
                f"prev_timestep must be in [-1, {timestep}) for timestep {timestep}, "
                f"got {prev_timestep}"
            )
        alphas_cumprod = self.schedule.alphas_cumprod
        # 1. bar(alpha)_t, bar(alpha)_{t_prev} (1 before the first step) and the step's beta
        alpha_prod_t = alphas_cumprod[timestep]
        alpha_prod_prev = alphas_cumprod[prev_timestep] if prev_timestep >= 0 else torch.tensor(1.0)
        beta_prod_t, beta_prod_prev = 1 - alpha_prod_t, 1 - alpha_prod_prev
        alpha_t = alpha_prod_t / alpha_prod_prev
        beta_t = 1 - alpha_t
        # 2. predict x_0 by inverting Eq. (eq-ddpm-closed-form); Ho et al., Eq. 4: x_0 = (x_t - sqrt(1 - bar(alpha)_t) eps) / sqrt(bar(alpha)_t)
        pred_original = (sample - beta_prod_t.sqrt() * model_output) / alpha_prod_t.sqrt()
        if self.clip_sample:
            pred_original = pred_original.clamp(-self.clip_range, self.clip_range)
        # 3. posterior mean tilde(mu)(x_t, x_0) of q(x_{t-1} | x_t, x_0), Eq. (eq-math-posterior); Ho et al., Eq. 7
        coef_original = alpha_prod_prev.sqrt() * beta_t / beta_prod_t
        coef_sample = alpha_t.sqrt() * beta_prod_prev / beta_prod_t
        mean = coef_original * pred_original + coef_sample * sample
        if prev_timestep < 0:
            return StepOutput(prev_sample=mean, pred_original_sample=pred_original)
        # 4. add sigma_t z: sigma_t^2 = tilde(beta)_t (Eq. 7) or beta_t
        if noise is None:
            raise ValueError("noise is required for every step but the last (prev_timestep >= 0)")
        check_sample("noise", noise, sample)
        if self.variance == "small":
            variance = (beta_prod_prev / beta_prod_t * beta_t).clamp(min=1e-20)
        else:
            variance = beta_t
        return StepOutput(mean + variance.sqrt() * noise, pred_original)

    @torch.no_grad()
    def sample(
        self,
        model_fn: ModelFn,
        *,
        seeds: Sequence[int] | torch.Tensor,
        shape: Sequence[int],
        num_steps: int | None = None,
        device: torch.device | str = "cpu",
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Draw samples, each determined by its own seed whatever the batch.

        Args:
            model_fn: eps_theta(x_t, t) with t of shape (B,) (wrap a conditional model
                with :func:`genaug.diffusion.guidance.classifier_free_guidance`).
            seeds: B seeds, one per sample: the start noise x_T and every later z of
                sample i come from seed i only.
            shape: (C, H, W) of one sample.
            num_steps: reverse steps; None for all T.
            device: where the model runs.
            callback: optional ``callback(index, t, x_t_prev, predicted_x0)`` after each step.

        Returns:
            (B, C, H, W) samples x_0 (in the model's range, [-1, 1] for our models).
        """
        generators = make_generators(seeds)
        timesteps = self.timesteps(num_steps)
        sample = per_sample_noise(generators, shape, device=device)  # x_T: (B, C, H, W)
        for index, timestep in enumerate(timesteps):
            prev = timesteps[index + 1] if index + 1 < len(timesteps) else -1
            t_batch = torch.full((len(sample),), timestep, dtype=torch.long, device=device)
            model_output = model_fn(sample, t_batch)
            noise = per_sample_noise(generators, shape, device=device) if prev >= 0 else None
            out = self.step(model_output, timestep, sample, noise=noise, prev_timestep=prev)
            sample = out.prev_sample
            if callback is not None:
                callback(index, timestep, sample, out.pred_original_sample)
        return sample


def drop_labels(
    labels: torch.Tensor, *, probability: float, null_label: int, generator: torch.Generator
) -> torch.Tensor:
    """Replace each label by ``null_label`` with the given probability (CFG training).

    Args:
        labels: (B,) int64 class labels.
        probability: chance of dropping each label, in [0, 1].
        null_label: the index that means "no label" (``num_classes`` in :class:`genaug.nn.unet.UNet`).
        generator: CPU generator for the coin flips.

    Returns:
        (B,) int64 labels, some replaced.
    """
    check_labels("labels", labels)
    check_probability("probability", probability)
    check_int("null_label", null_label, min=0)
    drop = torch.rand(len(labels), generator=generator) < probability  # (B,)
    return torch.where(drop.to(labels.device), torch.full_like(labels, null_label), labels)


def ddpm_loss(
    model: nn.Module,
    original: torch.Tensor,
    schedule: NoiseSchedule,
    *,
    generator: torch.Generator,
    labels: torch.Tensor | None = None,
    label_dropout: float = 0.0,
) -> torch.Tensor:
    """The simple loss, Eq. (eq-ddpm-loss); Ho et al., Eq. 14 (Algorithm 1), one Monte Carlo sample per image.

    Args:
        model: eps_theta, called as ``model(x_t, t)`` or ``model(x_t, t, labels)``; a
            conditional model must have a ``null_label`` attribute if ``label_dropout > 0``.
        original: (B, C, H, W) clean images x_0, scaled to [-1, 1].
        schedule: the noise schedule.
        generator: CPU generator for t, eps and label dropout (reproducible training).
        labels: (B,) int64 class labels for a conditional model, else None.
        label_dropout: probability of replacing a label by the null label, so that
            one network learns both eps(x_t, t, y) and eps(x_t, t) (Ho & Salimans, 2022).

    Returns:
        A scalar: the mean squared error between eps and its prediction.
    """
    check_sample("original", original)
    check_probability("label_dropout", label_dropout)
    if labels is not None:
        check_labels("labels", labels, num=len(original))
    batch, device = len(original), original.device
    # 1. t ~ Uniform{0, .., T-1}, eps ~ N(0, I)
    timesteps = torch.randint(0, schedule.num_timesteps, (batch,), generator=generator)
    noise = torch.randn(original.shape, generator=generator).to(device, original.dtype)
    # 2. x_t in closed form, Eq. (eq-ddpm-closed-form); Ho et al., Eq. 4
    noisy = schedule.add_noise(original, noise, timesteps.to(device))
    # 3. || eps - eps_theta(x_t, t) ||^2
    if labels is None:
        if label_dropout:
            raise ValueError("label_dropout needs labels")
        prediction = model(noisy, timesteps.to(device))
    else:
        if label_dropout:
            labels = drop_labels(
                labels, probability=label_dropout, null_label=model.null_label, generator=generator
            )
        prediction = model(noisy, timesteps.to(device), labels)
    return F.mse_loss(prediction, noise)
