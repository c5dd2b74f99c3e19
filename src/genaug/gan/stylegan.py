"""A small StyleGAN: Karras, Laine & Aila, "A Style-Based Generator Architecture
for Generative Adversarial Networks", CVPR 2019, with the modulated and
demodulated convolutions of StyleGAN2 (Karras et al., "Analyzing and Improving
the Image Quality of StyleGAN", CVPR 2020).

Taught in lesson 5.1.2 (``lessons/ch05_practice/02_stylegan.ipynb``).

The generator has two parts:

1. the *mapping network* f: z -> w, an MLP that turns Gaussian noise into an
   intermediate latent w that need not follow any fixed distribution;
2. the *synthesis network* g, which starts from a learned constant 4x4 tensor
   and, at every layer l, convolves with weights *modulated* by a style
   s_l = A_l(w_l) (a learned affine map of that layer's w), then adds
   per-pixel noise scaled per channel. StyleGAN2's weight demodulation (its
   Eq. 3) rescales each output channel's weights to unit norm, so that unit-
   variance inputs give unit-variance outputs whatever the style.

Because each layer reads its own copy w_l, two latents can be *mixed*: w1 for
the layers before a crossover, w2 after (coarse structure from one, fine
details from the other). Training with random mixing ("style mixing
regularisation") keeps the layers' styles independent. *Truncation* pulls w
towards the average w, trading diversity for typicality:
w' = w_avg + psi (w - w_avg).

Training aids of the papers kept here, because without them the small model
collapses onto one rendering per class (lesson 5.1.2 measures it):

* the mapping network's learning rate is 100x lower than the synthesis
  network's (StyleGAN, Appendix C: lambda' = 0.01 lambda), implemented as in the
  paper with an equalised-learning-rate linear layer,
  :class:`genaug.gan.equalized.EqualizedLinear`;
* :class:`genaug.gan.stylegan_discriminator.StyleGANDiscriminator`, a small
  discriminator ending, as StyleGAN's (taken from ProGAN, Karras et al. 2018,
  Section 3), with a minibatch standard deviation layer, ``MinibatchStd``;
* the R1 gradient penalty on real images (Mescheder et al. 2018),
  :func:`genaug.gan.stylegan_discriminator.r1_penalty`.

Omitted for size: progressive growing, the skip / residual architectures,
equalised learning rate in the synthesis network, path-length regularisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from genaug._checks import check_float, check_int, check_labels, check_probability
from genaug.gan.equalized import EqualizedLinear


@dataclass
class StyleGANConfig:
    """Sizes of a small StyleGAN generator."""

    image_size: int = 16  # H = W, a power of two >= 8
    channels: int = 1  # image channels C
    latent_dim: int = 64  # size of z and of w
    mapping_layers: int = 4  # depth of the mapping MLP (8 in the paper)
    feature_channels: int = 64  # channels of every synthesis layer
    style_mixing_prob: float = 0.9  # share of training batches that mix two latents
    num_classes: int = 0  # > 0: class-conditional mapping f(z, y), as in StyleGAN2-ADA
    mapping_lr_multiplier: float = 0.01  # mapping lr / synthesis lr (StyleGAN, Appendix C)

    def __post_init__(self) -> None:
        size = check_int("image_size", self.image_size)
        if size < 8 or size & (size - 1):
            raise ValueError(f"image_size must be a power of two >= 8, got {size!r}")
        for name in ("channels", "latent_dim", "mapping_layers", "feature_channels"):
            check_int(name, getattr(self, name), min=1)
        check_int("num_classes", self.num_classes, min=0)
        check_probability("style_mixing_prob", self.style_mixing_prob)
        check_float(
            "mapping_lr_multiplier", self.mapping_lr_multiplier, min=0.0, max=1.0, min_open=True
        )

    @property
    def num_layers(self) -> int:
        """The number of w inputs (one conv at 4x4, two per doubling, and the output layer)."""
        return 1 + 2 * int(math.log2(self.image_size // 4)) + 1


class MappingNetwork(nn.Module):
    """f: z (B, D) [and labels y] -> w (B, D), an MLP on the pixel-normalised z.

    Args:
        latent_dim: D.
        num_layers: number of linear layers.
        num_classes: > 0 adds a label embedding, normalised and concatenated to z.
        lr_multiplier: learning-rate multiplier of the linear layers (see
            :class:`~genaug.gan.equalized.EqualizedLinear`; 0.01 in StyleGAN).
    """

    def __init__(
        self, latent_dim: int, num_layers: int, num_classes: int = 0, lr_multiplier: float = 1.0
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, latent_dim) if num_classes else None
        layers: list[nn.Module] = []
        in_dim = latent_dim * (2 if num_classes else 1)
        for _ in range(num_layers):
            layers += [
                EqualizedLinear(in_dim, latent_dim, lr_multiplier=lr_multiplier),
                nn.LeakyReLU(0.2),
            ]
            in_dim = latent_dim
        self.net = nn.Sequential(*layers)

    def forward(self, latent: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Map z (and y) to w.

        Args:
            latent: (B, D) noise z.
            labels: (B,) int64 labels; required iff the network is conditional.

        Returns:
            (B, D) intermediate latents w.
        """
        latent = _pixel_norm(latent)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this mapping network is class-conditional: pass labels")
            check_labels("labels", labels, num=len(latent), num_classes=self.embed.num_embeddings)
            latent = torch.cat([latent, _pixel_norm(self.embed(labels))], dim=1)  # (B, 2D)
        elif labels is not None:
            raise ValueError(
                "this mapping network is unconditional (num_classes=0): pass no labels"
            )
        return self.net(latent)


def _pixel_norm(x: torch.Tensor) -> torch.Tensor:
    """Scale each row of (B, D) to unit root-mean-square."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are scaled per input channel by a style (StyleGAN2, Eqs. 1-3).

    Symbols: ``weight`` -> w_ijk (output j, input i, tap k), ``style`` -> s_i,
    ``demodulate`` -> divide by sigma_j = sqrt(sum_{i,k} (s_i w_ijk)^2 + eps).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: odd kernel size (padding keeps H and W).
        style_dim: size of the w that feeds the affine map A.
        demodulate: normalise each output channel's weights to unit norm.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        *,
        demodulate: bool = True,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.affine = nn.Linear(style_dim, in_channels)  # A: w -> s
        nn.init.ones_(self.affine.bias)  # styles start near 1: close to an ordinary convolution
        self.demodulate = demodulate
        self.padding = kernel_size // 2
        self.scale = 1 / math.sqrt(in_channels * kernel_size**2)  # He scale for the raw weights

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Apply the modulated convolution.

        Args:
            x: (B, I, H, W) input features.
            w: (B, D) the layer's latent w_l.

        Returns:
            (B, O, H, W) output features.
        """
        style = self.affine(w)  # (B, I): s = A(w)
        weight = self.weight * self.scale  # (O, I, k, k)
        # 1. modulate: convolving x with s_i w_ijk equals convolving (s_i x_i) with w_ijk,
        #    so one shared convolution serves the whole batch (no per-sample weights)
        out = F.conv2d(x * style.view(*style.shape, 1, 1), weight, padding=self.padding)
        if self.demodulate:
            # 2. demodulate: sigma_j = sqrt(sum_{i,k} (s_i w_ijk)^2 + eps) per sample and
            #    output channel, StyleGAN2's Eq. 3; dividing the output by sigma_j equals
            #    dividing the modulated weights by it
            weight_energy = weight.pow(2).sum(dim=(2, 3))  # (O, I): sum_k w_ijk^2
            sigma = torch.sqrt(style.pow(2) @ weight_energy.t() + 1e-8)  # (B, O)
            out = out / sigma.view(*sigma.shape, 1, 1)
        return out  # (B, O, H, W)


class StyleLayer(nn.Module):
    """Modulated 3x3 conv, per-pixel noise scaled per channel, bias, LeakyReLU.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        style_dim: size of w.
    """

    def __init__(self, in_channels: int, out_channels: int, style_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, style_dim)
        self.noise_strength = nn.Parameter(torch.zeros(1, out_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        """Args: x (B, I, H, W); w (B, D); noise (B, 1, H, W) or None. Returns (B, O, H, W)."""
        x = self.conv(x, w)
        if noise is not None:
            x = x + self.noise_strength * noise
        return F.leaky_relu(x + self.bias, 0.2)


class StyleGANGenerator(nn.Module):
    """G = g(f(z)): z (B, D) -> images (B, C, H, W) in [-1, 1].

    Args:
        config: a :class:`StyleGANConfig`.
    """

    def __init__(self, config: StyleGANConfig) -> None:
        super().__init__()
        self.config = config
        dim, width = config.latent_dim, config.feature_channels
        self.mapping = MappingNetwork(
            dim, config.mapping_layers, config.num_classes, config.mapping_lr_multiplier
        )
        self.constant = nn.Parameter(torch.randn(1, width, 4, 4))  # the learned 4x4 input
        num_convs = config.num_layers - 1
        self.layers = nn.ModuleList([StyleLayer(width, width, dim) for _ in range(num_convs)])
        self.to_image = ModulatedConv2d(width, config.channels, 1, dim, demodulate=False)
        self.register_buffer("w_avg", torch.zeros(dim))  # running mean of w, for truncation

    def synthesis(
        self,
        ws: torch.Tensor,
        *,
        noise: bool = True,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """g: per-layer latents -> images.

        Args:
            ws: (B, L, D) one w per layer, L = ``config.num_layers``.
            noise: add per-pixel noise (False gives a deterministic image per ws).
            generator: source of the noise.

        Returns:
            (B, C, H, W) images in [-1, 1].
        """
        config = self.config
        if ws.ndim != 3 or ws.shape[1:] != (config.num_layers, config.latent_dim):
            raise ValueError(
                f"ws must have shape (B, {config.num_layers}, {config.latent_dim}), "
                f"got {tuple(ws.shape)}"
            )
        batch = ws.shape[0]
        x = self.constant.expand(batch, -1, -1, -1)  # (B, F, 4, 4)
        for index, layer in enumerate(self.layers):
            if index > 0 and index % 2 == 1:  # the first conv of each stage upsamples first
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            layer_noise = None
            if noise:
                shape = (batch, 1, x.shape[2], x.shape[3])
                source = generator.device if generator is not None else x.device
                layer_noise = torch.randn(shape, generator=generator, device=source).to(x.device)
            x = layer(x, ws[:, index], layer_noise)  # (B, F, H_l, W_l)
        return torch.tanh(self.to_image(x, ws[:, -1]))

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, L, D): the same w for every layer."""
        return w.unsqueeze(1).repeat(1, self.config.num_layers, 1)

    def mix_styles(self, w1: torch.Tensor, w2: torch.Tensor, crossover: int) -> torch.Tensor:
        """Style mixing: w1 for layers ``< crossover``, w2 for layers ``>= crossover``.

        Args:
            w1: (B, D) latents for the coarse (early) layers.
            w2: (B, D) latents for the fine (late) layers.
            crossover: first layer that reads w2, in ``[0, num_layers]``.

        Returns:
            (B, L, D) per-layer latents.
        """
        num_layers = self.config.num_layers
        check_int("crossover", crossover, min=0, max=num_layers)
        ws = self.broadcast(w1)
        ws[:, crossover:] = w2.unsqueeze(1)
        return ws

    def truncate(
        self, w: torch.Tensor, psi: float, *, center: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The truncation trick: w' = center + psi (w - center), center = w_avg by default.

        Args:
            w: (B, D) or (B, L, D) latents.
            psi: 1 keeps w, 0 gives the centre.
            center: (D,) or (B, D) point to pull towards; a conditional model
                may pass the average w of each sample's class.

        Returns:
            Latents of the same shape.
        """
        if psi == 1:
            return w
        center = self.w_avg if center is None else center
        if w.ndim == 3 and center.ndim == 2:
            center = center.unsqueeze(1)  # (B, 1, D)
        return center + psi * (w - center)

    @torch.no_grad()
    def update_w_avg(self, w: torch.Tensor, decay: float = 0.995) -> None:
        """Track the running mean of w during training (call with each batch's w)."""
        self.w_avg.lerp_(w.detach().mean(dim=0), 1 - decay)

    def forward(
        self,
        latent: torch.Tensor,
        labels: torch.Tensor | None = None,
        *,
        psi: float = 1.0,
        noise: bool = True,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Generate images from z with one w for every layer.

        Args:
            latent: (B, D) noise z.
            labels: (B,) int64 labels for a conditional generator.
            psi: truncation (1: none).
            noise: add per-pixel noise.
            generator: source of the per-pixel noise.

        Returns:
            (B, C, H, W) images in [-1, 1].
        """
        if latent.ndim != 2 or latent.shape[1] != self.config.latent_dim:
            raise ValueError(
                f"latent must have shape (B, {self.config.latent_dim}), got {tuple(latent.shape)}"
            )
        w = self.truncate(self.mapping(latent, labels), psi)
        return self.synthesis(self.broadcast(w), noise=noise, generator=generator)

    @torch.no_grad()
    def sample(
        self,
        num_samples: int,
        *,
        labels: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        psi: float = 1.0,
        noise: bool = True,
    ) -> torch.Tensor:
        """Draw images with z ~ N(0, I), one w for every layer (the family contract).

        Args:
            num_samples: number of images B.
            labels: (B,) int64 labels for a conditional generator.
            generator: a CPU ``torch.Generator`` for z and the per-pixel noise.
            psi: truncation towards ``w_avg`` (1: none).
            noise: add per-pixel noise.

        Returns:
            (B, C, H, W) images in [0, 1] on the generator's device.
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
        device = self.constant.device
        latent = torch.randn(num_samples, self.config.latent_dim, generator=generator).to(device)
        if labels is not None:
            labels = labels.to(device)
        images = self(latent, labels, psi=psi, noise=noise, generator=generator)  # in [-1, 1]
        return ((images + 1) / 2).clamp(0, 1)

    def mixing_ws(
        self,
        latent: torch.Tensor,
        labels: torch.Tensor | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-layer latents for a training batch with style mixing regularisation.

        With probability ``style_mixing_prob`` per batch, a second z is drawn and
        its w takes over from a random crossover layer on.

        Args:
            latent: (B, D) noise z.
            labels: (B,) labels for a conditional generator (both latents share them).
            generator: CPU generator for the second z and the crossover.

        Returns:
            (B, L, D) per-layer latents, and the (B, D) w of the first latent.
        """
        w = self.mapping(latent, labels)
        num_layers = self.config.num_layers
        mix = torch.rand((), generator=generator).item() < self.config.style_mixing_prob
        if not mix:
            return self.broadcast(w), w
        other = torch.randn(latent.shape, generator=generator).to(latent.device)
        crossover = int(torch.randint(1, num_layers, (), generator=generator))
        return self.mix_styles(w, self.mapping(other, labels), crossover), w
