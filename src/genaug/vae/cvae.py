"""Conditional VAE: Sohn, Lee & Yan, "Learning Structured Output Representation
using Deep Conditional Generative Models", NeurIPS 2015.

Taught in lesson 5.2.2 (``lessons/ch05_practice/05_cvae.ipynb``); used for
conditional generation in lesson 3.2 (``lessons/ch03_methods/02_vae_augmentation.ipynb``).

The model (symbol map of lesson 5.2.2):

* encoder q_phi(z | x, y) = N(mu_phi(x, y), diag sigma_phi^2(x, y)):
  :meth:`CVAE.encode` returns ``(mean, logvar)``;
* decoder p_theta(x | z, y), a Bernoulli per pixel: :meth:`CVAE.decode` returns
  its logits;
* prior p(z | y) = N(0, I), the label-independent prior that Sohn et al. list as
  their baseline (their Section 4.2 also learns a prior network; with a fixed
  prior, z must carry everything *but* the class, i.e. the style);
* loss: the negative (beta-weighted) ELBO of :mod:`genaug.vae.elbo`,
  -E_q[log p(x | z, y)] + beta KL(q(z | x, y) || p(z)).

With ``num_classes=0`` the label disappears and this is the VAE of Kingma &
Welling (2014); :mod:`genaug.vae.beta_vae` trains it with beta > 1.

Networks: strided 4x4 convolutions halve the resolution down to 4x4, a linear
layer reads out (mu, log sigma^2); the decoder mirrors it with transposed
convolutions. The label enters as a one-hot vector next to the flattened
features (encoder) and next to z (decoder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genaug._checks import check_float, check_images, check_int, check_labels
from genaug.augment.generative import ConditionalAugmenter
from genaug.vae.elbo import bernoulli_log_likelihood, gaussian_kl, reparameterize

__all__ = ["CVAE", "CVAEAugmenter", "CVAEConfig"]


@dataclass
class CVAEConfig:
    """Sizes of a (conditional) convolutional VAE."""

    image_size: int = 16  # H = W; a power of two >= 8
    channels: int = 1  # image channels C
    latent_dim: int = 16  # size D of z
    base_channels: int = 32  # channels after the first strided convolution; doubles per stage
    hidden_dim: int = 256  # width of the linear layer between features and (mu, log sigma^2)
    num_classes: int = 10  # 0: unconditional VAE; > 0: labels condition encoder and decoder

    def __post_init__(self) -> None:
        size = check_int("image_size", self.image_size)
        if size < 8 or size & (size - 1):
            raise ValueError(f"image_size must be a power of two >= 8, got {size!r}")
        for name in ("channels", "latent_dim", "base_channels", "hidden_dim"):
            check_int(name, getattr(self, name), min=1)
        check_int("num_classes", self.num_classes, min=0)

    @property
    def num_stages(self) -> int:
        """Number of 2x resolution changes between the image and 4x4."""
        return int(math.log2(self.image_size // 4))


class CVAE(nn.Module):
    """A convolutional (conditional) VAE: encoder q(z | x, y), decoder p(x | z, y).

    Args:
        config: a :class:`~genaug.vae.cvae.CVAEConfig`.
    """

    def __init__(self, config: CVAEConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.base_channels * 2**i for i in range(config.num_stages)]  # per stage
        encoder: list[nn.Module] = []
        channels = config.channels
        for width in widths:  # (B, C, H, W) -> (B, width, H/2, W/2) per stage
            encoder += [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.SiLU()]
            channels = width
        self.encoder_body = nn.Sequential(*encoder, nn.Flatten())  # (B, F) with F = width*16
        features = widths[-1] * 16
        self.encoder_head = nn.Sequential(
            nn.Linear(features + config.num_classes, config.hidden_dim),
            nn.SiLU(),
            nn.Linear(config.hidden_dim, 2 * config.latent_dim),  # (B, 2D): mu, log sigma^2
        )
        self.decoder_head = nn.Sequential(
            nn.Linear(config.latent_dim + config.num_classes, config.hidden_dim),
            nn.SiLU(),
            nn.Linear(config.hidden_dim, features),
            nn.SiLU(),
        )
        decoder: list[nn.Module] = []
        for index in reversed(range(len(widths))):  # (B, w, h, h) -> (B, w/2, 2h, 2h)
            out = widths[index - 1] if index > 0 else config.channels
            decoder.append(nn.ConvTranspose2d(widths[index], out, 4, stride=2, padding=1))
            if index > 0:
                decoder.append(nn.SiLU())
        self.decoder_body = nn.Sequential(*decoder)
        self._top_channels = widths[-1]

    def _one_hot(self, labels: Tensor | None, batch: int) -> Tensor | None:
        if self.config.num_classes == 0:
            if labels is not None:
                raise ValueError("this VAE is unconditional (num_classes=0): pass labels=None")
            return None
        if labels is None:
            raise ValueError(f"this CVAE needs one label per sample: a ({batch},) int tensor")
        check_labels("labels", labels, num=batch, num_classes=self.config.num_classes)
        return F.one_hot(labels.long(), self.config.num_classes).float()  # (B, K)

    def encode(self, images: Tensor, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Parameters of q(z | x, y).

        Args:
            images: ``(B, C, H, W)`` images in [0, 1].
            labels: ``(B,)`` int64 labels (None for an unconditional VAE).

        Returns:
            ``(mean, logvar)``, each ``(B, D)``.
        """
        size, channels = self.config.image_size, self.config.channels
        if not isinstance(images, Tensor) or images.shape[1:] != (channels, size, size):
            got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(f"images must be (B, {channels}, {size}, {size}), got {got}")
        check_images("images", images)
        features = self.encoder_body(images)  # (B, F)
        one_hot = self._one_hot(labels, len(images))
        if one_hot is not None:
            features = torch.cat([features, one_hot.to(features)], dim=1)  # (B, F + K)
        mean, logvar = self.encoder_head(features).chunk(2, dim=1)  # (B, D) each
        return mean, logvar.clamp(-12.0, 8.0)

    def decode(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Logits of p(x | z, y).

        Args:
            z: ``(B, D)`` latents.
            labels: ``(B,)`` int64 labels (None for an unconditional VAE).

        Returns:
            ``(B, C, H, W)`` logits; ``sigmoid`` gives pixel means in [0, 1].
        """
        if not isinstance(z, Tensor) or z.ndim != 2 or z.shape[1] != self.config.latent_dim:
            got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"z must be (B, {self.config.latent_dim}), got {got}")
        one_hot = self._one_hot(labels, len(z))
        if one_hot is not None:
            z = torch.cat([z, one_hot.to(z)], dim=1)  # (B, D + K)
        hidden = self.decoder_head(z).view(len(z), self._top_channels, 4, 4)  # (B, w, 4, 4)
        return self.decoder_body(hidden)  # (B, C, H, W)

    def loss(
        self,
        images: Tensor,
        labels: Tensor | None = None,
        *,
        beta: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """The negative beta-ELBO of a batch, with its two terms.

        Args:
            images: ``(B, C, H, W)`` images in [0, 1].
            labels: ``(B,)`` labels (None for an unconditional VAE).
            beta: weight of the KL term (1: the ELBO).
            generator: source of the reparameterisation noise.

        Returns:
            Batch means, all scalar tensors in nats per image: ``loss`` =
            ``reconstruction + beta * kl`` (minimise it), ``reconstruction`` =
            -log p(x | z, y), ``kl`` = KL(q || p), ``neg_elbo`` =
            ``reconstruction + kl`` (the beta = 1 bound, for comparing models).
        """
        check_float("beta", beta, min=0.0)
        # 1. encode: q(z | x, y) = N(mean, exp(logvar))
        mean, logvar = self.encode(images, labels)  # (B, D) each
        # 2. reparameterise: z = mean + sigma * eps, Eq. (eq-vae-reparam)
        z = reparameterize(mean, logvar, generator=generator)  # (B, D)
        # 3. reconstruct: one-sample estimate of E_q[log p(x | z, y)]
        log_likelihood = bernoulli_log_likelihood(self.decode(z, labels), images)  # (B,)
        # 4. the KL to the prior N(0, I) in closed form, Eq. (eq-vae-kl)
        kl = gaussian_kl(mean, logvar)  # (B,)
        reconstruction = -log_likelihood.mean()
        kl_mean = kl.mean()
        return {
            "loss": reconstruction + beta * kl_mean,
            "reconstruction": reconstruction,
            "kl": kl_mean,
            "neg_elbo": reconstruction + kl_mean,
        }

    @torch.no_grad()
    def sample(
        self,
        num_samples: int,
        *,
        labels: Tensor | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
    ) -> Tensor:
        """Draw images: z ~ N(0, temperature^2 I), then the decoder's pixel means.

        Args:
            num_samples: number of images B.
            labels: ``(B,)`` labels to draw (required for a CVAE).
            generator: source of z (drawn on the CPU).
            temperature: scale of z; below 1 trades diversity for cleaner samples.

        Returns:
            ``(B, C, H, W)`` images in [0, 1] on the model's device.
        """
        check_int("num_samples", num_samples, min=1)
        check_float("temperature", temperature, min=0.0, min_open=True)
        device = next(self.parameters()).device
        z = temperature * torch.randn(num_samples, self.config.latent_dim, generator=generator)
        if labels is not None:
            labels = labels.to(device)
        was_training = self.training
        self.eval()
        images = torch.sigmoid(self.decode(z.to(device), labels))
        self.train(was_training)
        return images

    @torch.no_grad()
    def reconstruct(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """Decode the posterior mean: x -> mu(x, y) -> sigmoid(decoder).

        Args:
            images: ``(B, C, H, W)`` images in [0, 1].
            labels: ``(B,)`` labels (None for an unconditional VAE).

        Returns:
            ``(B, C, H, W)`` reconstructions in [0, 1].
        """
        mean, _ = self.encode(images, labels)
        return torch.sigmoid(self.decode(mean, labels))


class CVAEAugmenter(ConditionalAugmenter):
    """Conditional generation as augmentation: new images of the requested classes.

    Implements :class:`genaug.augment.generative.ConditionalAugmenter`:
    ``augmenter(images, labels, n)`` draws ``n`` class-balanced labels among the
    classes in ``labels`` and one CVAE sample per label.

    Args:
        model: a trained :class:`~genaug.vae.cvae.CVAE` with ``num_classes > 0``.
        temperature: scale of z (default 1: the prior).
    """

    def __init__(self, model: CVAE, *, temperature: float = 1.0) -> None:
        if not isinstance(model, CVAE):
            raise TypeError(f"model must be a CVAE, got {type(model).__name__}")
        if model.config.num_classes == 0:
            raise ValueError("CVAEAugmenter needs a conditional model (num_classes > 0)")
        check_float("temperature", temperature, min=0.0, min_open=True)
        self.model = model
        self.temperature = temperature

    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One CVAE sample per label (see :meth:`~genaug.vae.cvae.CVAE.sample`)."""
        return self.model.sample(
            len(labels), labels=labels, generator=generator, temperature=self.temperature
        )
