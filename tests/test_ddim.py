"""genaug.diffusion.ddim: the step against diffusers, determinism, inversion of an oracle."""

import pytest
import torch
from diffusers import DDIMScheduler
from helpers import DIFFUSERS_NAME, gaussian_oracle

from genaug.diffusion import DDIMSampler, NoiseSchedule
from genaug.nn import UNet, UNetConfig


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("set_alpha_to_one", [True, False])
def test_step_matches_diffusers(name, eta, clip, set_alpha_to_one):
    schedule = NoiseSchedule(1000, schedule=name)
    ours = DDIMSampler(schedule, clip_sample=clip, set_alpha_to_one=set_alpha_to_one)
    theirs = DDIMScheduler(
        beta_schedule=DIFFUSERS_NAME[name], clip_sample=clip, set_alpha_to_one=set_alpha_to_one
    )
    theirs.set_timesteps(20)
    timesteps = ours.timesteps(20)
    assert theirs.timesteps.tolist() == timesteps
    data = torch.Generator().manual_seed(0)
    sample = 1.5 * torch.randn(3, 1, 8, 8, generator=data)
    model_output = torch.randn(3, 1, 8, 8, generator=data)
    noise = torch.randn(3, 1, 8, 8, generator=data)
    for index in [0, 1, 10, 18, 19]:
        t = timesteps[index]
        prev = timesteps[index + 1] if index < 19 else -1
        expected = theirs.step(model_output, t, sample, eta=eta, variance_noise=noise)
        got = ours.step(model_output, t, sample, prev_timestep=prev, eta=eta, noise=noise)
        torch.testing.assert_close(got.prev_sample, expected.prev_sample, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(
            got.pred_original_sample, expected.pred_original_sample, rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_full_loop_matches_diffusers_for_one_sample(eta):
    schedule = NoiseSchedule(1000, schedule="linear")
    model_fn = gaussian_oracle(schedule, -0.1, 0.5)
    ours = DDIMSampler(schedule).sample(model_fn, num_steps=25, seeds=[9], shape=(1, 4, 4), eta=eta)
    scheduler = DDIMScheduler(beta_schedule="linear")
    scheduler.set_timesteps(25)
    generator = torch.Generator().manual_seed(9)
    sample = torch.randn((1, 1, 4, 4), generator=generator)
    for t in scheduler.timesteps:
        eps = model_fn(sample, t.expand(1))
        sample = scheduler.step(eps, t, sample, eta=eta, generator=generator).prev_sample
    torch.testing.assert_close(ours, sample, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eta, num_steps", [(0.0, 50), (1.0, 1000)])
def test_sampler_draws_the_data_distribution(eta, num_steps):
    """eta = 0 is accurate with few steps; eta = 1 (DDPM-like) needs the full chain."""
    schedule = NoiseSchedule(1000, schedule="cosine")
    mean, std = -0.2, 0.3
    samples = DDIMSampler(schedule, clip_sample=False).sample(
        gaussian_oracle(schedule, mean, std),
        num_steps=num_steps,
        seeds=range(500),
        shape=(1, 4, 4),
        eta=eta,
    )
    assert samples.mean().item() == pytest.approx(mean, abs=0.02)
    assert samples.std().item() == pytest.approx(std, rel=0.06)


def test_eta_zero_is_deterministic_given_x_T():
    schedule = NoiseSchedule(1000)
    model_fn = gaussian_oracle(schedule, 0.0, 0.5)
    sampler = DDIMSampler(schedule)
    start = torch.randn(4, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    a = sampler.sample(model_fn, num_steps=10, start=start)
    b = sampler.sample(model_fn, num_steps=10, start=start.clone())
    assert torch.equal(a, b)
    seeded = sampler.sample(model_fn, num_steps=10, seeds=[1, 2], shape=(1, 4, 4))
    assert torch.equal(
        seeded, sampler.sample(model_fn, num_steps=10, seeds=[1, 2], shape=(1, 4, 4))
    )
    # with eta > 0 the seeds of the noise matter
    noisy = sampler.sample(model_fn, num_steps=10, start=start, seeds=[0, 1, 2, 3], eta=1.0)
    noisier = sampler.sample(model_fn, num_steps=10, start=start, seeds=[4, 5, 6, 7], eta=1.0)
    assert not torch.allclose(noisy, noisier)


@pytest.mark.parametrize("num_steps", [10, 50])
def test_inversion_recovers_x_T_of_an_oracle(num_steps):
    schedule = NoiseSchedule(1000, schedule="cosine")
    model_fn = gaussian_oracle(schedule, 0.1, 0.4)
    sampler = DDIMSampler(schedule, clip_sample=False)
    start = torch.randn(8, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    clean = sampler.sample(model_fn, num_steps=num_steps, start=start)
    recovered = sampler.invert(model_fn, clean, num_steps=num_steps, refine=30)
    torch.testing.assert_close(recovered, start, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(
        sampler.sample(model_fn, num_steps=num_steps, start=recovered), clean
    )
    # without the fixed-point refinement the usual approximation is only close
    rough = sampler.invert(model_fn, clean, num_steps=num_steps)
    assert (rough - start).abs().max() > (recovered - start).abs().max()


def test_samples_are_reproducible_per_image_whatever_the_batch():
    torch.manual_seed(0)
    model = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2))).eval()
    for parameter in model.parameters():
        parameter.data.normal_(0, 0.05)
    sampler = DDIMSampler(NoiseSchedule(100))
    for eta in (0.0, 1.0):
        batch = sampler.sample(model, num_steps=10, seeds=[5, 6, 7], shape=(1, 16, 16), eta=eta)
        alone = sampler.sample(model, num_steps=10, seeds=[7], shape=(1, 16, 16), eta=eta)
        torch.testing.assert_close(batch[2:], alone, rtol=1e-5, atol=1e-5)


def test_bad_inputs():
    schedule = NoiseSchedule(100)
    sampler = DDIMSampler(schedule)
    x = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match="noise is required when eta > 0"):
        sampler.step(x, 50, x, prev_timestep=40, eta=0.5)
    with pytest.raises(ValueError, match="eta must be >= 0"):
        sampler.step(x, 50, x, prev_timestep=40, eta=-1.0)
    with pytest.raises(ValueError, match=r"timesteps must lie in \[0, 100\)"):
        sampler.step(x, 150, x, prev_timestep=40)
    with pytest.raises(ValueError, match="prev_timestep must be in"):
        sampler.step(x, 50, x, prev_timestep=60)
    with pytest.raises(ValueError, match="model_output must have the shape"):
        sampler.step(torch.zeros(3, 1, 4, 4), 50, x, prev_timestep=40)
    with pytest.raises(ValueError, match="pass seeds and shape"):
        sampler.sample(lambda s, t: s, num_steps=5)
    with pytest.raises(ValueError, match="one seed per sample"):
        sampler.sample(lambda s, t: s, num_steps=5, start=x, eta=1.0)
    with pytest.raises(ValueError, match="refine must be"):
        sampler.invert(lambda s, t: s, x, num_steps=5, refine=-1)
    with pytest.raises(ValueError, match=r"num_steps must be in \[1, 100\]"):
        sampler.timesteps(0)


def test_explicit_timesteps_equal_the_num_steps_run():
    schedule = NoiseSchedule(100)
    model_fn = gaussian_oracle(schedule, 0.1, 0.4)
    sampler = DDIMSampler(schedule)
    for eta in (0.0, 1.0):
        by_count = sampler.sample(model_fn, num_steps=10, seeds=[1, 2], shape=(1, 4, 4), eta=eta)
        by_list = sampler.sample(
            model_fn, timesteps=sampler.timesteps(10), seeds=[1, 2], shape=(1, 4, 4), eta=eta
        )
        assert torch.equal(by_count, by_list)


def test_explicit_timesteps_start_from_a_given_noise_level():
    schedule = NoiseSchedule(1000, schedule="cosine")
    mean, std = 0.2, 0.3
    model_fn = gaussian_oracle(schedule, mean, std)
    sampler = DDIMSampler(schedule, clip_sample=False)
    # x_t at t = 599 of data that is N(mean, std^2): DDIM from there lands on the data again
    clean = mean + std * torch.randn(2000, 1, 1, 1, generator=torch.Generator().manual_seed(0))
    noise = torch.randn(2000, 1, 1, 1, generator=torch.Generator().manual_seed(1))
    start = schedule.add_noise(clean, noise, 599)
    timesteps = [*range(599, 300, -3), *range(300, -1, -20)]  # uneven: finer at high noise
    out = sampler.sample(model_fn, timesteps=timesteps, start=start)
    assert out.mean().item() == pytest.approx(mean, abs=0.02)
    assert out.std().item() == pytest.approx(std, rel=0.05)
    # the uneven list is a round trip for the inversion too
    recovered = sampler.invert(model_fn, out, timesteps=timesteps, refine=30)
    torch.testing.assert_close(recovered, start, rtol=1e-3, atol=1e-3)


def test_generators_continue_their_streams():
    schedule = NoiseSchedule(100)
    model_fn = gaussian_oracle(schedule, 0.0, 0.5)
    sampler = DDIMSampler(schedule)
    start = torch.zeros(2, 1, 4, 4)
    with_seeds = sampler.sample(model_fn, num_steps=5, start=start, seeds=[3, 4], eta=1.0)
    fresh = [torch.Generator().manual_seed(3), torch.Generator().manual_seed(4)]
    assert torch.equal(
        with_seeds, sampler.sample(model_fn, num_steps=5, start=start, generators=fresh, eta=1.0)
    )
    used = [torch.Generator().manual_seed(3), torch.Generator().manual_seed(4)]
    torch.randn(1, generator=used[0])  # one draw further along: other noise for sample 0 only
    moved = sampler.sample(model_fn, num_steps=5, start=start, generators=used, eta=1.0)
    assert not torch.allclose(moved[0], with_seeds[0]) and torch.equal(moved[1], with_seeds[1])


@pytest.mark.parametrize(
    ("timesteps", "message"),
    [
        ([], "non-empty list of ints"),
        ([50, 20.0], "non-empty list of ints"),
        ([100, 50], r"timesteps must lie in \[0, 100\)"),
        ([50, -1], r"timesteps must lie in \[0, 100\)"),
        ([50, 50, 0], "strictly decreasing"),
        ([10, 20], "strictly decreasing"),
    ],
)
def test_bad_timesteps(timesteps, message):
    sampler = DDIMSampler(NoiseSchedule(100))
    with pytest.raises(ValueError, match=message):
        sampler.sample(lambda s, t: s, timesteps=timesteps, seeds=[0], shape=(1, 2, 2))


def test_num_steps_and_timesteps_exclude_each_other():
    sampler = DDIMSampler(NoiseSchedule(100))
    with pytest.raises(ValueError, match="exactly one of num_steps"):
        sampler.sample(lambda s, t: s, num_steps=5, timesteps=[9, 0], seeds=[0], shape=(1, 2, 2))
    with pytest.raises(ValueError, match="exactly one of num_steps"):
        sampler.sample(lambda s, t: s, seeds=[0], shape=(1, 2, 2))
    with pytest.raises(ValueError, match="seeds or generators, not both"):
        sampler.sample(
            lambda s, t: s,
            num_steps=2,
            seeds=[0],
            generators=[torch.Generator()],
            shape=(1, 2, 2),
        )
