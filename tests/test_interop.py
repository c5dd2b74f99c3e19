"""genaug.interop: torchvision v2 adapter, the augmented dataset, diffusers schedules both ways."""

from __future__ import annotations

import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from helpers import DIFFUSERS_NAME, gaussian_oracle
from torch.utils.data import DataLoader
from torchvision import tv_tensors
from torchvision.transforms import v2

from genaug.augment import ConditionalAugmenter, RandomShift
from genaug.diffusion import DDIMSampler, NoiseSchedule
from genaug.interop import (
    AugmentedDataset,
    FromTorchvision,
    TorchvisionAdapter,
    from_diffusers,
    to_diffusers,
)


def test_torchvision_adapter_keeps_per_sample_parameters_inside_compose():
    images = torch.zeros(32, 1, 9, 9)
    images[:, :, 4, 4] = 1.0
    pipeline = v2.Compose(
        [TorchvisionAdapter(RandomShift(2), generator=torch.Generator().manual_seed(0))]
    )
    assert isinstance(pipeline.transforms[0], v2.Transform)
    out = pipeline(images)
    positions = set(out.flatten(1).argmax(1).tolist())
    assert len(positions) > 5  # torchvision's own RandomAffine would move all 32 alike
    direct = RandomShift(2)(images, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, direct)
    single = TorchvisionAdapter(RandomShift(1))(tv_tensors.Image(torch.rand(1, 8, 8)))
    assert isinstance(single, tv_tensors.Image) and single.shape == (1, 8, 8)
    label = torch.tensor(3)
    image, same_label = TorchvisionAdapter(RandomShift(1))(torch.rand(1, 8, 8), label)
    assert same_label is label and image.shape == (1, 8, 8)
    with pytest.raises(TypeError):
        TorchvisionAdapter(v2.RandomHorizontalFlip())


class CountingAugmenter(ConditionalAugmenter):
    """Images filled with a random value; the label is kept, so checks can see the source."""

    calls = 0

    def sample(self, labels, *, generator=None):
        CountingAugmenter.calls += 1
        values = torch.rand(len(labels), generator=generator)
        return values.view(-1, 1, 1, 1).expand(-1, 1, 4, 4).clone()


def test_augmented_dataset_is_reproducible_per_index_and_per_worker():
    images, labels = torch.rand(20, 1, 4, 4), torch.arange(20) % 4
    data = AugmentedDataset(images, labels, CountingAugmenter(), ratio=1.5, seed=3, chunk_size=8)
    assert len(data) == 50 and not data.is_synthetic(19) and data.is_synthetic(20)
    assert torch.equal(data[5][0], images[5])
    forward = torch.stack([data[i][0] for i in range(len(data))])
    again = AugmentedDataset(images, labels, CountingAugmenter(), ratio=1.5, seed=3, chunk_size=8)
    backward = torch.stack([again[i][0] for i in reversed(range(len(again)))]).flip(0)
    assert torch.equal(forward, backward)  # order of access does not matter
    loader = DataLoader(again, batch_size=7, shuffle=False, num_workers=2)
    assert torch.equal(torch.cat([batch for batch, _ in loader]), forward)  # nor workers
    other = AugmentedDataset(images, labels, CountingAugmenter(), ratio=1.5, seed=4, chunk_size=8)
    assert not torch.equal(other[30][0], data[30][0])
    assert set(data[30][1].view(-1).tolist()) <= {0, 1, 2, 3}
    with pytest.raises(IndexError):
        data[50]
    with pytest.raises(ValueError):
        AugmentedDataset(images, labels, CountingAugmenter(), ratio=-1)
    with pytest.raises(TypeError):
        AugmentedDataset(images, labels, lambda *a: a, ratio=1)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_schedules_round_trip_through_diffusers(name):
    ours = NoiseSchedule(200, schedule=name)
    theirs = to_diffusers(ours, "ddpm")
    assert isinstance(theirs, DDPMScheduler)
    torch.testing.assert_close(theirs.alphas_cumprod, ours.alphas_cumprod, rtol=1e-6, atol=1e-8)
    back = from_diffusers(theirs)
    assert back.schedule == name and torch.equal(back.betas, ours.betas)
    native = DDPMScheduler(num_train_timesteps=50, beta_schedule=DIFFUSERS_NAME[name])
    torch.testing.assert_close(from_diffusers(native.config).betas, native.betas)


def test_diffusers_scheduler_samples_what_genaug_samples():
    schedule = NoiseSchedule(1000, schedule="cosine")
    model_fn = gaussian_oracle(schedule, 0.1, 0.4)
    ours = DDIMSampler(schedule).sample(model_fn, num_steps=20, seeds=[5], shape=(1, 4, 4))
    scheduler = to_diffusers(schedule, "ddim")
    assert isinstance(scheduler, DDIMScheduler)
    scheduler.set_timesteps(20)
    sample = torch.randn((1, 1, 4, 4), generator=torch.Generator().manual_seed(5))
    for t in scheduler.timesteps:
        sample = scheduler.step(model_fn(sample, t.expand(1)), t, sample, eta=0.0).prev_sample
    torch.testing.assert_close(ours, sample, rtol=1e-5, atol=1e-5)


def test_from_diffusers_refuses_what_genaug_cannot_represent():
    with pytest.raises(ValueError, match="scaled_linear"):
        from_diffusers(DDPMScheduler(beta_schedule="scaled_linear"))
    with pytest.raises(ValueError, match="epsilon"):
        from_diffusers(DDPMScheduler(prediction_type="v_prediction"))
    with pytest.raises(TypeError):
        from_diffusers(42)


def test_from_torchvision_draws_per_sample_and_leaves_the_global_generator_alone():
    images = torch.rand(16, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    erase = FromTorchvision(v2.RandomErasing(p=1.0, value=0.0))
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    out = erase(images, generator=torch.Generator().manual_seed(1))
    assert torch.equal(before, torch.random.get_rng_state())
    erased = (out == 0) & (images != 0)
    boxes = {tuple(m.nonzero().min(0).values.tolist()) for m in erased[:, 0]}
    assert len(boxes) > 8  # each image got its own box
    again = erase(images, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    auto = FromTorchvision(v2.RandAugment(), uint8=True)(images, generator=torch.Generator())
    assert auto.shape == images.shape and auto.dtype == images.dtype
    assert 0 <= auto.min() and auto.max() <= 1
    with pytest.raises(TypeError):
        FromTorchvision("flip")
