"""Guidance: steering a diffusion sampler towards a class.

* Classifier-free guidance: Ho & Salimans, "Classifier-Free Diffusion
  Guidance", NeurIPS 2021 Workshop (arXiv:2207.12598). One network learns
  eps(x_t, t, y) and eps(x_t, t) (labels dropped during training, see
  :func:`genaug.diffusion.ddpm.ddpm_loss`); sampling combines them. We use the form of
  Saharia et al. 2022 (Imagen), their Eq. 2, which diffusers' ``guidance_scale`` also uses,
  Eq. (eq-ddpm-cfg) of lesson 5.3.1:
  ``eps_hat = eps(x_t, t) + w * (eps(x_t, t, y) - eps(x_t, t))``,
  so w = 0 is the unconditional model, w = 1 the conditional one, w > 1 pushes
  further from the unconditional prediction (sharper, less diverse samples).
  Ho & Salimans' Eq. 6 writes the same combination as
  ``(1 + w') * eps(x_t, t, y) - w' * eps(x_t, t)``: their w' is our w - 1.
* Classifier guidance: Dhariwal & Nichol, "Diffusion Models Beat GANs on Image
  Synthesis", NeurIPS 2021 (their Algorithm 2 and Eq. 14): with a classifier
  p_phi(y | x_t, t) trained on noisy images,
  ``eps_hat = eps(x_t, t) - s * sqrt(1 - bar(alpha)_t) * grad_{x_t} log p_phi(y | x_t, t)``.

Taught in lessons 5.3.1 and 3.3 (``lessons/ch03_methods/03_diffusion_augmentation.ipynb``).
Both functions return a ``model_fn(x_t, t)`` that any sampler in this package accepts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genaug._checks import check_float, check_labels
from genaug.diffusion.sampling import ModelFn
from genaug.diffusion.schedule import NoiseSchedule


def guidance_combine(
    eps_conditional: torch.Tensor, eps_unconditional: torch.Tensor, scale: float
) -> torch.Tensor:
    """Classifier-free guidance: eps_u + w (eps_c - eps_u), Eq. (eq-ddpm-cfg); Saharia et al. 2022, Eq. 2.

    Ho & Salimans' Eq. 6, (1 + w') eps_c - w' eps_u, is the same with w' = w - 1.

    Args:
        eps_conditional: (B, C, H, W) eps(x_t, t, y).
        eps_unconditional: (B, C, H, W) eps(x_t, t).
        scale: the guidance weight w (>= 0); 0 gives eps_u, 1 gives eps_c.

    Returns:
        (B, C, H, W) guided noise prediction.
    """
    if eps_conditional.shape != eps_unconditional.shape:
        raise ValueError(
            f"conditional and unconditional predictions differ in shape: "
            f"{tuple(eps_conditional.shape)} vs {tuple(eps_unconditional.shape)}"
        )
    check_float("guidance scale", scale, min=0.0)
    return eps_unconditional + scale * (eps_conditional - eps_unconditional)


def classifier_free_guidance(model: nn.Module, labels: torch.Tensor, scale: float) -> ModelFn:
    """Wrap a conditional network into a guided ``model_fn(x_t, t)``.

    The conditional and unconditional predictions come from one forward pass on a
    doubled batch; scale 0 and 1 need only one of them and skip the other.

    Args:
        model: a network called as ``model(x_t, t, labels)``, with attributes
            ``num_classes`` and ``null_label`` (e.g. :class:`genaug.nn.unet.UNet`).
        labels: (B,) int64 class labels, one per sample.
        scale: guidance weight w >= 0.

    Returns:
        ``model_fn(x_t, t) -> eps_hat``, for the samplers.
    """
    num_classes = getattr(model, "num_classes", 0)
    if not num_classes:
        raise ValueError("classifier-free guidance needs a class-conditional model")
    check_labels("labels", labels, num_classes=num_classes)
    check_float("guidance scale", scale, min=0.0)

    def model_fn(sample: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        if len(sample) != len(labels):
            raise ValueError(f"got {len(sample)} samples for {len(labels)} labels")
        y = labels.to(sample.device)
        null = torch.full_like(y, model.null_label)
        if scale == 1:
            return model(sample, timesteps, y)
        if scale == 0:
            return model(sample, timesteps, null)
        both = model(  # (2B, C, H, W): conditional half first
            torch.cat([sample, sample]), torch.cat([timesteps, timesteps]), torch.cat([y, null])
        )
        eps_conditional, eps_unconditional = both.chunk(2)
        return guidance_combine(eps_conditional, eps_unconditional, scale)

    return model_fn


def classifier_log_prob_gradient(
    classifier: nn.Module, sample: torch.Tensor, timesteps: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """grad_{x_t} log p_phi(y | x_t, t) for a noise-aware classifier.

    Args:
        classifier: called as ``classifier(x_t, t)`` -> (B, K) logits.
        sample: (B, C, H, W) noisy images x_t.
        timesteps: (B,) int64 timesteps.
        labels: (B,) int64 target classes y.

    Returns:
        (B, C, H, W) gradient of each sample's own log-probability.
    """
    with torch.enable_grad():
        x = sample.detach().requires_grad_(True)
        logits = classifier(x, timesteps)  # (B, K)
        if logits.ndim != 2 or len(logits) != len(sample):
            raise ValueError(f"classifier must return (B, K) logits, got {tuple(logits.shape)}")
        check_labels("labels", labels, num=len(sample), num_classes=logits.shape[1])
        log_prob = F.log_softmax(logits, dim=1).gather(1, labels.to(x.device)[:, None]).sum()
        (gradient,) = torch.autograd.grad(log_prob, x)
    return gradient


def classifier_guidance(
    model_fn: ModelFn,
    classifier: nn.Module,
    labels: torch.Tensor,
    scale: float,
    schedule: NoiseSchedule,
) -> ModelFn:
    """Add classifier guidance to a noise predictor (Dhariwal & Nichol, Eq. 14).

    eps_hat = eps(x_t, t) - s * sqrt(1 - bar(alpha)_t) * grad log p_phi(y | x_t, t): the score
    of p(x_t | y) is the score of p(x_t) plus the classifier's gradient, and
    eps = -sqrt(1 - bar(alpha)_t) * score.

    Args:
        model_fn: eps(x_t, t), unconditional or already guided.
        classifier: noise-aware classifier ``classifier(x_t, t)`` -> (B, K) logits.
        labels: (B,) int64 target classes.
        scale: guidance scale s >= 0 (0 returns ``model_fn``'s prediction unchanged).
        schedule: the schedule, for bar(alpha)_t.

    Returns:
        ``model_fn(x_t, t) -> eps_hat``.
    """
    check_labels("labels", labels)
    check_float("guidance scale", scale, min=0.0)

    def guided(sample: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        eps = model_fn(sample, timesteps)
        if scale == 0:
            return eps
        gradient = classifier_log_prob_gradient(classifier, sample, timesteps, labels)
        alpha_bar = schedule.alpha_bar(timesteps, sample)  # (B, 1, 1, 1)
        return eps - scale * (1 - alpha_bar).sqrt() * gradient

    return guided
