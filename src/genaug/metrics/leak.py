"""The augmentation leak: how much of a training augmentation a generator reproduces.

A generator whose discriminator saw augmented real images but clean fakes learns to
*produce* the augmentation (Zhao et al., "Differentiable Augmentation for
Data-Efficient GAN Training", NeurIPS 2020; Karras et al., "Training Generative
Adversarial Networks with Limited Data", NeurIPS 2020, Sec. 2). We measure it with a
small detector: a :class:`~genaug.nn.classifier.ConvClassifier` trained to tell clean images from
the same images after the augmentation; the share of a generator's samples it flags
as "augmented" is the leak. Taught in lessons 2.2
(``lessons/ch02_concepts/02_augmentation_meets_generation.ipynb``) and 3.1.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from genaug._checks import check_int
from genaug.nn import ClassifierConfig, ConvClassifier

__all__ = ["AugmentationDetector", "train_augmentation_detector"]

Augment = Callable[..., torch.Tensor]  # augment(images, generator=...) -> images


class AugmentationDetector:
    """A trained clean-versus-augmented classifier (class 1 = augmented).

    Attributes:
        model: the :class:`~genaug.nn.classifier.ConvClassifier` (eval mode).
    """

    def __init__(self, model: ConvClassifier) -> None:
        self.model = model.eval()

    @torch.no_grad()
    def flagged(self, images: torch.Tensor) -> float:
        """Share of ``images`` the detector calls augmented.

        Args:
            images: ``(N, C, H, W)`` images in the value range the detector was trained on.

        Returns:
            A float in [0, 1].
        """
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            raise ValueError(f"images must be an (N, C, H, W) tensor, got {type(images).__name__}")
        return self.model(images.float()).argmax(1).float().mean().item()


def train_augmentation_detector(
    images: torch.Tensor,
    augment: Augment,
    *,
    steps: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    width: int = 16,
    seed: int = 0,
) -> AugmentationDetector:
    """Train a detector of an augmentation on clean images.

    Each step draws ``batch_size`` clean images, augments a copy with
    ``augment(batch, generator=...)``, and takes one Adam step of cross-entropy
    with target 0 for clean and 1 for augmented.

    Args:
        images: ``(N, C, H, W)`` clean images, in the value range ``augment`` acts on
            (for a GAN's augmentation, the generator's [-1, 1]).
        augment: a callable ``augment(images, generator=...)`` returning augmented images
            of the same shape, e.g. :class:`genaug.gan.diffaugment.DiffAugment`.
        steps: optimiser steps (>= 1).
        batch_size: clean images per step (>= 1); the step sees twice as many.
        lr: Adam learning rate.
        width: ``ClassifierConfig.width`` of the detector.
        seed: initialisation, batches and augmentation draws.

    Returns:
        An :class:`AugmentationDetector`.
    """
    check_int("steps", steps, min=1)
    check_int("batch_size", batch_size, min=1)
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError("images must be an (N, C, H, W) tensor")
    torch.manual_seed(seed)
    model = ConvClassifier(
        ClassifierConfig(
            in_channels=images.shape[1], num_classes=2, image_size=images.shape[-1], width=width
        )
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    targets = torch.cat([torch.zeros(batch_size), torch.ones(batch_size)]).long()  # (2B,)
    for _ in range(steps):
        clean = images[torch.randint(0, len(images), (batch_size,), generator=generator)]
        inputs = torch.cat([clean, augment(clean, generator=generator)])  # (2B, C, H, W)
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return AugmentationDetector(model)
