"""Latent-space augmentation with a trained (C)VAE: interpolation and attribute vectors.

After White, "Sampling Generative Networks", 2016 (spherical interpolation,
attribute vectors) and Larsen et al., "Autoencoding beyond pixels using a
learned similarity metric", ICML 2016 (visual attribute vectors). Taught in
lesson 3.2 (``lessons/ch03_methods/02_vae_augmentation.ipynb``).

Both augmenters implement :class:`genaug.augment.generative.GenerativeAugmenter`:

* :class:`InterpolationAugmenter`: encode two random samples *of the same class*
  (posterior means), mix their codes at a random ``t``, decode with that class.
* :class:`AttributeEditAugmenter`: encode a random sample and move its code along
  attribute directions (e.g. stroke thickness, slant) by random amounts.

Symbol map: ``z0, z1`` -> codes of two samples; ``t`` -> mixing weight in [0, 1];
``omega`` -> the angle between z0 and z1; ``direction`` -> an attribute vector d
with ``attribute(decode(z + alpha d)) ~ attribute(decode(z)) + alpha``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from genaug._checks import check_choice, check_float, check_tensor
from genaug.augment.generative import GenerativeAugmenter
from genaug.nn import eval_mode
from genaug.vae.cvae import CVAE

__all__ = [
    "AttributeEditAugmenter",
    "InterpolationAugmenter",
    "attribute_direction",
    "lerp",
    "slerp",
]


def _check_codes(z0: Tensor, z1: Tensor, t: Tensor) -> Tensor:
    check_tensor("z0", z0, ndim=2, floating=True)
    check_tensor("z1", z1, floating=True)
    if z0.shape != z1.shape:
        raise ValueError(
            f"z0 and z1 must both be (B, D), got {tuple(z0.shape)} and {tuple(z1.shape)}"
        )
    if isinstance(t, Tensor):
        check_tensor("t", t, ndim=(0, 1), value_range=(0.0, 1.0))  # NaN refused too
    else:
        check_float("t", t, min=0.0, max=1.0)
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    if t.ndim == 0:
        t = t.expand(len(z0))
    if t.shape != (len(z0),):
        raise ValueError(f"t must be a scalar or a ({len(z0)},) tensor, got {tuple(t.shape)}")
    return t[:, None]  # (B, 1)


def lerp(z0: Tensor, z1: Tensor, t: Tensor | float) -> Tensor:
    """Linear interpolation (1 - t) z0 + t z1.

    Args:
        z0: ``(B, D)`` start codes.
        z1: ``(B, D)`` end codes.
        t: scalar or ``(B,)`` weights in [0, 1].

    Returns:
        ``(B, D)`` interpolated codes.
    """
    t = _check_codes(z0, z1, t)
    return (1 - t) * z0 + t * z1


def slerp(z0: Tensor, z1: Tensor, t: Tensor | float) -> Tensor:
    """Spherical interpolation (White, 2016): along the great circle between z0 and z1.

    slerp(z0, z1; t) = sin((1 - t) omega) / sin(omega) z0 + sin(t omega) / sin(omega) z1,
    with omega the angle between z0 and z1. Under a Gaussian prior in many
    dimensions almost all mass lies near a sphere; the midpoint of a straight line
    between two typical codes is shorter than both (atypical), slerp keeps the
    norm when ``|z0| = |z1|``. Nearly parallel codes fall back to :func:`lerp`.

    Args:
        z0: ``(B, D)`` start codes.
        z1: ``(B, D)`` end codes.
        t: scalar or ``(B,)`` weights in [0, 1].

    Returns:
        ``(B, D)`` interpolated codes.
    """
    t = _check_codes(z0, z1, t)
    unit0 = z0 / z0.norm(dim=1, keepdim=True).clamp(min=1e-12)
    unit1 = z1 / z1.norm(dim=1, keepdim=True).clamp(min=1e-12)
    omega = torch.acos((unit0 * unit1).sum(1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))  # (B, 1)
    sin_omega = torch.sin(omega)
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin_omega
    linear = (1 - t) * z0 + t * z1
    return torch.where(sin_omega.abs() < 1e-4, linear, spherical)


def attribute_direction(codes: Tensor, values: Tensor, *, groups: Tensor | None = None) -> Tensor:
    """The latent direction along which an attribute grows by 1 per unit step.

    The direction is the covariance of each code coordinate with the attribute,
    ``u ~ Cov(z, a)`` (for roughly linear attributes it points like the
    difference between the mean codes of high- and low-attribute samples, the
    attribute vector of White, 2016, and Larsen et al., 2016), scaled by the
    least-squares slope of the attribute on ``z . u``: ``d = u / slope``, so that
    moving a code by ``alpha d`` changes the fitted attribute by ``alpha``. Unlike a
    full multiple regression, the covariance direction puts no weight on
    coordinates that barely vary over the data (a VAE's inactive latents), where
    a regression can fit noise with huge weights the decoder then ignores.

    With ``groups`` (e.g. the class labels of a CVAE's training data), codes and
    values are centred within each group before the fit, so the direction
    captures how the attribute varies *within* a class. Use it for a CVAE: its
    decoder reads the class from the label, and a direction fitted across classes
    would chase class differences the decoder ignores.

    Args:
        codes: ``(N, D)`` codes (e.g. posterior means of N samples).
        values: ``(N,)`` a measured attribute of the same samples.
        groups: optional ``(N,)`` integer group of each sample.

    Returns:
        ``(D,)`` the direction d.
    """
    check_tensor("codes", codes, ndim=2)
    check_tensor("values", values)
    if values.shape != (len(codes),):
        raise ValueError(
            f"codes must be (N, D) and values (N,), got {tuple(codes.shape)} and "
            f"{tuple(values.shape)}"
        )
    if len(codes) <= codes.shape[1]:
        raise ValueError(f"need more samples than dimensions, got N={len(codes)}")
    x, y = codes.detach().cpu().double(), values.detach().cpu().double()
    if groups is not None:
        if not isinstance(groups, Tensor) or groups.shape != (len(codes),):
            raise ValueError(f"groups must be a ({len(codes)},) tensor")
        groups = groups.cpu()
        x, y = x.clone(), y.clone()
        for group in groups.unique():
            members = groups == group
            x[members] -= x[members].mean(0)
            y[members] -= y[members].mean()
    x = x - x.mean(0)  # (N, D) centred codes
    y = y - y.mean()  # (N,) centred attribute
    covariance = x.T @ y / len(x)  # (D,): Cov(z_j, a)
    if covariance.norm() < 1e-12:
        raise ValueError("the attribute does not co-vary with any code coordinate")
    unit = covariance / covariance.norm()  # u
    projection = x @ unit  # (N,): z . u
    slope = (projection @ y) / projection.square().sum().clamp(min=1e-12)  # da / d(z . u)
    return (unit / slope).to(codes.dtype)


class _LatentAugmenter(GenerativeAugmenter):
    def __init__(self, model: CVAE) -> None:
        if not isinstance(model, CVAE):
            raise TypeError(f"model must be a CVAE, got {type(model).__name__}")
        self.model = model

    def _condition(self, labels: Tensor) -> Tensor | None:
        return labels if self.model.config.num_classes > 0 else None

    @torch.no_grad()
    def _encode(self, images: Tensor, labels: Tensor) -> Tensor:
        device = next(self.model.parameters()).device
        with eval_mode(self.model):  # the caller's model keeps its train/eval mode
            mean, _ = self.model.encode(images.to(device), self._condition(labels.to(device)))
        return mean  # (B, D): posterior means

    @torch.no_grad()
    def _decode(self, z: Tensor, labels: Tensor) -> Tensor:
        device = next(self.model.parameters()).device
        with eval_mode(self.model):
            return torch.sigmoid(self.model.decode(z, self._condition(labels.to(device))))


class InterpolationAugmenter(_LatentAugmenter):
    """New samples between pairs of same-class samples in latent space.

    For each new sample: pick a random seed sample, a random partner of the same
    class, ``t ~ U(t_range)``, and decode ``slerp`` (or ``lerp``) of their codes with
    that class. For an unconditional VAE the label is carried over unchanged; it is
    then an assumption the label checks of :mod:`genaug.augment.generative` should test.

    Args:
        model: a trained :class:`~genaug.vae.cvae.CVAE` (conditional or not).
        mode: ``"slerp"`` (default) or ``"lerp"``.
        t_range: ``(low, high)`` within [0, 1] for the mixing weight.
    """

    def __init__(
        self,
        model: CVAE,
        *,
        mode: Literal["slerp", "lerp"] = "slerp",
        t_range: tuple[float, float] = (0.2, 0.8),
    ) -> None:
        super().__init__(model)
        check_choice("mode", mode, ("slerp", "lerp"))
        if not isinstance(t_range, tuple | list) or len(t_range) != 2:
            raise TypeError(f"t_range must be a (low, high) pair, got {t_range!r}")
        low = check_float("t_range[0]", t_range[0], min=0.0, max=1.0)
        high = check_float("t_range[1]", t_range[1], min=0.0, max=1.0)
        if low > high:
            raise ValueError(f"t_range must satisfy 0 <= low <= high <= 1, got {t_range}")
        self.mode = mode
        self.t_range = (float(low), float(high))

    def generate(self, images, labels, n, *, generator=None):
        """Interpolate ``n`` random same-class pairs (see the class docstring)."""
        first = torch.randint(0, len(labels), (n,), generator=generator)  # (n,)
        cpu_labels = labels.cpu()
        partner = torch.empty_like(first)
        for index, anchor in enumerate(first.tolist()):
            same = (cpu_labels == cpu_labels[anchor]).nonzero()[:, 0]  # candidates
            partner[index] = same[torch.randint(0, len(same), (1,), generator=generator)]
        low, high = self.t_range
        t = low + (high - low) * torch.rand(n, generator=generator)  # (n,)
        codes = self._encode(images, labels)  # (N, D)
        z0, z1 = codes[first.to(codes.device)], codes[partner.to(codes.device)]
        mix = slerp if self.mode == "slerp" else lerp
        new_labels = labels[first.to(labels.device)]
        mixed = mix(z0, z1, t.to(codes.device))
        return self._decode(mixed, new_labels).to(images.device), new_labels


class AttributeEditAugmenter(_LatentAugmenter):
    """New samples by moving codes along attribute directions by random amounts.

    For each new sample: pick a random seed, encode it, add
    ``sum_k alpha_k d_k`` with ``alpha_k ~ U(-strength_k, strength_k)``, decode with
    its label.

    Args:
        model: a trained :class:`~genaug.vae.cvae.CVAE`.
        directions: ``(K, D)`` attribute directions (see :func:`attribute_direction`).
        strengths: ``(K,)`` largest step along each direction (in attribute units).
    """

    def __init__(self, model: CVAE, directions: Tensor, strengths: Tensor) -> None:
        super().__init__(model)
        latent_dim = model.config.latent_dim
        check_tensor("directions", directions, ndim=2, floating=True)
        if directions.shape[1] != latent_dim:
            raise ValueError(
                f"directions must have D={latent_dim} columns, got {directions.shape[1]}"
            )
        strengths = torch.as_tensor(strengths, dtype=directions.dtype)
        check_tensor("strengths", strengths, shape=(len(directions),), value_range=(0.0, math.inf))
        self.directions = directions
        self.strengths = strengths

    def generate(self, images, labels, n, *, generator=None):
        """Edit ``n`` random seeds (see the class docstring)."""
        chosen = torch.randint(0, len(labels), (n,), generator=generator)  # (n,)
        codes = self._encode(images[chosen.to(images.device)], labels[chosen.to(labels.device)])
        amounts = (
            2 * torch.rand(n, len(self.directions), generator=generator) - 1
        ) * self.strengths
        shift = amounts @ self.directions  # (n, D)
        new_labels = labels[chosen.to(labels.device)]
        edited = self._decode(codes + shift.to(codes), new_labels)
        return edited.to(images.device), new_labels
