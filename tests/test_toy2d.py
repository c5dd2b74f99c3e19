"""genaug.data.toy2d and genaug.metrics.modes: the ring of Gaussians and mode coverage."""

import math

import pytest
import torch

from genaug.data import gaussian_ring, ring_centres
from genaug.metrics import mode_coverage


def test_ring_shapes_balance_and_determinism():
    data = gaussian_ring(1001, num_modes=8, radius=2.0, std=0.05, seed=3)
    assert data.points.shape == (1001, 2) and data.points.dtype == torch.float32
    assert data.modes.shape == (1001,) and data.modes.dtype == torch.int64
    counts = torch.bincount(data.modes, minlength=8)
    assert counts.max() - counts.min() <= 1
    assert torch.allclose(data.centres.norm(dim=1), torch.full((8,), 2.0))
    # every point lies near its own centre
    offsets = data.points - data.centres[data.modes]
    assert offsets.std().item() == pytest.approx(0.05, rel=0.1)
    assert torch.equal(gaussian_ring(1001, radius=2.0, std=0.05, seed=3).points, data.points)
    assert not torch.equal(gaussian_ring(1001, radius=2.0, std=0.05, seed=4).points, data.points)


def test_log_prob_integrates_to_one_and_matches_a_single_gaussian():
    data = gaussian_ring(10, num_modes=1, radius=1.0, std=0.3)
    # one mode: the 2-D normal density
    x = torch.tensor([[1.0, 0.0], [1.3, 0.4]])
    expected = -((x - torch.tensor([1.0, 0.0])) ** 2).sum(1) / (2 * 0.09) - math.log(
        2 * math.pi * 0.09
    )
    assert torch.allclose(data.log_prob(x), expected, atol=1e-5)
    # eight modes: a Riemann sum over a fine grid integrates to one
    ring = gaussian_ring(10, std=0.1)
    grid = torch.linspace(-2, 2, 801)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    density = ring.log_prob(torch.stack([xx.flatten(), yy.flatten()], 1)).exp()
    assert density.sum().item() * (grid[1] - grid[0]).item() ** 2 == pytest.approx(1.0, abs=1e-3)


def test_ring_rejects_bad_arguments():
    with pytest.raises(TypeError):
        gaussian_ring(10.0)
    with pytest.raises(ValueError):
        gaussian_ring(10, std=0)
    with pytest.raises(ValueError):
        gaussian_ring(10).log_prob(torch.zeros(3))
    with pytest.raises(ValueError):
        ring_centres(0)


def test_mode_coverage_counts_modes_and_quality():
    data = gaussian_ring(4000, seed=0)
    perfect = mode_coverage(data.points, data.centres, data.std)
    assert perfect.covered == 8 and perfect.coverage == 1.0
    # in 2-D, P(r <= 3 std) = 1 - exp(-9 / 2)
    assert perfect.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    collapsed = data.points[data.modes < 2]  # only two modes
    result = mode_coverage(collapsed, data.centres, data.std)
    assert result.covered == 2 and result.counts[2:].sum() == 0
    noise = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0)) * 3
    assert mode_coverage(noise, data.centres, data.std).high_quality < 0.1


def test_mode_coverage_rejects_bad_arguments():
    centres = ring_centres(8)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(5, 3), centres, 0.1)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(5, 2), centres, 0.0)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(5, 2), centres, 0.1, min_share=0)
