"""Latent diffusion: Rombach, Blattmann, Lorenz, Esser & Ommer, "High-Resolution Image
Synthesis with Latent Diffusion Models", CVPR 2022.

Taught in lesson 5.3.3 (``lessons/ch05_practice/09_latent_diffusion.ipynb``).

Two stages, trained one after the other:

1. **A KL-regularised autoencoder** (the paper's "first stage", Sec. 3.1):
   an encoder E maps an image x (H x W) to a diagonal Gaussian q(z | x) over a
   latent z of size h x w x C with h = H / f, and a decoder D maps z back. The loss
   is a reconstruction term plus a *small* KL(q(z | x) || N(0, I)) penalty, which
   keeps the latent space from drifting to arbitrary scales without turning the model
   into a blurry VAE. Our reconstruction term is the Bernoulli log-likelihood of the
   course's VAEs; the paper adds a perceptual loss and a patch discriminator.
2. **A diffusion model on the latents** (Sec. 3.3): the DDPM loss of
   :func:`genaug.diffusion.ddpm.ddpm_loss` on z * scale_factor, where
   scale_factor = 1 / std(z) over the training latents (the paper's rescaling
   for KL-regularised latents, Sec. 4.3.2 and Appendix G), so the diffused signal
   has unit variance like the images a schedule was designed for. Sampling runs
   :class:`~genaug.diffusion.ddim.DDIMSampler` in latent space with classifier-free
   guidance and decodes once at the end: x = D(z_0 / scale_factor).

Symbol map: ``mean``, ``logvar`` -> mu_phi(x), log sigma_phi^2(x) of q(z | x);
``latents`` -> z (unscaled), ``latents * scale_factor`` -> z_0 of the diffusion;
``kl_weight`` -> the KL weight (the paper uses about 1e-6 against its summed
reconstruction loss; ours is larger because our likelihood is per-pixel Bernoulli).

diffusers' ``AutoencoderKL`` is the ecosystem's version of the first stage; the
lesson builds one with the same sizes and checks the shapes agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from genaug.augment.generative import ConditionalAugmenter
from genaug.diffusion.ddim import DDIMSampler
from genaug.diffusion.ddpm import digits_training_set, fit_noise_predictor
from genaug.diffusion.guidance import classifier_free_guidance
from genaug.diffusion.schedule import NoiseSchedule
from genaug.nn import UNet, UNetConfig
from genaug.vae.elbo import bernoulli_log_likelihood, gaussian_kl, reparameterize

# --- stage 1: the KL-regularised autoencoder ------------------------------------------------


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
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not self.channel_mults or any(m < 1 for m in self.channel_mults):
            raise ValueError(f"channel_mults must be positive ints, got {self.channel_mults}")
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
        config: an :class:`~genaug.diffusion.ldm.AutoencoderConfig`.
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
            An :class:`~genaug.diffusion.ldm.AutoencoderOutput`.
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
    """The first-stage loss: -log p(x | z) + kl_weight * KL(q(z | x) || N(0, I)).

    With ``kl_weight = 1`` this is the negative ELBO of a VAE (lesson 4.2); latent
    diffusion uses a small weight, so z stores the image almost losslessly while its
    scale stays near that of N(0, I).

    Args:
        autoencoder: the :class:`~genaug.diffusion.ldm.KLAutoencoder`.
        images: (B, C_x, H, W) images in [0, 1].
        kl_weight: weight of the KL term, >= 0.
        generator: source of the reparameterisation noise.

    Returns:
        An :class:`~genaug.diffusion.ldm.AutoencoderLoss`.
    """
    if isinstance(kl_weight, bool) or not isinstance(kl_weight, (int, float)) or kl_weight < 0:
        raise ValueError(f"kl_weight must be a number >= 0, got {kl_weight!r}")
    out = autoencoder(images, generator=generator)
    reconstruction = -bernoulli_log_likelihood(out.logits, images).mean()  # -log p(x | z)
    kl = gaussian_kl(out.mean.flatten(1), out.logvar.flatten(1)).mean()  # (B, C*h*w) -> scalar
    return AutoencoderLoss(reconstruction + kl_weight * kl, reconstruction, kl)


def latent_scale_factor(latents: Tensor) -> float:
    """1 / std of the latents, the paper's rescaling of KL-regularised latents.

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


# --- stage 2: diffusion in the latent space --------------------------------------------------


class LatentDiffusion:
    """A trained autoencoder and a latent noise predictor, with encode / decode / sample.

    Not a network but the process around two networks: it scales latents, runs the
    DDIM sampler in latent space with classifier-free guidance, and decodes.

    Args:
        autoencoder: the first stage (:class:`~genaug.diffusion.ldm.KLAutoencoder`).
        model: the class-conditional latent noise predictor eps_theta(z_t, t, y), e.g.
            :class:`genaug.nn.UNet` with ``in_channels = C`` and ``image_size = h``.
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` it was trained with.
        scale_factor: s of :func:`~genaug.diffusion.ldm.latent_scale_factor` (> 0).
    """

    def __init__(
        self,
        autoencoder: KLAutoencoder,
        model: nn.Module,
        schedule: NoiseSchedule,
        scale_factor: float,
    ) -> None:
        if not isinstance(autoencoder, KLAutoencoder):
            raise TypeError(
                f"autoencoder must be a KLAutoencoder, got {type(autoencoder).__name__}"
            )
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        if not scale_factor > 0:
            raise ValueError(f"scale_factor must be > 0, got {scale_factor}")
        self.autoencoder, self.model, self.schedule = autoencoder, model, schedule
        self.scale_factor = float(scale_factor)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """(C, h, w) of one latent."""
        return self.autoencoder.config.latent_shape

    def _device(self) -> torch.device:
        return next(self.autoencoder.parameters()).device

    @torch.no_grad()
    def encode(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Scaled latents z_0 = s * z, z ~ q(z | x) (or its mean when ``generator`` is None).

        Args:
            images: (B, C_x, H, W) images in [0, 1].
            generator: draw z from q(z | x) with it; None returns s * mean.

        Returns:
            (B, C, h, w) scaled latents, about unit variance, on the autoencoder's device.
        """
        mean, logvar = self.autoencoder.encode(images.to(self._device()))
        latents = mean if generator is None else reparameterize(mean, logvar, generator=generator)
        return latents * self.scale_factor

    @torch.no_grad()
    def decode(self, latents: Tensor) -> Tensor:
        """Images from scaled latents: D(z_0 / s).

        Args:
            latents: (B, C, h, w) scaled latents z_0.

        Returns:
            (B, C_x, H, W) images in [0, 1], on the autoencoder's device.
        """
        return self.autoencoder.decode(latents.to(self._device()) / self.scale_factor)

    @torch.no_grad()
    def sample(
        self,
        labels: Tensor,
        *,
        seeds: Sequence[int] | Tensor,
        num_steps: int = 50,
        guidance: float = 1.5,
        eta: float = 0.0,
        clip_range: float | None = None,
    ) -> Tensor:
        """Class-conditional samples: DDIM in latent space, then one decoder pass.

        Each image depends only on its own seed and label, whatever the batch.

        Args:
            labels: (B,) int64 classes in [0, num_classes).
            seeds: B seeds, one per image (its z_T and, for eta > 0, its noise).
            num_steps: DDIM steps (1 .. T).
            guidance: classifier-free guidance weight w >= 0 (0: unconditional, 1: conditional).
            eta: DDIM's eta (0: deterministic given the seed).
            clip_range: clip the predicted z_0 to [-clip_range, clip_range]; None (default)
                does not clip: latents, unlike pixels, have no natural range.

        Returns:
            (B, C_x, H, W) images in [0, 1].
        """
        if not isinstance(labels, Tensor) or labels.ndim != 1 or labels.dtype != torch.long:
            raise TypeError("labels must be a 1-D int64 tensor of class indices")
        if len(torch.as_tensor(seeds).flatten()) != len(labels):
            raise ValueError(
                f"got {len(torch.as_tensor(seeds).flatten())} seeds for {len(labels)} labels"
            )
        device = next(self.model.parameters()).device
        sampler = DDIMSampler(
            self.schedule, clip_sample=clip_range is not None, clip_range=clip_range or 1.0
        )
        latents = sampler.sample(  # (B, C, h, w) scaled latents z_0
            classifier_free_guidance(self.model, labels.long().to(device), guidance),
            num_steps=num_steps,
            seeds=seeds,
            shape=self.latent_shape,
            eta=eta,
            device=device,
        )
        return self.decode(latents)


class LatentDiffusionAugmenter(ConditionalAugmenter):
    """New labelled images from a latent diffusion model (the course's augmenter interface).

    Args:
        ldm: a :class:`~genaug.diffusion.ldm.LatentDiffusion`.
        guidance: classifier-free guidance weight w.
        num_steps: DDIM steps.
    """

    def __init__(self, ldm: LatentDiffusion, *, guidance: float = 1.5, num_steps: int = 50) -> None:
        if not isinstance(ldm, LatentDiffusion):
            raise TypeError(f"ldm must be a LatentDiffusion, got {type(ldm).__name__}")
        if guidance < 0:
            raise ValueError(f"guidance must be >= 0, got {guidance}")
        self.ldm, self.guidance, self.num_steps = ldm, guidance, num_steps

    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One image per label, in [0, 1] (see :class:`~genaug.augment.generative.ConditionalAugmenter`)."""
        seeds = torch.randint(0, 2**31 - 1, (len(labels),), generator=generator).tolist()
        return self.ldm.sample(
            labels.long(), seeds=seeds, num_steps=self.num_steps, guidance=self.guidance
        ).clamp(0, 1)


# --- the course's digits model (lesson 5.3.3) ------------------------------------------------


@dataclass
class DigitsLDMConfig:
    """Everything that determines the course's digits latent diffusion model (the cache key)."""

    latent_channels: int = 4  # C of the 4x4xC latent
    ae_base_channels: int = 16  # autoencoder width at 16x16
    ae_channel_mults: tuple[int, ...] = (1, 2, 2)  # 16x16, 8x8, 4x4: f = 4
    kl_weight: float = 1e-3  # weight of KL(q(z | x) || N(0, I)) in the first-stage loss
    ae_steps: int = 300  # autoencoder optimiser steps
    ae_batch_size: int = 64  # images per autoencoder step
    ae_lr: float = 2e-3  # autoencoder Adam learning rate (cosine decay to 0)
    base_channels: int = 32  # latent UNet width at 4x4
    channel_mults: tuple[int, ...] = (1, 2)  # latent UNet levels: 4x4, 2x2
    schedule: str = "cosine"  # "linear" or "cosine" (NoiseSchedule)
    num_timesteps: int = 1000  # T
    steps: int = 1500  # diffusion optimiser steps
    batch_size: int = 128  # latents per diffusion step
    lr: float = 1e-3  # diffusion Adam learning rate (after a linear warm-up)
    warmup: int = 50  # warm-up steps
    ema_decay: float = 0.995  # EMA of the latent UNet's weights
    label_dropout: float = 0.1  # probability of the null label (classifier-free guidance)
    seed: int = 0  # seed of all training randomness

    def autoencoder_config(self) -> AutoencoderConfig:
        """The :class:`~genaug.diffusion.ldm.AutoencoderConfig` of the first stage."""
        return AutoencoderConfig(
            latent_channels=self.latent_channels,
            base_channels=self.ae_base_channels,
            channel_mults=self.ae_channel_mults,
        )


def digits_ldm_config(profile: str | None = None) -> DigitsLDMConfig:
    """The recipe of a profile (smoke: seconds; cpu: one to two minutes on 2 cores; gpu: longer).

    Args:
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"``; default the active profile.

    Returns:
        The config used by :func:`~genaug.diffusion.ldm.pretrained_digits_ldm`.
    """
    from genaug.config import by_profile

    return by_profile(
        smoke=DigitsLDMConfig(
            ae_base_channels=8,
            ae_steps=60,
            ae_batch_size=32,
            base_channels=16,
            steps=80,
            batch_size=32,
            warmup=10,
            ema_decay=0.9,
        ),
        cpu=DigitsLDMConfig(),
        gpu=DigitsLDMConfig(
            ae_base_channels=32,
            ae_steps=3000,
            base_channels=64,
            steps=10000,
            lr=4e-4,
            ema_decay=0.999,
        ),
        profile=profile,
    )


@dataclass
class TrainedLatentDiffusion:
    """A trained latent diffusion model.

    Attributes:
        ldm: the :class:`~genaug.diffusion.ldm.LatentDiffusion` (EMA latent UNet, eval mode).
        raw_model: the last raw weights of the latent UNet.
        config: the training config.
        history: ``{"autoencoder": {"loss", "reconstruction", "kl", "seconds"},
            "diffusion": {"loss", "seconds"}, "seconds": total}``.
        loaded: True if both stages came from the cache.
    """

    ldm: LatentDiffusion
    raw_model: nn.Module
    config: DigitsLDMConfig
    history: dict
    loaded: bool


def _train_autoencoder(config: DigitsLDMConfig, images: Tensor, *, progress: bool, retrain: bool):
    from genaug.cache import load_or_train
    from genaug.train import fit

    torch.manual_seed(config.seed)
    autoencoder = KLAutoencoder(config.autoencoder_config()).to(images.device)
    key = {
        name: value
        for name, value in asdict(config).items()
        if name in ("latent_channels", "kl_weight", "seed") or name.startswith("ae_")
    }
    key["num_train"] = len(images)

    def train(_module: nn.Module, checkpoint) -> dict:
        optimizer = torch.optim.Adam(autoencoder.parameters(), lr=config.ae_lr)
        decay = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.ae_steps)
        rng = torch.Generator().manual_seed(config.seed)

        def step(_number: int) -> dict[str, float]:
            index = torch.randint(0, len(images), (config.ae_batch_size,), generator=rng)
            out = autoencoder_loss(
                autoencoder,
                images[index.to(images.device)],
                kl_weight=config.kl_weight,
                generator=rng,
            )
            optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            optimizer.step()
            decay.step()
            return {
                "loss": out.loss.item(),
                "reconstruction": out.reconstruction.item(),
                "kl": out.kl.item(),
            }

        start = time.perf_counter()
        history = fit(
            step,
            num_steps=config.ae_steps,
            modules={"autoencoder": autoencoder},
            optimizers={"autoencoder": optimizer},
            generator=rng,
            checkpoint=checkpoint,
            progress=progress,
            description="autoencoder",
        )
        return {**history, "seconds": time.perf_counter() - start}

    result = load_or_train("ldm-autoencoder-digits", key, autoencoder, train, retrain=retrain)
    return autoencoder.eval(), result


def pretrained_digits_ldm(
    config: DigitsLDMConfig | None = None,
    *,
    train_images: Tensor | None = None,
    train_labels: Tensor | None = None,
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
) -> TrainedLatentDiffusion:
    """Train (or load from the cache) a class-conditional latent diffusion model on 16x16 digits.

    Stage 1 trains the :class:`~genaug.diffusion.ldm.KLAutoencoder` with
    :func:`~genaug.diffusion.ldm.autoencoder_loss` (cache name ``ldm-autoencoder-digits``);
    the training images are then encoded once, their latents' std gives the scale factor,
    and stage 2 trains a class-conditional :class:`genaug.nn.UNet` on scaled latents drawn
    from q(z | x) with :func:`genaug.diffusion.ddpm.ddpm_loss`, label dropout for
    classifier-free guidance and an EMA of the weights (cache name ``ldm-digits``).

    Args:
        config: the recipe; default :func:`~genaug.diffusion.ldm.digits_ldm_config` of the
            active profile.
        train_images: (N, 1, 16, 16) images in [0, 1]; default ``digits("train")``.
        train_labels: (N,) int64 labels for ``train_images``.
        progress: show progress bars while training.
        retrain: train both stages even if cached.
        device: where to train; default :func:`genaug.config.device`.

    Returns:
        A :class:`~genaug.diffusion.ldm.TrainedLatentDiffusion`.
    """
    from genaug.cache import load_or_train
    from genaug.config import device as default_device
    from genaug.train import EMA

    config = config or digits_ldm_config()
    if not isinstance(config, DigitsLDMConfig):
        raise TypeError(f"config must be a DigitsLDMConfig, got {type(config).__name__}")
    device = torch.device(device) if device is not None else default_device()
    train_images, train_labels = digits_training_set(train_images, train_labels)
    images, labels = train_images.to(device), train_labels.to(device)

    # 1. first stage, then encode the training set once: q(z | x) for every image
    autoencoder, ae_result = _train_autoencoder(config, images, progress=progress, retrain=retrain)
    with torch.no_grad():
        mean, logvar = autoencoder.encode(images)  # (N, C, h, w) each
        noise_rng = torch.Generator().manual_seed(config.seed)
        scale_factor = latent_scale_factor(reparameterize(mean, logvar, generator=noise_rng))

    # 2. the latent noise predictor
    schedule = NoiseSchedule(config.num_timesteps, schedule=config.schedule)
    latent_channels, side, _ = autoencoder.config.latent_shape
    torch.manual_seed(config.seed)
    model = UNet(
        UNetConfig(
            in_channels=latent_channels,
            image_size=side,
            base_channels=config.base_channels,
            channel_mults=config.channel_mults,
            num_classes=10,
        )
    ).to(device)
    ema = EMA(model, decay=config.ema_decay)
    modules = nn.ModuleDict({"model": model, "ema": ema.module})
    key = {**asdict(config), "num_train": len(images), "label_sum": int(labels.sum())}

    def draw_batch(rng: torch.Generator) -> tuple[Tensor, Tensor]:
        index = torch.randint(0, len(images), (config.batch_size,), generator=rng).to(device)
        # z ~ q(z | x), scaled to unit variance: the "images" the diffusion model sees
        latents = reparameterize(mean[index], logvar[index], generator=rng) * scale_factor
        return latents, labels[index]

    def train(_modules: nn.Module, checkpoint) -> dict:
        history = fit_noise_predictor(
            model,
            ema,
            draw_batch,
            schedule,
            config,
            generator=torch.Generator().manual_seed(config.seed + 1),
            checkpoint=checkpoint,
            progress=progress,
            description="latent diffusion",
        )
        return {**history, "scale_factor": scale_factor}

    result = load_or_train("ldm-digits", key, modules, train, retrain=retrain)
    model.eval()
    ema.module.eval()
    history = {
        "autoencoder": ae_result.history,
        "diffusion": result.history,
        "seconds": ae_result.history["seconds"] + result.history["seconds"],
    }
    return TrainedLatentDiffusion(
        ldm=LatentDiffusion(autoencoder, ema.module, schedule, scale_factor),
        raw_model=model,
        config=config,
        history=history,
        loaded=ae_result.loaded and result.loaded,
    )
