"""Stage 1 of latent diffusion: a KL-regularised autoencoder (Rombach et al. 2022, Sec. 3.1).

Taught in lesson 5.3.3 (``lessons/ch05_practice/09_latent_diffusion.ipynb``).
An encoder E maps an image x (H x W) to a diagonal Gaussian q(z | x) over a latent
z of size h x w x C with h = H / f, and a decoder D maps z back. The loss is a
reconstruction term plus a *small* KL(q(z | x) || N(0, I)) penalty, which keeps
the latent space from drifting to arbitrary scales without turning the model into
a blurry VAE. Our reconstruction term is the Bernoulli log-likelihood of the
course's VAEs; the paper adds a perceptual loss and a patch discriminator.

Symbol map: ``mean``, ``logvar`` -> mu_phi(x), log sigma_phi^2(x) of q(z | x);
``latents`` -> z (unscaled); ``kl_weight`` -> the KL weight (the paper uses about
1e-6 against its summed reconstruction loss; ours is larger because our likelihood
is per-pixel Bernoulli).

diffusers' ``AutoencoderKL`` is the ecosystem's version of the first stage; the
lesson builds one with the same sizes and checks the shapes agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genaug._checks import check_float, check_images, check_int
from genaug.vae.elbo import bernoulli_log_likelihood, gaussian_kl, reparameterize


@dataclass
class AutoencoderConfig:
    """Sizes of :class:`KLAutoencoder`."""

    in_channels: int = 1  # image channels C_x
    image_size: int = 16  # H = W; divisible by the downsampling factor f
    latent_channels: int = 4  # latent channels C
    base_channels: int = 32  # channels at full resolution
    channel_mults: tuple[int, ...] = (1, 2, 2)  # per level; f = 2 ** (len - 1): 16 -> 4
    groups: int = 8  # GroupNorm groups (per-sample: a sample's code ignores its batch)

    def __post_init__(self) -> None:
        self.channel_mults = tuple(self.channel_mults)
        for name in ("in_channels", "image_size", "latent_channels", "base_channels", "groups"):
            check_int(name, getattr(self, name), min=1)
        if not self.channel_mults:
            raise ValueError("channel_mults must hold at least one multiplier, got ()")
        for index, mult in enumerate(self.channel_mults):
            check_int(f"channel_mults[{index}]", mult, min=1)
        if self.image_size % self.factor:
            raise ValueError(
                f"image_size {self.image_size} must be divisible by the downsampling factor "
                f"f = {self.factor} (one halving per extra level of channel_mults)"
            )
        if any((self.base_channels * m) % self.groups for m in self.channel_mults):
            raise ValueError("base_channels * each multiplier must be divisible by groups")

    @property
    def factor(self) -> int:
        """The downsampling factor f = H / h."""
        return 2 ** (len(self.channel_mults) - 1)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """(C, h, w) of one latent."""
        side = self.image_size // self.factor
        return (self.latent_channels, side, side)


class _Block(nn.Module):
    """GroupNorm-SiLU-conv twice with a residual connection: (B, C_in, H, W) -> (B, C_out, H, W)."""

    def __init__(self, in_channels: int, out_channels: int, groups: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(min(groups, in_channels), in_channels),
            nn.SiLU(),
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.GroupNorm(groups, out_channels),
            nn.SiLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )
        self.skip = (
            nn.Conv2d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.skip(x) + self.body(x)


@dataclass
class AutoencoderOutput:
    """What :meth:`KLAutoencoder.forward` returns.

    Attributes:
        logits: (B, C_x, H, W) decoder outputs before the sigmoid.
        mean: (B, C, h, w) mean of q(z | x).
        logvar: (B, C, h, w) log variance of q(z | x).
        latents: (B, C, h, w) the sample z that was decoded.
    """

    logits: Tensor
    mean: Tensor
    logvar: Tensor
    latents: Tensor


class KLAutoencoder(nn.Module):
    """A small convolutional autoencoder with a diagonal Gaussian posterior q(z | x).

    Residual blocks at each level, strided convolutions down and nearest upsampling up,
    GroupNorm throughout (so each image is encoded and decoded independently of its
    batch). No skip connections between encoder and decoder: everything the decoder
    knows passes through z.

    Args:
        config: an :class:`~genaug.diffusion.autoencoder.AutoencoderConfig`.
    """

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        base, groups = config.base_channels, config.groups
        widths = [base * mult for mult in config.channel_mults]
        # encoder: (B, C_x, H, W) -> (B, 2C, h, w)
        encoder: list[nn.Module] = [nn.Conv2d(config.in_channels, base, 3, padding=1)]
        channels = base
        for level, width in enumerate(widths):
            encoder.append(_Block(channels, width, groups))
            channels = width
            if level < len(widths) - 1:
                encoder.append(nn.Conv2d(channels, channels, 3, stride=2, padding=1))  # H/2
        encoder += [
            _Block(channels, channels, groups),
            nn.GroupNorm(groups, channels),
            nn.SiLU(),
            nn.Conv2d(channels, 2 * config.latent_channels, 3, padding=1),
        ]
        self.encoder = nn.Sequential(*encoder)
        # decoder: (B, C, h, w) -> (B, C_x, H, W) logits
        decoder: list[nn.Module] = [
            nn.Conv2d(config.latent_channels, channels, 3, padding=1),
            _Block(channels, channels, groups),
        ]
        for level, width in reversed(list(enumerate(widths))):
            decoder.append(_Block(channels, width, groups))
            channels = width
            if level > 0:
                decoder += [nn.Upsample(scale_factor=2, mode="nearest")]  # 2H
                decoder += [nn.Conv2d(channels, channels, 3, padding=1)]
        decoder += [
            nn.GroupNorm(groups, channels),
            nn.SiLU(),
            nn.Conv2d(channels, config.in_channels, 3, padding=1),
        ]
        self.decoder = nn.Sequential(*decoder)

    def _check_images(self, images: Tensor) -> None:
        config = self.config
        expected = (config.in_channels, config.image_size, config.image_size)
        if not isinstance(images, Tensor) or not images.is_floating_point():
            raise TypeError(f"images must be a float tensor, got {type(images).__name__}")
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (B, {expected}), got {tuple(images.shape)}")
        check_images("images", images)  # finite, in [0, 1]

    def encode(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """The posterior q(z | x) = N(mean, diag(exp(logvar))).

        Args:
            images: (B, C_x, H, W) images in [0, 1].

        Returns:
            ``(mean, logvar)``, each (B, C, h, w); logvar is clamped to [-30, 20] as in
            the paper's code, so exp(logvar) never overflows.
        """
        self._check_images(images)
        moments = self.encoder(images * 2 - 1)  # (B, 2C, h, w), input scaled to [-1, 1]
        mean, logvar = moments.chunk(2, dim=1)  # (B, C, h, w) each
        return mean, logvar.clamp(-30.0, 20.0)

    def decode_logits(self, latents: Tensor) -> Tensor:
        """Decoder outputs before the sigmoid.

        Args:
            latents: (B, C, h, w) unscaled latents z.

        Returns:
            (B, C_x, H, W) logits of the Bernoulli decoder.
        """
        expected = self.config.latent_shape
        if not isinstance(latents, Tensor) or latents.ndim != 4 or latents.shape[1:] != expected:
            shape = tuple(latents.shape) if isinstance(latents, Tensor) else type(latents).__name__
            raise ValueError(f"latents must have shape (B, {expected}), got {shape}")
        return self.decoder(latents)

    def decode(self, latents: Tensor) -> Tensor:
        """Decode latents to images.

        Args:
            latents: (B, C, h, w) unscaled latents z.

        Returns:
            (B, C_x, H, W) images in [0, 1] (the decoder's pixel means).
        """
        return torch.sigmoid(self.decode_logits(latents))

    def forward(
        self, images: Tensor, *, generator: torch.Generator | None = None
    ) -> AutoencoderOutput:
        """Encode, sample z = mean + sigma * eps, decode.

        Args:
            images: (B, C_x, H, W) images in [0, 1].
            generator: source of eps (default: torch's global generator).

        Returns:
            An :class:`~genaug.diffusion.autoencoder.AutoencoderOutput`.
        """
        mean, logvar = self.encode(images)
        latents = reparameterize(mean, logvar, generator=generator)  # (B, C, h, w)
        return AutoencoderOutput(self.decode_logits(latents), mean, logvar, latents)


@dataclass
class AutoencoderLoss:
    """What :func:`autoencoder_loss` returns (per-image averages over the batch).

    Attributes:
        loss: scalar to minimise, reconstruction + kl_weight * kl.
        reconstruction: scalar -log p(x | z) in nats per image.
        kl: scalar KL(q(z | x) || N(0, I)) in nats per image.
    """

    loss: Tensor
    reconstruction: Tensor
    kl: Tensor


def autoencoder_loss(
    autoencoder: KLAutoencoder,
    images: Tensor,
    *,
    kl_weight: float,
    generator: torch.Generator | None = None,
) -> AutoencoderLoss:
    """The first-stage loss, Eq. (eq-ldm-autoencoder): -log p(x | z) + kl_weight * KL(q(z | x) || N(0, I)).

    With ``kl_weight = 1`` this is the negative ELBO of a VAE (lesson 4.2); latent
    diffusion uses a small weight, so z stores the image almost losslessly while its
    scale stays near that of N(0, I).

    Args:
        autoencoder: the :class:`~genaug.diffusion.autoencoder.KLAutoencoder`.
        images: (B, C_x, H, W) images in [0, 1].
        kl_weight: weight of the KL term, >= 0.
        generator: source of the reparameterisation noise.

    Returns:
        An :class:`~genaug.diffusion.autoencoder.AutoencoderLoss`.
    """
    check_float("kl_weight", kl_weight, min=0.0)
    out = autoencoder(images, generator=generator)
    reconstruction = -bernoulli_log_likelihood(out.logits, images).mean()  # -log p(x | z)
    kl = gaussian_kl(out.mean.flatten(1), out.logvar.flatten(1)).mean()  # (B, C*h*w) -> scalar
    return AutoencoderLoss(reconstruction + kl_weight * kl, reconstruction, kl)


def latent_scale_factor(latents: Tensor) -> float:
    """1 / std of the latents, Eq. (eq-ldm-scale); Rombach et al., Sec. 4.3.2 and Appendix G.

    Args:
        latents: (N, C, h, w) latents z of (a large batch of) training images.

    Returns:
        A positive float s such that z * s has unit standard deviation over all entries.
    """
    if not isinstance(latents, Tensor) or not latents.is_floating_point() or latents.numel() < 2:
        raise ValueError("latents must be a float tensor with at least two entries")
    std = float(latents.detach().float().std())
    if not std > 1e-8 or not torch.isfinite(torch.tensor(std)):
        raise ValueError(f"latents have standard deviation {std}: cannot rescale them")
    return 1.0 / std
