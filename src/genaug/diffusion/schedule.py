"""Noise schedules and the forward process q(x_t | x_0) of a diffusion model.

Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020
(the linear schedule and the closed form of Eq. 4); Nichol & Dhariwal,
"Improved Denoising Diffusion Probabilistic Models", ICML 2021 (the cosine
schedule, their Eq. 17). Taught in lessons 5.3.1
(``lessons/ch05_practice/07_ddpm.ipynb``) and 4.3
(``lessons/ch04_math/03_diffusion_math.ipynb``).

Symbol map (code -> paper):

* ``betas[t]`` -> beta_t, the variance added at step t (t = 0 .. T-1 here,
  1 .. T in the paper);
* ``alphas[t]`` -> alpha_t = 1 - beta_t;
* ``alphas_cumprod[t]`` -> bar(alpha)_t = prod_{s <= t} alpha_s;
* ``add_noise`` -> x_t = sqrt(bar(alpha)_t) x_0 + sqrt(1 - bar(alpha)_t) eps (Ho et al., Eq. 4).

The arithmetic follows diffusers' ``DDPMScheduler`` (float32 betas, cumulative
product in float32), and the tests check that both give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch

from genaug._checks import check_float, check_int, check_seeds

ScheduleName = Literal["linear", "cosine"]
SCHEDULES: tuple[str, ...] = ("linear", "cosine")


def linear_betas(num_timesteps: int, beta_start: float, beta_end: float) -> torch.Tensor:
    """The linear schedule of Ho et al. (2020): beta_t evenly spaced from beta_start to beta_end.

    Args:
        num_timesteps: T, the number of diffusion steps.
        beta_start: beta of the first step (1e-4 in the paper, for T = 1000).
        beta_end: beta of the last step (0.02 in the paper).

    Returns:
        (T,) float32 betas.
    """
    return torch.linspace(beta_start, beta_end, num_timesteps, dtype=torch.float32)


def cosine_betas(num_timesteps: int, *, offset: float = 0.008, max_beta: float = 0.999):
    """The cosine schedule, Eq. (eq-ddpm-cosine); Nichol & Dhariwal (2021), their Eq. 17.

    bar(alpha)(s) = cos^2(pi/2 * (s + offset) / (1 + offset)) for s in [0, 1], and
    beta_t = 1 - bar(alpha)((t+1)/T) / bar(alpha)(t/T), clipped at ``max_beta`` so the
    last steps do not divide by (almost) zero.

    Args:
        num_timesteps: T.
        offset: the small offset s of the paper, which keeps beta_0 from being tiny.
        max_beta: upper clip of beta_t.

    Returns:
        (T,) float32 betas.
    """

    def alpha_bar(fraction: float) -> float:
        return math.cos((fraction + offset) / (1 + offset) * math.pi / 2) ** 2

    betas = [
        min(1 - alpha_bar((t + 1) / num_timesteps) / alpha_bar(t / num_timesteps), max_beta)
        for t in range(num_timesteps)
    ]
    return torch.tensor(betas, dtype=torch.float32)


class NoiseSchedule:
    """The variances beta_1..beta_T of the forward process and everything derived from them.

    Args:
        num_timesteps: T, the number of diffusion steps (>= 2).
        schedule: ``"linear"`` (Ho et al.) or ``"cosine"`` (Nichol & Dhariwal).
        beta_start: first beta of the linear schedule.
        beta_end: last beta of the linear schedule.

    Attributes:
        betas, alphas, alphas_cumprod: (T,) float32 tensors on the CPU.

    Raises:
        ValueError: for an unknown schedule or out-of-range numbers.
    """

    def __init__(
        self,
        num_timesteps: int = 1000,
        *,
        schedule: ScheduleName = "linear",
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
    ) -> None:
        check_int("num_timesteps", num_timesteps, min=2)
        check_float("beta_start", beta_start)  # NaN would pass the order check below
        check_float("beta_end", beta_end)
        if schedule not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}"
            )
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(
                f"need 0 < beta_start <= beta_end < 1, got beta_start={beta_start}, "
                f"beta_end={beta_end}"
            )
        self.num_timesteps = num_timesteps
        self.schedule = schedule
        if schedule == "linear":
            self.betas = linear_betas(num_timesteps, beta_start, beta_end)
        else:
            self.betas = cosine_betas(num_timesteps)
        self.alphas = 1.0 - self.betas  # alpha_t
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)  # bar(alpha)_t

    def __repr__(self) -> str:
        return f"NoiseSchedule(num_timesteps={self.num_timesteps}, schedule={self.schedule!r})"

    def check_timesteps(self, timesteps: torch.Tensor | int) -> torch.Tensor:
        """Validate timesteps and return them as an int64 tensor.

        Args:
            timesteps: an int or an integer tensor with values in [0, T).

        Returns:
            An int64 tensor of the same shape (0-d for an int).

        Raises:
            TypeError: for floating point timesteps.
            ValueError: for values outside [0, T).
        """
        timesteps = torch.as_tensor(timesteps)
        if timesteps.is_floating_point() or timesteps.dtype == torch.bool:
            raise TypeError(f"timesteps must be integers, got dtype {timesteps.dtype}")
        if timesteps.numel() and (timesteps.min() < 0 or timesteps.max() >= self.num_timesteps):
            raise ValueError(
                f"timesteps must lie in [0, {self.num_timesteps}), got values in "
                f"[{int(timesteps.min())}, {int(timesteps.max())}]"
            )
        return timesteps.long()

    def alpha_bar(self, timesteps: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        """bar(alpha)_t for each sample, shaped to broadcast against images.

        Args:
            timesteps: (B,) or 0-d integer timesteps in [0, T).
            like: a (B, ...) tensor whose device, dtype and number of dimensions are matched.

        Returns:
            (B, 1, ..., 1) tensor (or a 0-d tensor for a 0-d timestep).
        """
        timesteps = self.check_timesteps(timesteps)
        values = self.alphas_cumprod.to(like.device)[timesteps.to(like.device)].to(like.dtype)
        if timesteps.ndim == 0:
            return values
        if timesteps.ndim != 1 or len(timesteps) != len(like):
            raise ValueError(
                f"timesteps must be a scalar or have shape ({len(like)},) to match the batch, "
                f"got shape {tuple(timesteps.shape)}"
            )
        return values.view(-1, *([1] * (like.ndim - 1)))

    def add_noise(
        self, original: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor | int
    ) -> torch.Tensor:
        """Sample x_t ~ q(x_t | x_0) in one shot: Eq. (eq-ddpm-closed-form); Ho et al. (2020), Eq. 4.

        x_t = sqrt(bar(alpha)_t) x_0 + sqrt(1 - bar(alpha)_t) eps.

        Args:
            original: (B, C, H, W) clean samples x_0 (any shape (B, ...) works).
            noise: standard normal eps, same shape as ``original``.
            timesteps: (B,) integer timesteps in [0, T), or one int for the whole batch.

        Returns:
            (B, C, H, W) noisy samples x_t.
        """
        if noise.shape != original.shape:
            raise ValueError(
                f"noise must have the shape of the samples, {tuple(original.shape)}, "
                f"got {tuple(noise.shape)}"
            )
        alpha_bar = self.alpha_bar(timesteps, original)  # (B, 1, 1, 1)
        return alpha_bar.sqrt() * original + (1 - alpha_bar).sqrt() * noise

    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio bar(alpha)_t / (1 - bar(alpha)_t) of every step.

        Returns:
            (T,) float32 tensor, decreasing in t.
        """
        return self.alphas_cumprod / (1 - self.alphas_cumprod)


def make_generators(seeds: Sequence[int] | torch.Tensor) -> list[torch.Generator]:
    """One CPU generator per sample, so that each sample depends on its own seed only.

    Args:
        seeds: B non-negative integer seeds.

    Returns:
        A list of B seeded ``torch.Generator`` objects.
    """
    seeds = check_seeds("seeds", seeds)  # 1.5 is refused, not silently used as seed 1
    return [torch.Generator().manual_seed(seed) for seed in seeds]


def per_sample_noise(
    generators: Sequence[torch.Generator],
    shape: Sequence[int],
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Standard normal noise drawn image by image, each from its own generator.

    Drawing ``torch.randn((B, C, H, W), generator=g)`` ties image i to the batch it was
    drawn in; drawing each (C, H, W) slice from generator i makes it depend on seed i
    only, whatever the batch size or the order.

    Args:
        generators: B CPU generators (see :func:`make_generators`).
        shape: the shape (C, H, W) of one sample.
        device: where the noise goes.
        dtype: floating dtype of the noise.

    Returns:
        (B, C, H, W) noise.
    """
    for index, generator in enumerate(generators):
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generators[{index}] must be a torch.Generator, got {generator!r}")
    shape = tuple(check_int(f"shape[{i}]", size, min=1) for i, size in enumerate(shape))
    noise = torch.stack([torch.randn(shape, generator=g) for g in generators])
    return noise.to(device=device, dtype=dtype)
