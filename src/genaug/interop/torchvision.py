"""A genaug :class:`~genaug.augment.transform.Transform` as a ``torchvision.transforms.v2`` transform.

torchvision's v2 transforms draw one set of parameters per call, so a batched
(B, C, H, W) call shifts every image by the same offset. genaug's transforms draw
per sample; the adapter keeps that, and fits into ``v2.Compose`` pipelines that take
single images (C, H, W) or batches.
"""

from __future__ import annotations

from typing import Any

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from genaug.augment.transform import Transform


class TorchvisionAdapter(v2.Transform):
    """Wrap a genaug transform for torchvision pipelines.

    Float image tensors (C, H, W) or (B, C, H, W), plain or ``tv_tensors.Image``, are
    augmented (per sample for a batch); everything else (labels, boxes) passes through
    unchanged, so only use it with transforms that keep boxes valid or on images alone.

    Args:
        transform: the genaug :class:`~genaug.augment.transform.Transform`.
        generator: the source of its parameters (None: torch's global generator). Give
            each DataLoader worker its own (:func:`genaug.config.seed_worker`).
    """

    def __init__(self, transform: Transform, *, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a genaug Transform, got {type(transform).__name__}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        self.inner = transform
        self.generator = generator

    def forward(self, *inputs: Any) -> Any:
        """Augment the image tensors among ``inputs`` (a single input is returned unwrapped)."""
        outputs = tuple(self._augment(value) for value in inputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def _augment(self, value: Any) -> Any:
        if not isinstance(value, torch.Tensor) or isinstance(
            value, (tv_tensors.BoundingBoxes, tv_tensors.Mask)
        ):
            return value
        if not value.is_floating_point() or value.ndim not in (3, 4):
            return value  # labels, integer tensors: not images this adapter can augment
        batch = value.as_subclass(torch.Tensor)
        single = batch.ndim == 3
        out = self.inner(batch[None] if single else batch, generator=self.generator)
        out = out[0] if single else out
        return tv_tensors.wrap(out, like=value) if isinstance(value, tv_tensors.Image) else out

    def extra_repr(self) -> str:
        return repr(self.inner)


class FromTorchvision(Transform):
    """A ``torchvision.transforms.v2`` transform as a genaug Transform, parameters per sample.

    torchvision draws one set of parameters per call from torch's global generator; this
    wrapper calls it once per image, each call inside ``torch.random.fork_rng`` seeded from
    ``generator``, so a batch gets per-sample parameters, the same generator state gives
    the same output, and the caller's global random state is left untouched.

    Args:
        transform: a v2 transform (e.g. ``v2.RandAugment()``, ``v2.TrivialAugmentWide()``,
            ``v2.RandomErasing()``); it sees one (C, H, W) image at a time. Transforms that
            need uint8 (the auto-augment policies work on uint8 and float) get float images in
            [0, 1] unless ``uint8=True``.
        uint8: convert each image to uint8 [0, 255] for the call and back to float [0, 1].
    """

    def __init__(self, transform: v2.Transform, *, uint8: bool = False) -> None:
        if not callable(transform):
            raise TypeError(
                f"transform must be a torchvision transform, got {type(transform).__name__}"
            )
        self.transform, self.uint8 = transform, bool(uint8)

    def forward(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Apply the torchvision transform to each image of a (B, C, H, W) batch."""
        seeds = torch.randint(0, 2**62, (len(images),), generator=generator).tolist()
        out = []
        for image, seed in zip(images, seeds, strict=True):  # (C, H, W) each
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                if self.uint8:
                    result = self.transform((image * 255).round().to(torch.uint8))
                    out.append(result.float() / 255)
                else:
                    out.append(self.transform(image))
        return torch.stack(out).to(images.dtype)
