"""Building blocks shared by the networks: a conv stage, the timestep embedding, a residual block.

Networks here are plain ``nn.Module``s with no training logic. Families add
their own (``genaug.gan.dcgan``, ``genaug.diffusion.autoencoder``) where a block is
specific to one paper.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int, *, norm: bool = True) -> nn.Sequential:
    """Two 3x3 convolutions with BatchNorm and ReLU, spatial size unchanged.

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out.
        norm: insert BatchNorm after each convolution.

    Returns:
        A module mapping (B, C_in, H, W) to (B, C_out, H, W).
    """
    layers: list[nn.Module] = []
    for channels_in in (in_channels, out_channels):
        layers.append(nn.Conv2d(channels_in, out_channels, 3, padding=1, bias=not norm))
        if norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def timestep_embedding(timesteps: torch.Tensor, dim: int, *, max_period: float = 10000.0):
    """Sinusoidal embedding of diffusion timesteps (Vaswani et al., 2017; Ho et al., 2020).

    emb[:, i] = sin(t * f_i) for i < dim/2 and cos(t * f_i) after, with frequencies
    f_i = max_period ** (-i / (dim/2)) spaced geometrically from 1 to 1/max_period.

    Args:
        timesteps: (B,) integer or float timesteps.
        dim: embedding size D (even).
        max_period: the slowest period.

    Returns:
        (B, D) float32 embedding.
    """
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    if timesteps.ndim != 1:
        raise ValueError(f"timesteps must have shape (B,), got {tuple(timesteps.shape)}")
    half = dim // 2
    exponents = torch.arange(half, dtype=torch.float32, device=timesteps.device) / half
    frequencies = max_period ** (-exponents)  # (D/2,)
    angles = timesteps.float()[:, None] * frequencies[None]  # (B, D/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with the (time + class) embedding added in between.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        embed_dim: size of the conditioning embedding.
        groups: GroupNorm groups.
        dropout: dropout before the second convolution.
    """

    def __init__(
        self, in_channels: int, out_channels: int, embed_dim: int, *, groups: int, dropout: float
    ) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, in_channels), in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.embed = nn.Linear(embed_dim, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity
        nn.init.zeros_(self.conv2.bias)
        self.skip = (
            nn.Conv2d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W), (B, E) -> (B, C_out, H, W)."""
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = (
            h + self.embed(nn.functional.silu(embedding))[:, :, None, None]
        )  # (B, C_out, 1, 1) broadcast
        h = self.conv2(self.dropout(nn.functional.silu(self.norm2(h))))
        return self.skip(x) + h
