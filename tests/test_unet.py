"""genaug.nn: the timestep embedding and the small UNet of the diffusion lessons."""

import math

import pytest
import torch

from genaug.nn import UNet, UNetConfig, timestep_embedding


def test_timestep_embedding():
    t = torch.tensor([0, 1, 500])
    embedding = timestep_embedding(t, 8)
    assert embedding.shape == (3, 8)
    # sin(0) = 0, cos(0) = 1; the first frequency is 1
    torch.testing.assert_close(embedding[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert embedding[1, 0].item() == pytest.approx(math.sin(1.0))
    torch.testing.assert_close(
        embedding.square()[:, :4] + embedding.square()[:, 4:], torch.ones(3, 4)
    )
    with pytest.raises(ValueError, match="even"):
        timestep_embedding(t, 7)


@pytest.mark.parametrize("size, mults", [(16, (1, 2, 2)), (8, (1, 2)), (32, (1, 1, 2, 2))])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, mults, channels):
    config = UNetConfig(in_channels=channels, image_size=size, base_channels=8, channel_mults=mults)
    model = UNet(config)
    x = torch.randn(2, channels, size, size)
    out = model(x, torch.tensor([3, 700]))
    assert out.shape == x.shape
    assert torch.equal(out, torch.zeros_like(out))  # zero-initialised output layer
    assert model(x, torch.tensor(5)).shape == x.shape  # a 0-d timestep is broadcast


def perturbed(config):
    torch.manual_seed(0)
    model = UNet(config)
    for parameter in model.parameters():
        parameter.data.normal_(0, 0.05)
    return model.eval()


def test_conditioning_changes_the_output_and_the_null_label_is_the_default():
    model = perturbed(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=4))
    x, t = torch.randn(2, 1, 16, 16), torch.tensor([10, 10])
    a, b = model(x, t, torch.tensor([0, 0])), model(x, t, torch.tensor([1, 1]))
    assert not torch.allclose(a, b)
    torch.testing.assert_close(model(x, t), model(x, t, torch.tensor([4, 4])))
    assert not torch.allclose(model(x, t), model(x, torch.tensor([900, 900])))


def test_output_of_a_sample_does_not_depend_on_its_batch():
    model = perturbed(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=4))
    x, t, y = torch.randn(5, 1, 16, 16), torch.tensor([1, 50, 100, 500, 999]), torch.arange(5) % 4
    with torch.no_grad():
        batch = model(x, t, y)
        one = model(x[2:3], t[2:3], y[2:3])
    torch.testing.assert_close(batch[2:3], one, rtol=1e-5, atol=1e-6)


def test_bad_inputs():
    conditional = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=4))
    unconditional = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2)))
    x, t = torch.zeros(2, 1, 16, 16), torch.tensor([1, 2])
    with pytest.raises(ValueError, match="unconditional"):
        unconditional(x, t, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\]"):
        conditional(x, t, torch.tensor([0, 5]))
    with pytest.raises(TypeError, match="int64"):
        conditional(x, t, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 16, 16\)"):
        conditional(torch.zeros(2, 3, 16, 16), t)
    with pytest.raises(ValueError, match=r"timesteps must have shape \(2,\)"):
        conditional(x, torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="divisible by 4"):
        UNetConfig(image_size=18, channel_mults=(1, 2, 2))
    with pytest.raises(ValueError, match="base_channels must be >= 1"):
        UNetConfig(base_channels=0)
    with pytest.raises(ValueError, match="divisible by groups"):
        UNetConfig(base_channels=12, groups=8)


def test_noise_aware_classifier():
    from genaug.nn import ClassifierConfig, NoiseAwareClassifier

    model = NoiseAwareClassifier(ClassifierConfig(in_channels=2, width=8), num_timesteps=100).eval()
    x = torch.randn(3, 1, 16, 16)
    logits = model(x, torch.tensor([0, 50, 99]))
    assert logits.shape == (3, 10)
    assert not torch.allclose(
        model(x, torch.tensor([0, 0, 0])), model(x, torch.tensor([99, 99, 99]))
    )
    with pytest.raises(ValueError, match="time channel"):
        NoiseAwareClassifier(ClassifierConfig(in_channels=1), num_timesteps=100)
    with pytest.raises(ValueError, match=r"timesteps must have shape \(3,\)"):
        model(x, torch.tensor([1, 2]))
