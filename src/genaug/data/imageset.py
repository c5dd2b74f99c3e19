"""``ImageSet``, the one container every image loader returns, and ``subset``.

An :class:`ImageSet` holds a whole (small) dataset in memory as tensors: the
images, integer labels, the class names, and, for the procedural ``shapes``
dataset, the ground-truth factors, masks and boxes. It is a
``torch.utils.data.Dataset``, so it plugs into a ``DataLoader`` directly, and
its fields are plain tensors, so a lesson can also slice ``data.images``.

:func:`subset` draws a stratified, seeded subset: the limited-data experiments
of the course (train on 10 % or 25 % of the digits, 100-shot faces) start here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from genaug._checks import check_float, check_images, check_int, check_labels, check_seed


@dataclass(eq=False, repr=False)
class ImageSet(Dataset):
    """An in-memory image dataset: images, labels, class names, optional annotations.

    Indexing gives ``(image, label)`` pairs, so ``DataLoader(data, batch_size=64)``
    yields ``(B, C, H, W)`` float32 images and ``(B,)`` int64 labels.

    Attributes:
        images: ``(N, C, H, W)`` float32 in ``[0, 1]``.
        labels: ``(N,)`` int64, each an index into ``classes``.
        classes: class names; ``classes[labels[i]]`` names sample ``i``.
        name: short human-readable name, e.g. ``"digits-train"``.
        factors: ``shapes`` only: ground-truth generative factors, a dict of
            ``(N,)`` tensors (see :func:`genaug.data.shapes`); ``None`` otherwise.
        masks: ``shapes`` only: ``(N, 1, H, W)`` float32 in ``{0, 1}``, the
            pixels the object covers; ``None`` otherwise.
        boxes: ``shapes`` only: ``(N, 4)`` float32 ``(x0, y0, x1, y1)`` in pixel
            coordinates, ``x1`` and ``y1`` exclusive; ``None`` otherwise.
    """

    images: Tensor
    labels: Tensor
    classes: tuple[str, ...]
    name: str
    factors: dict[str, Tensor] | None = None
    masks: Tensor | None = None
    boxes: Tensor | None = None

    def __post_init__(self) -> None:
        """Check that the fields agree in type, shape and range."""
        if not isinstance(self.images, Tensor) or self.images.ndim != 4:
            raise TypeError(f"images must be a (N, C, H, W) tensor; got {_describe(self.images)}.")
        if self.images.dtype != torch.float32:
            raise TypeError(f"images must be float32; got {self.images.dtype}.")
        num_samples, _, height, width = self.images.shape
        check_images("images", self.images, non_empty=False)
        self.classes = tuple(self.classes)
        check_labels("labels", self.labels, num=num_samples, num_classes=len(self.classes))
        if self.labels.dtype != torch.int64:
            raise TypeError(f"labels must be int64; got {self.labels.dtype}.")
        for key, value in (self.factors or {}).items():
            if not isinstance(value, Tensor) or value.shape != (num_samples,):
                raise TypeError(
                    f"factors[{key!r}] must be a ({num_samples},) tensor; got {_describe(value)}."
                )
        if self.masks is not None and (
            not isinstance(self.masks, Tensor)
            or self.masks.shape != (num_samples, 1, height, width)
        ):
            raise TypeError(
                f"masks must be a ({num_samples}, 1, {height}, {width}) tensor; "
                f"got {_describe(self.masks)}."
            )
        if self.boxes is not None and (
            not isinstance(self.boxes, Tensor) or self.boxes.shape != (num_samples, 4)
        ):
            raise TypeError(
                f"boxes must be a ({num_samples}, 4) tensor; got {_describe(self.boxes)}."
            )

    def __len__(self) -> int:
        """Return the number of samples ``N``."""
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        """Return sample ``index``.

        Args:
            index: sample index, ``-N <= index < N``.

        Returns:
            ``(image, label)``: image ``(C, H, W)`` float32 in ``[0, 1]`` and
            label a 0-d int64 tensor.
        """
        return self.images[index], self.labels[index]

    def __repr__(self) -> str:
        """Return a one-line summary: name, size, image shape, classes."""
        _, channels, height, width = self.images.shape
        shown = ", ".join(self.classes[:10]) + (", ..." if len(self.classes) > 10 else "")
        extras = [
            field for field in ("factors", "masks", "boxes") if getattr(self, field) is not None
        ]
        extra_text = f", with {'/'.join(extras)}" if extras else ""
        return (
            f"ImageSet({self.name!r}, N={len(self)}, image=({channels}, {height}, {width}), "
            f"classes=({shown}){extra_text})"
        )

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """The shape ``(C, H, W)`` of one image."""
        _, channels, height, width = self.images.shape
        return (channels, height, width)

    def select(self, indices: Sequence[int] | np.ndarray | Tensor) -> ImageSet:
        """Return a new ``ImageSet`` with the samples at ``indices``, in that order.

        Factors, masks and boxes stay aligned with the images. The tensors are
        copies, so changing the result leaves ``self`` alone.

        Args:
            indices: 1-D integer indices into ``0 .. N - 1``.

        Returns:
            An ``ImageSet`` of ``len(indices)`` samples with the same classes and name.
        """
        index = torch.as_tensor(np.asarray(indices), dtype=torch.int64).reshape(-1)
        return ImageSet(
            images=self.images[index].clone(),
            labels=self.labels[index].clone(),
            classes=self.classes,
            name=self.name,
            factors=None
            if self.factors is None
            else {key: value[index].clone() for key, value in self.factors.items()},
            masks=None if self.masks is None else self.masks[index].clone(),
            boxes=None if self.boxes is None else self.boxes[index].clone(),
        )


def subset(
    data: ImageSet,
    *,
    fraction: float | None = None,
    per_class: int | None = None,
    seed: int = 0,
) -> ImageSet:
    """Draw a stratified random subset: the same share of every class.

    Give exactly one of ``fraction`` and ``per_class``. With ``fraction``, class
    ``c`` with ``n_c`` samples keeps ``max(1, floor(fraction * n_c + 0.5))`` of
    them (rounded to nearest, never zero); with ``per_class``, every class keeps
    exactly ``per_class``. Only classes present in ``data`` count. Samples are
    drawn without replacement by a generator seeded with ``seed`` and returned in
    their original order. Factors, masks and boxes stay aligned.

    Args:
        data: the dataset to draw from.
        fraction: share of each class to keep, in ``(0, 1]``.
        per_class: number of samples to keep per class, ``>= 1`` and at most
            the size of the smallest class.
        seed: seed of the draw (default 0); the same seed gives the same subset.

    Returns:
        A new ``ImageSet`` (copied tensors) named ``"<name>-subset"``.

    Raises:
        TypeError: if ``data`` is not an ``ImageSet`` or an argument has the wrong type.
        ValueError: if both or neither of ``fraction`` and ``per_class`` are given,
            ``fraction`` is outside ``(0, 1]``, or ``per_class`` exceeds a class size.

    Example:
        >>> from genaug.data import digits, subset
        >>> small = subset(digits("train"), fraction=0.1, seed=0)  # 10 % of each digit
    """
    if not isinstance(data, ImageSet):
        raise TypeError(f"data must be an ImageSet; got {type(data).__name__}.")
    if (fraction is None) == (per_class is None):
        raise ValueError(
            "give exactly one of fraction (a share of each class, in (0, 1]) and "
            f"per_class (a count per class); got fraction={fraction!r}, per_class={per_class!r}."
        )
    check_seed("seed", seed)
    labels = data.labels.numpy()
    present, counts = np.unique(labels, return_counts=True)
    if fraction is not None:
        check_float("fraction", fraction, min=0.0, max=1.0, min_open=True)
        keep_counts = [max(1, math.floor(fraction * count + 0.5)) for count in counts]
    else:
        check_int("per_class", per_class, min=1)
        if len(counts) and per_class > counts.min():
            smallest = data.classes[present[counts.argmin()]]
            raise ValueError(
                f"per_class={per_class} is more than class {smallest!r} holds "
                f"({counts.min()} samples in {data.name!r}); use per_class <= {counts.min()}."
            )
        keep_counts = [per_class] * len(counts)
    generator = np.random.default_rng(seed)
    chosen = []
    for label, keep in zip(present, keep_counts, strict=True):
        members = np.flatnonzero(labels == label)
        chosen.append(generator.choice(members, size=keep, replace=False))
    indices = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    result = data.select(indices)
    result.name = f"{data.name}-subset"
    return result


def _describe(value: object) -> str:
    """Describe a value for an error message: type, and shape and dtype for tensors."""
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{type(value).__name__}"
