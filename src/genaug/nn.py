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
