"""genaug.gan.cyclegan: CycleGAN (Zhu et al., 2017)."""

import pytest
import torch
from torch import nn

from genaug.augment.generative import GenerativeAugmenter
from genaug.gan.cyclegan import (
    CycleGAN,
    CycleGANAugmenter,
    CycleGANConfig,
    CycleGANGenerator,
    ImageBuffer,
    PatchDiscriminator,
    cycle_consistency_loss,
    identity_loss,
)


def small_config(**overrides):
    values = dict(channels=3, base_channels=4, num_residual=1)
    values.update(overrides)
    return CycleGANConfig(**values)


def batch(n=4, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("size", [16, 32])
def test_shapes(size):
    torch.manual_seed(0)
    model = CycleGAN(small_config())
    out = model(batch(size=size), batch(n=3, size=size, seed=1))
    assert out["fake_b"].shape == (4, 3, size, size)
    assert out["reconstructed_b"].shape == (3, 3, size, size)
    assert out["fake_a"].abs().max() <= 1
    assert model.D_A(out["fake_a"]).shape == (3, 1, size // 4, size // 4)


def test_cycle_and_identity_losses_are_zero_for_identity_generators():
    model = CycleGAN(small_config())
    model.G_AB, model.G_BA = nn.Identity(), nn.Identity()
    a, b = batch(), batch(seed=1)
    out = model(a, b)
    assert cycle_consistency_loss(a, out["reconstructed_a"], b, out["reconstructed_b"]) == 0
    assert identity_loss(model.G_AB, model.G_BA, a, b) == 0


def test_cycle_loss_is_the_mean_absolute_round_trip_error():
    torch.manual_seed(0)
    model = CycleGAN(small_config())
    a, b = batch(), batch(seed=1)
    out = model(a, b)
    loss = cycle_consistency_loss(a, out["reconstructed_a"], b, out["reconstructed_b"])
    expected = (out["reconstructed_a"] - a).abs().mean() + (out["reconstructed_b"] - b).abs().mean()
    assert loss > 0 and torch.allclose(loss, expected)
    # a swap of the generators' roles (G_AB(G_AB(a))) is not what the loss measures
    model.G_BA = model.G_AB
    assert cycle_consistency_loss(a, model.G_BA(model.G_AB(a)), b, b) > 0


def test_cycle_loss_trains_a_pair_of_generators_towards_inverses():
    torch.manual_seed(0)
    config = small_config()
    G_AB, G_BA = CycleGANGenerator(config), CycleGANGenerator(config)
    optimizer = torch.optim.Adam([*G_AB.parameters(), *G_BA.parameters()], lr=2e-3)
    a, b = batch(n=8), batch(n=8, seed=1)
    losses = []
    for _ in range(60):
        loss = cycle_consistency_loss(a, G_BA(G_AB(a)), b, G_AB(G_BA(b)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], (losses[0], losses[-1])


def test_image_buffer():
    rng = torch.Generator().manual_seed(0)
    buffer = ImageBuffer(4, generator=rng)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(buffer.query(first), first)  # filling: the new images come back
    returned = torch.cat([buffer.query(torch.full((4, 1, 1, 1), 10.0 + i)) for i in range(50)])
    old = returned < 10 + torch.arange(50).repeat_interleave(4).view(-1, 1, 1, 1)
    assert 0.3 < old.float().mean() < 0.7  # about half the returned images are older ones
    assert len(buffer.images) == 4
    assert torch.equal(ImageBuffer(0).query(first), first)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="base_channels"):
        CycleGANConfig(base_channels=0)
    with pytest.raises(ValueError, match="lambda_cycle"):
        CycleGANConfig(lambda_cycle=-1.0)
    generator = CycleGANGenerator(small_config())
    with pytest.raises(ValueError, match=r"shape \(B, 3, H, W\)"):
        generator(torch.zeros(2, 1, 16, 16))
    with pytest.raises(ValueError, match="divisible by 4"):
        generator(torch.zeros(2, 3, 18, 18))
    with pytest.raises(ValueError, match="differ"):
        cycle_consistency_loss(batch(), batch(n=3), batch(), batch())
    with pytest.raises(ValueError, match="size"):
        ImageBuffer(-1)
    assert isinstance(PatchDiscriminator(small_config()), nn.Module)


@pytest.mark.parametrize("direction", ["a_to_b", "b_to_a"])
def test_augmenter_translates_sources_and_keeps_their_labels(direction):
    torch.manual_seed(0)
    model = CycleGAN(small_config())
    augmenter = CycleGANAugmenter(model, direction=direction)
    assert isinstance(augmenter, GenerativeAugmenter)
    images = (batch(5) + 1) / 2  # (5, 3, 16, 16) in [0, 1]
    labels = torch.tensor([0, 1, 2, 3, 4])
    translator = model.G_AB if direction == "a_to_b" else model.G_BA
    with torch.no_grad():
        every = ((translator(images * 2 - 1) + 1) / 2).clamp(0, 1)  # (5, 3, 16, 16)
    new_images, new_labels = augmenter(
        images, labels, 7, generator=torch.Generator().manual_seed(0)
    )
    assert new_images.shape == (7, 3, 16, 16) and new_labels.shape == (7,)
    assert 0 <= new_images.min() and new_images.max() <= 1
    for image, label in zip(new_images, new_labels, strict=True):
        torch.testing.assert_close(image, every[label])  # the translation of its own source
    # all five sources before any repeats
    assert sorted(new_labels[:5].tolist()) == [0, 1, 2, 3, 4]
    model.train()
    again = augmenter(images, labels, 7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(new_images, again[0]) and torch.equal(new_labels, again[1])
    assert translator.training  # the caller's mode is given back


def test_augmenter_bad_inputs():
    model = CycleGAN(small_config())
    with pytest.raises(ValueError, match="direction"):
        CycleGANAugmenter(model, direction="sideways")
    with pytest.raises(TypeError, match="CycleGAN"):
        CycleGANAugmenter(model.G_AB)
    grey = torch.rand(2, 1, 16, 16)
    with pytest.raises(ValueError, match=r"shape \(B, 3, H, W\)"):
        CycleGANAugmenter(model)(grey, torch.tensor([0, 1]), 2)
