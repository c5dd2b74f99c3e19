"""genaug.diffusion.ddpm: the step against diffusers, sampling against a Gaussian oracle, the loss."""

import pytest
import torch
from diffusers import DDPMScheduler
from helpers import DIFFUSERS_NAME, digits_subsets, gaussian_oracle

from genaug.diffusion import DDPMSampler, NoiseSchedule, ddpm_loss, drop_labels
from genaug.nn import UNet, UNetConfig


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("variance", ["small", "large"])
@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("num_steps", [None, 25])
def test_step_matches_diffusers(name, variance, clip, num_steps):
    schedule = NoiseSchedule(1000, schedule=name)
    ours = DDPMSampler(schedule, variance=variance, clip_sample=clip)
    theirs = DDPMScheduler(
        beta_schedule=DIFFUSERS_NAME[name], variance_type=f"fixed_{variance}", clip_sample=clip
    )
    timesteps = ours.timesteps(num_steps)
    if num_steps is not None:
        theirs.set_timesteps(num_steps)
        assert theirs.timesteps.tolist() == timesteps
    data = torch.Generator().manual_seed(0)
    sample = 1.5 * torch.randn(3, 1, 8, 8, generator=data)
    model_output = torch.randn(3, 1, 8, 8, generator=data)
    for index in [0, 1, len(timesteps) // 2, len(timesteps) - 2, len(timesteps) - 1]:
        t = timesteps[index]
        prev = timesteps[index + 1] if index + 1 < len(timesteps) else -1
        expected = theirs.step(model_output, t, sample, generator=torch.Generator().manual_seed(5))
        noise = torch.randn(sample.shape, generator=torch.Generator().manual_seed(5))
        got = ours.step(model_output, t, sample, noise=noise, prev_timestep=prev)
        torch.testing.assert_close(got.prev_sample, expected.prev_sample, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(
            got.pred_original_sample, expected.pred_original_sample, rtol=1e-5, atol=1e-5
        )


def test_full_loop_matches_diffusers_for_one_sample():
    """With one sample, our per-sample noise and diffusers' batch noise are the same numbers."""
    schedule = NoiseSchedule(100, schedule="cosine")
    model_fn = gaussian_oracle(schedule, 0.2, 0.5)
    ours = DDPMSampler(schedule).sample(model_fn, seeds=[4], shape=(1, 4, 4))
    scheduler = DDPMScheduler(num_train_timesteps=100, beta_schedule="squaredcos_cap_v2")
    scheduler.set_timesteps(100)
    generator = torch.Generator().manual_seed(4)
    sample = torch.randn((1, 1, 4, 4), generator=generator)
    for t in scheduler.timesteps:
        eps = model_fn(sample, t.expand(1))
        sample = scheduler.step(eps, t, sample, generator=generator).prev_sample
    torch.testing.assert_close(ours, sample, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_sampler_draws_the_data_distribution(name):
    """Ancestral sampling with the exact eps of Gaussian data returns that Gaussian."""
    schedule = NoiseSchedule(200, schedule=name)
    mean, std = 0.3, 0.4
    sampler = DDPMSampler(schedule, clip_sample=False)
    samples = sampler.sample(
        gaussian_oracle(schedule, mean, std), seeds=range(500), shape=(1, 4, 4)
    )  # 8,000 pixel values
    assert samples.mean().item() == pytest.approx(mean, abs=0.02)
    assert samples.std().item() == pytest.approx(std, rel=0.05)


def test_samples_are_reproducible_per_image_whatever_the_batch():
    torch.manual_seed(0)
    model = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=0)).eval()
    for parameter in model.parameters():  # make the zero-initialised output layer do something
        parameter.data.normal_(0, 0.05)
    sampler = DDPMSampler(NoiseSchedule(20))
    batch = sampler.sample(model, seeds=[11, 12, 13], shape=(1, 16, 16))
    alone = sampler.sample(model, seeds=[12], shape=(1, 16, 16))
    reordered = sampler.sample(model, seeds=[13, 12], shape=(1, 16, 16))
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(reordered[1:2], alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(batch[0], batch[1])


def test_loss_is_the_noise_prediction_error():
    schedule = NoiseSchedule(50)
    images = torch.rand(256, 1, 4, 4) * 2 - 1

    class Zero(torch.nn.Module):
        def forward(self, x, t):
            return torch.zeros_like(x)

    # predicting 0 leaves E||eps||^2 / D = 1
    loss = ddpm_loss(Zero(), images, schedule, generator=torch.Generator().manual_seed(0))
    assert loss.item() == pytest.approx(1.0, abs=0.05)
    # the same generator gives the same loss
    again = ddpm_loss(Zero(), images, schedule, generator=torch.Generator().manual_seed(0))
    assert again.item() == loss.item()


def test_loss_goes_down_on_a_tiny_unet():
    torch.manual_seed(0)
    schedule = NoiseSchedule(100)
    images = -torch.ones(32, 1, 8, 8)
    images[:, :, 2:6, 2:6] = 1.0  # a square: easy to learn
    model = UNet(UNetConfig(image_size=8, base_channels=8, channel_mults=(1, 2), num_classes=3))
    labels = torch.arange(32) % 3
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        loss = ddpm_loss(
            model, images, schedule, generator=generator, labels=labels, label_dropout=0.2
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10


def test_drop_labels():
    labels = torch.arange(1000) % 10
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(
        drop_labels(labels, probability=0.0, null_label=10, generator=generator), labels
    )
    assert (drop_labels(labels, probability=1.0, null_label=10, generator=generator) == 10).all()
    dropped = drop_labels(labels, probability=0.3, null_label=10, generator=generator)
    assert 0.25 < (dropped == 10).float().mean().item() < 0.35
    assert torch.equal(dropped[dropped != 10], labels[dropped != 10])


def test_bad_inputs():
    schedule = NoiseSchedule(100)
    sampler = DDPMSampler(schedule)
    x = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match="noise is required"):
        sampler.step(x, 50, x)
    with pytest.raises(ValueError, match=r"timesteps must lie in \[0, 100\)"):
        sampler.step(x, 100, x, noise=x)
    with pytest.raises(ValueError, match="prev_timestep must be in"):
        sampler.step(x, 50, x, noise=x, prev_timestep=50)
    with pytest.raises(ValueError, match="model_output must have the shape"):
        sampler.step(torch.zeros(2, 1, 4, 5), 50, x, noise=x)
    with pytest.raises(ValueError, match="noise must have the shape"):
        sampler.step(x, 50, x, noise=torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"num_steps must be in \[1, 100\]"):
        sampler.timesteps(101)
    with pytest.raises(ValueError, match="variance must be"):
        DDPMSampler(schedule, variance="learned")
    with pytest.raises(TypeError, match="NoiseSchedule"):
        DDPMSampler("linear")
    with pytest.raises(ValueError, match="label_dropout needs labels"):
        ddpm_loss(torch.nn.Identity(), x, schedule, generator=torch.Generator(), label_dropout=0.1)


def test_pretrained_digits_ddpm_is_cached_and_shared():
    from genaug.recipes import DigitsDDPMConfig, pretrained_digits_ddpm

    recipe = DigitsDDPMConfig(base_channels=8, channel_mults=(1, 2), steps=3, batch_size=8)
    first = pretrained_digits_ddpm(recipe)
    second = pretrained_digits_ddpm(recipe)
    assert not first.loaded and second.loaded
    assert len(first.history["loss"]) == 3 and second.history["loss"] == first.history["loss"]
    for a, b in zip(
        first.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    assert second.schedule.schedule == recipe.schedule and not second.model.training
    # another training set of the same size and label sum gets its own file
    images, labels = digits_subsets()
    own = pretrained_digits_ddpm(recipe, train_images=images[0], train_labels=labels[0])
    other = pretrained_digits_ddpm(recipe, train_images=images[1], train_labels=labels[1])
    assert not own.loaded and not other.loaded
    with pytest.raises(ValueError, match="one label per training image"):
        pretrained_digits_ddpm(recipe, train_images=torch.zeros(4, 1, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        pretrained_digits_ddpm(
            recipe, train_images=torch.zeros(4, 1, 8, 8), train_labels=torch.zeros(4).long()
        )
