"""Adversarial losses of the original GAN (Goodfellow et al., 2014).

Lesson 4.1 derives them; lesson 5.1.1 (DCGAN) trains with them.

Symbols: ``real_logits`` -> the discriminator's logit l = logit D(x) on real data,
``fake_logits`` -> logit D(G(z)). With D = sigmoid(l):

* discriminator: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the binary
  cross-entropy with targets 1 for real and 0 for fake (Eq. 1 of the paper);
* generator, non-saturating form: minimise -log D(G(z)) instead of
  log(1 - D(G(z))), which has stronger gradients when D rejects the fakes
  (Section 3 of the paper).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_logits(name: str, logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {type(logits).__name__}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the discriminator: real -> 1, fake -> 0.

    Args:
        real_logits: (B,) or (B, 1) logits on real images.
        fake_logits: (B',) or (B', 1) logits on generated images (detached from G).

    Returns:
        Scalar loss ``-mean log D(x) - mean log(1 - D(G(z)))``.
    """
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    loss_real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    loss_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return loss_real + loss_fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss ``-mean log D(G(z))``.

    Args:
        fake_logits: (B,) or (B, 1) discriminator logits on generated images.

    Returns:
        Scalar loss.
    """
    _check_logits("fake_logits", fake_logits)
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
