"""Augmentation: classical transforms and model-based (generative) augmenters.

* :mod:`genaug.augment.generative`: the one interface every model-based augmenter
  implements (``augmenter(images, labels, n) -> (images, labels)``) and the
  label-preservation checks (:func:`label_agreement`, :func:`confidence_filter`).
"""

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

__all__ = [
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
