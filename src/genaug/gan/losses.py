"""Adversarial losses of the original GAN (Goodfellow et al., 2014) and of the
least-squares GAN (Mao et al., "Least Squares Generative Adversarial
Networks", ICCV 2017).

Lesson 4.1 derives the first ones; lesson 5.1.1 (DCGAN) trains with them;
lesson 5.1.3 (CycleGAN) uses the least-squares ones.

Symbols: ``real_logits`` -> the discriminator's logit l = logit D(x) on real data,
``fake_logits`` -> logit D(G(z)). With D = sigmoid(l):

* discriminator: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the binary
  cross-entropy with targets 1 for real and 0 for fake (Eq. 1 of the paper);
* generator, non-saturating form: minimise -log D(G(z)) instead of
  log(1 - D(G(z))), which has stronger gradients when D rejects the fakes
  (Section 3 of the paper); :func:`saturating_generator_loss` is the
  original minimax form, kept for lesson 4.1's comparison;
* least squares: D regresses its raw output a = D(x) (no sigmoid) onto 1 for
  real and 0 for fake, G pushes a = D(G(z)) towards 1 (the paper's Eq. 9 with
  a=0, b=1, c=1), which gives non-vanishing gradients for fakes far from the
  decision boundary.
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


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss ``mean log(1 - D(G(z)))`` that G minimises (Eq. 1 of the paper).

    Its gradient with respect to a logit l is ``-sigmoid(l)``, which vanishes when D
    confidently rejects the fakes (l -> -inf): the reason :func:`generator_loss` is used instead.

    Args:
        fake_logits: (B,) or (B, 1) discriminator logits on generated images.

    Returns:
        Scalar ``mean log(1 - sigmoid(l))`` (at most 0).
    """
    _check_logits("fake_logits", fake_logits)
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)


def least_squares_discriminator_loss(
    real_outputs: torch.Tensor, fake_outputs: torch.Tensor
) -> torch.Tensor:
    """LSGAN discriminator loss ``1/2 mean (D(x) - 1)^2 + 1/2 mean D(G(z))^2``.

    Args:
        real_outputs: raw discriminator outputs on real images, any shape
            (e.g. (B,) or a PatchGAN map (B, 1, H', W')).
        fake_outputs: raw outputs on generated images (detached from G).

    Returns:
        Scalar loss; 0 when D outputs exactly 1 on reals and 0 on fakes.
    """
    _check_logits("real_outputs", real_outputs)
    _check_logits("fake_outputs", fake_outputs)
    return 0.5 * ((real_outputs - 1) ** 2).mean() + 0.5 * (fake_outputs**2).mean()


def least_squares_generator_loss(fake_outputs: torch.Tensor) -> torch.Tensor:
    """LSGAN generator loss ``1/2 mean (D(G(z)) - 1)^2``.

    Args:
        fake_outputs: raw discriminator outputs on generated images, any shape.

    Returns:
        Scalar loss; 0 when D scores every fake as real (output 1).
    """
    _check_logits("fake_outputs", fake_outputs)
    return 0.5 * ((fake_outputs - 1) ** 2).mean()
