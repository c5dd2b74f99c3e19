"""Small convolutional classifiers: the course's digits classifier and its noise-aware variant.

Plain ``nn.Module`` objects with no training logic (the recipes and tasks train them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genaug._checks import check_int, check_probability
from genaug.nn.blocks import conv_block


@dataclass
class ClassifierConfig:
    """Sizes of :class:`ConvClassifier`."""

    in_channels: int = 1  # image channels C
    image_size: int = 16  # H = W; must be divisible by 4
    num_classes: int = 10  # output logits
    width: int = 32  # channels of the first stage; the second has 2x
    feature_dim: int = 128  # size of the penultimate features (used for Frechet distance)
    dropout: float = 0.2  # dropout before the last layer

    def __post_init__(self) -> None:
        for name in ("in_channels", "num_classes", "width", "feature_dim"):
            check_int(name, getattr(self, name), min=1)
        if check_int("image_size", self.image_size, min=4) % 4:
            raise ValueError(f"image_size must be divisible by 4, got {self.image_size}")
        check_probability("dropout", self.dropout)


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
