"""The reference digits classifier that FD, KID and label agreement are measured with.

:class:`ReferenceClassifier` wraps a trained :class:`genaug.nn.classifier.ConvClassifier`;
the course trains it once and caches it in :func:`genaug.recipes.reference.reference_classifier`.
"""

from __future__ import annotations

import torch
from torch import nn

from genaug._checks import check_int, check_probability, check_tensor
from genaug.metrics.distribution import frechet_distance
from genaug.nn import ConvClassifier


class ReferenceClassifier:
    """A trained :class:`~genaug.nn.classifier.ConvClassifier` for digits, used to score generated images.

    Attributes:
        model: the classifier (eval mode, CPU).
        test_accuracy: its accuracy on the digits test split.
    """

    def __init__(self, model: ConvClassifier, test_accuracy: float) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a ConvClassifier, got {type(model).__name__}")
        check_probability("test_accuracy", test_accuracy)
        self.model = model.eval()
        self.test_accuracy = test_accuracy

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        check_tensor("images", images)  # a non-empty, finite tensor
        size = self.model.config.image_size
        if (
            not isinstance(images, torch.Tensor)
            or images.ndim != 4
            or images.shape[1:]
            != (
                1,
                size,
                size,
            )
        ):
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise ValueError(f"images must be a (N, 1, {size}, {size}) tensor, got {shape}")
        if images.min() < -0.05 or images.max() > 1.05:
            raise ValueError(
                f"images must be in [0, 1], got values in [{float(images.min()):.2f}, "
                f"{float(images.max()):.2f}]; generator outputs in [-1, 1] need (x + 1) / 2"
            )
        return images.detach().float().cpu().clamp(0, 1)

    @torch.no_grad()
    def features(self, images: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
        """Penultimate features.

        Args:
            images: (N, 1, H, W) images in [0, 1].
            batch_size: images per forward pass.

        Returns:
            (N, feature_dim) float32 features.
        """
        images = self._prepare(images)
        check_int("batch_size", batch_size, min=1)
        features = torch.cat([self.model.features(chunk) for chunk in images.split(batch_size)])
        return check_tensor("features", features)  # a diverged classifier gives NaN

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
        """Class probabilities.

        Args:
            images: (N, 1, H, W) images in [0, 1].
            batch_size: images per forward pass.

        Returns:
            (N, 10) probabilities.
        """
        images = self._prepare(images)
        check_int("batch_size", batch_size, min=1)
        return torch.cat([self.model(chunk).softmax(1) for chunk in images.split(batch_size)])

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted labels.

        Args:
            images: (N, 1, H, W) images in [0, 1].

        Returns:
            (N,) int64 labels.
        """
        return self.probabilities(images).argmax(1)

    def frechet_distance(self, images_a: torch.Tensor, images_b: torch.Tensor) -> float:
        """Frechet distance between two image sets on this classifier's features.

        Args:
            images_a: (N_a, 1, H, W) images in [0, 1].
            images_b: (N_b, 1, H, W) images in [0, 1].

        Returns:
            The squared Frechet distance (see :func:`~genaug.metrics.distribution.frechet_distance`).
        """
        return frechet_distance(self.features(images_a), self.features(images_b))
