"""A small UNet noise predictor for the diffusion lessons (5.3.x).

Ronneberger et al. 2015's encoder-decoder with skips, in the form of Ho et al.
2020: residual blocks with a (time + class) embedding, GroupNorm, SiLU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genaug._checks import check_int, check_labels, check_probability
from genaug.nn.blocks import ResBlock, timestep_embedding


@dataclass
class UNetConfig:
    """Sizes of :class:`UNet`."""

    in_channels: int = 1  # image channels C (also the output channels: eps has x's shape)
    image_size: int = 16  # H = W; divisible by 2 ** (len(channel_mults) - 1)
    base_channels: int = 32  # channels at full resolution
    channel_mults: tuple[int, ...] = (1, 2, 2)  # channel multiplier per resolution level
    blocks_per_level: int = 1  # residual blocks per level on the way down (one more going up)
    num_classes: int = 0  # 0: unconditional; K > 0: labels 0..K-1 plus a null label K
    groups: int = 8  # GroupNorm groups (per-sample normalisation: batch-independent)
    dropout: float = 0.0  # dropout inside residual blocks

    def __post_init__(self) -> None:
        self.channel_mults = tuple(self.channel_mults)
        for name in ("in_channels", "image_size", "base_channels", "blocks_per_level", "groups"):
            check_int(name, getattr(self, name), min=1)
        if not self.channel_mults:
            raise ValueError("channel_mults must hold at least one multiplier, got ()")
        for index, mult in enumerate(self.channel_mults):
            check_int(f"channel_mults[{index}]", mult, min=1)
        factor = 2 ** (len(self.channel_mults) - 1)
        if self.image_size % factor:
            raise ValueError(
                f"image_size {self.image_size} must be divisible by {factor} "
                f"(one halving per extra level of channel_mults)"
            )
        if any((self.base_channels * m) % self.groups for m in self.channel_mults):
            raise ValueError("base_channels * each multiplier must be divisible by groups")
        check_int("num_classes", self.num_classes, min=0)
        check_probability("dropout", self.dropout)


class UNet(nn.Module):
    """A small UNet noise predictor eps_theta(x_t, t[, y]) (Ronneberger et al., 2015; Ho et al., 2020).

    Residual blocks at each resolution, halved by strided convolutions on the way
    down and doubled by nearest upsampling on the way up, with skip connections
    between the two paths. The timestep enters through a sinusoidal embedding and an
    MLP; a class label, if any, through a learned embedding added to it. The label
    ``num_classes`` is the *null* label, used for the unconditional prediction of
    classifier-free guidance. GroupNorm normalises each sample on its own, so a
    sample's output does not depend on the rest of its batch.

    Args:
        config: a :class:`UNetConfig`.
    """

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        self.num_classes = config.num_classes
        self.null_label = config.num_classes
        base, embed_dim = config.base_channels, 4 * config.base_channels
        self.time_mlp = nn.Sequential(
            nn.Linear(base, embed_dim), nn.SiLU(), nn.Linear(embed_dim, embed_dim)
        )
        self.label_embed = (
            nn.Embedding(config.num_classes + 1, embed_dim) if config.num_classes else None
        )
        block = dict(embed_dim=embed_dim, groups=config.groups, dropout=config.dropout)
        self.stem = nn.Conv2d(config.in_channels, base, 3, padding=1)
        # 1. down path: blocks, then a strided conv, per level; remember every output
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        channels, skips = base, [base]
        for level, mult in enumerate(config.channel_mults):
            blocks = nn.ModuleList()
            for _ in range(config.blocks_per_level):
                blocks.append(ResBlock(channels, base * mult, **block))
                channels = base * mult
                skips.append(channels)
            self.down.append(blocks)
            last = level == len(config.channel_mults) - 1
            self.downsample.append(
                nn.Identity() if last else nn.Conv2d(channels, channels, 3, stride=2, padding=1)
            )
            if not last:
                skips.append(channels)
        # 2. middle, at the lowest resolution
        self.middle = nn.ModuleList([ResBlock(channels, channels, **block) for _ in range(2)])
        # 3. up path: one more block per level than going down, each eating one skip
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for level, mult in reversed(list(enumerate(config.channel_mults))):
            blocks = nn.ModuleList()
            for _ in range(config.blocks_per_level + 1):
                blocks.append(ResBlock(channels + skips.pop(), base * mult, **block))
                channels = base * mult
            self.up.append(blocks)
            self.upsample.append(
                nn.Sequential(
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv2d(channels, channels, 3, padding=1),
                )
                if level
                else nn.Identity()
            )
        self.out = nn.Sequential(
            nn.GroupNorm(config.groups, channels),
            nn.SiLU(),
            nn.Conv2d(channels, config.in_channels, 3, padding=1),
        )
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(
        self, x: torch.Tensor, timesteps: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict the noise in x_t.

        Args:
            x: (B, C, H, W) noisy images x_t.
            timesteps: (B,) int64 timesteps (a 0-d tensor is broadcast to the batch).
            labels: (B,) int64 labels in [0, num_classes] (``num_classes`` = no label)
                for a conditional model; None means the null label. Must be None for
                an unconditional model.

        Returns:
            (B, C, H, W) predicted noise.
        """
        config = self.config
        if x.ndim != 4 or x.shape[1] != config.in_channels or x.shape[-1] != config.image_size:
            raise ValueError(
                f"x must have shape (B, {config.in_channels}, {config.image_size}, "
                f"{config.image_size}), got {tuple(x.shape)}"
            )
        if timesteps.ndim == 0:
            timesteps = timesteps.expand(len(x))
        if timesteps.shape != (len(x),):
            raise ValueError(f"timesteps must have shape ({len(x)},), got {tuple(timesteps.shape)}")
        embedding = self.time_mlp(timestep_embedding(timesteps, config.base_channels))  # (B, E)
        if self.label_embed is None:
            if labels is not None:
                raise ValueError("this UNet is unconditional (num_classes=0): pass no labels")
        else:
            if labels is None:
                labels = torch.full((len(x),), self.null_label, device=x.device)
            check_labels("labels", labels, num=len(x))
            if labels.min() < 0 or labels.max() > self.null_label:
                raise ValueError(
                    f"labels must be in [0, {self.num_classes}] ({self.num_classes} = no label)"
                )
            embedding = embedding + self.label_embed(labels)
        h = self.stem(x)  # (B, base, H, W)
        skips = [h]
        for blocks, downsample in zip(self.down, self.downsample, strict=True):
            for block in blocks:
                h = block(h, embedding)
                skips.append(h)
            if not isinstance(downsample, nn.Identity):
                h = downsample(h)  # (B, C, H/2, W/2)
                skips.append(h)
        for block in self.middle:
            h = block(h, embedding)
        for blocks, upsample in zip(self.up, self.upsample, strict=True):
            for block in blocks:
                h = block(torch.cat([h, skips.pop()], dim=1), embedding)
            h = upsample(h)  # (B, C, 2H, 2W) except at full resolution
        return self.out(h)
