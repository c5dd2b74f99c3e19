"""genaug.diffusion.guidance: classifier-free and classifier guidance."""

import pytest
import torch

from genaug.diffusion import (
    NoiseSchedule,
    classifier_free_guidance,
    classifier_guidance,
    guidance_combine,
)
from genaug.diffusion.guidance import classifier_log_prob_gradient
from genaug.nn import UNet, UNetConfig


def make_unet(num_classes=3):
    torch.manual_seed(0)
    model = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=num_classes))
    for parameter in model.parameters():  # the output layer starts at zero: perturb it
        parameter.data.normal_(0, 0.05)
    return model.eval()


def test_combine_formula():
    conditional, unconditional = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    assert torch.equal(guidance_combine(conditional, unconditional, 0.0), unconditional)
    torch.testing.assert_close(guidance_combine(conditional, unconditional, 1.0), conditional)
    torch.testing.assert_close(
        guidance_combine(conditional, unconditional, 3.0), 3 * conditional - 2 * unconditional
    )


def test_scale_zero_is_the_unconditional_model_and_one_the_conditional():
    model = make_unet()
    x, t = torch.randn(4, 1, 16, 16), torch.tensor([0, 10, 500, 999])
    labels = torch.tensor([0, 1, 2, 1])
    with torch.no_grad():
        unconditional = model(x, t, torch.full((4,), model.null_label))
        conditional = model(x, t, labels)
        torch.testing.assert_close(
            classifier_free_guidance(model, labels, 0.0)(x, t), unconditional
        )
        torch.testing.assert_close(classifier_free_guidance(model, labels, 1.0)(x, t), conditional)
        # w = 2 runs one doubled batch; it equals the formula on separate passes
        guided = classifier_free_guidance(model, labels, 2.0)(x, t)
    assert not torch.allclose(conditional, unconditional)
    torch.testing.assert_close(guided, 2 * conditional - unconditional, rtol=1e-4, atol=1e-5)


def test_classifier_gradient_matches_the_softmax_formula():
    """For logits = W x, grad_x log softmax(W x)_y = W_y - sum_k p_k W_k."""
    torch.manual_seed(0)
    weight = torch.randn(4, 16)

    class Linear(torch.nn.Module):
        def forward(self, x, t):
            return x.flatten(1) @ weight.T  # (B, K)

    x, labels = torch.randn(3, 1, 4, 4), torch.tensor([0, 3, 1])
    gradient = classifier_log_prob_gradient(Linear(), x, torch.zeros(3, dtype=torch.long), labels)
    probs = torch.softmax(x.flatten(1) @ weight.T, dim=1)  # (B, K)
    expected = weight[labels] - probs @ weight  # (B, D)
    torch.testing.assert_close(gradient.flatten(1), expected, rtol=1e-5, atol=1e-5)


def test_classifier_guidance_shifts_eps_along_the_gradient():
    schedule = NoiseSchedule(100)
    weight = torch.randn(2, 16, generator=torch.Generator().manual_seed(1))

    class Linear(torch.nn.Module):
        def forward(self, x, t):
            return x.flatten(1) @ weight.T

    def model_fn(sample, timesteps):
        return 0.5 * sample

    x, t, labels = torch.randn(2, 1, 4, 4), torch.tensor([10, 90]), torch.tensor([1, 0])
    assert torch.equal(
        classifier_guidance(model_fn, Linear(), labels, 0.0, schedule)(x, t), 0.5 * x
    )
    guided = classifier_guidance(model_fn, Linear(), labels, 2.0, schedule)(x, t)
    gradient = classifier_log_prob_gradient(Linear(), x, t, labels)
    alpha_bar = schedule.alphas_cumprod[t].view(2, 1, 1, 1)
    torch.testing.assert_close(guided, 0.5 * x - 2.0 * (1 - alpha_bar).sqrt() * gradient)
    # moving x_0's estimate along the guided eps raises log p(y | x)
    before = torch.log_softmax(Linear()(x, t), 1)[[0, 1], labels]
    after = torch.log_softmax(Linear()(x + 0.01 * (0.5 * x - guided), t), 1)[[0, 1], labels]
    assert (after > before).all()


def test_bad_inputs():
    model = make_unet()
    with pytest.raises(ValueError, match="needs a class-conditional model"):
        classifier_free_guidance(make_unet(num_classes=0), torch.tensor([0]), 2.0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        classifier_free_guidance(model, torch.tensor([0, 3]), 2.0)
    with pytest.raises(TypeError, match="int64"):
        classifier_free_guidance(model, torch.tensor([0.0, 1.0]), 2.0)
    with pytest.raises(ValueError, match="guidance scale must be >= 0"):
        classifier_free_guidance(model, torch.tensor([0, 1]), -1.0)
    guided = classifier_free_guidance(model, torch.tensor([0, 1]), 2.0)
    with pytest.raises(ValueError, match="got 3 samples for 2 labels"):
        guided(torch.zeros(3, 1, 16, 16), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="differ in shape"):
        guidance_combine(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5), 1.0)
