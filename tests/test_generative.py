"""The shared interface of model-based augmenters and the label-preservation checks."""

from __future__ import annotations

import pytest
import torch

from genaug.augment import (
    ConditionalAugmenter,
    FilteredAugmenter,
    GenerativeAugmenter,
    balanced_labels,
    confidence_filter,
    label_agreement,
)


class OracleClassifier:
    """Reads the class off the image: class k lights up row k (a perfect classifier)."""

    def probabilities(self, images):
        scores = images.mean(dim=(1, 3))  # (N, H): brightness of each row
        return (scores[:, :4] * 50).softmax(dim=1)  # 4 classes, confident


def striped(labels, size=8):
    images = torch.zeros(len(labels), 1, size, size)
    images[torch.arange(len(labels)), 0, labels] = 1.0
    return images


class Stripes(ConditionalAugmenter):
    """A perfect conditional generator, optionally drawing a wrong class with probability p."""

    def __init__(self, wrong=0.0):
        self.wrong = wrong

    def sample(self, labels, *, generator=None):
        flip = torch.rand(len(labels), generator=generator) < self.wrong
        drawn = torch.where(flip, (labels + 1) % 4, labels)
        return striped(drawn)


class Copier(GenerativeAugmenter):
    """Copies random seeds (a transform-style augmenter)."""

    def generate(self, images, labels, n, *, generator=None):
        index = torch.randint(0, len(images), (n,), generator=generator)
        return images[index], labels[index]


class Broken(GenerativeAugmenter):
    def __init__(self, kind):
        self.kind = kind

    def generate(self, images, labels, n, *, generator=None):
        if self.kind == "shape":
            return images[:1].repeat(n + 1, 1, 1, 1), labels[:1].repeat(n + 1)
        return images[:1].repeat(n, 1, 1, 1) * 2 - 1, labels[:1].repeat(n)


@pytest.fixture
def real():
    labels = torch.tensor([0, 1, 2, 3] * 5)
    return striped(labels), labels


@pytest.mark.parametrize("augmenter", [Stripes(), Copier()], ids=["conditional", "copier"])
def test_output_shapes_and_labels(augmenter, real):
    images, labels = real
    new_images, new_labels = augmenter(
        images, labels, 13, generator=torch.Generator().manual_seed(0)
    )
    assert new_images.shape == (13, 1, 8, 8) and new_labels.shape == (13,)
    assert new_labels.dtype == torch.int64
    assert set(new_labels.tolist()) <= {0, 1, 2, 3}
    assert label_agreement(new_images, new_labels, OracleClassifier()) == 1.0


def test_seeded_calls_repeat(real):
    images, labels = real
    first = Stripes(wrong=0.5)(images, labels, 20, generator=torch.Generator().manual_seed(3))
    again = Stripes(wrong=0.5)(images, labels, 20, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])


def test_balanced_labels_counts():
    labels = torch.tensor([2, 2, 2, 5, 7])  # three classes, unbalanced
    drawn = balanced_labels(labels, 10, generator=torch.Generator().manual_seed(0))
    counts = torch.stack([(drawn == k).sum() for k in (2, 5, 7)])
    assert counts.sum() == 10 and counts.min() >= 3 and counts.max() <= 4
    assert set(drawn.tolist()) == {2, 5, 7}


def test_label_agreement_measures_label_noise(real):
    images, labels = real
    new_images, new_labels = Stripes(wrong=0.3)(
        images, labels, 2000, generator=torch.Generator().manual_seed(1)
    )
    agreement = label_agreement(new_images, new_labels, OracleClassifier())
    assert abs(agreement - 0.7) < 0.04  # binomial sd ~ 0.01


def test_confidence_filter_keeps_only_confident(real):
    images, labels = real
    wrong = (labels + 1) % 4
    mixed_images = torch.cat([images, images])
    mixed_labels = torch.cat([labels, wrong])  # second half mislabelled
    result = confidence_filter(mixed_images, mixed_labels, OracleClassifier(), threshold=0.9)
    assert result.rejection_rate == pytest.approx(0.5)
    assert result.kept.tolist() == [True] * 20 + [False] * 20
    assert torch.equal(result.labels, labels) and torch.equal(result.images, images)
    everything = confidence_filter(mixed_images, mixed_labels, OracleClassifier(), threshold=0.0)
    assert everything.rejection_rate == 0.0


def test_confidence_filter_accepts_a_logit_module(real):
    images, labels = real

    class Logits(torch.nn.Module):
        def forward(self, x):
            return x.mean(dim=(1, 3))[:, :4] * 50

    result = confidence_filter(images, labels, Logits(), threshold=0.5)
    assert result.rejection_rate == 0.0


def test_filtered_augmenter_removes_label_noise(real):
    images, labels = real
    classifier = OracleClassifier()
    filtered = FilteredAugmenter(Stripes(wrong=0.4), classifier, threshold=0.9)
    new_images, new_labels = filtered(
        images, labels, 50, generator=torch.Generator().manual_seed(2)
    )
    assert new_images.shape == (50, 1, 8, 8)
    assert label_agreement(new_images, new_labels, classifier) == 1.0
    assert 0.2 < filtered.last_rejection_rate < 0.6
    hopeless = FilteredAugmenter(Stripes(wrong=1.0), classifier, threshold=0.9, max_rounds=2)
    with pytest.raises(RuntimeError, match="passed the confidence filter"):
        hopeless(images, labels, 5)


@pytest.mark.parametrize(
    ("images", "labels", "n", "error"),
    [
        (torch.zeros(4, 8, 8), torch.zeros(4, dtype=torch.long), 2, ValueError),
        (torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long), 2, ValueError),
        (torch.zeros(4, 1, 8, 8), torch.zeros(4), 2, TypeError),
        (torch.full((4, 1, 8, 8), 2.0), torch.zeros(4, dtype=torch.long), 2, ValueError),
        (torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), 0, ValueError),
        (torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), 2.0, TypeError),
        ("images", torch.zeros(4, dtype=torch.long), 2, TypeError),
        (torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.long), 2, ValueError),
    ],
)
def test_bad_input_is_rejected(images, labels, n, error):
    with pytest.raises(error):
        Copier()(images, labels, n)


@pytest.mark.parametrize("kind", ["shape", "range"])
def test_bad_output_is_caught(kind, real):
    images, labels = real
    with pytest.raises(ValueError):
        Broken(kind)(images, labels, 3)


def test_filter_bad_arguments(real):
    images, labels = real
    with pytest.raises(ValueError, match="threshold"):
        confidence_filter(images, labels, OracleClassifier(), threshold=1.5)
    with pytest.raises(TypeError, match="classifier"):
        label_agreement(images, labels, classifier=3)
    with pytest.raises(ValueError, match="classes"):
        label_agreement(images, labels + 4, OracleClassifier())
    with pytest.raises(TypeError):
        FilteredAugmenter("not an augmenter", OracleClassifier())
    with pytest.raises(TypeError, match="generator"):
        Copier()(images, labels, 2, generator=0)
