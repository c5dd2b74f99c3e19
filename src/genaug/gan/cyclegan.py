"""CycleGAN: Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation
using Cycle-Consistent Adversarial Networks", ICCV 2017.

Taught in lesson 5.1.3 (``lessons/ch05_practice/03_cyclegan.ipynb``).

Two generators translate between domains A and B without paired examples,
G_AB: A -> B and G_BA: B -> A, each judged by a discriminator on its target
domain (D_B, D_A) with the least-squares adversarial loss of Mao et al.
(2017) (:func:`genaug.gan.losses.least_squares_generator_loss`). What makes
the translation keep the content is the *cycle-consistency* loss (the
paper's Eq. 2)

    L_cyc = E_a ||G_BA(G_AB(a)) - a||_1 + E_b ||G_AB(G_BA(b)) - b||_1,

and, optionally, the *identity* loss of its Section 5.2,
L_id = E_b ||G_AB(b) - b||_1 + E_a ||G_BA(a) - a||_1, which discourages
colour changes that are not needed. The full generator objective (Eq. 3) is
L_GAN(G_AB, D_B) + L_GAN(G_BA, D_A) + lambda_cyc L_cyc + lambda_id L_id.
Discriminators are updated on a history of generated images
(:class:`ImageBuffer`, Shrivastava et al. 2017) rather than only the latest.

The networks are the paper's, scaled down for 16x16 and 32x32 images: a
ResNet generator (conv, two stride-2 downsamplings, residual blocks, two
upsamplings, conv, tanh; instance normalisation) and a PatchGAN discriminator
that outputs one real/fake score per overlapping patch. Both domains must
have the same number of channels for the identity loss (give grey digits
three equal channels to pair them with RGB images).

:class:`CycleGANAugmenter` uses a trained pair as an augmenter: labelled images
of one domain, translated to the other, keep their labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from genaug._checks import check_float, check_int, check_tensor
from genaug.augment.generative import GenerativeAugmenter
from genaug.nn.mode import eval_mode


@dataclass
class CycleGANConfig:
    """Sizes and loss weights of a CycleGAN."""

    channels: int = 3  # image channels C of both domains
    base_channels: int = 32  # channels of the generators' first stage and D's first layer
    num_residual: int = 3  # residual blocks in each generator (6 or 9 in the paper)
    lambda_cycle: float = 10.0  # weight of L_cyc (10 in the paper)
    lambda_identity: float = 5.0  # weight of L_id (0.5 * lambda_cycle in the paper)

    def __post_init__(self) -> None:
        for name in ("channels", "base_channels", "num_residual"):
            check_int(name, getattr(self, name), min=1)
        for name in ("lambda_cycle", "lambda_identity"):
            check_float(name, getattr(self, name), min=0.0)


class ResidualBlock(nn.Module):
    """x + conv-IN-ReLU-conv-IN(x), with reflection padding. Shape-preserving (B, F, H, W)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (B, F, H, W). Returns (B, F, H, W)."""
        return x + self.body(x)


class CycleGANGenerator(nn.Module):
    """ResNet generator: images (B, C, H, W) in [-1, 1] -> images (B, C, H, W) in [-1, 1].

    H and W must be divisible by 4.

    Args:
        config: a :class:`CycleGANConfig`.
    """

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__()
        _check_config(config)
        width, channels = config.base_channels, config.channels
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(channels, width, 7),  # c7s1-F
            nn.InstanceNorm2d(width, affine=True),
            nn.ReLU(inplace=True),
        ]
        for factor in (1, 2):  # d2F, d4F: H/4, W/4
            layers += [
                nn.Conv2d(width * factor, width * factor * 2, 3, stride=2, padding=1),
                nn.InstanceNorm2d(width * factor * 2, affine=True),
                nn.ReLU(inplace=True),
            ]
        layers += [ResidualBlock(width * 4) for _ in range(config.num_residual)]
        for factor in (4, 2):  # u2F, uF: back to H, W
            layers += [
                nn.ConvTranspose2d(
                    width * factor, width * factor // 2, 3, stride=2, padding=1, output_padding=1
                ),
                nn.InstanceNorm2d(width * factor // 2, affine=True),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.channels = channels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Translate a batch.

        Args:
            images: (B, C, H, W) in [-1, 1], H and W divisible by 4.

        Returns:
            (B, C, H, W) translated images in [-1, 1].
        """
        if images.ndim != 4 or images.shape[1] != self.channels:
            raise ValueError(
                f"images must have shape (B, {self.channels}, H, W), got {tuple(images.shape)}"
            )
        if images.shape[2] % 4 or images.shape[3] % 4:
            raise ValueError(f"H and W must be divisible by 4, got {tuple(images.shape[2:])}")
        return self.net(images)


class PatchDiscriminator(nn.Module):
    """PatchGAN: images (B, C, H, W) -> raw scores (B, 1, H/4, W/4), one per patch.

    Args:
        config: a :class:`CycleGANConfig`.
    """

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__()
        _check_config(config)
        width = config.base_channels
        self.net = nn.Sequential(
            nn.Conv2d(config.channels, width, 4, stride=2, padding=1),  # C64, no norm
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, width * 2, 4, stride=2, padding=1),  # C128
            nn.InstanceNorm2d(width * 2, affine=True),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width * 2, width * 4, 3, padding=1),  # C256, stride 1
            nn.InstanceNorm2d(width * 4, affine=True),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width * 4, 1, 3, padding=1),  # one score per patch
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Score each patch; least-squares targets are 1 (real) and 0 (fake).

        Args:
            images: (B, C, H, W) in [-1, 1].

        Returns:
            (B, 1, H/4, W/4) raw scores.
        """
        return self.net(images)


class CycleGAN(nn.Module):
    """The four networks: G_AB, G_BA, D_A, D_B (one module, so it caches as one file).

    Args:
        config: a :class:`CycleGANConfig`.
    """

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__()
        _check_config(config)
        self.config = config
        self.G_AB = CycleGANGenerator(config)
        self.G_BA = CycleGANGenerator(config)
        self.D_A = PatchDiscriminator(config)
        self.D_B = PatchDiscriminator(config)

    def forward(self, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """Translate both ways and back.

        Args:
            real_a: (B, C, H, W) images of domain A in [-1, 1].
            real_b: (B', C, H, W) images of domain B in [-1, 1].

        Returns:
            ``fake_b = G_AB(a)``, ``fake_a = G_BA(b)``, ``reconstructed_a = G_BA(G_AB(a))``,
            ``reconstructed_b = G_AB(G_BA(b))``.
        """
        fake_b, fake_a = self.G_AB(real_a), self.G_BA(real_b)
        return {
            "fake_b": fake_b,
            "fake_a": fake_a,
            "reconstructed_a": self.G_BA(fake_b),
            "reconstructed_b": self.G_AB(fake_a),
        }


def _check_config(config: CycleGANConfig) -> None:
    if not isinstance(config, CycleGANConfig):
        raise TypeError(f"config must be a CycleGANConfig, got {type(config).__name__}")


def cycle_consistency_loss(
    real_a: torch.Tensor,
    reconstructed_a: torch.Tensor,
    real_b: torch.Tensor,
    reconstructed_b: torch.Tensor,
) -> torch.Tensor:
    """L_cyc, Eq. (eq-cyclegan-cycle); the paper's Eq. 2: mean L1 distance between images and their round trips.

    Args:
        real_a: (B, C, H, W) images a.
        reconstructed_a: (B, C, H, W) G_BA(G_AB(a)).
        real_b: (B', C, H, W) images b.
        reconstructed_b: (B', C, H, W) G_AB(G_BA(b)).

    Returns:
        Scalar ``mean|G_BA(G_AB(a)) - a| + mean|G_AB(G_BA(b)) - b|``.
    """
    for name, x, y in (("a", real_a, reconstructed_a), ("b", real_b, reconstructed_b)):
        check_tensor(f"real_{name}", x, finite=False)
        check_tensor(f"reconstructed_{name}", y, finite=False)
        if x.shape != y.shape:
            raise ValueError(
                f"real_{name} {tuple(x.shape)} and reconstructed_{name} {tuple(y.shape)} differ"
            )
    return F.l1_loss(reconstructed_a, real_a) + F.l1_loss(reconstructed_b, real_b)


def identity_loss(
    G_AB: nn.Module, G_BA: nn.Module, real_a: torch.Tensor, real_b: torch.Tensor
) -> torch.Tensor:
    """L_id of the paper's Section 5.2: a generator fed an image of its own target domain
    should leave it unchanged.

    Args:
        G_AB: generator A -> B.
        G_BA: generator B -> A.
        real_a: (B, C, H, W) images of domain A.
        real_b: (B', C, H, W) images of domain B.

    Returns:
        Scalar ``mean|G_AB(b) - b| + mean|G_BA(a) - a|``.
    """
    check_tensor("real_a", real_a, finite=False)
    check_tensor("real_b", real_b, finite=False)
    return F.l1_loss(G_AB(real_b), real_b) + F.l1_loss(G_BA(real_a), real_a)


class ImageBuffer:
    """A history of generated images for the discriminator (Shrivastava et al., 2017).

    Each call stores the new images; for each one, with probability 1/2 (once the
    buffer is full) it is swapped for a random older image, which is returned instead.

    Args:
        size: number of images kept (50 in the CycleGAN paper); 0 disables the buffer.
        generator: CPU ``torch.Generator`` for the random choices.
    """

    def __init__(self, size: int = 50, *, generator: torch.Generator | None = None) -> None:
        self.size = check_int("size", size, min=0)
        self.generator = generator
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Store a batch and return a batch mixing new and older images.

        Args:
            images: (B, C, H, W) generated images (detached inside).

        Returns:
            (B, C, H, W) images for the discriminator.
        """
        check_tensor("images", images, ndim=4, finite=False)
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand((), generator=self.generator).item() < 0.5:
                index = int(torch.randint(0, self.size, (), generator=self.generator))
                out.append(self.images[index])
                self.images[index] = image
            else:
                out.append(image)
        return torch.stack(out)


class CycleGANAugmenter(GenerativeAugmenter):
    """Translate labelled images to the other domain, keeping their labels.

    Implements :class:`genaug.augment.generative.GenerativeAugmenter`:
    ``augmenter(images, labels, n, generator=rng)`` picks ``n`` of the given images
    (each once before any repeats, in random order) and returns their translations,
    each with its source's label. The images must come from the model's source domain.

    Args:
        model: a trained :class:`CycleGAN`.
        direction: ``"a_to_b"`` translates with G_AB, ``"b_to_a"`` with G_BA.
    """

    def __init__(
        self, model: CycleGAN, *, direction: Literal["a_to_b", "b_to_a"] = "a_to_b"
    ) -> None:
        if not isinstance(model, CycleGAN):
            raise TypeError(f"model must be a CycleGAN, got {type(model).__name__}")
        if direction not in ("a_to_b", "b_to_a"):
            raise ValueError(f"direction must be 'a_to_b' or 'b_to_a', got {direction!r}")
        self.model, self.direction = model, direction

    def generate(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        n: int,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Translate ``n`` sources (see :class:`~genaug.augment.generative.GenerativeAugmenter`)."""
        # 1. sources: whole random permutations of the N images, cut to n
        rounds = -(-n // len(images))  # ceil(n / N)
        index = torch.cat([torch.randperm(len(images), generator=generator) for _ in range(rounds)])
        index = index[:n]
        sources, chosen = images[index.to(images.device)], labels[index.to(labels.device)]
        # 2. translate in the networks' range [-1, 1] and map back to [0, 1]
        translator = self.model.G_AB if self.direction == "a_to_b" else self.model.G_BA
        device = next(translator.parameters()).device
        with torch.no_grad(), eval_mode(translator):
            translated = translator(sources.to(device) * 2 - 1)  # (n, C, H, W)
        return ((translated + 1) / 2).clamp(0, 1).to(images.device), chosen
