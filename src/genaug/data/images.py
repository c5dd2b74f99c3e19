"""Real images that ship inside installed packages: digits, faces and photos.

Nothing here touches the network. The raw arrays come from

* scikit-learn's ``load_digits`` (1,797 handwritten digits, 8x8, values 0..16),
* scikit-image's ``lfw_subset`` (100 faces and 100 non-faces, 25x25),
* scikit-image's bundled sample photographs and textures,

are cached once per process (``functools.lru_cache``, read-only), and every call
returns fresh float32 tensors in ``[0, 1]`` that the caller may modify.
Provenance and licences: ``genaug/data/assets/DATASHEET.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional

from genaug._checks import check_choice, check_int
from genaug.data.imageset import ImageSet

DIGIT_SIZES: tuple[int, ...] = (8, 16, 32)
DIGIT_CLASSES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
SPLITS: tuple[str, ...] = ("train", "test", "all")
TRAIN_SHARE = 0.8  # share of each digit class in the fixed train split

FACE_KINDS: tuple[str, ...] = ("faces", "nonfaces", "all")
FACE_CLASSES: tuple[str, ...] = ("nonface", "face")

#: scikit-image sample images bundled with the package (checked to load with the
#: network blocked). The first six are colour, the rest grayscale.
PHOTO_NAMES: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "camera",
    "coins",
    "moon",
    "brick",
    "grass",
    "gravel",
)
#: The colour photographs among ``PHOTO_NAMES``.
COLOUR_PHOTO_NAMES: tuple[str, ...] = PHOTO_NAMES[:6]


# ---------------------------------------------------------------------------
# digits


@lru_cache(maxsize=1)
def _digit_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's digits once: ``(1797, 8, 8)`` float32 in [0, 1], ``(1797,)`` int64."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    targets = bunch.target.astype(np.int64)
    images.setflags(write=False)
    targets.setflags(write=False)
    return images, targets


def _digit_split_indices(split: str) -> np.ndarray:
    """Indices into the 1,797 digits that form ``split``, sorted ascending (a fresh array).

    See :func:`_cached_split_indices` for how the split is made.
    """
    return _cached_split_indices(split).copy()


@lru_cache(maxsize=len(SPLITS))
def _cached_split_indices(split: str) -> np.ndarray:
    """Indices into the 1,797 digits that form ``split``, sorted ascending, read-only.

    The split is fixed, independent of any seed: for each class in turn, a
    legacy ``numpy.random.RandomState(0)`` (whose stream numpy keeps stable
    across versions) permutes that class's indices, and the first
    ``floor(0.8 * n_c + 0.5)`` go to train, the rest to test.
    """
    _, targets = _digit_arrays()
    if split == "all":
        indices = np.arange(len(targets))
    else:
        permuter = np.random.RandomState(0)
        chosen = []
        for digit in range(len(DIGIT_CLASSES)):
            members = permuter.permutation(np.flatnonzero(targets == digit))
            num_train = int(np.floor(TRAIN_SHARE * len(members) + 0.5))
            chosen.append(members[:num_train] if split == "train" else members[num_train:])
        indices = np.sort(np.concatenate(chosen))
    indices.setflags(write=False)
    return indices


def digits(split: Literal["train", "test", "all"] = "train", *, size: int = 16) -> ImageSet:
    """Load scikit-learn's 1,797 real handwritten digits with a fixed train/test split.

    The 8x8 scans (values 0..16) are scaled to ``[0, 1]`` and resized with
    antialiased bilinear interpolation. The split is stratified and fixed (the
    same on every machine, independent of any seed): 80 % of each digit class
    to train, 20 % to test. Sizes: ``train`` N = 1,438, ``test`` N = 359,
    ``all`` N = 1,797; train and test are disjoint and together give all.
    Samples keep the order of ``load_digits``.

    Args:
        split: ``"train"`` (default), ``"test"`` or ``"all"``.
        size: image side in pixels, one of 8 (native), 16 (default) or 32.

    Returns:
        ``ImageSet`` named ``"digits-<split>"``: images ``(N, 1, size, size)``
        float32 in ``[0, 1]`` (ink is bright, background 0), labels ``(N,)``
        int64 in 0..9, classes ``("0", ..., "9")``.

    Raises:
        ValueError: if ``split`` or ``size`` is not one of the values above.
        TypeError: if ``size`` is not an int.
    """
    check_choice("split", split, SPLITS)
    check_int("size", size, choices=DIGIT_SIZES)
    images, targets = _digit_arrays()
    indices = _digit_split_indices(split)
    # (N, 8, 8) -> (N, 1, 8, 8) -> (N, 1, size, size)
    batch = torch.tensor(images[indices]).unsqueeze(1)
    return ImageSet(
        images=resize_images(batch, size, size),
        labels=torch.tensor(targets[indices]),
        classes=DIGIT_CLASSES,
        name=f"digits-{split}",
    )


# ---------------------------------------------------------------------------
# faces


@lru_cache(maxsize=1)
def _face_array() -> np.ndarray:
    """Load scikit-image's LFW subset once: ``(200, 25, 25)`` float32 in [0, 1]."""
    from skimage import data as skimage_data

    images = np.asarray(skimage_data.lfw_subset(), dtype=np.float32)
    images.setflags(write=False)
    return images


def faces(kind: Literal["faces", "nonfaces", "all"] = "faces", *, size: int = 25) -> ImageSet:
    """Load scikit-image's LFW subset: 100 face crops and 100 non-face crops.

    The faces are random crops from Labeled Faces in the Wild; the non-faces are
    background crops from the same photographs; all are 25x25 grayscale. The
    course uses the 100 faces for few-shot ("100-shot") GAN training.

    Args:
        kind: ``"faces"`` (default, N = 100), ``"nonfaces"`` (N = 100) or
            ``"all"`` (N = 200: the faces first, then the non-faces).
        size: image side in pixels, 8..128 (default 25, native); other sizes use
            antialiased bilinear interpolation.

    Returns:
        ``ImageSet`` named ``"faces-<kind>"``: images ``(N, 1, size, size)``
        float32 in ``[0, 1]``, labels ``(N,)`` int64 with 1 = face and
        0 = non-face, classes ``("nonface", "face")``.

    Raises:
        ValueError: if ``kind`` is unknown or ``size`` is outside 8..128.
        TypeError: if ``size`` is not an int.
    """
    check_choice("kind", kind, FACE_KINDS)
    check_int("size", size, min=8, max=128)
    images = _face_array()
    labels = np.concatenate([np.ones(100, dtype=np.int64), np.zeros(100, dtype=np.int64)])
    chosen = {"faces": slice(0, 100), "nonfaces": slice(100, 200), "all": slice(0, 200)}[kind]
    # (N, 25, 25) -> (N, 1, 25, 25) -> (N, 1, size, size)
    batch = torch.tensor(images[chosen]).unsqueeze(1)
    return ImageSet(
        images=resize_images(batch, size, size),
        labels=torch.tensor(labels[chosen]),
        classes=FACE_CLASSES,
        name=f"faces-{kind}",
    )


# ---------------------------------------------------------------------------
# photos


@lru_cache(maxsize=len(PHOTO_NAMES))
def _photo_array(name: str) -> np.ndarray:
    """Load one bundled scikit-image sample once: ``(H, W, 3)`` uint8, read-only."""
    from skimage import data as skimage_data

    image = np.asarray(getattr(skimage_data, name)())
    if image.ndim == 2:
        # grayscale (H, W) -> (H, W, 3)
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    image.setflags(write=False)
    return image


def photos(names: Sequence[str] | None = None, *, size: int | None = None) -> dict[str, Tensor]:
    """Load scikit-image's bundled sample photographs and textures.

    Grayscale images (camera, coins, moon, brick, grass, gravel) are repeated to
    three channels so every entry has the same layout.

    Args:
        names: which images to load, each one of ``PHOTO_NAMES``
            (astronaut, chelsea, coffee, rocket, immunohistochemistry,
            hubble_deep_field, camera, coins, moon, brick, grass, gravel);
            ``None`` (default) loads all of them, in that order.
        size: ``None`` (default) keeps the native resolution (from 303x384 to
            872x1000); an int in 8..1024 takes the largest centred square crop
            and resizes it to ``size x size`` (antialiased bilinear), so all
            images can be stacked into one batch.

    Returns:
        Dict from name to a fresh ``(3, H, W)`` float32 tensor in ``[0, 1]``,
        in the order of ``names``.

    Raises:
        ValueError: if a name is not in ``PHOTO_NAMES`` or ``size`` is outside 8..1024.
        TypeError: if ``names`` is a single string or ``size`` is not an int.
    """
    if names is None:
        names = PHOTO_NAMES
    if isinstance(names, str):
        raise TypeError(
            f"names must be a sequence of names such as [{names!r}], not a single string."
        )
    for index, name in enumerate(names):
        check_choice(f"names[{index}]", name, PHOTO_NAMES)
    if size is not None:
        check_int("size", size, min=8, max=1024)
    result = {}
    for name in names:
        # (H, W, 3) uint8 -> (3, H, W) float32 in [0, 1]
        image = torch.tensor(_photo_array(name)).permute(2, 0, 1).float().div_(255.0)
        if size is not None:
            image = _centre_square(image)
            image = resize_images(image.unsqueeze(0), size, size).squeeze(0)
        result[name] = image.contiguous()
    return result


def _centre_square(image: Tensor) -> Tensor:
    """Crop ``(C, H, W)`` to its largest centred square ``(C, S, S)``, ``S = min(H, W)``."""
    _, height, width = image.shape
    side = min(height, width)
    top = (height - side) // 2
    left = (width - side) // 2
    return image[:, top : top + side, left : left + side]


def resize_images(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Resize a batch of images with antialiased bilinear interpolation.

    Antialiasing matters when shrinking (it averages over the footprint of each
    output pixel instead of sampling a few input pixels); when enlarging it
    changes nothing.

    Args:
        images: ``(N, C, H, W)`` float32 in ``[0, 1]``.
        height: output height in pixels.
        width: output width in pixels.

    Returns:
        ``(N, C, height, width)`` float32, clamped to ``[0, 1]`` (bilinear
        interpolation with antialiasing can overshoot slightly). A new tensor,
        also when the size is unchanged.
    """
    # images: (N, C, H, W)
    if images.shape[-2:] == (height, width):
        return images.clone()
    resized = functional.interpolate(
        images, size=(height, width), mode="bilinear", align_corners=False, antialias=True
    )
    return resized.clamp_(0.0, 1.0)
