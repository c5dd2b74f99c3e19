"""DCGAN: Radford, Metz & Chintala, "Unsupervised Representation Learning with
Deep Convolutional Generative Adversarial Networks", ICLR 2016.

Taught in lesson 5.1.1 (``lessons/ch05_practice/01_dcgan.ipynb``).

The paper's architecture guidelines (its Section 3), which this file follows:

1. no pooling: the generator upsamples with fractionally-strided (transposed)
   convolutions, the discriminator downsamples with strided convolutions;
2. batch normalisation in both networks, except the generator's output layer
   and the discriminator's input layer;
3. no fully connected hidden layers (here: one linear projection of z, as in
   the paper's Figure 1, and one linear read-out of D's last feature map);
4. ReLU in the generator with Tanh on the output; LeakyReLU (slope 0.2) in the
   discriminator;
5. weights initialised from N(0, 0.02).

Optionally class-conditional: the generator concatenates a label embedding to
z; the discriminator adds a projection term <embed(y), h> to its logit
(Miyato & Koyama, 2018). :class:`DCGANAugmenter` turns a conditional generator
into an augmenter (lesson 3.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from genaug._checks import check_int, check_labels
from genaug.augment.generative import ConditionalAugmenter


@dataclass
class DCGANConfig:
    """Sizes of a DCGAN pair."""

    image_size: int = 16  # H = W of the images; a power of two >= 8
    channels: int = 1  # image channels C (1 grey, 3 RGB)
    latent_dim: int = 64  # size of the noise vector z
    base_channels: int = 64  # channels of G's last hidden stage and D's first stage
    num_classes: int = 0  # 0: unconditional; > 0: class-conditional G and D

    def __post_init__(self) -> None:
        size = check_int("image_size", self.image_size)
        if size < 8 or size & (size - 1):
            raise ValueError(f"image_size must be a power of two >= 8, got {size!r}")
        for name in ("channels", "latent_dim", "base_channels"):
            check_int(name, getattr(self, name), min=1)
        check_int("num_classes", self.num_classes, min=0)

    @property
    def num_stages(self) -> int:
        """Number of 2x resolution changes between 4x4 and the image size."""
        return int(math.log2(self.image_size // 4))


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv and linear weights ~ N(0, 0.02), BN scale ~ N(1, 0.02).

    Args:
        module: a submodule (use ``model.apply(init_weights)``).
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """G: z (B, latent_dim) -> images (B, C, H, W) in [-1, 1].

    Args:
        config: a :class:`DCGANConfig`.
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        _check_config(config)
        self.config = config
        channels = config.base_channels * 2 ** (config.num_stages - 1)  # at 4x4
        self.embed = (
            nn.Embedding(config.num_classes, config.latent_dim) if config.num_classes else None
        )
        in_dim = config.latent_dim * (2 if config.num_classes else 1)
        # 1. project z to a 4x4 feature map (the paper's Figure 1)
        self.project = nn.Sequential(
            nn.Linear(in_dim, channels * 16, bias=False),
            nn.Unflatten(1, (channels, 4, 4)),  # (B, C0, 4, 4)
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )
        # 2. each stage doubles H and W and halves the channels
        stages: list[nn.Module] = []
        for _ in range(config.num_stages - 1):
            stages += [
                nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(channels // 2),
                nn.ReLU(inplace=True),
            ]
            channels //= 2
        # 3. the output layer: no BN, Tanh
        stages += [nn.ConvTranspose2d(channels, config.channels, 4, stride=2, padding=1), nn.Tanh()]
        self.stages = nn.Sequential(*stages)
        self.apply(init_weights)

    def forward(self, latent: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Generate images.

        Args:
            latent: (B, latent_dim) noise z, usually standard normal.
            labels: (B,) int64 class labels; required iff ``num_classes > 0``.

        Returns:
            (B, C, H, W) images in [-1, 1].
        """
        config = self.config
        if latent.ndim != 2 or latent.shape[1] != config.latent_dim:
            raise ValueError(
                f"latent must have shape (B, {config.latent_dim}), got {tuple(latent.shape)}"
            )
        latent = torch.cat([latent, self._embed_labels(labels, len(latent))], dim=1)
        return self.stages(self.project(latent))

    def _embed_labels(self, labels: torch.Tensor | None, batch: int) -> torch.Tensor:
        if self.embed is None:
            if labels is not None:
                raise ValueError("this generator is unconditional (num_classes=0): pass no labels")
            return torch.empty(batch, 0, device=self.project[0].weight.device)
        _check_labels(labels, batch, self.config.num_classes)
        return self.embed(labels)

    @torch.no_grad()
    def sample(
        self,
        num_samples: int,
        *,
        labels: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Draw images with z ~ N(0, I), in eval mode (BatchNorm uses running statistics).

        The family contract (:mod:`genaug.augment`): images in [0, 1], mapped from the
        network's tanh range by (x + 1) / 2; :meth:`forward` stays in [-1, 1], the
        discriminator's range.

        Args:
            num_samples: number of images B.
            labels: (B,) labels for a conditional generator.
            generator: a CPU ``torch.Generator`` for reproducible z.

        Returns:
            (B, C, H, W) images in [0, 1] on the generator's device.
        """
        check_int("num_samples", num_samples, min=1)
        device = self.project[0].weight.device
        latent = torch.randn(num_samples, self.config.latent_dim, generator=generator).to(device)
        was_training = self.training
        self.eval()
        images = self(latent, None if labels is None else labels.to(device))  # in [-1, 1]
        self.train(was_training)
        return ((images + 1) / 2).clamp(0, 1)


class DCGANDiscriminator(nn.Module):
    """D: images (B, C, H, W) in [-1, 1] -> logits (B,) of "real".

    Args:
        config: a :class:`DCGANConfig`.
    """

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        _check_config(config)
        self.config = config
        channels = config.base_channels
        # 1. the input layer: strided conv, LeakyReLU, no BN
        layers: list[nn.Module] = [
            nn.Conv2d(config.channels, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        # 2. each stage halves H and W and doubles the channels, down to 4x4
        for _ in range(config.num_stages - 1):
            layers += [
                nn.Conv2d(channels, channels * 2, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(channels * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            channels *= 2
        layers.append(nn.Flatten())  # (B, C_last * 16)
        self.features = nn.Sequential(*layers)
        feature_dim = channels * 16
        # 3. linear read-out of the 4x4 map (a 4x4 "valid" convolution in the paper)
        self.read_out = nn.Linear(feature_dim, 1)
        self.embed = nn.Embedding(config.num_classes, feature_dim) if config.num_classes else None
        self.apply(init_weights)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            images: (B, C, H, W) in [-1, 1].
            labels: (B,) int64 labels; required iff ``num_classes > 0``.

        Returns:
            (B,) logits; sigmoid(logit) is D's probability that the image is real.
        """
        config = self.config
        expected = (config.channels, config.image_size, config.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (B, {expected}), got {tuple(images.shape)}")
        features = self.features(images)  # (B, F)
        logits = self.read_out(features).squeeze(1)  # (B,)
        if self.embed is not None:
            _check_labels(labels, len(images), config.num_classes)
            logits = logits + (self.embed(labels) * features).sum(dim=1)  # projection term
        elif labels is not None:
            raise ValueError("this discriminator is unconditional (num_classes=0): pass no labels")
        return logits


class DCGANAugmenter(ConditionalAugmenter):
    """Class-conditional DCGAN samples as augmentation (the course's augmenter interface).

    Implements :class:`genaug.augment.generative.ConditionalAugmenter`:
    ``augmenter(images, labels, n, generator=rng)`` draws ``n`` class-balanced labels
    among the classes in ``labels`` and one generator sample per label, in [0, 1].

    Args:
        model: a trained :class:`DCGANGenerator` with ``num_classes > 0`` (sampled in
            eval mode, e.g. the EMA copy).
    """

    def __init__(self, model: DCGANGenerator) -> None:
        if not isinstance(model, DCGANGenerator):
            raise TypeError(f"model must be a DCGANGenerator, got {type(model).__name__}")
        if model.config.num_classes == 0:
            raise ValueError("DCGANAugmenter needs a class-conditional generator (num_classes > 0)")
        self.model = model

    def sample(
        self, labels: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """One sample per label, ``(n, C, H, W)`` in [0, 1] (see :meth:`DCGANGenerator.sample`)."""
        return self.model.sample(len(labels), labels=labels.long(), generator=generator)


def _check_labels(labels: torch.Tensor | None, batch: int, num_classes: int) -> None:
    if labels is None:
        raise ValueError(f"this model is class-conditional ({num_classes} classes): pass labels")
    check_labels("labels", labels, num=batch, num_classes=num_classes)


def _check_config(config: DCGANConfig) -> None:
    if not isinstance(config, DCGANConfig):
        raise TypeError(f"config must be a DCGANConfig, got {type(config).__name__}")
