"""Equalised learning rate with a learning-rate multiplier: Karras et al., "Progressive
Growing of GANs", ICLR 2018, Section 4.1, and "A Style-Based Generator Architecture for
GANs", CVPR 2019, Appendix C (the mapping network learns with lambda' = 0.01 lambda).

Used by the mapping network of :mod:`genaug.gan.stylegan` (lesson 5.1.2).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["EqualizedLinear"]


class EqualizedLinear(nn.Module):
    """Linear layer with an equalised learning rate and a learning-rate multiplier.

    The stored weights are N(0, 1 / m^2) and are scaled at run time by
    ``m / sqrt(in_features)`` (ProGAN, Section 4.1; StyleGAN, Appendix C). With
    Adam, whose steps have the parameters' units, the effective weights then
    move m times slower than those of an ordinary layer with the same lr: the
    mapping network uses m = 0.01.

    Args:
        in_features: input size.
        out_features: output size.
        lr_multiplier: m in (0, 1].
        bias_init: initial value of the effective bias.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0 < lr_multiplier <= 1:
            raise ValueError(f"lr_multiplier must be in (0, 1], got {lr_multiplier!r}")
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), bias_init / lr_multiplier))
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_features) -> (B, out_features)."""
        return F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
