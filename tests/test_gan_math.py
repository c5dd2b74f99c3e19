"""The GAN identities of lesson 4.1 (Goodfellow et al., 2014), checked numerically.

* the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x));
* the value of the game at D*: V(D*, G) = -log 4 + 2 JSD(p_data || p_g);
* the saturating and non-saturating generator losses' gradients.
"""

import math

import pytest
import torch
from scipy.spatial.distance import jensenshannon

from genaug.gan import discriminator_loss, generator_loss, saturating_generator_loss

MU_DATA, SIGMA_DATA, MU_G, SIGMA_G = 0.0, 1.0, 1.5, 0.7


def normal_pdf(x, mu, sigma):
    return torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))


def grid_densities(mu_g=MU_G, sigma_g=SIGMA_G):
    x = torch.linspace(-12, 12, 24001, dtype=torch.float64)
    return x, x[1] - x[0], normal_pdf(x, MU_DATA, SIGMA_DATA), normal_pdf(x, mu_g, sigma_g)


def optimal_logit(p_data, p_g):
    """logit D* = log p_data - log p_g: D* = p_data / (p_data + p_g) without underflow."""
    return torch.log(p_data) - torch.log(p_g)


def value(logit, p_data, p_g, dx):
    """V(D, G) = E_data log D + E_g log(1 - D), as a Riemann sum, for D = sigmoid(logit)."""
    logsigmoid = torch.nn.functional.logsigmoid
    return ((p_data * logsigmoid(logit) + p_g * logsigmoid(-logit)) * dx).sum()


def jsd(p, q, dx):
    m = (p + q) / 2
    kl = lambda a, b: (torch.xlogy(a, a) - torch.xlogy(a, b)).sum() * dx  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def test_value_at_the_optimal_discriminator_is_minus_log4_plus_2_jsd():
    x, dx, p_data, p_g = grid_densities()
    divergence = jsd(p_data, p_g, dx).item()
    at_optimum = value(optimal_logit(p_data, p_g), p_data, p_g, dx).item()
    assert at_optimum == pytest.approx(-math.log(4) + 2 * divergence, abs=1e-9)
    # the JSD itself against scipy's (which returns its square root, natural log by default)
    reference = jensenshannon(p_data.numpy(), p_g.numpy()) ** 2
    assert divergence == pytest.approx(float(reference), rel=1e-6)
    assert 0 < divergence < math.log(2)


def test_value_is_minimal_when_the_generator_matches_the_data():
    values = []
    for mu_g in [-1.0, -0.5, 0.0, 0.5, 1.0]:
        _, dx, p_data, p_g = grid_densities(mu_g=mu_g, sigma_g=SIGMA_DATA)
        values.append(value(optimal_logit(p_data, p_g), p_data, p_g, dx).item())
    assert values[2] == pytest.approx(-math.log(4), abs=1e-9)
    assert values[2] == min(values)
    assert values[0] > values[1] > values[2] < values[3] < values[4]


def test_the_optimal_discriminator_maximises_the_value():
    x, dx, p_data, p_g = grid_densities()
    best_logit = optimal_logit(p_data, p_g)
    best = value(best_logit, p_data, p_g, dx)
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):  # random smooth perturbations of D*'s logit
        a, b, c = torch.randn(3, generator=generator, dtype=torch.float64) * 0.3
        other = best_logit + a + b * torch.sin(x) + c * torch.tanh(x)
        assert value(other, p_data, p_g, dx) < best


def test_a_trained_discriminator_approaches_the_formula():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
        torch.nn.Linear(32, 1),
    )  # fmt: skip
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(600):
        real = MU_DATA + SIGMA_DATA * torch.randn(512, 1, generator=generator)
        fake = MU_G + SIGMA_G * torch.randn(512, 1, generator=generator)
        loss = discriminator_loss(net(real).squeeze(1), net(fake).squeeze(1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x = torch.linspace(-2.5, 3.0, 200).view(-1, 1)  # where both densities have mass
    d_star = normal_pdf(x, MU_DATA, SIGMA_DATA)
    d_star = d_star / (d_star + normal_pdf(x, MU_G, SIGMA_G))
    with torch.no_grad():
        d = torch.sigmoid(net(x))
        assert (d - d_star).abs().max() < 0.05
        # its loss approaches -V(D*, G) = log 4 - 2 JSD; a worse D has a larger loss
        _, dx, p_data, p_g = grid_densities()
        floor = math.log(4) - 2 * jsd(p_data, p_g, dx).item()
        real = MU_DATA + SIGMA_DATA * torch.randn(50_000, 1, generator=generator)
        fake = MU_G + SIGMA_G * torch.randn(50_000, 1, generator=generator)
        trained = discriminator_loss(net(real).squeeze(1), net(fake).squeeze(1)).item()
    assert trained == pytest.approx(floor, abs=0.02)
    assert floor < math.log(4)  # the chance-level loss of D = 1/2


def test_saturating_and_non_saturating_gradients():
    logits = torch.tensor([-6.0, -2.0, 0.0, 2.0], requires_grad=True)
    # per-sample gradients: multiply by B to undo the mean
    (saturating,) = torch.autograd.grad(saturating_generator_loss(logits) * 4, logits)
    (non_saturating,) = torch.autograd.grad(generator_loss(logits) * 4, logits)
    d = torch.sigmoid(logits.detach())
    assert torch.allclose(saturating, -d, atol=1e-6)  # d/dl log(1 - sigmoid(l))
    assert torch.allclose(non_saturating, d - 1, atol=1e-6)  # d/dl -log sigmoid(l)
    # both push the logit up (G minimises), but when D rejects a fake (D = 0.0025)
    # the saturating gradient is ~400 times weaker
    assert (saturating < 0).all() and (non_saturating < 0).all()
    assert non_saturating[0] / saturating[0] > 300
    assert saturating_generator_loss(logits).item() == pytest.approx(
        torch.log(1 - d).mean().item(), abs=1e-6
    )
