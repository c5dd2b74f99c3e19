"""genaug.tasks.classification and genaug.metrics.downstream: the protocol's harness and its
statistics."""

from __future__ import annotations

import math

import pytest
import torch

from genaug.augment import RandomShift
from genaug.data import digits
from genaug.metrics.downstream import (
    classification_accuracy_score,
    equivalent_labels,
    paired_gain,
)
from genaug.tasks.classification import (
    ClassifierRecipe,
    evaluate,
    labelled_split,
    train_classifier,
)

FAST = ClassifierRecipe(steps=30, batch_real=16, batch_extra=16, width=8, feature_dim=16)


@pytest.fixture(scope="module")
def data():
    return digits("train"), digits("test")


def test_labelled_split_draws_counts_per_class_and_keeps_the_rest(data):
    train, _ = data
    labelled, pool = labelled_split(train, 3, seed=0)
    assert torch.bincount(labelled.labels, minlength=10).tolist() == [3] * 10
    assert len(labelled) + len(pool) == len(train)
    other, _ = labelled_split(train, 3, seed=1)
    assert not torch.equal(labelled.images, other.images)  # each seed redraws the subset
    again, _ = labelled_split(train, 3, seed=0)
    assert torch.equal(labelled.images, again.images)
    tail, _ = labelled_split(train, [2, 2, 2] + [5] * 7, seed=0)  # long-tailed
    assert torch.bincount(tail.labels, minlength=10).tolist() == [2, 2, 2] + [5] * 7
    # disjoint: no labelled image is also in the pool
    flat = lambda s: {tuple(x.flatten().tolist()) for x in s.images}  # noqa: E731
    assert not flat(labelled) & flat(pool)


def test_labelled_split_bad_inputs(data):
    train, _ = data
    with pytest.raises(ValueError, match="one entry per class"):
        labelled_split(train, [1, 2], seed=0)
    with pytest.raises(ValueError, match="class 0"):
        labelled_split(train, 10_000, seed=0)
    with pytest.raises(TypeError):
        labelled_split(train.images, 3, seed=0)


def _real_batches(monkeypatch, **kwargs):
    """Record the real batches a training run draws (the first draw of each step)."""
    from genaug.tasks import classification

    seen = []
    original = classification.draw_batch

    def spy(generator, batch_size, *tensors):
        out = original(generator, batch_size, *tensors)
        seen.append(out[0].clone())
        return out

    monkeypatch.setattr(classification, "draw_batch", spy)
    return seen


def test_every_arm_sees_the_same_real_batches(data, monkeypatch):
    train, _ = data
    labelled, _ = labelled_split(train, 5, seed=0)
    runs = {}
    synthetic = (torch.rand(40, 1, 16, 16), torch.randint(0, 10, (40,)))
    for arm, kwargs in {
        "none": {},
        "synthetic": {"synthetic": synthetic},
        "control": {"same_total": True},
        "shift": {"transform": RandomShift(1)},
        "mixup": {"mixing": "mixup"},
    }.items():
        seen = _real_batches(monkeypatch)
        train_classifier(labelled.images, labelled.labels, seed=3, recipe=FAST, **kwargs)
        runs[arm] = seen[:: (2 if arm in ("synthetic", "control") else 1)]
        monkeypatch.undo()
    for arm in runs:
        assert len(runs[arm]) == FAST.steps
        assert all(torch.equal(a, b) for a, b in zip(runs["none"], runs[arm], strict=True)), arm


def test_training_is_deterministic_and_learns(data):
    train, test = data
    labelled, _ = labelled_split(train, 10, seed=0)
    recipe = ClassifierRecipe(steps=150, width=8, feature_dim=32)
    first = train_classifier(labelled.images, labelled.labels, seed=0, recipe=recipe)
    second = train_classifier(labelled.images, labelled.labels, seed=0, recipe=recipe)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    score = evaluate(first, test.images, test.labels)
    assert score.accuracy > 0.5  # 100 labelled digits: far above chance (0.1)
    assert score.per_class.shape == (10,) and torch.isfinite(score.per_class).all()
    assert abs(score.per_class.mean() - score.accuracy) < 0.1


def test_soft_synthetic_labels_reach_the_loss(data):
    train, _ = data
    labelled, _ = labelled_split(train, 5, seed=0)
    extra = labelled.images[:20]
    hard = train_classifier(labelled.images, labelled.labels, seed=0, recipe=FAST,
                            synthetic=(extra, labelled.labels[:20]))  # fmt: skip
    one_hot = torch.nn.functional.one_hot(labelled.labels[:20], 10).float()
    same = train_classifier(labelled.images, labelled.labels, seed=0, recipe=FAST,
                            synthetic=(extra, one_hot))  # fmt: skip
    uniform = train_classifier(labelled.images, labelled.labels, seed=0, recipe=FAST,
                               synthetic=(extra, torch.full((20, 10), 0.1)))  # fmt: skip
    weights = lambda m: torch.cat([p.flatten() for p in m.parameters()])  # noqa: E731
    assert torch.allclose(weights(hard), weights(same))  # one-hot rows are the hard labels
    assert not torch.allclose(weights(hard), weights(uniform))


def test_batch_mixing_mixes_soft_targets_with_the_images_weights():
    from genaug.tasks.classification import _mix

    batch = torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    targets = torch.nn.functional.one_hot(torch.arange(8) % 4, 4).float()
    targets[0] = torch.tensor([0.5, 0.5, 0.0, 0.0])  # a soft row mixes too
    mixed, mixed_targets = _mix(batch, targets, "mixup", 1.0, torch.Generator().manual_seed(1))
    assert torch.allclose(mixed_targets.sum(1), torch.ones(8))
    # each mixed image is a * x_i + (1 - a) * x_j; recover a and j and check the targets agree
    for i in range(8):
        residual = [(j, torch.linalg.lstsq(torch.stack([batch[i].flatten() - batch[j].flatten()], 1),
                     (mixed[i] - batch[j]).flatten()[:, None]).solution.item()) for j in range(8)]  # fmt: skip
        errors = [
            ((a * batch[i] + (1 - a) * batch[j] - mixed[i]).abs().max().item(), j, a)
            for j, a in residual
        ]
        _, j, a = min(errors)
        assert torch.allclose(mixed_targets[i], a * targets[i] + (1 - a) * targets[j], atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (
            {"same_total": True, "synthetic": (torch.rand(4, 1, 16, 16), torch.zeros(4).long())},
            ValueError,
        ),
        ({"mixing": "blend"}, ValueError),
        ({"synthetic": (torch.rand(4, 1, 16, 16), torch.zeros(3).long())}, ValueError),
        ({"synthetic": (torch.rand(4, 1, 16, 16) * 255, torch.zeros(4).long())}, ValueError),
        ({"seed": -1}, ValueError),
    ],
)
def test_train_classifier_bad_inputs(data, kwargs, error):
    train, _ = data
    kwargs = {"seed": 0, **kwargs}
    with pytest.raises(error):
        train_classifier(train.images[:20], train.labels[:20], recipe=FAST, **kwargs)


def test_paired_gain_interval_matches_a_t_interval():
    treated, baseline = [0.7, 0.72, 0.69, 0.75], [0.6, 0.65, 0.66, 0.7]
    gain = paired_gain(treated, baseline)
    differences = torch.tensor(treated, dtype=torch.float64) - torch.tensor(
        baseline, dtype=torch.float64
    )
    assert gain.mean == pytest.approx(differences.mean().item())
    half = 3.182446305284263 * differences.std().item() / 2  # t_{0.975, 3} * s / sqrt(4)
    assert gain.low == pytest.approx(gain.mean - half) and gain.high == pytest.approx(
        gain.mean + half
    )
    assert gain.seeds_won == 4 and gain.num_seeds == 4
    single = paired_gain([0.5], [0.4])
    assert math.isinf(single.low) and single.seeds_won == 1
    with pytest.raises(ValueError):
        paired_gain([0.5, 0.6], [0.5])
    with pytest.raises(ValueError):
        paired_gain([float("nan")], [0.5])


def test_equivalent_labels_reads_the_learning_curve():
    counts, curve = [1, 2, 5, 10, 25], [0.3, 0.45, 0.6, 0.75, 0.9]
    assert equivalent_labels(counts, curve, 0.6) == pytest.approx(5.0)
    assert equivalent_labels(counts, curve, 0.675) == pytest.approx(math.sqrt(50))  # log-midpoint
    assert math.isinf(equivalent_labels(counts, curve, 0.95))
    assert equivalent_labels(counts, curve, 0.3) == pytest.approx(1.0)
    assert equivalent_labels(counts, curve, 0.2) < 1.0
    with pytest.raises(ValueError):
        equivalent_labels([2, 1], [0.3, 0.4], 0.35)


def test_classification_accuracy_score_separates_good_from_useless_samples(data):
    train, test = data
    real, _ = labelled_split(train, 20, seed=0)
    recipe = ClassifierRecipe(steps=120, width=8, feature_dim=32)
    good = classification_accuracy_score(
        real.images, real.labels, test.images, test.labels, recipe=recipe
    )
    shuffled = real.labels[torch.randperm(len(real), generator=torch.Generator().manual_seed(0))]
    useless = classification_accuracy_score(
        real.images, shuffled, test.images, test.labels, recipe=recipe
    )
    assert good > 0.6 and useless < 0.35
