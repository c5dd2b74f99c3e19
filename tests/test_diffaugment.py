"""genaug.gan.diffaugment: DiffAugment (Zhao et al., 2020)."""

import pytest
import torch

from genaug.gan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, DiffAugment
from genaug.gan.diffaugment import color, cutout, parse_policy, translation


def images(batch=16, channels=3, size=16, seed=0):
    return torch.rand(batch, channels, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_shape_dtype_and_finite(policy):
    x = images()
    y = DiffAugment(policy)(x, generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    assert not torch.equal(y, x)


def test_empty_policy_is_identity():
    x = images()
    assert torch.equal(DiffAugment("")(x), x)


def test_same_generator_seed_same_output_and_different_seed_differs():
    augment = DiffAugment()
    x = images()
    a = augment(x, generator=torch.Generator().manual_seed(7))
    b = augment(x, generator=torch.Generator().manual_seed(7))
    c = augment(x, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_parameters_are_drawn_per_sample():
    # the same image repeated 32 times must come out in many different versions
    x = images(batch=1).repeat(32, 1, 1, 1)
    for policy in ["color", "translation", "cutout"]:
        y = DiffAugment(policy)(x, generator=torch.Generator().manual_seed(0))
        distinct = torch.unique(y.flatten(1), dim=0)
        assert len(distinct) >= 16, (policy, len(distinct))


def test_translation_is_an_exact_integer_shift_with_zero_fill():
    x = images(batch=64, channels=1, size=8) + 1  # strictly positive, so zeros mark padding
    y = translation(x, ratio=0.25, generator=torch.Generator().manual_seed(0))
    for i in range(64):
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = torch.zeros_like(x[i])
                src = x[i][:, max(0, -dy) : 8 - max(0, dy), max(0, -dx) : 8 - max(0, dx)]
                shifted[:, max(0, dy) : 8 - max(0, -dy), max(0, dx) : 8 - max(0, -dx)] = src
                found |= torch.equal(shifted, y[i])
        assert found, f"image {i} is not an integer shift of at most 2 pixels"


def test_cutout_zeros_a_square_of_the_right_size_inside_the_image():
    x = torch.ones(200, 1, 16, 16)
    y = cutout(x, ratio=0.5, generator=torch.Generator().manual_seed(0))
    zeros = (y == 0).sum(dim=(1, 2, 3))
    assert zeros.max() == 64  # an unclipped 8x8 square
    assert zeros.min() >= 16  # clipped at a corner, at least a quarter remains
    assert ((y == 0) | (y == 1)).all()


def test_color_statistics_match_the_paper():
    # brightness adds U(-0.5, 0.5): on a constant grey image only brightness acts
    x = torch.full((4000, 3, 4, 4), 0.5)
    y = color(x, generator=torch.Generator().manual_seed(0))
    shift = y[:, 0, 0, 0] - 0.5
    assert abs(shift.mean()) < 0.02 and abs(shift.var() - 1 / 12) < 0.005
    assert shift.min() >= -0.5 and shift.max() <= 0.5


def test_gradients_reach_the_generator():
    config = DCGANConfig(image_size=16, channels=3, latent_dim=8, base_channels=8)
    torch.manual_seed(0)
    G, D = DCGANGenerator(config), DCGANDiscriminator(config)
    augment = DiffAugment()
    fake = G(torch.randn(8, 8))
    loss = D(augment(fake, generator=torch.Generator().manual_seed(0))).mean()
    loss.backward()
    grads = [p.grad for p in G.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


def test_gradient_of_translation_and_cutout_is_the_mask():
    # T is linear in x for translation and cutout: d sum(T(x)) / dx counts where each pixel lands
    x = images(batch=4, channels=1, size=8).requires_grad_(True)
    y = DiffAugment("translation,cutout")(x, generator=torch.Generator().manual_seed(0))
    y.sum().backward()
    assert ((x.grad == 0) | (x.grad == 1)).all()
    assert (x.grad == 1).any() and (x.grad == 0).any()


def test_runs_on_the_images_device_with_a_cpu_generator():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = images().to(device)
    y = DiffAugment()(x, generator=torch.Generator().manual_seed(0))
    assert y.device == x.device
    z = DiffAugment()(x.cpu(), generator=torch.Generator().manual_seed(0))
    assert torch.allclose(y.cpu(), z, atol=1e-5)


@pytest.mark.parametrize(
    "policy, message",
    [
        ("colour", "unknown DiffAugment op 'colour'"),
        ("color,translation,color", "repeats"),
        ("color;cutout", "unknown DiffAugment op"),
    ],
)
def test_bad_policy_raises_a_clear_error(policy, message):
    with pytest.raises(ValueError, match=message):
        DiffAugment(policy)


def test_bad_inputs_raise():
    with pytest.raises(TypeError, match="policy must be a string"):
        parse_policy(["color"])
    with pytest.raises(ValueError, match="cutout_ratio"):
        DiffAugment(cutout_ratio=2.0)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        DiffAugment()(torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="floating-point"):
        DiffAugment()(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
