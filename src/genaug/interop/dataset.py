"""A ``torch.utils.data.Dataset`` that mixes real samples with a generative augmenter's samples.

``AugmentedDataset(images, labels, augmenter, ratio=0.5)`` has the N real samples
followed by round(ratio * N) synthetic ones. Synthetic samples are generated lazily
in chunks; chunk c is always drawn with a generator seeded from ``(seed, c)``, so
sample i is the same whatever the order of access, the batch size or the number of
DataLoader workers (each worker generates the chunks it touches).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import Dataset

from genaug._checks import check_int
from genaug.augment.generative import GenerativeAugmenter


class AugmentedDataset(Dataset):
    """Real samples plus a generative augmenter's samples, reproducible per index.

    Args:
        images: (N, C, H, W) real images in [0, 1].
        labels: (N,) int64 labels.
        augmenter: a :class:`~genaug.augment.generative.GenerativeAugmenter`; it receives the real
            images and labels as its seeds (``augmenter(images, labels, n, generator=g)``).
        ratio: synthetic samples per real sample (>= 0).
        seed: seed of the synthetic set; another seed draws another set.
        chunk_size: synthetic samples generated per augmenter call.

    Indexing gives ``(image, label)``; :meth:`is_synthetic` tells which part an index is in.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        augmenter: GenerativeAugmenter,
        *,
        ratio: float,
        seed: int = 0,
        chunk_size: int = 64,
    ) -> None:
        if not isinstance(images, Tensor) or images.ndim != 4 or len(images) == 0:
            raise ValueError("images must be a non-empty (N, C, H, W) tensor")
        if not isinstance(labels, Tensor) or labels.shape != (len(images),):
            raise ValueError(f"labels must be a ({len(images)},) tensor, one label per image")
        if not isinstance(augmenter, GenerativeAugmenter):
            raise TypeError(
                f"augmenter must be a GenerativeAugmenter, got {type(augmenter).__name__}"
            )
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 0:
            raise ValueError(f"ratio must be a number >= 0, got {ratio!r}")
        check_int("seed", seed, min=0)
        check_int("chunk_size", chunk_size, min=1)
        self.images, self.labels = images, labels
        self.augmenter = augmenter
        self.num_real = len(images)
        self.num_synthetic = round(ratio * len(images))
        self.seed, self.chunk_size = seed, chunk_size
        self._chunks: dict[int, tuple[Tensor, Tensor]] = {}

    def __len__(self) -> int:
        return self.num_real + self.num_synthetic

    def is_synthetic(self, index: int) -> bool:
        """True for the indices of generated samples."""
        return index >= self.num_real

    def _chunk(self, number: int) -> tuple[Tensor, Tensor]:
        if number not in self._chunks:
            size = min(self.chunk_size, self.num_synthetic - number * self.chunk_size)
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + number)
            with torch.no_grad():
                images, labels = self.augmenter(self.images, self.labels, size, generator=generator)
            self._chunks[number] = (images.detach().cpu(), labels.detach().cpu())
        return self._chunks[number]

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        if index < self.num_real:
            return self.images[index], self.labels[index]
        offset = index - self.num_real
        images, labels = self._chunk(offset // self.chunk_size)
        return images[offset % self.chunk_size], labels[offset % self.chunk_size]
