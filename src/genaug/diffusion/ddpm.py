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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""The noise predictor eps_theta, mapping x_t (B, C, H, W) and t (B,) int64 to the noise."""

Callback = Callable[[int, int, torch.Tensor, torch.Tensor], None]
"""callback(index, t, x_t, predicted_x0), called after each sampling step."""


@dataclass
class StepOutput:
    """What one reverse step returns.

    Attributes:
        prev_sample: (B, C, H, W) x_{t_prev}, the less noisy sample.
        pred_original_sample: (B, C, H, W) the model's estimate of x_0 at this step.
    """

    prev_sample: torch.Tensor
    pred_original_sample: torch.Tensor


def leading_timesteps(num_timesteps: int, num_steps: int | None) -> list[int]:
    """Evenly strided timesteps, largest first, as diffusers' ``timestep_spacing="leading"``.

    With ``r = T // num_steps`` they are ``(num_steps - 1) r, ..., r, 0``.

    Args:
        num_timesteps: T of the schedule.
        num_steps: how many reverse steps to take (1 .. T); None for all T.

    Returns:
        A list of ``num_steps`` ints in decreasing order.
    """
    if num_steps is None:
        num_steps = num_timesteps
    if isinstance(num_steps, bool) or not isinstance(num_steps, int):
        raise TypeError(f"num_steps must be an int, got {type(num_steps).__name__}")
    if not 1 <= num_steps <= num_timesteps:
        raise ValueError(f"num_steps must be in [1, {num_timesteps}], got {num_steps}")
    ratio = num_timesteps // num_steps
    return [index * ratio for index in range(num_steps - 1, -1, -1)]


def _check_sample(name: str, tensor: torch.Tensor, like: torch.Tensor | None = None) -> None:
    if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating point tensor, got {type(tensor).__name__}")
    if tensor.ndim < 2:
        raise ValueError(f"{name} must be batched, shape (B, C, H, W), got {tuple(tensor.shape)}")
    if like is not None and tensor.shape != like.shape:
        raise ValueError(
            f"{name} must have the shape of the sample, {tuple(like.shape)}, "
            f"got {tuple(tensor.shape)}"
        )


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
        self.schedule = schedule
        self.variance = variance
        self.clip_sample = clip_sample
        self.clip_range = clip_range

    def timesteps(self, num_steps: int | None = None) -> list[int]:
        """The timesteps a sampling run visits, largest first.

        Args:
            num_steps: number of reverse steps; None for all T (the paper's sampler).

        Returns:
            A list of ints (see :func:`leading_timesteps`).
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
            A :class:`~genaug.diffusion.ddpm.StepOutput`.
        """
        _check_sample("sample", sample)
        _check_sample("model_output", model_output, sample)
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
        # 2. predict x_0 by inverting Eq. 4: x_0 = (x_t - sqrt(1 - bar(alpha)_t) eps) / sqrt(bar(alpha)_t)
        pred_original = (sample - beta_prod_t.sqrt() * model_output) / alpha_prod_t.sqrt()
        if self.clip_sample:
            pred_original = pred_original.clamp(-self.clip_range, self.clip_range)
        # 3. posterior mean tilde(mu)(x_t, x_0) of q(x_{t-1} | x_t, x_0), Eq. 7
        coef_original = alpha_prod_prev.sqrt() * beta_t / beta_prod_t
        coef_sample = alpha_t.sqrt() * beta_prod_prev / beta_prod_t
        mean = coef_original * pred_original + coef_sample * sample
        if prev_timestep < 0:
            return StepOutput(prev_sample=mean, pred_original_sample=pred_original)
        # 4. add sigma_t z: sigma_t^2 = tilde(beta)_t (Eq. 7) or beta_t
        if noise is None:
            raise ValueError("noise is required for every step but the last (prev_timestep >= 0)")
        _check_sample("noise", noise, sample)
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
        null_label: the index that means "no label" (``num_classes`` in :class:`genaug.nn.UNet`).
        generator: CPU generator for the coin flips.

    Returns:
        (B,) int64 labels, some replaced.
    """
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability}")
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
    """The simple loss of Ho et al., Eq. 14 (Algorithm 1), one Monte Carlo sample per image.

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
    _check_sample("original", original)
    batch, device = len(original), original.device
    # 1. t ~ Uniform{0, .., T-1}, eps ~ N(0, I)
    timesteps = torch.randint(0, schedule.num_timesteps, (batch,), generator=generator)
    noise = torch.randn(original.shape, generator=generator).to(device, original.dtype)
    # 2. x_t in closed form (Eq. 4)
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


# --- training loop shared by the pixel-space and latent-space digits models ---------------------


def digits_training_set(
    train_images: torch.Tensor | None, train_labels: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a labelled 16x16 training set, or load the digits training split.

    Args:
        train_images: (N, 1, 16, 16) images in [0, 1], or None for ``digits("train")``.
        train_labels: (N,) int64 labels; None exactly when ``train_images`` is None.

    Returns:
        ``(images, labels)``.
    """
    from genaug.data import digits

    if train_images is None:
        if train_labels is not None:
            raise ValueError("pass train_images together with train_labels")
        data = digits("train", size=16)
        train_images, train_labels = data.images, data.labels
    elif train_labels is None or len(train_labels) != len(train_images):
        raise ValueError("train_labels must give one label per training image")
    if train_images.ndim != 4 or train_images.shape[1:] != (1, 16, 16):
        raise ValueError(f"train_images must be (N, 1, 16, 16), got {tuple(train_images.shape)}")
    return train_images, train_labels


def fit_noise_predictor(
    model: nn.Module,
    ema,
    draw_batch: Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]],
    schedule: NoiseSchedule,
    config,
    *,
    generator: torch.Generator,
    checkpoint,
    progress: bool,
    description: str,
) -> dict:
    """Algorithm 1 of Ho et al. with Adam, a linear learning-rate warm-up and an EMA.

    One loop for both :func:`pretrained_digits_ddpm` (``draw_batch`` returns images) and
    :func:`genaug.diffusion.ldm.pretrained_digits_ldm` (it returns scaled latents).

    Args:
        model: the noise predictor, trained in place.
        ema: its :class:`genaug.train.EMA`, updated by :func:`genaug.train.fit`.
        draw_batch: ``draw_batch(generator) -> (x_0, labels)`` for one step.
        schedule: the noise schedule of :func:`ddpm_loss`.
        config: a recipe with ``lr``, ``warmup``, ``steps`` and ``label_dropout``.
        generator: the training randomness (batches, t, noise, dropped labels).
        checkpoint: where :func:`genaug.train.fit` saves and resumes.
        progress: show a progress bar.
        description: the progress bar's label.

    Returns:
        The history of :func:`genaug.train.fit` with ``"seconds"`` of training added.
    """
    import time

    from genaug.train import fit

    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(number: int) -> dict[str, float]:
        for group in optimizer.param_groups:  # linear warm-up, a function of the step only
            group["lr"] = config.lr * min(1.0, (number + 1) / max(config.warmup, 1))
        x0, labels = draw_batch(generator)
        loss = ddpm_loss(
            model,
            x0,
            schedule,
            generator=generator,
            labels=labels,
            label_dropout=config.label_dropout,
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    start = time.perf_counter()
    history = fit(
        step,
        num_steps=config.steps,
        modules={"model": model},
        optimizers={"model": optimizer},
        ema={"model": ema},
        generator=generator,
        checkpoint=checkpoint,
        progress=progress,
        description=description,
    )
    return {**history, "seconds": time.perf_counter() - start}


# --- the course's digits model, shared by lessons 5.3.1, 5.3.2 and 3.3 ------------------------


@dataclass
class DigitsDDPMConfig:
    """Everything that determines the course's class-conditional digits DDPM (the cache key)."""

    base_channels: int = 24  # UNet width at 16x16 (590k parameters)
    channel_mults: tuple[int, ...] = (1, 2, 2)  # UNet levels: 16x16, 8x8, 4x4
    schedule: str = "cosine"  # "linear" or "cosine" (NoiseSchedule)
    num_timesteps: int = 1000  # T
    steps: int = 600  # optimiser steps
    batch_size: int = 128  # images per step
    lr: float = 2e-3  # Adam learning rate (after a linear warm-up of warmup steps)
    warmup: int = 50  # warm-up steps
    ema_decay: float = 0.995  # EMA of the weights; sample from the average
    label_dropout: float = 0.1  # probability of the null label (classifier-free guidance)
    seed: int = 0  # seed of the training randomness


def digits_ddpm_config(profile: str | None = None) -> DigitsDDPMConfig:
    """The :class:`DigitsDDPMConfig` of a profile (smoke: seconds; cpu: ~2.5 min; gpu: longer).

    Args:
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"``; default the active profile.

    Returns:
        The config used by :func:`pretrained_digits_ddpm`.
    """
    from genaug.config import by_profile

    return by_profile(
        smoke=DigitsDDPMConfig(base_channels=16, steps=120, batch_size=32, lr=2e-3, ema_decay=0.9),
        cpu=DigitsDDPMConfig(),
        gpu=DigitsDDPMConfig(base_channels=64, steps=10000, lr=4e-4, ema_decay=0.999),
        profile=profile,
    )


@dataclass
class TrainedDiffusion:
    """A trained noise predictor with its schedule.

    Attributes:
        model: the EMA UNet, in eval mode (sample from this one).
        raw_model: the last raw weights.
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` it was trained with.
        config: the training config.
        history: ``{"loss": [...], "seconds": float}``.
        loaded: True if the weights came from the cache.
    """

    model: nn.Module
    raw_model: nn.Module
    schedule: NoiseSchedule
    config: DigitsDDPMConfig
    history: dict
    loaded: bool


def pretrained_digits_ddpm(
    config: DigitsDDPMConfig | None = None,
    *,
    train_images: torch.Tensor | None = None,
    train_labels: torch.Tensor | None = None,
    name: str = "ddpm-digits",
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
) -> TrainedDiffusion:
    """Train (or load from the cache) a class-conditional DDPM on 16x16 digits.

    Algorithm 1 of Ho et al. with the loss :func:`ddpm_loss`, labels dropped with
    probability ``config.label_dropout`` for classifier-free guidance, Adam with a
    linear warm-up, and an EMA of the weights. Cached with
    :func:`genaug.cache.load_or_train` under ``name`` + ``config``, so every lesson
    that calls this with the same arguments shares one checkpoint.

    Args:
        config: the recipe; default :func:`digits_ddpm_config` of the active profile.
        train_images: (N, 1, 16, 16) images in [0, 1]; default ``digits("train")``.
            Pass another set (e.g. a small labelled subset) together with a distinct ``name``.
        train_labels: (N,) int64 labels for ``train_images``.
        name: cache name.
        progress: show a progress bar while training.
        retrain: train even if cached.
        device: where to train; default :func:`genaug.config.device`.

    Returns:
        A :class:`TrainedDiffusion`.
    """
    from genaug.cache import load_or_train
    from genaug.config import device as default_device
    from genaug.nn import UNet, UNetConfig
    from genaug.train import EMA

    config = config or digits_ddpm_config()
    device = torch.device(device) if device is not None else default_device()
    train_images, train_labels = digits_training_set(train_images, train_labels)
    schedule = NoiseSchedule(config.num_timesteps, schedule=config.schedule)
    unet_config = UNetConfig(
        in_channels=1,
        image_size=16,
        base_channels=config.base_channels,
        channel_mults=config.channel_mults,
        num_classes=10,
    )
    torch.manual_seed(config.seed)
    model = UNet(unet_config).to(device)
    ema = EMA(model, decay=config.ema_decay)
    modules = nn.ModuleDict({"model": model, "ema": ema.module})
    images = (train_images * 2 - 1).to(device)  # (N, 1, 16, 16) in [-1, 1]
    labels = train_labels.to(device)
    key = {**vars(config), "num_train": len(images), "label_sum": int(labels.sum())}

    def draw_batch(rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(images), (config.batch_size,), generator=rng).to(device)
        return images[index], labels[index]

    def train(_modules: nn.Module, checkpoint) -> dict:
        return fit_noise_predictor(
            model,
            ema,
            draw_batch,
            schedule,
            config,
            generator=torch.Generator().manual_seed(config.seed),
            checkpoint=checkpoint,
            progress=progress,
            description="DDPM",
        )

    result = load_or_train(name, key, modules, train, retrain=retrain)
    model.eval()
    ema.module.eval()
    return TrainedDiffusion(
        model=ema.module,
        raw_model=model,
        schedule=schedule,
        config=config,
        history=result.history,
        loaded=result.loaded,
    )
