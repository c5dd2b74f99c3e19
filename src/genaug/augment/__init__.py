"""Augmentation: classical transforms and model-based (generative) augmenters.

* :mod:`genaug.augment.transform`: the interface of the model-free augmenters
  (``transform(x, *, generator) -> x``, parameters drawn per sample) and :class:`Compose`;
* :mod:`genaug.augment.classical`: classical transforms (:class:`RandomShift`, ...);
* :mod:`genaug.augment.mixing`: :func:`mixup` and :func:`cutmix`, which mix labels too;
* :mod:`genaug.augment.generative`: the one interface every model-based augmenter
  implements (``augmenter(images, labels, n) -> (images, labels)``) and the
  label-preservation checks (:func:`label_agreement`, :func:`confidence_filter`).
"""

from genaug.augment.classical import RandomShift, random_shift
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
from genaug.augment.mixing import cutmix, mixup
from genaug.augment.transform import Compose, Transform

__all__ = [
    "Compose",
    "RandomShift",
    "Transform",
    "cutmix",
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
