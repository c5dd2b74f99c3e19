"""A small pretrained backbone for transfer learning: a digits classifier trained on 0-4.

Lesson 7.3 needs a pretrained model that is honest about where it came from and that
ships without a download: the course trains one itself, once, and caches it. The
backbone is the course's :class:`~genaug.nn.classifier.ConvClassifier` trained on the training
digits of ``classes`` (by default 0 to 4); its features then serve another task (the
digits 5 to 9 from a few labels), as an ImageNet backbone serves a new image task.

:func:`pretrained_digits_backbone` trains it on the first call and loads it from the
cache (:func:`genaug.cache.load_or_train`) afterwards; :func:`digits_with_classes`
selects and relabels the digits of a few classes for either task.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F

from genaug.augment.classical import random_shift
from genaug.cache import data_hash, load_or_train
from genaug.config import by_profile
from genaug.data import ImageSet, digits
from genaug.nn import ClassifierConfig, ConvClassifier
from genaug.train import draw_batch, fit, reinitialise


@dataclass
class BackboneConfig:
    """How the digits backbone is trained."""

    classes: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])  # digits it learns
    image_size: int = 16  # digits resolution, 16 or 32
    width: int = 16  # channels of the classifier's first stage
    feature_dim: int = 64  # size of the features a new head reads
    steps: int = 400  # optimiser steps
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate, cosine-annealed to 0
    max_shift: int = 1  # random translation augmentation, pixels
    seed: int = 0  # initialisation and batch order


def digits_backbone_config(profile: str | None = None) -> BackboneConfig:
    """The backbone's training settings for a profile (default: the active one)."""
    return BackboneConfig(steps=by_profile(smoke=100, cpu=400, gpu=1500, profile=profile))


def digits_with_classes(split: str, classes: Sequence[int], *, size: int = 16) -> ImageSet:
    """The digits of ``classes`` only, relabelled 0..len(classes)-1 in the given order.

    Args:
        split: ``"train"``, ``"test"`` or ``"all"`` (the fixed split of :func:`genaug.data.digits`).
        classes: distinct digits in 0..9, e.g. ``[5, 6, 7, 8, 9]``.
        size: image size, as for :func:`genaug.data.digits`.

    Returns:
        An :class:`~genaug.data.ImageSet` whose label ``k`` means digit ``classes[k]``.
    """
    classes = list(classes)
    if not classes or len(set(classes)) != len(classes) or not set(classes) <= set(range(10)):
        raise ValueError(f"classes must be distinct digits in 0..9, got {classes}")
    data = digits(split, size=size)
    keep = torch.isin(data.labels, torch.tensor(classes))
    relabel = torch.full((10,), -1, dtype=torch.int64)
    relabel[torch.tensor(classes)] = torch.arange(len(classes))
    return ImageSet(
        images=data.images[keep].clone(),
        labels=relabel[data.labels[keep]],
        classes=tuple(str(c) for c in classes),
        name=f"{data.name}-{''.join(map(str, classes))}",
    )


@dataclass
class TrainedBackbone:
    """What :func:`pretrained_digits_backbone` returns.

    Attributes:
        model: the trained :class:`~genaug.nn.classifier.ConvClassifier` (eval mode); ``model.features``
            gives (B, feature_dim) features, ``model.head`` its own classes' logits.
        config: its training settings.
        test_accuracy: accuracy on the test digits of its own classes.
        loaded: True if it came from the cache.
        path: the cache file (safetensors).
    """

    model: ConvClassifier
    config: BackboneConfig
    test_accuracy: float
    loaded: bool
    path: pathlib.Path | None


def pretrained_digits_backbone(
    config: BackboneConfig | None = None, *, progress: bool = False
) -> TrainedBackbone:
    """The course's pretrained backbone: trained on the first call, then loaded from the cache.

    Args:
        config: training settings (default :func:`digits_backbone_config`).
        progress: show a progress bar while training.

    Returns:
        A :class:`TrainedBackbone`.
    """
    config = config or digits_backbone_config()
    if not isinstance(config, BackboneConfig):
        raise TypeError(f"config must be a BackboneConfig, got {type(config).__name__}")
    config = replace(config, classes=list(config.classes))
    train_set = digits_with_classes("train", config.classes, size=config.image_size)
    test_set = digits_with_classes("test", config.classes, size=config.image_size)
    model = ConvClassifier(
        ClassifierConfig(
            image_size=config.image_size,
            num_classes=len(config.classes),
            width=config.width,
            feature_dim=config.feature_dim,
        )
    )

    def train(module: ConvClassifier, checkpoint) -> dict:
        generator = torch.Generator().manual_seed(config.seed)
        reinitialise(module, config.seed)
        optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.steps)

        def step(_: int) -> dict[str, float]:
            images, labels = draw_batch(
                generator, config.batch_size, train_set.images, train_set.labels
            )
            images = random_shift(images, config.max_shift, generator)
            loss = F.cross_entropy(module(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            return {"loss": loss.item()}

        history = fit(
            step,
            num_steps=config.steps,
            modules={"backbone": module},
            optimizers={"adam": optimizer},
            schedulers={"cosine": schedule},
            generator=generator,
            checkpoint=checkpoint,
            progress=progress,
            description="digits backbone",
        )
        module.eval()
        with torch.no_grad():
            accuracy = (module(test_set.images).argmax(1) == test_set.labels).float().mean()
        return {"loss": history["loss"], "test_accuracy": float(accuracy)}

    key = {
        **asdict(config),
        "data": data_hash(train_set.images, train_set.labels),
        "test_data": data_hash(test_set.images, test_set.labels),  # the stored test accuracy
    }
    result = load_or_train(f"digits-backbone{config.image_size}", key, model, train)
    result.model.eval()
    return TrainedBackbone(
        model=result.model,
        config=config,
        test_accuracy=float(result.history["test_accuracy"]),
        loaded=result.loaded,
        path=result.path,
    )
