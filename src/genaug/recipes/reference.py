"""The reference digits classifier: the course's yardstick for FD, KID and label agreement.

Trained once on the digits training split (the same at every profile) and cached;
:class:`genaug.metrics.reference.ReferenceClassifier` wraps it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from genaug._checks import check_float, check_int, check_seed
from genaug.augment.classical import random_shift
from genaug.cache import data_hash, load_or_train
from genaug.data import digits
from genaug.metrics.reference import ReferenceClassifier
from genaug.nn import ClassifierConfig, ConvClassifier
from genaug.train import draw_batch, fit_adam, reinitialise


@dataclass
class ReferenceConfig:
    """How the reference digits classifier is trained (fixed across profiles)."""

    image_size: int = 16  # digits resolution, 16 or 32
    width: int = 16  # channels of the classifier's first stage
    feature_dim: int = 64  # size of the features the distances are computed on
    steps: int = 300  # optimiser steps (about 5 s on 2 CPU cores)
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate
    max_shift: int = 1  # random translation augmentation, pixels
    seed: int = 0  # initialisation and batch order

    def __post_init__(self) -> None:
        check_int("image_size", self.image_size, choices=(8, 16, 32))  # the digits sizes
        for name in ("width", "feature_dim", "steps", "batch_size"):
            check_int(name, getattr(self, name), min=1)
        check_float("lr", self.lr, min=0.0, min_open=True)
        check_int("max_shift", self.max_shift, min=0)
        check_seed("seed", self.seed)


def reference_classifier(
    config: ReferenceConfig | None = None, *, progress: bool = False
) -> ReferenceClassifier:
    """The reference digits classifier: trained on the first call, then loaded from the cache.

    Args:
        config: training settings (default :class:`ReferenceConfig`).
        progress: show a progress bar while training.

    Returns:
        A :class:`~genaug.metrics.reference.ReferenceClassifier` with its measured test accuracy.
    """
    config = config or ReferenceConfig()
    model = ConvClassifier(
        ClassifierConfig(
            image_size=config.image_size, width=config.width, feature_dim=config.feature_dim
        )
    )
    train_set = digits("train", size=config.image_size)
    test_set = digits("test", size=config.image_size)

    def train(module: ConvClassifier, checkpoint) -> dict:
        generator = torch.Generator().manual_seed(config.seed)
        reinitialise(module, config.seed)

        def loss_step(_: int) -> tuple[torch.Tensor, dict[str, float]]:
            images, labels = draw_batch(
                generator, config.batch_size, train_set.images, train_set.labels
            )
            images = random_shift(images, config.max_shift, generator)
            return F.cross_entropy(module(images), labels), {}

        history = fit_adam(
            loss_step,
            module,
            lr=config.lr,
            num_steps=config.steps,
            cosine=True,
            generator=generator,
            checkpoint=checkpoint,
            progress=progress,
            description="reference classifier",
        )
        module.eval()
        with torch.no_grad():
            accuracy = (module(test_set.images).argmax(1) == test_set.labels).float().mean()
        return {"loss": history["loss"], "test_accuracy": float(accuracy), **asdict(config)}

    key = {
        **asdict(config),
        "data": data_hash(train_set.images, train_set.labels),
        "test_data": data_hash(test_set.images, test_set.labels),  # the stored test accuracy
    }
    result = load_or_train(
        f"reference-classifier-digits{config.image_size}", key, model, train, profile="all"
    )
    return ReferenceClassifier(result.model, float(result.history["test_accuracy"]))
