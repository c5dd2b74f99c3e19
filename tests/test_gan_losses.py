"""genaug.gan.losses: the least-squares (Mao et al., 2017) and saturating losses."""

import pytest
import torch

from genaug.gan import (
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    saturating_generator_loss,
)


def test_least_squares_losses_match_their_formulas():
    real = torch.tensor([1.0, 0.5, 2.0])
    fake = torch.tensor([0.0, 1.0])
    expected_d = 0.5 * (0 + 0.25 + 1) / 3 + 0.5 * (0 + 1) / 2
    assert least_squares_discriminator_loss(real, fake).item() == pytest.approx(expected_d)
    assert least_squares_generator_loss(fake).item() == pytest.approx(0.5 * (1 + 0) / 2)


def test_least_squares_losses_are_zero_at_their_targets_and_accept_patch_maps():
    ones, zeros = torch.ones(4, 1, 3, 3), torch.zeros(4, 1, 3, 3)
    assert least_squares_discriminator_loss(ones, zeros).item() == 0
    assert least_squares_generator_loss(ones).item() == 0


def test_least_squares_generator_gradient_does_not_vanish_far_from_the_boundary():
    # a fake the discriminator rejects strongly (output -5) still gets a gradient of -6 per sample
    outputs = torch.tensor([-5.0], requires_grad=True)
    (grad,) = torch.autograd.grad(least_squares_generator_loss(outputs), outputs)
    assert grad.item() == pytest.approx(-6.0)


def test_saturating_loss_is_bounded_above_by_zero():
    logits = torch.linspace(-10, 10, 21)
    assert saturating_generator_loss(logits) < 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: least_squares_discriminator_loss(torch.tensor([1, 0]), torch.zeros(2)),
        lambda: least_squares_generator_loss([0.5]),
        lambda: saturating_generator_loss(torch.tensor([1])),
    ],
)
def test_bad_inputs_raise(call):
    with pytest.raises(TypeError, match="floating-point"):
        call()


def test_empty_inputs_raise():
    with pytest.raises(ValueError, match="empty"):
        least_squares_generator_loss(torch.zeros(0))
