"""Downstream measurements of augmentation: paired gains with intervals, equivalent labels,
and the classification accuracy score of a generator.

* :func:`paired_gain`: the per-seed difference between an augmented arm and its
  baseline (same seed, same subset, same real batches), its mean, a 95% Student-t
  interval and how many seeds won. Pairing removes the seed-to-seed variance that
  both arms share, which is most of it when labels are few.
* :func:`equivalent_labels`: how many labels per class the *baseline* needs to reach
  an accuracy, read off its learning curve (interpolated linearly in log labels):
  "this augmentation is worth k real labels per class".
* :func:`classification_accuracy_score`: CAS (Ravuri & Vinyals, NeurIPS 2019): train
  the downstream classifier on generated images only, test on real ones. A generator
  whose samples carry the class information scores close to a classifier trained on
  real data; a pretty but off-class generator scores low.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from torch import Tensor

from genaug.tasks.classification import ClassifierRecipe, evaluate, train_classifier


@dataclass
class PairedGain:
    """A paired comparison over seeds.

    Attributes:
        mean: mean of the per-seed differences (treated - baseline).
        low: lower end of the two-sided interval of the mean.
        high: upper end.
        seeds_won: seeds where the treated arm was strictly better.
        num_seeds: number of paired seeds.
        differences: the per-seed differences.
    """

    mean: float
    low: float
    high: float
    seeds_won: int
    num_seeds: int
    differences: list[float]

    def __str__(self) -> str:
        return (
            f"{self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}], "
            f"won {self.seeds_won}/{self.num_seeds}"
        )


def paired_gain(
    treated: Sequence[float], baseline: Sequence[float], *, confidence: float = 0.95
) -> PairedGain:
    """Mean paired difference with a Student-t interval.

    Args:
        treated: per-seed scores of the augmented arm (e.g. accuracies).
        baseline: per-seed scores of the baseline, in the same seed order.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        A :class:`PairedGain`; with a single seed the interval is (-inf, inf).
    """
    a = np.asarray(treated, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(
            f"treated and baseline must be equal-length 1-D sequences, got {a.shape} and {b.shape}"
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scores must be finite")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    differences = a - b
    mean = float(differences.mean())
    if len(differences) < 2:
        low, high = -math.inf, math.inf
    else:
        half = stats.t.ppf(0.5 + confidence / 2, len(differences) - 1) * differences.std(ddof=1)
        half /= math.sqrt(len(differences))
        low, high = mean - half, mean + half
    return PairedGain(
        mean=mean,
        low=float(low),
        high=float(high),
        seeds_won=int((differences > 0).sum()),
        num_seeds=len(differences),
        differences=differences.tolist(),
    )


def equivalent_labels(
    labels_per_class: Sequence[float], baseline_accuracy: Sequence[float], accuracy: float
) -> float:
    """Labels per class at which the baseline's learning curve reaches ``accuracy``.

    The curve is made monotone (running maximum) and interpolated linearly in
    log(labels). Below its first point the answer is its first label count scaled
    down along the first segment's slope, never below 0; above its last point it is
    ``inf`` (no measured label count reaches that accuracy).

    Args:
        labels_per_class: increasing label counts of the curve, e.g. (1, 2, 5, 10, 25).
        baseline_accuracy: the baseline's (mean) accuracy at each count.
        accuracy: the accuracy to place on the curve.

    Returns:
        The equivalent number of labels per class (a float).
    """
    x = np.log(np.asarray(labels_per_class, dtype=np.float64))
    y = np.maximum.accumulate(np.asarray(baseline_accuracy, dtype=np.float64))
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2 or not (np.diff(x) > 0).all():
        raise ValueError("need at least two increasing label counts with one accuracy each")
    if not math.isfinite(accuracy):
        raise ValueError(f"accuracy must be finite, got {accuracy!r}")
    if accuracy > y[-1]:
        return math.inf
    if accuracy <= y[0]:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        return float(np.exp(x[0] - (y[0] - accuracy) / slope)) if slope > 0 else float(np.exp(x[0]))
    index = int(np.searchsorted(y, accuracy))  # first point at or above
    x0, x1, y0, y1 = x[index - 1], x[index], y[index - 1], y[index]
    t = 0.0 if y1 == y0 else (accuracy - y0) / (y1 - y0)
    return float(np.exp(x0 + t * (x1 - x0)))


def classification_accuracy_score(
    images: Tensor,
    labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    *,
    seed: int = 0,
    recipe: ClassifierRecipe | None = None,
    num_classes: int = 10,
) -> float:
    """CAS: accuracy on real test images of a classifier trained on generated images only.

    Args:
        images: (M, C, H, W) generated images in [0, 1].
        labels: (M,) the labels they were generated for.
        test_images: (N, C, H, W) real test images in [0, 1].
        test_labels: (N,) their labels.
        seed: the classifier's seed.
        recipe: its training sizes (default :class:`~genaug.tasks.classification.ClassifierRecipe`).
        num_classes: K.

    Returns:
        The test accuracy, in [0, 1].
    """
    model = train_classifier(images, labels, seed=seed, recipe=recipe, num_classes=num_classes)
    return evaluate(model, test_images, test_labels).accuracy
