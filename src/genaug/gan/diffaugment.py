"""DiffAugment: Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation for
Data-Efficient GAN Training", NeurIPS 2020.

Taught in lesson 3.1.1 (``lessons/ch03_methods/01_gan_augmentation.ipynb``).

A discriminator trained on a few hundred images memorises them; augmenting its
inputs fights that. DiffAugment's rule (the paper's Section 3) is to apply the
*same* random, *differentiable* transform T to both real and generated images,
in both players' updates:

    L_D = f(D(T(x))) + h(D(T(G(z)))),        L_G = g(D(T(G(z)))).

Augmenting only the reals would teach G to produce augmented-looking images
(the augmentation "leaks"); making T differentiable lets G's gradient flow
through T(G(z)).

The three ops of the paper's policy ``"color,translation,cutout"``:

1. ``color``: brightness x + (r - 0.5), saturation (x - mean_c) * 2r + mean_c,
   contrast (x - mean) * (r + 0.5) + mean, with r ~ U(0, 1) per image;
2. ``translation``: an integer shift of up to ``translation_ratio`` of the
   image size in each direction, zero padding;
3. ``cutout``: a square of side ``cutout_ratio`` of the image size, at a random
   position, set to zero.

Unlike torchvision's batch transforms, every image of the batch draws its own
parameters. All randomness comes from one optional ``torch.Generator``; the
ops are plain tensor arithmetic and indexing (no custom CUDA kernels), so they
run on any device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genaug._checks import check_float, check_tensor

OPS: tuple[str, ...] = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """Split and validate a policy string such as ``"color,translation,cutout"``.

    Args:
        policy: comma-separated op names from ``OPS``, each at most once;
            ``""`` means no augmentation.

    Returns:
        The ops, in the order given.

    Raises:
        TypeError: if ``policy`` is not a string.
        ValueError: for an unknown or repeated op.
    """
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a string like 'color,translation,cutout', got {policy!r}")
    ops = tuple(part.strip() for part in policy.split(",") if part.strip())
    for op in ops:
        if op not in OPS:
            raise ValueError(
                f"unknown DiffAugment op {op!r} in policy {policy!r}; "
                f"expected a comma-separated subset of {', '.join(OPS)}"
            )
    if len(set(ops)) != len(ops):
        raise ValueError(f"policy {policy!r} repeats an op; give each op at most once")
    return ops


def _uniform(batch: int, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """(B,) draws from U(0, 1) on the generator's device, moved to the images' device."""
    device = generator.device if generator is not None else images.device
    return torch.rand(batch, generator=generator, device=device).to(images.device)


def _randint(
    low: int, high: int, batch: int, images: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """(B,) integers in [low, high) drawn like :func:`_uniform`."""
    device = generator.device if generator is not None else images.device
    return torch.randint(low, high, (batch,), generator=generator, device=device).to(images.device)


def color(images: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random brightness, saturation and contrast, one draw per image per property.

    Args:
        images: (B, C, H, W) floating-point images (any range; the paper uses [-1, 1]).
        generator: source of randomness (CPU or on the images' device).

    Returns:
        (B, C, H, W) augmented images, differentiable with respect to ``images``.
    """
    batch = images.shape[0]
    # 1. brightness: add r - 0.5, r ~ U(0, 1)
    shift = _uniform(batch, images, generator) - 0.5  # (B,)
    images = images + shift.view(-1, 1, 1, 1)
    # 2. saturation: scale each pixel's deviation from its channel mean by 2r
    #    (for one channel the deviation is zero: a no-op, as it should be)
    scale = _uniform(batch, images, generator) * 2  # (B,)
    mean_c = images.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    images = (images - mean_c) * scale.view(-1, 1, 1, 1) + mean_c
    # 3. contrast: scale the deviation from the image mean by r + 0.5
    scale = _uniform(batch, images, generator) + 0.5  # (B,)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (images - mean) * scale.view(-1, 1, 1, 1) + mean


def translation(
    images: torch.Tensor, *, ratio: float = 0.125, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift each image by its own integer offset, filling the uncovered border with zeros.

    Args:
        images: (B, C, H, W) floating-point images.
        ratio: largest shift as a share of H (vertically) and W (horizontally).
        generator: source of randomness.

    Returns:
        (B, C, H, W) shifted images; pixel (i, j) of the output is pixel
        (i - dy, j - dx) of the input, or 0 outside it.
    """
    batch, _, height, width = images.shape
    max_dy, max_dx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = _randint(-max_dy, max_dy + 1, batch, images, generator)  # (B,)
    dx = _randint(-max_dx, max_dx + 1, batch, images, generator)  # (B,)
    rows = torch.arange(height, device=images.device).view(1, -1) - dy.view(-1, 1)  # (B, H)
    cols = torch.arange(width, device=images.device).view(1, -1) - dx.view(-1, 1)  # (B, W)
    # indices that fall outside point at one extra row / column of zeros
    rows = torch.where((rows >= 0) & (rows < height), rows, height)
    cols = torch.where((cols >= 0) & (cols < width), cols, width)
    padded = torch.nn.functional.pad(images, (0, 1, 0, 1))  # (B, C, H + 1, W + 1)
    index = torch.arange(batch, device=images.device).view(-1, 1, 1)
    # advanced indexing on (B, H+1, W+1, C): gather (B, H, W, C), then back to (B, C, H, W)
    shifted = padded.permute(0, 2, 3, 1)[index, rows.view(batch, -1, 1), cols.view(batch, 1, -1)]
    return shifted.permute(0, 3, 1, 2)


def cutout(
    images: torch.Tensor, *, ratio: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Zero a square of side ``ratio`` of the image size at a random position, per image.

    Args:
        images: (B, C, H, W) floating-point images.
        ratio: side of the square as a share of H and W.
        generator: source of randomness.

    Returns:
        (B, C, H, W) images with one square each set to 0 (it may be clipped at the border).
    """
    batch, _, height, width = images.shape
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    # centre of the square; the square spans [centre - size // 2, centre - size // 2 + size)
    centre_y = _randint(0, height + (1 - size_y % 2), batch, images, generator)  # (B,)
    centre_x = _randint(0, width + (1 - size_x % 2), batch, images, generator)  # (B,)
    top = (centre_y - size_y // 2).view(-1, 1, 1)
    left = (centre_x - size_x // 2).view(-1, 1, 1)
    rows = torch.arange(height, device=images.device).view(1, -1, 1)
    cols = torch.arange(width, device=images.device).view(1, 1, -1)
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return images * (~inside).unsqueeze(1).to(images.dtype)  # mask (B, 1, H, W)


@dataclass
class DiffAugment:
    """The DiffAugment transform T: call it on real and on generated batches alike.

    Args:
        policy: comma-separated ops from ``"color"``, ``"translation"``,
            ``"cutout"``, applied in that order of the string (the paper's
            default is all three).
        translation_ratio: largest shift as a share of the image size (paper: 1/8).
        cutout_ratio: side of the cut-out square as a share of the image size (paper: 1/2).

    Example:
        >>> augment = DiffAugment("color,translation,cutout")
        >>> real_logits = D(augment(real))             # discriminator step
        >>> fake_logits = D(augment(G(z)))             # both steps, gradients reach G
    """

    policy: str = "color,translation,cutout"
    translation_ratio: float = 0.125
    cutout_ratio: float = 0.5

    def __post_init__(self) -> None:
        self.ops = parse_policy(self.policy)
        check_float("translation_ratio", self.translation_ratio, min=0.0, max=1.0)
        # a cut-out square as large as the image would blank every image
        check_float("cutout_ratio", self.cutout_ratio, min=0.0, max=1.0, max_open=True)

    def __call__(
        self, images: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Augment a batch, each image with its own random parameters.

        Args:
            images: (B, C, H, W) floating-point images on any device.
            generator: optional ``torch.Generator`` (CPU or on the images'
                device); the same generator state gives the same output.

        Returns:
            (B, C, H, W) augmented images, differentiable with respect to ``images``.

        Raises:
            TypeError: if ``images`` is not a floating-point tensor.
            ValueError: if ``images`` is not 4-D.
        """
        if not isinstance(images, torch.Tensor) or not images.is_floating_point():
            raise TypeError(
                f"images must be a floating-point tensor, got {type(images).__name__}"
                + (f" of dtype {images.dtype}" if isinstance(images, torch.Tensor) else "")
            )
        if images.ndim != 4:
            raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
        check_tensor("images", images, finite=False)  # refuses an empty batch
        for op in self.ops:
            if op == "color":
                images = color(images, generator=generator)
            elif op == "translation":
                images = translation(images, ratio=self.translation_ratio, generator=generator)
            else:  # "cutout"
                images = cutout(images, ratio=self.cutout_ratio, generator=generator)
        return images
