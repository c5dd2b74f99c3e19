"""genaug.cache: keys, atomic writes, safe loading, recovery from corrupt files."""

import os
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from genaug import cache


@dataclass
class TinyConfig:
    hidden: int = 4
    seed: int = 0


def _train_counter(calls):
    def train(model, checkpoint):
        calls.append(checkpoint)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(len(calls))
        return {"loss": [1.0, 0.5], "calls": len(calls)}

    return train


def test_trains_once_then_loads(fresh_cache):
    calls = []
    first = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not first.loaded and len(calls) == 1
    assert first.path.parent == fresh_cache and first.path.suffix == ".safetensors"
    second = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert second.loaded and len(calls) == 1
    assert torch.equal(second.model.weight, first.model.weight)
    assert second.history == {"loss": [1.0, 0.5], "calls": 1}


def test_key_depends_on_config_and_profile(monkeypatch):
    base = cache.cache_path("tiny", TinyConfig())
    assert cache.cache_path("tiny", TinyConfig(hidden=5)) != base
    assert cache.cache_path("tiny", {"hidden": 4, "seed": 0}) == base  # dataclass == mapping
    monkeypatch.setenv("GENAUG_PROFILE", "cpu")
    assert cache.cache_path("tiny", TinyConfig()) != base
    assert cache.cache_path("tiny", TinyConfig(), profile="smoke") == base


def test_truncated_file_is_retrained_with_a_warning():
    calls = []
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    data = result.path.read_bytes()
    result.path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="unusable"):
        again = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not again.loaded and len(calls) == 2
    reloaded = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert reloaded.loaded and len(calls) == 2


def test_mismatched_architecture_is_retrained():
    calls = []
    cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    model = nn.Linear(3, 5)
    before = model.weight.clone()
    with pytest.warns(UserWarning, match="keys or shapes differ"):
        result = cache.load_or_train("tiny", TinyConfig(), model, _train_counter(calls))
    assert not result.loaded and len(calls) == 2
    assert not torch.equal(before, model.weight)  # trained, not half-loaded


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")

    def crash(tmp):
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, crash)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_weights_are_not_pickled(fresh_cache):
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter([]))
    assert result.path.read_bytes()[8:9] == b"{"  # safetensors: 8-byte length, JSON header
    with pytest.raises(ValueError, match="cannot load"):
        evil = result.path.with_name("evil.safetensors")
        torch.save({"weight": torch.zeros(4, 3)}, evil)  # a pickle, not safetensors
        cache.load_weights(nn.Linear(3, 4), evil)


@pytest.mark.parametrize("name", ["", "Has Space", "../escape", "UPPER"])
def test_bad_names(name):
    with pytest.raises(ValueError, match="cache name"):
        cache.cache_path(name, TinyConfig())


def test_bad_config_and_arguments():
    with pytest.raises(TypeError, match="dataclass instance or a mapping"):
        cache.config_hash([1, 2])
    with pytest.raises(TypeError, match="JSON serialisable"):
        cache.config_hash({"tensor": torch.zeros(1)})
    with pytest.raises(TypeError, match="nn.Module"):
        cache.load_or_train("tiny", TinyConfig(), "model", _train_counter([]))
    with pytest.raises(TypeError, match="callable"):
        cache.load_or_train("tiny", TinyConfig(), nn.Linear(1, 1), None)
    with pytest.raises(FileNotFoundError):
        cache.load_weights(nn.Linear(1, 1), cache.cache_dir() / "missing.safetensors")
