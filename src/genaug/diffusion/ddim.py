"""DDIM: Song, Meng & Ermon, "Denoising Diffusion Implicit Models", ICLR 2021.

Taught in lesson 5.3.2 (``lessons/ch05_practice/08_ddim.ipynb``); the
non-Markovian forward process and eta in lesson 4.3.

A DDIM step reuses a DDPM-trained eps_theta unchanged and jumps from x_t to
x_{t_prev} for any t_prev < t (Eq. 12 of the paper):

    x_prev = sqrt(bar(alpha)_prev) * x0_hat                       "predicted x_0"
           + sqrt(1 - bar(alpha)_prev - sigma_t^2) * eps_theta     "direction pointing to x_t"
           + sigma_t * z                                          "random noise"

with x0_hat = (x_t - sqrt(1 - bar(alpha)_t) eps_theta) / sqrt(bar(alpha)_t) and
sigma_t = eta * sqrt((1 - bar(alpha)_prev) / (1 - bar(alpha)_t)) * sqrt(1 - bar(alpha)_t / bar(alpha)_prev)
(Eq. 16). eta = 1 is DDPM-like, eta = 0 is deterministic: x_T -> x_0 is then a
fixed map, which :meth:`DDIMSampler.invert` runs backwards. The sampler visits
evenly spaced timesteps (``num_steps``) or any decreasing list (``timesteps``),
from pure noise or from a given x_t (SDEdit starts from a noised image).

The step reproduces diffusers' ``DDIMScheduler.step`` (epsilon prediction,
``set_alpha_to_one``, optional clipping); the tests check it number for number.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from genaug._checks import check_float, check_int, check_tensor
from genaug.diffusion.sampling import (
    Callback,
    ModelFn,
    StepOutput,
    check_sample,
    leading_timesteps,
)
from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise


class DDIMSampler:
    """The DDIM sampler and its deterministic inversion.

    Args:
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` the model was trained with.
        clip_sample: clip the predicted x_0 to [-clip_range, clip_range] (diffusers' default).
        clip_range: the clipping bound.
        set_alpha_to_one: the last step goes to bar(alpha) = 1 (a clean sample); if False,
            to bar(alpha)_0 as in diffusers' ``set_alpha_to_one=False``.
    """

    def __init__(
        self,
        schedule: NoiseSchedule,
        *,
        clip_sample: bool = True,
        clip_range: float = 1.0,
        set_alpha_to_one: bool = True,
    ) -> None:
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        if not isinstance(clip_sample, bool):
            raise TypeError(f"clip_sample must be True or False, got {clip_sample!r}")
        # clip_range <= 0 would clamp every predicted x_0 to one value (silent garbage)
        clip_range = check_float("clip_range", clip_range, min=0.0, min_open=True)
        self.schedule = schedule
        self.clip_sample = clip_sample
        self.clip_range = clip_range
        self.final_alpha_cumprod = (
            torch.tensor(1.0) if set_alpha_to_one else schedule.alphas_cumprod[0].clone()
        )

    def timesteps(self, num_steps: int) -> list[int]:
        """The timesteps of a ``num_steps`` run, largest first (diffusers' "leading" spacing).

        Args:
            num_steps: number of DDIM steps, 1 .. T.

        Returns:
            A list of ints ``(num_steps - 1) r, ..., r, 0`` with ``r = T // num_steps``.
        """
        return leading_timesteps(self.schedule.num_timesteps, num_steps)

    def _resolve_timesteps(
        self, num_steps: int | None, timesteps: Sequence[int] | None
    ) -> list[int]:
        """The timesteps a run visits: ``self.timesteps(num_steps)`` or the given list, checked."""
        if (num_steps is None) == (timesteps is None):
            raise ValueError(
                "pass exactly one of num_steps (evenly spaced timesteps) and timesteps "
                f"(an explicit decreasing list), got num_steps={num_steps!r} and "
                f"timesteps={timesteps!r}"
            )
        if timesteps is None:
            return self.timesteps(num_steps)
        if isinstance(timesteps, torch.Tensor):
            timesteps = timesteps.tolist()
        steps = list(timesteps)
        if not steps or any(isinstance(t, bool) or not isinstance(t, int) for t in steps):
            raise ValueError(f"timesteps must be a non-empty list of ints, got {timesteps!r}")
        num_timesteps = self.schedule.num_timesteps
        if not all(0 <= t < num_timesteps for t in steps):
            raise ValueError(f"timesteps must lie in [0, {num_timesteps}), got {steps}")
        if any(later >= earlier for earlier, later in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"timesteps must be strictly decreasing, got {steps}")
        return steps

    def _alpha_prod(self, timestep: int) -> torch.Tensor:
        if timestep < 0:
            return self.final_alpha_cumprod
        return self.schedule.alphas_cumprod[timestep]

    def step(
        self,
        model_output: torch.Tensor,
        timestep: int,
        sample: torch.Tensor,
        *,
        prev_timestep: int,
        eta: float = 0.0,
        noise: torch.Tensor | None = None,
    ) -> StepOutput:
        """One DDIM step x_t -> x_{t_prev} (Eq. 12 of Song et al.).

        Args:
            model_output: (B, C, H, W) predicted noise eps_theta(x_t, t).
            timestep: t, an int in [0, T).
            sample: (B, C, H, W) x_t.
            prev_timestep: t_prev in [-1, t); -1 means the final, clean level.
            eta: 0 for the deterministic sampler, 1 for DDPM-like noise (>= 0).
            noise: (B, C, H, W) standard normal z; required when ``eta > 0``.

        Returns:
            A :class:`~genaug.diffusion.sampling.StepOutput`.
        """
        check_sample("sample", sample)
        check_sample("model_output", model_output, sample)
        timestep = int(self.schedule.check_timesteps(timestep))
        prev_timestep = int(prev_timestep)
        if not -1 <= prev_timestep < timestep:
            raise ValueError(
                f"prev_timestep must be in [-1, {timestep}) for timestep {timestep}, "
                f"got {prev_timestep}"
            )
        eta = check_float("eta", eta, min=0.0)
        # 1. bar(alpha)_t and bar(alpha)_prev
        alpha_prod_t = self.schedule.alphas_cumprod[timestep]
        alpha_prod_prev = self._alpha_prod(prev_timestep)
        beta_prod_t = 1 - alpha_prod_t
        # 2. predicted x_0, the first term of Eq. 12
        pred_original = (sample - beta_prod_t.sqrt() * model_output) / alpha_prod_t.sqrt()
        if self.clip_sample:
            pred_original = pred_original.clamp(-self.clip_range, self.clip_range)
        # 3. sigma_t of Eq. 16, scaled by eta
        variance = (1 - alpha_prod_prev) / beta_prod_t * (1 - alpha_prod_t / alpha_prod_prev)
        std = eta * variance.sqrt()
        # 4. the direction pointing to x_t, the second term of Eq. 12
        direction = (1 - alpha_prod_prev - std**2).sqrt() * model_output
        prev_sample = alpha_prod_prev.sqrt() * pred_original + direction
        # 5. random noise, the third term
        if eta > 0:
            if noise is None:
                raise ValueError("noise is required when eta > 0")
            check_sample("noise", noise, sample)
            prev_sample = prev_sample + std * noise
        return StepOutput(prev_sample=prev_sample, pred_original_sample=pred_original)

    @torch.no_grad()
    def sample(
        self,
        model_fn: ModelFn,
        *,
        num_steps: int | None = None,
        timesteps: Sequence[int] | None = None,
        shape: Sequence[int] | None = None,
        seeds: Sequence[int] | torch.Tensor | None = None,
        generators: Sequence[torch.Generator] | None = None,
        start: torch.Tensor | None = None,
        eta: float = 0.0,
        device: torch.device | str = "cpu",
        callback: Callback | None = None,
    ) -> torch.Tensor:
        """Run DDIM steps from x_t (pure noise x_T, or a given start) down to x_0.

        Each sample depends only on its own seed (its x_T and, for eta > 0, its z's),
        whatever the batch. Pass ``start`` instead to begin from a given x_t (e.g. x_T
        from :meth:`invert`, or a noised image for SDEdit); seeds are then needed only
        when eta > 0. ``start`` must be at the noise level of the first timestep.

        Args:
            model_fn: eps_theta(x_t, t) with t of shape (B,).
            num_steps: number of evenly spaced steps (1 .. T), see :meth:`timesteps`.
            timesteps: instead of ``num_steps``, the timesteps to visit: a strictly
                decreasing list of ints in [0, T); the run ends at the clean level
                after the last one. Pass exactly one of the two.
            shape: (C, H, W) of one sample (needed with ``seeds`` and no ``start``).
            seeds: B seeds, one per sample.
            generators: instead of ``seeds``, B per-sample CPU generators whose
                streams continue (e.g. after drawing the noise of ``start`` from them).
            start: (B, C, H, W) x_t at ``timesteps[0]`` to start from, instead of drawing x_T.
            eta: 0 deterministic, 1 DDPM-like.
            device: where the model runs.
            callback: optional ``callback(index, t, x_t_prev, predicted_x0)``.

        Returns:
            (B, C, H, W) samples x_0.
        """
        eta = check_float("eta", eta, min=0.0)
        timesteps = self._resolve_timesteps(num_steps, timesteps)
        if seeds is not None and generators is not None:
            raise ValueError("pass seeds or generators, not both")
        if seeds is not None:
            generators = make_generators(seeds)
        elif generators is not None:
            generators = list(generators)
            if not all(isinstance(source, torch.Generator) for source in generators):
                raise TypeError("generators must be a sequence of torch.Generator, one per sample")
        if start is None:
            if generators is None or shape is None:
                raise ValueError("pass seeds and shape to draw x_T, or start=x_T")
            sample = per_sample_noise(generators, shape, device=device)  # (B, C, H, W)
        else:
            check_sample("start", start)
            check_tensor("start", start)  # finite
            sample = start.to(device)
            if generators is not None and len(generators) != len(sample):
                raise ValueError(f"got {len(generators)} seeds for {len(sample)} samples")
        if eta > 0 and generators is None:
            raise ValueError(
                "eta > 0 draws noise: pass one seed per sample (or one generator each)"
            )
        for index, timestep in enumerate(timesteps):
            prev = timesteps[index + 1] if index + 1 < len(timesteps) else -1
            t_batch = torch.full((len(sample),), timestep, dtype=torch.long, device=device)
            model_output = model_fn(sample, t_batch)
            noise = None
            if eta > 0:
                noise = per_sample_noise(generators, sample.shape[1:], device=device)
            out = self.step(
                model_output, timestep, sample, prev_timestep=prev, eta=eta, noise=noise
            )
            sample = out.prev_sample
            if callback is not None:
                callback(index, timestep, sample, out.pred_original_sample)
        return sample

    @torch.no_grad()
    def invert(
        self,
        model_fn: ModelFn,
        sample: torch.Tensor,
        *,
        num_steps: int | None = None,
        timesteps: Sequence[int] | None = None,
        refine: int = 0,
    ) -> torch.Tensor:
        """Deterministic DDIM inversion: find the x_T that the eta = 0 sampler maps to ``sample``.

        Each step from level s up to level t solves the sampler's step backwards. Given
        eps, x_s and x_t lie on one line, x = sqrt(bar(alpha)) x0_hat + sqrt(1 - bar(alpha)) eps,
        so x_t follows from x_s once eps = eps_theta(x_t, t) is known. That eps depends
        on the unknown x_t; the usual approximation evaluates it at x_s, and ``refine``
        fixed-point iterations eps <- eps_theta(x_t, t) make the inversion exact in the
        limit (for a smooth eps_theta and small steps). Inverts the *unclipped* sampler:
        build the sampler with ``clip_sample=False`` for exact round trips.

        Args:
            model_fn: eps_theta(x_t, t).
            sample: (B, C, H, W) clean samples x_0.
            num_steps: number of DDIM steps, as in :meth:`sample`.
            timesteps: instead of ``num_steps``, the sampler's decreasing timesteps.
            refine: extra fixed-point iterations per step (0 = the plain approximation).

        Returns:
            (B, C, H, W) x_T at the first (largest) timestep, such that
            ``sample(model_fn, num_steps=num_steps, start=x_T)`` (or ``timesteps=``)
            returns ``sample`` again.
        """
        check_sample("sample", sample)
        check_tensor("sample", sample)  # finite
        check_int("refine", refine, min=0)
        ascending = self._resolve_timesteps(num_steps, timesteps)[::-1]  # e.g. 0, r, 2r, ...
        levels = [-1, *ascending]  # -1: the clean level the sampler ends on
        for lower, timestep in zip(levels[:-1], levels[1:], strict=True):
            alpha_lower, alpha_t = self._alpha_prod(lower), self.schedule.alphas_cumprod[timestep]
            t_batch = torch.full((len(sample),), timestep, dtype=torch.long, device=sample.device)
            eps = model_fn(sample, t_batch)  # approximation: eps_theta(x_s, t)
            for iteration in range(refine + 1):
                # x0_hat from the lower level, then up along the same line to level t
                pred_original = (sample - (1 - alpha_lower).sqrt() * eps) / alpha_lower.sqrt()
                upper = alpha_t.sqrt() * pred_original + (1 - alpha_t).sqrt() * eps
                if iteration < refine:
                    eps = model_fn(upper, t_batch)  # fixed point: eps = eps_theta(x_t, t)
            sample = upper
        return sample
