"""Measurements, one kind a file.

* :mod:`~genaug.metrics.distribution`: Frechet distance, KID, PCA Frechet distance;
* :mod:`~genaug.metrics.memorisation`: nearest-training-image distances;
* :mod:`~genaug.metrics.leak`: how much of an augmentation a generator reproduces;
* :mod:`~genaug.metrics.reference`: the reference digits classifier's features and predictions
  (trained once by :func:`genaug.recipes.reference.reference_classifier`);
* :mod:`~genaug.metrics.disentanglement`: the mutual information gap (MIG);
* :mod:`~genaug.metrics.modes`: mode coverage and high-quality samples on toy mixtures.
"""

from genaug.metrics.disentanglement import (
    discrete_entropy,
    discrete_mutual_information,
    discretize,
    mutual_information_gap,
    mutual_information_matrix,
)
from genaug.metrics.distribution import (
    frechet_distance,
    kernel_inception_distance,
    pca_frechet_distance,
)
from genaug.metrics.leak import AugmentationDetector, train_augmentation_detector
from genaug.metrics.memorisation import nearest_neighbour_distance
from genaug.metrics.modes import ModeCoverage, mode_coverage
from genaug.metrics.reference import ReferenceClassifier

__all__ = [
    "AugmentationDetector",
    "ModeCoverage",
    "ReferenceClassifier",
    "discrete_entropy",
    "discrete_mutual_information",
    "discretize",
    "frechet_distance",
    "kernel_inception_distance",
    "mode_coverage",
    "mutual_information_gap",
    "mutual_information_matrix",
    "nearest_neighbour_distance",
    "pca_frechet_distance",
    "train_augmentation_detector",
]
