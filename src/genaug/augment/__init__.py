"""Augmentation: classical transforms and model-based (generative) augmenters.

* :mod:`genaug.augment.transform`: the interface of the model-free augmenters
  (``transform(x, *, generator) -> x``, parameters drawn per sample) and :class:`Compose`;
* :mod:`genaug.augment.classical`: classical transforms (:class:`RandomShift`, ...);
* :mod:`genaug.augment.geometry` and :mod:`genaug.augment.color`: the random horizontal
  flip and brightness factor (:class:`RandomHorizontalFlip`, :class:`RandomBrightness`);
* :mod:`genaug.augment.mixing`: :func:`mixup` and :func:`cutmix`, which mix labels too;
* :mod:`genaug.augment.generative`: the one interface every model-based augmenter
  implements (``augmenter(images, labels, n) -> (images, labels)``) and the
  label-preservation checks (:func:`label_agreement`, :func:`confidence_filter`).
"""

from genaug.augment.classical import RandomShift, random_shift
from genaug.augment.color import RandomBrightness, adjust_brightness
from genaug.augment.generative import (
    ConditionalAugmenter,
    FilteredAugmenter,
    FilterResult,
    GenerativeAugmenter,
    balanced_labels,
    check_labelled_images,
    class_probabilities,
    confidence_filter,
    label_agreement,
)
from genaug.augment.geometry import RandomHorizontalFlip, horizontal_flip
from genaug.augment.mixing import cutmix, mixup
from genaug.augment.transform import Compose, Transform

__all__ = [
    "Compose",
    "RandomBrightness",
    "RandomHorizontalFlip",
    "RandomShift",
    "Transform",
    "adjust_brightness",
    "cutmix",
    "horizontal_flip",
    "mixup",
    "random_shift",
    "ConditionalAugmenter",
    "FilterResult",
    "FilteredAugmenter",
    "GenerativeAugmenter",
    "balanced_labels",
    "check_labelled_images",
    "class_probabilities",
    "confidence_filter",
    "label_agreement",
]
