"""ADA, adaptive discriminator augmentation: Karras, Aittala, Hellsten, Laine,
Lehtinen & Aila, "Training Generative Adversarial Networks with Limited Data",
NeurIPS 2020.

Taught in lesson 3.1.1 (``lessons/ch03_methods/01_gan_augmentation.ipynb``).

Two separate objects, following the paper's Sections 2 and 3:

* :class:`ADAAugment`, the augmentation pipeline. Every op is applied to each
  image independently with the same probability ``p``. As long as ``p < 1``
  the discriminator still sees un-augmented images, and the augmentations
  are *non-leaking*: G cannot win by imitating them (the paper's Section 2
  argues this holds for p below about 0.8 for its pipeline).
* :class:`AdaptiveProbability`, the controller that sets ``p``. It watches the
  overfitting heuristic

      r_t = E[sign(D_train)]                                   (Eq. 1 of the paper)

  over the discriminator's logits on real training images: 0 means D cannot
  tell reals from fakes, 1 means it is certain about every real, i.e. it has
  memorised them. Every ``interval`` minibatches, p moves by
  ``sign(r_t - target) * images_seen / speed_images``, so that p can go from
  0 to 1 in ``speed_images`` images (500k in the paper) and r_t settles near
  the target 0.6.

The pipeline implements the paper's "bgc" ops that make sense for small
images: x-flip, rotation by multiples of 90 degrees, integer translation
(blit); isotropic scaling and arbitrary rotation (geometric); brightness,
contrast and saturation (colour); and optionally cutout. All geometric ops
of an image are composed into one affine map and resampled once with
reflection padding, so the whole pipeline is differentiable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genaug._checks import check_float, check_int, check_probability, check_tensor

ADA_OPS: tuple[str, ...] = (
    "xflip",
    "rotate90",
    "translation",
    "scale",
    "rotation",
    "brightness",
    "contrast",
    "saturation",
    "cutout",
)
DEFAULT_OPS: tuple[str, ...] = ADA_OPS[:8]  # bgc: blit, geometric, colour


@dataclass
class ADAConfig:
    """Settings of the adaptive controller (the paper's defaults)."""

    target: float = 0.6  # the value of r_t that p is steered towards
    speed_images: int = 500_000  # images it takes p to move from 0 to 1
    interval: int = 4  # minibatches between two updates of p
    initial_p: float = 0.0  # p at the start of training
    max_p: float = 1.0  # p is clipped to [0, max_p]

    def __post_init__(self) -> None:
        check_float("target", self.target, min=0.0, max=1.0, min_open=True, max_open=True)
        check_int("speed_images", self.speed_images, min=1)
        check_int("interval", self.interval, min=1)
        check_probability("max_p", self.max_p)
        check_probability("initial_p", self.initial_p)
        if self.initial_p > self.max_p:
            raise ValueError(
                f"need 0 <= initial_p <= max_p <= 1, got initial_p={self.initial_p!r}, "
                f"max_p={self.max_p!r}"
            )


class AdaptiveProbability:
    """The ADA controller: raises p while D overfits (r_t > target), lowers it otherwise.

    Args:
        config: an :class:`ADAConfig` (default: the paper's settings).

    Attributes:
        p: the current augmentation probability, in ``[0, max_p]``.
        overfitting: the last r_t measured (``nan`` before the first update).
    """

    def __init__(self, config: ADAConfig | None = None) -> None:
        if config is not None and not isinstance(config, ADAConfig):
            raise TypeError(f"config must be an ADAConfig or None, got {type(config).__name__}")
        self.config = config if config is not None else ADAConfig()
        self.p = float(self.config.initial_p)
        self.overfitting = float("nan")
        self._sign_sum = 0.0
        self._count = 0
        self._batches = 0

    def update(self, real_logits: torch.Tensor) -> float:
        """Record one minibatch of D's logits on (augmented) real images; maybe adjust p.

        Args:
            real_logits: (B,) discriminator logits on the real images of this step.

        Returns:
            p after this step (it changes only every ``interval`` calls).

        Raises:
            TypeError: if ``real_logits`` is not a floating-point tensor.
        """
        check_tensor("real_logits", real_logits, floating=True)  # NaN would steer p blindly
        # symbols: sign_sum / count -> r_t = E[sign(D_train)]
        self._sign_sum += torch.sign(real_logits.detach()).sum().item()
        self._count += real_logits.numel()
        self._batches += 1
        if self._batches == self.config.interval:
            config = self.config
            self.overfitting = self._sign_sum / self._count  # r_t, Eq. (1)
            # p can cross [0, 1] in speed_images images: step = images seen / speed_images
            step = self._count / config.speed_images
            direction = math.copysign(1.0, self.overfitting - config.target)
            self.p = min(max(self.p + direction * step, 0.0), config.max_p)
            self._sign_sum, self._count, self._batches = 0.0, 0, 0
        return self.p


@dataclass
class ADAAugment:
    """The ADA augmentation pipeline: each op hits each image with probability ``p``.

    Args:
        p: probability of applying each op to each image, in [0, 1]; set it
            from :class:`AdaptiveProbability` during training.
        ops: which ops, a subset of ``ADA_OPS`` (default: the eight "bgc" ops).
        translation_ratio: integer translation up to this share of the image size.
        scale_std: isotropic scale ``2 ** N(0, scale_std**2)``.
        rotation_max: rotation angle ``U(-rotation_max, rotation_max)`` in radians.
        brightness_std: brightness offset ``N(0, brightness_std**2)``.
        contrast_std: contrast factor ``2 ** N(0, contrast_std**2)``.
        saturation_std: saturation factor ``2 ** N(0, saturation_std**2)``.
        cutout_ratio: side of the cut-out square as a share of the image size.
    """

    p: float = 0.0
    ops: tuple[str, ...] = DEFAULT_OPS
    translation_ratio: float = 0.125
    scale_std: float = 0.2
    rotation_max: float = math.pi
    brightness_std: float = 0.2
    contrast_std: float = 0.5
    saturation_std: float = 1.0
    cutout_ratio: float = 0.5

    def __post_init__(self) -> None:
        self.ops = tuple(self.ops)
        unknown = [op for op in self.ops if op not in ADA_OPS]
        if unknown:
            raise ValueError(f"unknown ADA ops {unknown}; expected a subset of {ADA_OPS}")
        check_probability("p", self.p)
        check_float("translation_ratio", self.translation_ratio, min=0.0, max=1.0)
        for name in (
            "scale_std",
            "rotation_max",
            "brightness_std",
            "contrast_std",
            "saturation_std",
        ):
            check_float(name, getattr(self, name), min=0.0)
        # a cut-out of the whole image blanks it; one of size 0 does nothing
        check_float(
            "cutout_ratio", self.cutout_ratio, min=0.0, max=1.0, min_open=True, max_open=True
        )

    def __call__(
        self,
        images: torch.Tensor,
        *,
        p: float | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Augment a batch; every image draws its own ops and parameters.

        Args:
            images: (B, C, H, W) floating-point images (the paper's range is [-1, 1]).
            p: override ``self.p`` for this call.
            generator: optional ``torch.Generator`` (CPU or on the images' device).

        Returns:
            (B, C, H, W) augmented images, differentiable with respect to ``images``.
        """
        if not isinstance(images, torch.Tensor) or not images.is_floating_point():
            raise TypeError(f"images must be a floating-point tensor, got {type(images).__name__}")
        if images.ndim != 4:
            raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
        check_tensor("images", images, finite=False)  # refuses an empty batch
        p = self.p if p is None else check_probability("p", p)
        if p == 0 or not self.ops:
            return images
        draw = _Draws(images, generator)
        batch, _, height, width = images.shape
        # 1. geometric ops: compose one 2x3 map per image, in normalised [-1, 1] coordinates.
        #    theta maps output coordinates to input coordinates; every distribution below is
        #    symmetric, so drawing theta directly equals drawing the forward transform.
        theta = torch.eye(3, device=images.device).repeat(batch, 1, 1)  # (B, 3, 3)
        if "xflip" in self.ops:
            flip = 1 - 2 * draw.bernoulli(p) * draw.randint(0, 2)  # (B,) in {1, -1}
            theta = theta @ _diag(flip, torch.ones_like(flip))
        if "rotate90" in self.ops:
            quarter = draw.bernoulli(p) * draw.randint(0, 4)  # (B,) in {0, 1, 2, 3}
            theta = theta @ _rotation(quarter * math.pi / 2)
        if "translation" in self.ops:
            shift_y = torch.round(draw.uniform(-1, 1) * self.translation_ratio * height)
            shift_x = torch.round(draw.uniform(-1, 1) * self.translation_ratio * width)
            mask = draw.bernoulli(p)
            theta = theta @ _translate(mask * shift_x * 2 / width, mask * shift_y * 2 / height)
        if "scale" in self.ops:
            scale = 2 ** (draw.normal() * self.scale_std * draw.bernoulli(p))  # (B,)
            theta = theta @ _diag(scale, scale)
        if "rotation" in self.ops:
            # the paper splits p between two rotations: 1 - (1 - p_rot)^2 = p
            p_rot = 1 - math.sqrt(1 - p)
            angle = draw.uniform(-1, 1) * self.rotation_max * draw.bernoulli(p_rot)
            theta = theta @ _rotation(angle)
        if any(op in self.ops for op in ADA_OPS[:5]):
            grid = F.affine_grid(theta[:, :2], list(images.shape), align_corners=False)
            images = F.grid_sample(
                images, grid, mode="bilinear", padding_mode="reflection", align_corners=False
            )
        # 2. colour ops, per image
        if "brightness" in self.ops:
            offset = draw.normal() * self.brightness_std * draw.bernoulli(p)  # (B,)
            images = images + offset.view(-1, 1, 1, 1)
        if "contrast" in self.ops:
            factor = 2 ** (draw.normal() * self.contrast_std * draw.bernoulli(p))
            mean = images.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
            images = (images - mean) * factor.view(-1, 1, 1, 1) + mean
        if "saturation" in self.ops:
            factor = 2 ** (draw.normal() * self.saturation_std * draw.bernoulli(p))
            mean_c = images.mean(dim=1, keepdim=True)  # (B, 1, H, W): the grey level
            images = (images - mean_c) * factor.view(-1, 1, 1, 1) + mean_c
        # 3. cutout
        if "cutout" in self.ops:
            size_y = int(height * self.cutout_ratio + 0.5)
            size_x = int(width * self.cutout_ratio + 0.5)
            top = (draw.uniform(0, 1) * (height - size_y + 1)).floor().view(-1, 1, 1)
            left = (draw.uniform(0, 1) * (width - size_x + 1)).floor().view(-1, 1, 1)
            rows = torch.arange(height, device=images.device).view(1, -1, 1)
            cols = torch.arange(width, device=images.device).view(1, 1, -1)
            inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
            inside = inside & draw.bernoulli(p).bool().view(-1, 1, 1)  # (B, H, W)
            images = images * (~inside).unsqueeze(1).to(images.dtype)
        return images


class _Draws:
    """Per-image random draws, (B,) each, made on the generator's device."""

    def __init__(self, images: torch.Tensor, generator: torch.Generator | None) -> None:
        self.batch = images.shape[0]
        self.target = images.device
        self.generator = generator
        self.source = generator.device if generator is not None else images.device

    def uniform(self, low: float, high: float) -> torch.Tensor:
        values = torch.rand(self.batch, generator=self.generator, device=self.source)
        return (low + (high - low) * values).to(self.target)

    def normal(self) -> torch.Tensor:
        values = torch.randn(self.batch, generator=self.generator, device=self.source)
        return values.to(self.target)

    def randint(self, low: int, high: int) -> torch.Tensor:
        values = torch.randint(
            low, high, (self.batch,), generator=self.generator, device=self.source
        )
        return values.to(self.target).float()

    def bernoulli(self, p: float) -> torch.Tensor:
        return (self.uniform(0, 1) < p).float()


def _diag(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) scaling by x horizontally and y vertically."""
    matrix = torch.zeros(len(x), 3, 3, device=x.device)
    matrix[:, 0, 0], matrix[:, 1, 1], matrix[:, 2, 2] = x, y, 1
    return matrix


def _rotation(angle: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) rotation by ``angle`` radians."""
    matrix = torch.zeros(len(angle), 3, 3, device=angle.device)
    cos, sin = torch.cos(angle), torch.sin(angle)
    matrix[:, 0, 0], matrix[:, 0, 1], matrix[:, 1, 0], matrix[:, 1, 1] = cos, -sin, sin, cos
    matrix[:, 2, 2] = 1
    return matrix


def _translate(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) translation by (x, y) in normalised coordinates."""
    matrix = torch.eye(3, device=x.device).repeat(len(x), 1, 1)
    matrix[:, 0, 2], matrix[:, 1, 2] = x, y
    return matrix
