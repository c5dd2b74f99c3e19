"""genaug.diffusion.schedule: schedules against diffusers, q(x_t | x_0) against iterated noising."""

import math

import pytest
import torch
from diffusers import DDPMScheduler
from helpers import DIFFUSERS_NAME

from genaug.diffusion.schedule import NoiseSchedule, make_generators, per_sample_noise


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("num_timesteps", [1000, 50])
def test_schedule_matches_diffusers(name, num_timesteps):
    ours = NoiseSchedule(num_timesteps, schedule=name)
    theirs = DDPMScheduler(num_train_timesteps=num_timesteps, beta_schedule=DIFFUSERS_NAME[name])
    assert ours.betas.dtype == torch.float32
    torch.testing.assert_close(ours.betas, theirs.betas, rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(ours.alphas_cumprod, theirs.alphas_cumprod, rtol=1e-6, atol=1e-8)


def test_linear_schedule_endpoints_and_cosine_formula():
    linear = NoiseSchedule(1000, schedule="linear", beta_start=1e-4, beta_end=0.02)
    assert linear.betas[0].item() == pytest.approx(1e-4)
    assert linear.betas[-1].item() == pytest.approx(0.02)
    cosine = NoiseSchedule(1000, schedule="cosine")
    # bar(alpha)_t = f((t+1)/T) / f(0) with f(s) = cos^2(pi/2 (s + 0.008) / 1.008), Eq. 17
    f = [math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2 for s in (0.0, 0.5)]
    assert cosine.alphas_cumprod[499].item() == pytest.approx(f[1] / f[0], rel=1e-4)
    # the cosine schedule keeps more signal half way than the linear one
    assert cosine.alphas_cumprod[499] > linear.alphas_cumprod[499]
    assert (cosine.snr().diff() < 0).all() and (linear.snr().diff() < 0).all()


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_add_noise_matches_diffusers(name):
    ours = NoiseSchedule(1000, schedule=name)
    theirs = DDPMScheduler(beta_schedule=DIFFUSERS_NAME[name])
    generator = torch.Generator().manual_seed(0)
    original = torch.randn(6, 1, 8, 8, generator=generator)
    noise = torch.randn(6, 1, 8, 8, generator=generator)
    timesteps = torch.tensor([0, 1, 10, 500, 998, 999])
    torch.testing.assert_close(
        ours.add_noise(original, noise, timesteps),
        theirs.add_noise(original, noise, timesteps),
        rtol=1e-6,
        atol=1e-6,
    )


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_closed_form_equals_iterated_noising(name):
    """q(x_t | x_0) in one shot (Eq. 4) against t steps of x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps."""
    schedule = NoiseSchedule(200, schedule=name)
    generator = torch.Generator().manual_seed(1)
    x0 = torch.tensor([[-0.8, 0.3, 0.9]])  # (1, D): three pixel values
    samples = x0.expand(40000, 3).clone()  # (N, D)
    checkpoints = {20: None, 100: None, 199: None}
    for t in range(200):
        noise = torch.randn(samples.shape, generator=generator)
        samples = schedule.alphas[t].sqrt() * samples + schedule.betas[t].sqrt() * noise
        if t in checkpoints:
            checkpoints[t] = samples.clone()
    for t, iterated in checkpoints.items():
        alpha_bar = schedule.alphas_cumprod[t]
        mean, std = alpha_bar.sqrt() * x0[0], (1 - alpha_bar).sqrt()
        # Monte Carlo standard errors: std / sqrt(N) for the mean, ~std / sqrt(2N) for the std
        assert torch.allclose(iterated.mean(0), mean, atol=5 * std / 200)
        assert torch.allclose(iterated.std(0), std.expand(3), rtol=0.02)
        closed = schedule.add_noise(
            x0.expand(40000, 3), torch.randn(40000, 3, generator=generator), t
        )
        assert torch.allclose(closed.mean(0), iterated.mean(0), atol=10 * std / 200)


def test_alphas_cumprod_is_the_product():
    schedule = NoiseSchedule(100, schedule="linear")
    product = torch.prod(1 - schedule.betas[:37].double())
    assert schedule.alphas_cumprod[36].item() == pytest.approx(product.item(), rel=1e-5)


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown schedule 'quadratic'"):
        NoiseSchedule(100, schedule="quadratic")
    with pytest.raises(ValueError, match="num_timesteps must be >= 2"):
        NoiseSchedule(1)
    with pytest.raises(TypeError, match="num_timesteps must be an int"):
        NoiseSchedule(10.0)
    with pytest.raises(ValueError, match="beta_start <= beta_end"):
        NoiseSchedule(10, beta_start=0.1, beta_end=0.01)
    schedule = NoiseSchedule(100)
    x = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match=r"timesteps must lie in \[0, 100\)"):
        schedule.add_noise(x, x, torch.tensor([0, 100]))
    with pytest.raises(ValueError, match=r"timesteps must lie in \[0, 100\)"):
        schedule.add_noise(x, x, -1)
    with pytest.raises(TypeError, match="timesteps must be integers"):
        schedule.add_noise(x, x, torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="noise must have the shape"):
        schedule.add_noise(x, torch.zeros(2, 1, 4, 5), 3)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        schedule.add_noise(x, x, torch.tensor([1, 2, 3]))


def test_per_sample_noise_depends_on_its_own_seed_only():
    alone = per_sample_noise(make_generators([7]), (1, 4, 4))
    batch = per_sample_noise(make_generators([3, 7, 11]), (1, 4, 4))
    assert torch.equal(batch[1], alone[0])
    assert not torch.equal(batch[0], batch[1])
    with pytest.raises(ValueError, match=r"seeds\[0\] must be >= 0"):
        make_generators([-1])
