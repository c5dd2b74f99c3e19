"""Two-dimensional toy data with a known density: a ring of Gaussians.

The classic test bed for comparing generative models side by side (lesson 1.1,
``lessons/ch01_background/01_generative_models.ipynb``): every model can be
drawn as a scatter plot, the true density is known in closed form, so a model's
test log-likelihood can be set beside the best achievable one, and the modes are
known, so :func:`genaug.metrics.mode_coverage` can count which ones a model's
samples reach. Points are drawn with scikit-learn's ``make_blobs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from genaug._checks import check_int, check_seed


@dataclass(eq=False)
class PointSet:
    """Points drawn from an isotropic Gaussian mixture, with the mixture itself.

    Attributes:
        points: ``(N, 2)`` float32 samples.
        modes: ``(N,)`` int64, the mixture component each point came from.
        centres: ``(K, 2)`` float32 component means.
        std: the components' common standard deviation (per coordinate).
    """

    points: Tensor
    modes: Tensor
    centres: Tensor
    std: float

    def __len__(self) -> int:
        """Return the number of points ``N``."""
        return len(self.points)

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact log-density of the mixture (equal weights) at ``x``, in nats.

        log p(x) = logsumexp_k [log N(x; c_k, std^2 I)] - log K.

        Args:
            x: ``(B, 2)`` float points.

        Returns:
            ``(B,)`` float32 log-densities.
        """
        if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[1] != self.centres.shape[1]:
            raise ValueError(
                f"x must be a (B, {self.centres.shape[1]}) tensor; got "
                f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}."
            )
        dim = self.centres.shape[1]
        squared = torch.cdist(x.float(), self.centres).pow(2)  # (B, K)
        log_normal = -squared / (2 * self.std**2) - dim / 2 * math.log(2 * math.pi * self.std**2)
        return torch.logsumexp(log_normal, dim=1) - math.log(len(self.centres))


def ring_centres(num_modes: int = 8, radius: float = 1.0) -> Tensor:
    """The ``num_modes`` equally spaced points of a circle, the first on the positive x axis.

    Args:
        num_modes: K >= 1.
        radius: the circle's radius (> 0).

    Returns:
        ``(K, 2)`` float32 centres.
    """
    check_int("num_modes", num_modes, min=1)
    angles = torch.arange(num_modes, dtype=torch.float64) * 2 * math.pi / num_modes
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def gaussian_ring(
    num_samples: int,
    *,
    num_modes: int = 8,
    radius: float = 1.0,
    std: float = 0.1,
    seed: int = 0,
) -> PointSet:
    """Draw points from K equal Gaussians centred on a circle (the "8 Gaussians" toy problem).

    Each component gets ``num_samples // K`` points (the first ``num_samples % K``
    one more), in shuffled order, as scikit-learn's ``make_blobs`` draws them.

    Args:
        num_samples: N >= 1.
        num_modes: K >= 1 (default 8).
        radius: radius of the circle of centres (default 1).
        std: standard deviation of each component per coordinate (default 0.1).
        seed: seed of the draw; the same seed gives the same points.

    Returns:
        A :class:`PointSet`.

    Raises:
        TypeError: for a non-int ``num_samples``, ``num_modes`` or ``seed``.
        ValueError: for a non-positive size, radius or std.

    Example:
        >>> train = gaussian_ring(2000, seed=0)
        >>> train.points.shape, train.log_prob(train.points).mean() > -1
        (torch.Size([2000, 2]), tensor(True))
    """
    from sklearn.datasets import make_blobs

    check_int("num_samples", num_samples, min=1)
    check_seed("seed", seed)
    for name, value in (("radius", radius), ("std", std)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number; got {value!r}.")
    centres = ring_centres(num_modes, float(radius))
    points, modes = make_blobs(
        n_samples=num_samples,
        centers=centres.numpy().astype(np.float64),
        cluster_std=float(std),
        random_state=seed,
    )
    return PointSet(
        points=torch.tensor(points, dtype=torch.float32),
        modes=torch.tensor(modes, dtype=torch.int64),
        centres=centres,
        std=float(std),
    )
