"""Offline datasets for the course: everything ships inside installed packages or is generated.

=============  ==========================================================  =================
loader         what                                                        used for
=============  ==========================================================  =================
``digits``     scikit-learn's 1,797 real handwritten digits, fixed split   GANs, VAEs,
                                                                           diffusion,
                                                                           classification
``shapes``     dSprites-style shapes with factors, masks and boxes         disentanglement,
                                                                           detection,
                                                                           segmentation
``faces``      scikit-image's LFW subset, 100 faces + 100 non-faces        few-shot GANs
``photos``     scikit-image's bundled photographs and textures             classical
                                                                           augmentation
``digits_m``   digits blended onto photo patches (MNIST-M construction)    domain adaptation
=============  ==========================================================  =================

Image loaders return an :class:`ImageSet` (a ``torch.utils.data.Dataset``
holding ``(N, C, H, W)`` float32 images in ``[0, 1]`` and ``(N,)`` int64
labels); :func:`subset` draws a stratified subset for limited-data
experiments. :func:`gaussian_ring` draws 2-D points from a ring of Gaussians
with a known density (a :class:`PointSet`), for comparing model families. Provenance and licences: ``genaug/data/assets/DATASHEET.md``.

Example:
    >>> from genaug.data import digits, subset
    >>> train = digits("train", size=16)
    >>> train.images.shape
    torch.Size([1438, 1, 16, 16])
    >>> len(subset(train, fraction=0.1))
    145
"""

from genaug.data.images import (
    COLOUR_PHOTO_NAMES,
    DIGIT_CLASSES,
    FACE_CLASSES,
    PHOTO_NAMES,
    digits,
    faces,
    photos,
)
from genaug.data.imageset import ImageSet, subset
from genaug.data.mnist_m import DIGITS_M_PHOTO_NAMES, digits_m
from genaug.data.sprites import (
    PALETTE,
    PALETTE_NAMES,
    SCALE_VALUES,
    SHAPE_NAMES,
    shapes,
)
from genaug.data.toy2d import PointSet, gaussian_ring, ring_centres

__all__ = [
    "COLOUR_PHOTO_NAMES",
    "DIGITS_M_PHOTO_NAMES",
    "DIGIT_CLASSES",
    "FACE_CLASSES",
    "PALETTE",
    "PALETTE_NAMES",
    "PHOTO_NAMES",
    "SCALE_VALUES",
    "SHAPE_NAMES",
    "ImageSet",
    "PointSet",
    "digits",
    "digits_m",
    "faces",
    "gaussian_ring",
    "photos",
    "ring_centres",
    "shapes",
    "subset",
]
