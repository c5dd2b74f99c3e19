"""genaug.recipes.backbone: the cached digits backbone of lesson 7.3."""

from __future__ import annotations

import pytest
import torch

from genaug.recipes.backbone import (
    BackboneConfig,
    digits_backbone_config,
    digits_with_classes,
    pretrained_digits_backbone,
)


def test_digits_with_classes_selects_and_relabels():
    data = digits_with_classes("test", [7, 5])
    assert set(data.labels.tolist()) == {0, 1}
    assert data.classes == ("7", "5")
    full = __import__("genaug.data", fromlist=["digits"]).digits("test")
    assert len(data) == int(((full.labels == 7) | (full.labels == 5)).sum())
    with pytest.raises(ValueError, match="distinct digits"):
        digits_with_classes("train", [1, 1])
    with pytest.raises(ValueError, match="distinct digits"):
        digits_with_classes("train", [10])


def test_profiles_change_only_the_steps():
    smoke, cpu = digits_backbone_config("smoke"), digits_backbone_config("cpu")
    assert smoke.steps < cpu.steps
    assert {**vars(smoke), "steps": 0} == {**vars(cpu), "steps": 0}


def test_trains_once_then_loads_from_the_cache():
    config = BackboneConfig(classes=[0, 1], steps=60, width=8, feature_dim=16)
    first = pretrained_digits_backbone(config)
    assert not first.loaded and first.path.exists()
    assert first.test_accuracy > 0.8  # 0 against 1 is easy after 60 steps
    second = pretrained_digits_backbone(config)
    assert second.loaded
    images = digits_with_classes("test", [0, 1]).images[:8]
    with torch.no_grad():
        assert torch.equal(first.model(images), second.model(images))
        assert second.model.features(images).shape == (8, 16)
    assert second.test_accuracy == pytest.approx(first.test_accuracy)


def test_bad_config_type():
    with pytest.raises(TypeError, match="BackboneConfig"):
        pretrained_digits_backbone({"steps": 3})
