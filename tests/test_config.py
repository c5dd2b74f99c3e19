"""genaug.config: profiles, devices, seeds."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from genaug import config


def test_profile_from_environment(monkeypatch):
    for name in ("smoke", "cpu", "gpu", "CPU "):
        monkeypatch.setenv("GENAUG_PROFILE", name)
        assert config.get_profile() == name.strip().lower()


def test_profile_default_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("GENAUG_PROFILE")
    expected = "gpu" if torch.cuda.is_available() else "cpu"
    assert config.get_profile() == expected


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GENAUG_PROFILE", "fast")
    with pytest.raises(ValueError, match="smoke, cpu, gpu"):
        config.get_profile()


def test_by_profile_picks_active_and_validates():
    assert config.by_profile(smoke=1, cpu=2, gpu=3) == 1
    assert config.by_profile(smoke=1, cpu=2, gpu=3, profile="gpu") == 3
    with pytest.raises(ValueError, match="profile must be one of"):
        config.by_profile(smoke=1, cpu=2, gpu=3, profile="tpu")


def test_device():
    assert config.device("cpu").type == "cpu"
    assert config.device().type == "cpu"  # smoke profile never picks CUDA
    with pytest.raises(ValueError, match="prefer"):
        config.device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            config.device("cuda")


def _draw():
    return torch.randn(3), np.random.rand(3), torch.randint(0, 100, (3,))


def test_seed_everything_repeats_numbers():
    config.seed_everything(123)
    first = _draw()
    config.seed_everything(123)
    second = _draw()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    config.seed_everything(124)
    third = _draw()
    assert not torch.equal(first[0], third[0])


def test_seed_everything_returns_seeded_generator():
    g1 = config.seed_everything(7)
    g2 = torch.Generator().manual_seed(7)
    assert torch.equal(torch.rand(4, generator=g1), torch.rand(4, generator=g2))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_bad_seed(bad):
    error = TypeError if not isinstance(bad, int) or isinstance(bad, bool) else ValueError
    with pytest.raises(error):
        config.seed_everything(bad)
    with pytest.raises(error):
        config.loader_generator(bad)


class _NoisyDataset(Dataset):
    """Each item draws from numpy's global RNG, as many augmentation libraries do."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return torch.tensor([index, np.random.rand()])


def _epoch(seed, workers):
    loader = DataLoader(
        _NoisyDataset(),
        batch_size=4,
        shuffle=True,
        num_workers=workers,
        worker_init_fn=config.seed_worker,
        generator=config.loader_generator(seed),
    )
    return torch.cat(list(loader))


def test_dataloader_worker_seeding_is_reproducible():
    assert torch.equal(_epoch(0, 2), _epoch(0, 2))
    assert not torch.equal(_epoch(0, 2), _epoch(1, 2))
    values = _epoch(0, 2)[:, 1]
    assert len(set(values.tolist())) == len(values)  # workers do not repeat each other
