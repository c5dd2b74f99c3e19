"""The discriminator side of the small StyleGAN of :mod:`genaug.gan.stylegan`.

Taught in lesson 5.1.2 (``lessons/ch05_practice/02_stylegan.ipynb``), where
without these tools (and the mapping network's low learning rate) the generator
collapses onto one rendering per class:

* :class:`MinibatchStd`: the minibatch standard deviation layer of ProGAN (Karras,
  Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
  Stability, and Variation", ICLR 2018, Section 3), the last block of StyleGAN's
  discriminator;
* :class:`StyleGANDiscriminator`: a small conditional discriminator ending with it;
* :func:`r1_penalty`: the R1 gradient penalty of Mescheder, Geiger & Nowozin,
  "Which Training Methods for GANs do actually Converge?", ICML 2018.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MinibatchStd", "StyleGANDiscriminator", "r1_penalty"]


class MinibatchStd(nn.Module):
    """Append the minibatch standard deviation as one extra feature map (ProGAN, Section 3).

    The batch is split into groups of ``group_size``; within each group the standard
    deviation of every feature at every position is computed, averaged into one number
    per group and appended as a constant channel to the group's samples. A generator
    that draws the same image again and again gives a batch statistic near 0, which
    real batches never have, so the discriminator can see a collapse.

    Args:
        group_size: samples per group (the batch size must be a multiple of
            ``min(group_size, B)``).
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        if not isinstance(group_size, int) or group_size < 2:
            raise ValueError(f"group_size must be an int >= 2, got {group_size!r}")
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C + 1, H, W)."""
        batch, channels, height, width = x.shape
        group = min(self.group_size, batch)
        if batch % group:
            raise ValueError(f"batch size {batch} is not a multiple of the group size {group}")
        grouped = x.view(group, batch // group, channels, height, width)  # (G, B/G, C, H, W)
        std = torch.sqrt(grouped.var(dim=0, unbiased=False) + 1e-8)  # (B/G, C, H, W)
        stat = std.mean(dim=(1, 2, 3))  # (B/G,): one number per group
        stat = stat.view(1, -1, 1, 1, 1).expand(group, -1, 1, height, width)
        return torch.cat([x, stat.reshape(batch, 1, height, width)], dim=1)


class StyleGANDiscriminator(nn.Module):
    """A small StyleGAN-style discriminator: images (B, C, H, W) in [-1, 1] -> logits (B,).

    Strided 3x3 convolutions with LeakyReLU (no batch normalisation, which would mix
    the samples of a batch and interferes with the R1 penalty) down to 4x4, then the
    minibatch standard deviation layer, a 3x3 convolution and a linear read-out. A
    conditional one adds the projection term <embed(y), features> (Miyato & Koyama
    2018, as in :class:`genaug.gan.dcgan.DCGANDiscriminator`).

    Args:
        image_size: H = W, a power of two >= 8.
        channels: image channels C.
        base_channels: channels of the first layer, doubled at each halving.
        num_classes: > 0 for a class-conditional discriminator.
        mbstd_group: group size of :class:`MinibatchStd`; 0 leaves the layer out.
    """

    def __init__(
        self,
        image_size: int = 16,
        channels: int = 1,
        base_channels: int = 32,
        num_classes: int = 0,
        *,
        mbstd_group: int = 4,
    ) -> None:
        super().__init__()
        if not isinstance(image_size, int) or image_size < 8 or image_size & (image_size - 1):
            raise ValueError(f"image_size must be a power of two >= 8, got {image_size!r}")
        self.image_size, self.channels, self.num_classes = image_size, channels, num_classes
        width = base_channels
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
        size = image_size
        while size > 4:  # each stage halves H and W and doubles the channels
            layers += [nn.Conv2d(width, width * 2, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            width, size = width * 2, size // 2
        self.features = nn.Sequential(*layers)  # (B, width, 4, 4)
        self.mbstd = MinibatchStd(mbstd_group) if mbstd_group else None
        extra = 1 if mbstd_group else 0
        self.head = nn.Sequential(
            nn.Conv2d(width + extra, width, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten()
        )
        feature_dim = width * 16
        self.read_out = nn.Linear(feature_dim, 1)
        self.embed = nn.Embedding(num_classes, feature_dim) if num_classes else None
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            images: (B, C, H, W) in [-1, 1].
            labels: (B,) int64 labels; required iff ``num_classes > 0``.

        Returns:
            (B,) logits of "real".
        """
        expected = (self.channels, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (B, {expected}), got {tuple(images.shape)}")
        x = self.features(images)  # (B, F, 4, 4)
        if self.mbstd is not None:
            x = self.mbstd(x)  # (B, F + 1, 4, 4)
        features = self.head(x)  # (B, 16 F)
        logits = self.read_out(features).squeeze(1)  # (B,)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logits = logits + (self.embed(labels) * features).sum(dim=1)  # projection term
        elif labels is not None:
            raise ValueError("this discriminator is unconditional (num_classes=0): pass no labels")
        return logits


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1 = E ||grad_x D(x)||^2 on real images (Mescheder, Geiger & Nowozin 2018, Eq. 9).

    The discriminator loss adds ``gamma / 2 * r1_penalty(...)`` (gamma = 10 in
    StyleGAN): it keeps D flat on the data, which stabilises the game near equilibrium.

    Args:
        real_logits: (B,) logits D(x), computed from ``real_images`` with
            ``real_images.requires_grad_(True)``.
        real_images: (B, C, H, W) the real batch.

    Returns:
        Scalar mean over the batch of the squared gradient norm (differentiable).
    """
    if not real_images.requires_grad:
        raise ValueError("call real_images.requires_grad_(True) before computing real_logits")
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad.pow(2).flatten(1).sum(dim=1).mean()
