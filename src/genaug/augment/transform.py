"""The model-free augmenter interface: a :class:`Transform` maps a batch to a batch of the same
shape, with its random parameters drawn per sample from a ``torch.Generator``.

``transform(x, generator=g)`` with ``x`` of shape (B, C, H, W): each of the B images
gets its own draw, so one call augments a whole batch at once (the design of
torchvision.transforms.v2, batched). Equal generator states give equal outputs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import Tensor

from genaug._checks import check_tensor


def check_batch(name: str, images: object) -> Tensor:
    """Raise unless ``images`` is a non-empty floating (B, C, H, W) tensor with finite values.

    Args:
        name: the argument's name, for the message.
        images: what the caller passed.

    Returns:
        ``images`` unchanged.
    """
    return check_tensor(name, images, ndim=4, floating=True)  # non-empty and finite too


class Transform(ABC):
    """A random, label-preserving transform of a batch, parameters drawn per sample.

    Subclasses implement :meth:`forward`; calling the transform checks the batch first.
    """

    def __call__(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Augment a batch.

        Args:
            images: (B, C, H, W) floating images.
            generator: source of the per-sample parameters (None: torch's global generator).

        Returns:
            (B, C, H, W) augmented images, same dtype and device.
        """
        check_batch("images", images)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return self.forward(images, generator)

    @abstractmethod
    def forward(self, images: Tensor, generator: torch.Generator | None) -> Tensor:
        """Augment a checked (B, C, H, W) batch; draw every random number from ``generator``."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Compose(Transform):
    """Apply transforms one after the other, each drawing from the same generator.

    Args:
        transforms: the :class:`Transform` objects, applied in order.
    """

    def __init__(self, transforms: Sequence[Transform]) -> None:
        transforms = list(transforms)
        for index, transform in enumerate(transforms):
            if not isinstance(transform, Transform):
                raise TypeError(
                    f"transforms[{index}] must be a genaug Transform, got {type(transform).__name__}"
                )
        self.transforms = transforms

    def forward(self, images: Tensor, generator: torch.Generator | None) -> Tensor:
        """Apply each transform in turn."""
        for transform in self.transforms:
            images = transform.forward(images, generator)
        return images
