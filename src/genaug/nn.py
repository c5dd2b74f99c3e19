"""Shared network blocks used across the course.

Networks here are plain ``nn.Module``s with no training logic. Families add
their own (``genaug.gan.dcgan``, later ``genaug.diffusion``) where a block is
specific to one paper.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class ClassifierConfig:
    """Sizes of :class:`ConvClassifier`."""

    in_channels: int = 1  # image channels C
    image_size: int = 16  # H = W; must be divisible by 4
    num_classes: int = 10  # output logits
    width: int = 32  # channels of the first stage; the second has 2x
    feature_dim: int = 128  # size of the penultimate features (used for Frechet distance)
    dropout: float = 0.2  # dropout before the last layer


class ConvClassifier(nn.Module):
    """A small CNN image classifier: two conv stages, global pooling, an MLP head.

    ``features(x)`` returns the penultimate activations, which
    :mod:`genaug.metrics` uses to compare image distributions.

    Args:
        config: a :class:`ClassifierConfig`.
    """

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        if config.image_size % 4 != 0:
            raise ValueError(f"image_size must be divisible by 4, got {config.image_size}")
        self.config = config
        width = config.width
        self.body = nn.Sequential(
            conv_block(config.in_channels, width),
            nn.MaxPool2d(2),  # (B, W, H/2, W/2)
            conv_block(width, 2 * width),
            nn.MaxPool2d(2),  # (B, 2W, H/4, W/4)
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),  # (B, 2W)
            nn.Linear(2 * width, config.feature_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes)
        )

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features.

        Args:
            images: (B, C, H, W) float images in [0, 1].

        Returns:
            (B, feature_dim) features.
        """
        if images.ndim != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(
                f"expected images of shape (B, {self.config.in_channels}, H, W), "
                f"got {tuple(images.shape)}"
            )
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Args:
            images: (B, C, H, W) float images in [0, 1].

        Returns:
            (B, num_classes) logits.
        """
        return self.head(self.features(images))


# --- diffusion blocks: time embedding and a small UNet (lessons 5.3.x) -----------------------


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
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not self.channel_mults or any(m < 1 for m in self.channel_mults):
            raise ValueError(f"channel_mults must be positive ints, got {self.channel_mults}")
        factor = 2 ** (len(self.channel_mults) - 1)
        if self.image_size % factor:
            raise ValueError(
                f"image_size {self.image_size} must be divisible by {factor} "
                f"(one halving per extra level of channel_mults)"
            )
        if any((self.base_channels * m) % self.groups for m in self.channel_mults):
            raise ValueError("base_channels * each multiplier must be divisible by groups")
        if not isinstance(self.num_classes, int) or self.num_classes < 0:
            raise ValueError(f"num_classes must be an int >= 0, got {self.num_classes!r}")


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
            if labels.dtype != torch.long or labels.shape != (len(x),):
                raise ValueError(
                    f"labels must be (B,) int64, got {labels.dtype} {tuple(labels.shape)}"
                )
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


class NoiseAwareClassifier(nn.Module):
    """A classifier of noisy images x_t, for classifier guidance (Dhariwal & Nichol, 2021).

    A :class:`ConvClassifier` that sees the noise level as an extra constant input channel
    holding t / T, so one network classifies images at every step of the diffusion.

    Args:
        config: the inner classifier's config; its ``in_channels`` must be the image
            channels + 1.
        num_timesteps: T, used to scale t to [0, 1).
    """

    def __init__(self, config: ClassifierConfig, *, num_timesteps: int) -> None:
        super().__init__()
        if config.in_channels < 2:
            raise ValueError("config.in_channels must be the image channels + 1 (the time channel)")
        self.classifier = ConvClassifier(config)
        self.num_timesteps = num_timesteps

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) noisy images and (B,) timesteps -> (B, num_classes) logits."""
        if timesteps.shape != (len(x),):
            raise ValueError(f"timesteps must have shape ({len(x)},), got {tuple(timesteps.shape)}")
        level = (timesteps.float() / self.num_timesteps).view(-1, 1, 1, 1)  # (B, 1, 1, 1)
        return self.classifier(torch.cat([x, level.expand(-1, 1, *x.shape[2:])], dim=1))
