"""Image classification as the downstream task: the harness every "does augmentation help?"
experiment of the course runs on (lesson 6.1.1, the scoreboard, lessons 3.1 to 3.3).

It implements the protocol of DESIGN.md ("Experiments") once:

* **equal real exposure**: every arm draws the same real batches (their own
  generator, seeded by the arm's seed) for the same number of steps from the same
  initialisation; synthetic images are added *on top* of each real batch;
* **the same-total-batch control** (``same_total=True``): the extra slots are filled
  with more real images instead, so a gain over it is not just a bigger batch;
* **model-free baselines** on the same footing: a :class:`~genaug.augment.transform.Transform`
  applied to the real batch, or mixup / CutMix applied to the whole batch;
* **paired seeds**: :func:`labelled_split` redraws the labelled subset per seed, and
  the caller redraws the generator and the synthetic set with it.

The classifier is the course's small :class:`~genaug.nn.classifier.ConvClassifier`, which trains
in a few seconds on 2 CPU cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from genaug._checks import check_images, check_int, check_labels, check_seed
from genaug.augment.mixing import cutmix, mixup
from genaug.augment.transform import Transform
from genaug.data.imageset import ImageSet
from genaug.nn import ClassifierConfig, ConvClassifier, eval_mode
from genaug.train.scaffold import draw_batch, reinitialise

Mixing = Literal["mixup", "cutmix"]


@dataclass
class ClassifierRecipe:
    """How the downstream classifier is trained (every arm of an experiment shares it)."""

    steps: int = 300  # optimiser steps
    batch_real: int = 32  # real images per step, equal in every arm
    batch_extra: int = 32  # synthetic images added per step (or real ones in the control)
    lr: float = 2e-3  # Adam learning rate
    width: int = 16  # ConvClassifier width
    feature_dim: int = 64  # ConvClassifier feature size
    dropout: float = 0.2  # dropout before the last layer
    mixing_alpha: float = 1.0  # Beta(alpha, alpha) of mixup / CutMix

    def __post_init__(self) -> None:
        for name in ("steps", "batch_real", "width", "feature_dim"):
            check_int(name, getattr(self, name), min=1)
        check_int("batch_extra", self.batch_extra, min=0)


@dataclass
class Evaluation:
    """A classifier's score on a labelled test set.

    Attributes:
        accuracy: share of correct predictions, in [0, 1].
        per_class: (K,) accuracy of each class (NaN for a class absent from the test set).
    """

    accuracy: float
    per_class: Tensor


def labelled_split(
    data: ImageSet, counts: int | Sequence[int], *, seed: int
) -> tuple[ImageSet, ImageSet]:
    """Split a labelled set into a small labelled subset and the rest (the unlabelled pool).

    Args:
        data: the full training set.
        counts: labels per class, one int for every class or one per class (a
            long-tailed set: e.g. 2 for a few classes, 25 for the others).
        seed: seed of the draw; each seed draws another subset.

    Returns:
        ``(labelled, pool)``: the subset (in the original order) and every other image
        (its labels kept for pseudo-labelling controls and analysis; a method in the
        open regime must not read them).
    """
    if not isinstance(data, ImageSet):
        raise TypeError(f"data must be an ImageSet, got {type(data).__name__}")
    check_seed("seed", seed)
    num_classes = int(data.labels.max()) + 1
    if isinstance(counts, int) and not isinstance(counts, bool):
        counts = [counts] * num_classes
    counts = list(counts)
    if len(counts) != num_classes:
        raise ValueError(f"counts needs one entry per class ({num_classes}), got {len(counts)}")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label, count in enumerate(counts):
        check_int(f"counts[{label}]", count, min=1)
        members = torch.nonzero(data.labels == label).flatten()  # (n_c,)
        if count > len(members):
            raise ValueError(f"class {label} has {len(members)} images, {count} requested")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:count]])
    mask = torch.zeros(len(data), dtype=torch.bool)
    mask[torch.cat(chosen)] = True
    return data.select(torch.nonzero(mask).flatten()), data.select(torch.nonzero(~mask).flatten())


def _soft(labels: Tensor, num_classes: int) -> Tensor:
    """(B,) hard labels or (B, K) label weights -> (B, K) float label weights."""
    if labels.ndim == 1:
        return F.one_hot(labels.long(), num_classes).float()
    return labels.float()


def train_classifier(
    images: Tensor,
    labels: Tensor,
    *,
    seed: int,
    recipe: ClassifierRecipe | None = None,
    synthetic: tuple[Tensor, Tensor] | None = None,
    same_total: bool = False,
    transform: Transform | None = None,
    mixing: Mixing | None = None,
    num_classes: int = 10,
    device: torch.device | str = "cpu",
) -> ConvClassifier:
    """Train the downstream classifier on real images, plus synthetic ones or a control.

    Each step draws ``recipe.batch_real`` real images from a generator seeded with
    ``seed`` (the same draws in every arm), then, with ``synthetic``, adds
    ``recipe.batch_extra`` synthetic images; with ``same_total``, that many more real
    images instead. ``transform`` augments the real images of each batch; ``mixing``
    mixes the whole batch (and its labels). Randomness other than the real draws
    comes from a second generator, so adding an arm never shifts the real batches.

    Args:
        images: (N, C, H, W) real training images in [0, 1].
        labels: (N,) int64 labels.
        seed: initialisation and batch seed, shared by the arms of one comparison.
        recipe: the training sizes (default :class:`ClassifierRecipe`).
        synthetic: ``(images, labels)`` added on top: (M, C, H, W) in [0, 1] and (M,)
            labels or (M, K) label weights (soft pseudo-labels).
        same_total: the control: fill the extra slots with real images.
        transform: a model-free augmentation applied to the real images of each batch.
        mixing: ``"mixup"`` or ``"cutmix"`` on each whole batch.
        num_classes: K.
        device: where to train.

    Returns:
        The trained :class:`~genaug.nn.classifier.ConvClassifier`, in eval mode.
    """
    recipe = recipe or ClassifierRecipe()
    check_images("images", images)
    check_labels("labels", labels, num=len(images), num_classes=num_classes)
    check_seed("seed", seed)
    if synthetic is not None and same_total:
        raise ValueError("give synthetic images or the same_total control, not both")
    if synthetic is not None:
        extra_images, extra_labels = synthetic
        check_images("synthetic images", extra_images, channels=images.shape[1])
        if len(extra_labels) != len(extra_images):
            raise ValueError("synthetic needs one label (or label-weight row) per image")
        if extra_labels.ndim == 1:
            check_labels("synthetic labels", extra_labels, num_classes=num_classes)
        extra_labels = _soft(extra_labels, num_classes).to(device)
        extra_images = extra_images.to(device)
    if mixing not in (None, "mixup", "cutmix"):
        raise ValueError(f"mixing must be None, 'mixup' or 'cutmix', got {mixing!r}")
    device = torch.device(device)
    images, targets = images.to(device), _soft(labels, num_classes).to(device)
    model = ConvClassifier(
        ClassifierConfig(
            in_channels=images.shape[1],
            image_size=images.shape[-1],
            num_classes=num_classes,
            width=recipe.width,
            feature_dim=recipe.feature_dim,
            dropout=recipe.dropout,
        )
    ).to(device)
    reinitialise(model, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    real_rng = torch.Generator().manual_seed(seed)
    other_rng = torch.Generator().manual_seed(seed + 1_000_003)
    model.train()
    for _ in range(recipe.steps):
        batch, batch_targets = draw_batch(real_rng, recipe.batch_real, images, targets)
        if transform is not None:
            batch = transform(batch, generator=other_rng)
        if synthetic is not None and recipe.batch_extra:
            more, more_targets = draw_batch(
                other_rng, recipe.batch_extra, extra_images, extra_labels
            )
            batch, batch_targets = (
                torch.cat([batch, more]),
                torch.cat([batch_targets, more_targets]),
            )
        elif same_total and recipe.batch_extra:
            more, more_targets = draw_batch(other_rng, recipe.batch_extra, images, targets)
            if transform is not None:
                more = transform(more, generator=other_rng)
            batch, batch_targets = (
                torch.cat([batch, more]),
                torch.cat([batch_targets, more_targets]),
            )
        if mixing is not None:
            batch, batch_targets = _mix(
                batch, batch_targets, mixing, recipe.mixing_alpha, other_rng
            )
        loss = F.cross_entropy(model(batch), batch_targets)  # soft targets: sum_k -y_k log p_k
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


def _mix(
    batch: Tensor, targets: Tensor, mixing: Mixing, alpha: float, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Mix a batch with soft targets: mix hard pseudo-labels through their argmax-free weights."""
    # the mixing functions take hard labels; mix the one-hot rows by the same weights instead
    index = torch.arange(len(batch), device=batch.device)
    fn = mixup if mixing == "mixup" else cutmix
    mixed, weights = fn(batch, index, num_classes=len(batch), alpha=alpha, generator=generator)
    # weights (B, B): row i puts lam on i and 1 - lam on its partner
    return mixed, weights.to(targets.dtype) @ targets


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, images: Tensor, labels: Tensor, *, batch_size: int = 512
) -> Evaluation:
    """Accuracy and per-class accuracy of a classifier on a labelled test set.

    Args:
        model: a classifier returning (B, K) logits.
        images: (N, C, H, W) test images.
        labels: (N,) int64 labels.
        batch_size: images per forward pass.

    Returns:
        An :class:`Evaluation`.
    """
    check_labels("labels", labels, num=len(images))
    device = next(model.parameters()).device
    with eval_mode(model):
        logits = torch.cat([model(chunk.to(device)).cpu() for chunk in images.split(batch_size)])
    correct = (logits.argmax(1) == labels).float()  # (N,)
    num_classes = logits.shape[1]
    per_class = torch.full((num_classes,), float("nan"))
    for label in range(num_classes):
        members = labels == label
        if members.any():
            per_class[label] = correct[members].mean()
    return Evaluation(accuracy=float(correct.mean()), per_class=per_class)
