"""One interface over model-based augmenters (VAE, GAN, diffusion), and label checks.

Taught in chapter 3 (``lessons/ch03_methods/02_vae_augmentation.ipynb`` and its
GAN and diffusion siblings). Every generative augmenter in the course is called
the same way::

    new_images, new_labels = augmenter(images, labels, n, generator=rng)

``images`` ``(N, C, H, W)`` in ``[0, 1]`` and ``labels`` ``(N,)`` int64 are the
(small) labelled training set the augmenter may draw on: as seeds to interpolate
or edit, or only for its class frequencies when it samples from a class-conditional
model. The call returns ``n`` **new** labelled samples (the real ones are not
included; concatenate them yourself), same ``C, H, W``, values in ``[0, 1]``.

Two ways to implement it:

* subclass :class:`GenerativeAugmenter` and write ``generate(images, labels, n,
  generator=...)`` (for augmenters that transform given images);
* subclass :class:`ConditionalAugmenter` and write ``sample(labels, generator=...)``
  (for class-conditional generators: one image per requested label); the
  labels are drawn class-balanced by :func:`balanced_labels`.

The base class validates inputs and outputs, so every augmenter fails the same
way on bad input. A generated sample is only useful as augmentation if it shows
the class it is labelled with: :func:`label_agreement` measures that with a
classifier (in the course, :func:`genaug.recipes.reference.reference_classifier`), and
:func:`confidence_filter` keeps only the samples the classifier assigns to their
label with probability at least a threshold, reporting the rejection rate.
:class:`FilteredAugmenter` wraps any augmenter with that filter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from genaug._checks import check_images, check_int, check_labels, check_probability

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


def check_labelled_images(images: Any, labels: Any, *, name: str = "images") -> None:
    """Raise unless ``images`` is an ``(N, C, H, W)`` float tensor in [0, 1] with ``(N,)`` int labels.

    Args:
        images: the candidate images.
        labels: the candidate labels.
        name: how ``images`` is called in the message.

    Raises:
        TypeError: if either is not a tensor, or the dtypes are wrong.
        ValueError: if shapes disagree, the batch is empty, or values leave [0, 1].
    """
    check_images(name, images)  # non-empty, finite, in [0, 1] (with a hint if not)
    check_labels("labels", labels, num=len(images))


def _check_count(n: Any) -> None:
    check_int("n (the number of samples to generate)", n, min=1)


def balanced_labels(labels: Tensor, n: int, *, generator: torch.Generator | None = None) -> Tensor:
    """Draw ``n`` labels, as equal a number of each class present in ``labels`` as possible.

    Each class present gets ``n // K`` labels; the ``n % K`` left over go to
    classes chosen at random without replacement. The result is shuffled.

    Args:
        labels: ``(N,)`` int64 labels; only the classes present matter.
        n: number of labels to draw, ``>= 1``.
        generator: source of randomness (default: torch's global one).

    Returns:
        ``(n,)`` int64 labels on ``labels``' device.
    """
    _check_count(n)
    check_labels("labels", labels)
    if len(labels) == 0:
        raise ValueError("labels must not be empty: the classes to draw come from them")
    classes = labels.unique().cpu()  # (K,), sorted
    per_class, extra = divmod(n, len(classes))
    chosen = classes.repeat(per_class)
    if extra:
        pick = torch.randperm(len(classes), generator=generator)[:extra]
        chosen = torch.cat([chosen, classes[pick]])
    order = torch.randperm(n, generator=generator)
    return chosen[order].to(labels.device)


class GenerativeAugmenter(ABC):
    """A model-based augmenter: ``augmenter(images, labels, n) -> (new_images, new_labels)``.

    Subclasses implement :meth:`generate`; ``__call__`` checks what goes in and
    what comes out (shapes, dtypes, the [0, 1] range, finiteness), so every
    augmenter of the course can be swapped for another in a training loop.
    """

    def __call__(
        self,
        images: Tensor,
        labels: Tensor,
        n: int,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Generate ``n`` new labelled samples from a labelled set.

        Args:
            images: ``(N, C, H, W)`` float images in [0, 1], the labelled data the
                augmenter may use (as seeds, or only for its classes).
            labels: ``(N,)`` int64 labels.
            n: number of new samples, ``>= 1``.
            generator: CPU ``torch.Generator`` for all randomness, so that a
                seeded call repeats exactly.

        Returns:
            ``(new_images, new_labels)``: ``(n, C, H, W)`` float images in [0, 1]
            and ``(n,)`` int64 labels, on ``images``' device.

        Raises:
            TypeError, ValueError: on malformed input, or if the subclass returns
                malformed output.
        """
        check_labelled_images(images, labels)
        _check_count(n)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator or None, got {type(generator).__name__}"
            )
        new_images, new_labels = self.generate(images, labels, n, generator=generator)
        check_labelled_images(new_images, new_labels, name=f"{type(self).__name__} output")
        if new_images.shape != (n, *images.shape[1:]):
            raise ValueError(
                f"{type(self).__name__}.generate returned images of shape "
                f"{tuple(new_images.shape)}, expected {(n, *images.shape[1:])}"
            )
        return new_images, new_labels.long()

    @abstractmethod
    def generate(
        self,
        images: Tensor,
        labels: Tensor,
        n: int,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Produce ``n`` new samples; inputs are already validated (see ``__call__``)."""


class ConditionalAugmenter(GenerativeAugmenter):
    """An augmenter backed by a class-conditional generator: implement :meth:`sample`.

    ``generate`` draws ``n`` class-balanced labels from the classes present in
    ``labels`` (:func:`balanced_labels`) and asks :meth:`sample` for one image per label.
    """

    def generate(
        self,
        images: Tensor,
        labels: Tensor,
        n: int,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Draw balanced labels and sample one image each (see :class:`GenerativeAugmenter`)."""
        wanted = balanced_labels(labels, n, generator=generator)  # (n,)
        samples = self.sample(wanted, generator=generator)  # (n, C, H, W)
        return samples.to(images.device), wanted

    @abstractmethod
    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Generate one image per label.

        Args:
            labels: ``(n,)`` int64 classes to draw.
            generator: source of randomness.

        Returns:
            ``(n, C, H, W)`` float images in [0, 1].
        """


def class_probabilities(classifier: Any, images: Tensor) -> Tensor:
    """Class probabilities from a classifier, whatever its kind.

    Args:
        classifier: an object with a ``probabilities(images)`` method (such as
            :class:`genaug.metrics.reference.ReferenceClassifier`), or a callable (e.g. an
            ``nn.Module``) mapping images to ``(N, K)`` logits.
        images: ``(N, C, H, W)`` images in [0, 1].

    Returns:
        ``(N, K)`` probabilities on the CPU, rows summing to 1.
    """
    check_images("images", images)
    if hasattr(classifier, "probabilities"):
        probabilities = classifier.probabilities(images)
    elif callable(classifier):
        with torch.no_grad():
            probabilities = classifier(images).softmax(dim=1)
    else:
        raise TypeError(
            "classifier must have a probabilities(images) method or be callable returning "
            f"logits, got {type(classifier).__name__}"
        )
    probabilities = torch.as_tensor(probabilities).detach().float().cpu()
    if probabilities.ndim != 2 or len(probabilities) != len(images):
        raise ValueError(
            f"classifier returned shape {tuple(probabilities.shape)}, expected ({len(images)}, K)"
        )
    return probabilities


def label_agreement(images: Tensor, labels: Tensor, classifier: Any) -> float:
    """Share of samples whose label the classifier agrees with (its top-1 prediction).

    Args:
        images: ``(N, C, H, W)`` images in [0, 1], e.g. an augmenter's output.
        labels: ``(N,)`` int64 labels they claim to have.
        classifier: see :func:`class_probabilities`.

    Returns:
        The agreement in [0, 1]; 1 means every label is what the classifier sees.
    """
    check_labelled_images(images, labels)
    probabilities = class_probabilities(classifier, images)  # (N, K)
    if int(labels.max()) >= probabilities.shape[1]:
        raise ValueError(
            f"labels go up to {int(labels.max())} but the classifier knows "
            f"{probabilities.shape[1]} classes"
        )
    return float((probabilities.argmax(1) == labels.cpu()).float().mean())


@dataclass
class FilterResult:
    """What :func:`confidence_filter` returns.

    Attributes:
        images: ``(M, C, H, W)`` the kept images (M <= N).
        labels: ``(M,)`` their labels.
        kept: ``(N,)`` bool mask of the kept inputs.
        confidence: ``(N,)`` the classifier's probability of each input's own label.
        rejection_rate: share of inputs rejected, ``1 - M / N``.
    """

    images: Tensor
    labels: Tensor
    kept: Tensor
    confidence: Tensor
    rejection_rate: float


def confidence_filter(
    images: Tensor, labels: Tensor, classifier: Any, *, threshold: float = 0.9
) -> FilterResult:
    """Keep only samples the classifier assigns to their own label with probability >= threshold.

    A sample ``x`` labelled ``y`` is kept when ``p(y | x) >= threshold``. A high
    threshold removes label noise (samples that drifted to another class) at the
    cost of also removing the hardest, most novel samples; report both.

    Args:
        images: ``(N, C, H, W)`` images in [0, 1].
        labels: ``(N,)`` int64 labels.
        classifier: see :func:`class_probabilities`.
        threshold: minimum probability of the own label, in [0, 1] (default 0.9).

    Returns:
        A :class:`FilterResult` with the kept samples and the rejection rate.
    """
    check_labelled_images(images, labels)
    check_probability("threshold", threshold)
    probabilities = class_probabilities(classifier, images)  # (N, K)
    if int(labels.max()) >= probabilities.shape[1]:
        raise ValueError(
            f"labels go up to {int(labels.max())} but the classifier knows "
            f"{probabilities.shape[1]} classes"
        )
    confidence = probabilities.gather(1, labels.cpu().long()[:, None])[:, 0]  # (N,)
    kept = confidence >= threshold
    kept_device = kept.to(images.device)
    return FilterResult(
        images=images[kept_device],
        labels=labels[kept_device.to(labels.device)],
        kept=kept,
        confidence=confidence,
        rejection_rate=1.0 - float(kept.float().mean()),
    )


class FilteredAugmenter(GenerativeAugmenter):
    """Wrap an augmenter with :func:`confidence_filter`, drawing more until ``n`` samples pass.

    Args:
        augmenter: any :class:`GenerativeAugmenter`.
        classifier: see :func:`class_probabilities`.
        threshold: minimum probability of the own label (default 0.9).
        max_rounds: how many batches of ``n`` to draw at most before giving up.

    Attributes:
        last_rejection_rate: rejection rate over all samples drawn in the last call.
    """

    def __init__(
        self,
        augmenter: GenerativeAugmenter,
        classifier: Any,
        *,
        threshold: float = 0.9,
        max_rounds: int = 10,
    ) -> None:
        if not isinstance(augmenter, GenerativeAugmenter):
            raise TypeError(
                f"augmenter must be a GenerativeAugmenter, got {type(augmenter).__name__}"
            )
        check_probability("threshold", threshold)
        check_int("max_rounds", max_rounds, min=1)
        self.augmenter = augmenter
        self.classifier = classifier
        self.threshold = threshold
        self.max_rounds = max_rounds
        self.last_rejection_rate = float("nan")

    def generate(
        self,
        images: Tensor,
        labels: Tensor,
        n: int,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Draw batches of ``n`` from the wrapped augmenter and keep the confident ones."""
        kept_images, kept_labels, drawn, kept_count = [], [], 0, 0
        for _ in range(self.max_rounds):
            batch_images, batch_labels = self.augmenter(images, labels, n, generator=generator)
            result = confidence_filter(
                batch_images, batch_labels, self.classifier, threshold=self.threshold
            )
            drawn += n
            kept_count += len(result.labels)
            kept_images.append(result.images)
            kept_labels.append(result.labels)
            if kept_count >= n:
                break
        self.last_rejection_rate = 1.0 - kept_count / drawn
        if kept_count < n:
            raise RuntimeError(
                f"only {kept_count} of {drawn} samples passed the confidence filter "
                f"(threshold {self.threshold}); lower the threshold or raise max_rounds"
            )
        return torch.cat(kept_images)[:n], torch.cat(kept_labels)[:n]
