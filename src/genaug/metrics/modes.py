"""Mode coverage and sample quality on a mixture with known modes (the 2-D toy problems).

The two numbers the GAN literature reports on rings and grids of Gaussians
(e.g. Srivastava et al., "VEEGAN", NeurIPS 2017): the share of *high-quality*
samples, those within a few standard deviations of their nearest mode, and the
number of modes those samples *cover*. Used in lesson 1.1
(``lessons/ch01_background/01_generative_models.ipynb``) to compare model families.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class ModeCoverage:
    """What :func:`mode_coverage` measured.

    Attributes:
        high_quality: share of samples within ``radius_in_std`` std of their nearest mode, in [0, 1].
        counts: ``(K,)`` int64, high-quality samples per mode.
        covered: number of modes that received at least ``min_share`` of their fair share N / K.
        num_modes: K.
    """

    high_quality: float
    counts: Tensor
    covered: int
    num_modes: int

    @property
    def coverage(self) -> float:
        """Share of the modes covered, ``covered / num_modes``."""
        return self.covered / self.num_modes


def mode_coverage(
    samples: Tensor,
    centres: Tensor,
    std: float,
    *,
    radius_in_std: float = 3.0,
    min_share: float = 0.25,
) -> ModeCoverage:
    """Count high-quality samples and the modes they cover.

    A sample is high-quality if its distance to the nearest centre is at most
    ``radius_in_std * std``; it then counts for that centre. A mode is covered if it
    holds at least ``min_share * N / K`` high-quality samples (a quarter of the share
    a perfect model gives it, by default).

    Args:
        samples: ``(N, D)`` float samples.
        centres: ``(K, D)`` float mode centres.
        std: the modes' standard deviation (> 0).
        radius_in_std: the quality radius in units of ``std`` (default 3).
        min_share: share of the fair count N / K a mode needs to count as covered, in (0, 1].

    Returns:
        A :class:`ModeCoverage`.
    """
    if not isinstance(samples, Tensor) or samples.ndim != 2 or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty (N, D) tensor; got {_shape(samples)}.")
    if not isinstance(centres, Tensor) or centres.ndim != 2 or centres.shape[1] != samples.shape[1]:
        raise ValueError(
            f"centres must be a (K, {samples.shape[1]}) tensor; got {_shape(centres)}."
        )
    if not std > 0 or not radius_in_std > 0:
        raise ValueError(f"std and radius_in_std must be positive; got {std}, {radius_in_std}.")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1]; got {min_share}.")
    samples = samples.detach().float().cpu()
    distances = torch.cdist(samples, centres.detach().float().cpu())  # (N, K)
    nearest, index = distances.min(dim=1)  # (N,), (N,)
    good = torch.isfinite(nearest) & (nearest <= radius_in_std * std)
    counts = torch.bincount(index[good], minlength=len(centres))
    covered = int((counts >= min_share * len(samples) / len(centres)).sum())
    return ModeCoverage(
        high_quality=good.float().mean().item(),
        counts=counts,
        covered=covered,
        num_modes=len(centres),
    )


def _shape(value: object) -> str:
    return str(tuple(value.shape)) if isinstance(value, Tensor) else type(value).__name__
