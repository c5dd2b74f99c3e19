"""Mixing augmentations: mixup (Zhang et al., ICLR 2018) and CutMix (Yun et al., ICCV 2019).

Both combine two images *and their labels*, so they return soft labels and are
not :class:`~genaug.augment.transform.Transform` objects. Each image i of the batch
is mixed with image ``perm[i]`` of the same batch:

* mixup: x = lam x_i + (1 - lam) x_perm(i), y = lam y_i + (1 - lam) y_perm(i),
  lam ~ Beta(alpha, alpha) per sample;
* CutMix: a box of area (1 - lam) H W from x_perm(i) is pasted into x_i, and the
  label weight is the pasted area's actual share (after clipping to the image).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from genaug._checks import check_float, check_int, check_labels
from genaug.augment.transform import check_batch


def _check_mixing(images: Tensor, labels: Tensor, num_classes: int, alpha: float) -> Tensor:
    check_batch("images", images)
    check_int("num_classes", num_classes, min=2)
    check_float("alpha", alpha, min=0.0, min_open=True)
    check_labels("labels", labels, num=len(images), num_classes=num_classes)
    return F.one_hot(labels.long(), num_classes).to(images.dtype)  # (B, K)


def _draw(batch: int, alpha: float, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """Per-sample lam ~ Beta(alpha, alpha) (B,) float64 and a partner permutation (B,)."""
    # torch's Beta takes no generator: seed numpy's from this one, so equal states agree
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    lam = torch.from_numpy(np.random.default_rng(seed).beta(alpha, alpha, size=batch))
    perm = torch.randperm(batch, generator=generator)
    return lam, perm


def mixup(
    images: Tensor,
    labels: Tensor,
    *,
    num_classes: int,
    alpha: float = 0.2,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Mixup: convex combinations of image pairs and of their one-hot labels.

    Args:
        images: (B, C, H, W) floating images.
        labels: (B,) integer labels in [0, num_classes).
        num_classes: K, the number of classes.
        alpha: the Beta(alpha, alpha) parameter (> 0); the paper uses 0.2 to 0.4 on ImageNet.
        generator: source of lam and the pairing.

    Returns:
        ``(mixed, soft_labels)``: (B, C, H, W) images and (B, K) label weights summing to 1.
    """
    one_hot = _check_mixing(images, labels, num_classes, alpha)
    lam, perm = _draw(len(images), alpha, generator)
    lam = lam.to(images.dtype).to(images.device)  # (B,)
    weight = lam.view(-1, 1, 1, 1)
    mixed = weight * images + (1 - weight) * images[perm.to(images.device)]
    soft = lam[:, None] * one_hot + (1 - lam[:, None]) * one_hot[perm.to(images.device)]
    return mixed, soft


def cutmix(
    images: Tensor,
    labels: Tensor,
    *,
    num_classes: int,
    alpha: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """CutMix: paste a random box from a partner image; weight the labels by area.

    Args:
        images: (B, C, H, W) floating images.
        labels: (B,) integer labels in [0, num_classes).
        num_classes: K, the number of classes.
        alpha: the Beta(alpha, alpha) parameter of the kept area (> 0); the paper uses 1.
        generator: source of the box sizes, positions and the pairing.

    Returns:
        ``(mixed, soft_labels)``: (B, C, H, W) images and (B, K) label weights, the partner's
        weight being the pasted box's share of the image.
    """
    one_hot = _check_mixing(images, labels, num_classes, alpha)
    batch, _, height, width = images.shape
    lam, perm = _draw(batch, alpha, generator)
    cut = torch.sqrt(1 - lam)  # (B,) side ratio of the box
    centres = torch.rand(batch, 2, generator=generator, dtype=torch.float64)  # (B, 2) in [0, 1)
    rows = torch.arange(height, dtype=torch.float64)[None, :, None]  # (1, H, 1)
    cols = torch.arange(width, dtype=torch.float64)[None, None, :]  # (1, 1, W)
    top = (centres[:, 0] * height - cut * height / 2).round()[:, None, None]
    bottom = (centres[:, 0] * height + cut * height / 2).round()[:, None, None]
    left = (centres[:, 1] * width - cut * width / 2).round()[:, None, None]
    right = (centres[:, 1] * width + cut * width / 2).round()[:, None, None]
    box = (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)  # (B, H, W)
    box = box[:, None].to(images.device)  # (B, 1, H, W)
    mixed = torch.where(box, images[perm.to(images.device)], images)
    pasted = box.flatten(1).to(images.dtype).mean(1)  # (B,) the partner's actual share
    soft = (1 - pasted[:, None]) * one_hot + pasted[:, None] * one_hot[perm.to(images.device)]
    return mixed, soft
