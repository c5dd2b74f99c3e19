"""The mutual information gap (Chen et al., 2018) and its pieces."""

from __future__ import annotations

import math

import pytest
import torch

from genaug.metrics import (
    discrete_entropy,
    discrete_mutual_information,
    discretize,
    mutual_information_gap,
    mutual_information_matrix,
)


def independent_factors(n=20000, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return torch.stack(
        [torch.randint(0, 3, (n,), generator=rng), torch.randint(0, 5, (n,), generator=rng)], dim=1
    )  # (N, 2) uniform on 3 and 5 values


def test_entropy_and_mutual_information_closed_forms():
    factors = independent_factors()
    assert discrete_entropy(factors[:, 0]) == pytest.approx(math.log(3), abs=1e-3)
    # I(a; a) = H(a); I(a; b) ~ 0 for independent a, b (plug-in bias (3-1)(5-1)/(2N))
    assert discrete_mutual_information(factors[:, 1], factors[:, 1]) == pytest.approx(
        discrete_entropy(factors[:, 1])
    )
    assert discrete_mutual_information(factors[:, 0], factors[:, 1]) < 5e-4
    # a deterministic function of a pair keeps all of each: I(a; (a, b)) = H(a)
    pair = factors[:, 0] * 5 + factors[:, 1]
    assert discrete_mutual_information(factors[:, 0], pair) == pytest.approx(math.log(3), abs=1e-3)


def test_mutual_information_of_a_binary_symmetric_channel():
    rng = torch.Generator().manual_seed(1)
    bits = torch.randint(0, 2, (200000,), generator=rng)
    flip = 0.1
    noisy = bits ^ (torch.rand(len(bits), generator=rng) < flip).long()
    entropy_flip = -(flip * math.log(flip) + (1 - flip) * math.log(1 - flip))
    assert discrete_mutual_information(bits, noisy) == pytest.approx(
        math.log(2) - entropy_flip, abs=3e-3
    )


def test_mig_is_one_on_perfectly_disentangled_codes():
    factors = independent_factors()
    rng = torch.Generator().manual_seed(2)
    # each factor in its own latent (rescaled), plus a pure-noise latent
    codes = torch.stack(
        [2.0 * factors[:, 1] - 3, torch.randn(len(factors), generator=rng), 0.5 * factors[:, 0]],
        dim=1,
    )
    assert mutual_information_gap(codes, factors) == pytest.approx(1.0, abs=0.01)
    information = mutual_information_matrix(codes, factors)
    assert information.shape == (3, 2)
    assert information.argmax(0).tolist() == [2, 0]


def test_mig_is_near_zero_on_entangled_codes():
    factors = independent_factors().double()
    rng = torch.Generator().manual_seed(3)
    standard = (factors - factors.mean(0)) / factors.std(0)
    rotation = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64) / math.sqrt(2)
    codes = standard @ rotation + 0.01 * torch.randn(len(factors), 2, generator=rng)
    assert mutual_information_gap(codes, factors.long()) < 0.1


def test_mig_is_zero_when_a_factor_is_copied_into_two_latents():
    factors = independent_factors()
    codes = torch.stack([factors[:, 0], factors[:, 0], factors[:, 1]], dim=1).double()
    assert mutual_information_gap(codes, factors[:, :1]) == pytest.approx(0.0, abs=1e-9)
    # MIG rewards the factor that is isolated: (0 + 1) / 2
    assert mutual_information_gap(codes, factors) == pytest.approx(0.5, abs=0.01)


def test_continuous_factors_are_discretised():
    rng = torch.Generator().manual_seed(4)
    angle = torch.rand(5000, generator=rng) * 6.28
    codes = torch.stack([angle, torch.randn(5000, generator=rng)], dim=1)
    assert mutual_information_gap(codes, angle[:, None]) > 0.9


def test_discretize_bins():
    values = torch.tensor([0.0, 0.49, 0.5, 1.0])
    assert discretize(values, num_bins=2).tolist() == [0, 0, 1, 1]
    assert discretize(torch.zeros(3, 2), num_bins=4).tolist() == [[0, 0]] * 3


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: discretize(torch.zeros(3), num_bins=1), ValueError),
        (lambda: discretize(torch.tensor([0.0, float("nan")])), ValueError),
        (lambda: discrete_entropy(torch.rand(4)), TypeError),
        (
            lambda: discrete_mutual_information(torch.zeros(3).long(), torch.zeros(4).long()),
            ValueError,
        ),
        (lambda: mutual_information_gap(torch.zeros(5, 1), torch.zeros(5, 1).long()), ValueError),
        (lambda: mutual_information_gap(torch.rand(5, 2), torch.zeros(4, 1).long()), ValueError),
        (lambda: mutual_information_gap(torch.rand(5), torch.zeros(5, 1).long()), ValueError),
        (lambda: mutual_information_gap(torch.rand(5, 2), torch.zeros(5, 1).long()), ValueError),
    ],
)
def test_bad_input(call, error):
    with pytest.raises(error):
        call()
