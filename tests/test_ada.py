"""genaug.gan.ada: adaptive discriminator augmentation (Karras et al., 2020)."""

import pytest
import torch

from genaug.gan import ADAAugment, ADAConfig, AdaptiveProbability


def scripted_logits(share_positive, batch=64):
    """Logits whose signs give r_t = 2 * share_positive - 1."""
    positive = int(round(share_positive * batch))
    return torch.cat([torch.ones(positive), -torch.ones(batch - positive)])


def test_p_rises_under_overfitting_and_falls_otherwise():
    controller = AdaptiveProbability(ADAConfig(speed_images=64 * 4 * 10, interval=4))
    ps = []
    for _ in range(40):  # D is sure about every real: r_t = 1 > 0.6
        ps.append(controller.update(scripted_logits(1.0)))
    assert controller.overfitting == 1.0
    assert ps[-1] == pytest.approx(1.0)  # 10 updates of +0.1 reach 1 and clip there
    assert all(b >= a for a, b in zip(ps, ps[1:], strict=False))
    for _ in range(20):  # D is unsure: r_t = 0 < 0.6
        ps.append(controller.update(scripted_logits(0.5)))
    assert controller.overfitting == 0.0
    assert ps[-1] == pytest.approx(0.5)  # 5 updates of -0.1
    assert all(b <= a for a, b in zip(ps[40:], ps[41:], strict=False))


def test_p_changes_only_every_interval_and_at_the_configured_speed():
    controller = AdaptiveProbability(ADAConfig(speed_images=1000, interval=4))
    values = [controller.update(scripted_logits(1.0, batch=10)) for _ in range(8)]
    # each update has seen 4 * 10 images: p moves by 40 / 1000
    assert values == pytest.approx([0, 0, 0, 0.04, 0.04, 0.04, 0.04, 0.08])


def test_p_from_0_to_1_takes_speed_images():
    config = ADAConfig(speed_images=5000, interval=1)
    controller = AdaptiveProbability(config)
    images = 0
    while controller.p < 1:
        controller.update(scripted_logits(1.0, batch=50))
        images += 50
    assert images == 5000


def test_p_hovers_near_the_target_under_a_feedback_loop():
    # a toy D whose overfitting falls as p rises: r_t = 1 - p. The fixed point is p = 0.4
    controller = AdaptiveProbability(ADAConfig(speed_images=2000, interval=1))
    generator = torch.Generator().manual_seed(0)
    ps = []
    for _ in range(600):
        share = (1 - controller.p + 1) / 2  # share of positive logits giving r_t ~ 1 - p
        logits = torch.where(torch.rand(64, generator=generator) < share, 1.0, -1.0)
        ps.append(controller.update(logits))
    late = torch.tensor(ps[300:])
    assert abs(late.mean() - 0.4) < 0.1
    assert late.max() < 0.7


def test_pipeline_with_p_zero_is_identity_and_p_one_changes_every_image():
    x = torch.rand(32, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    augment = ADAAugment()
    assert torch.equal(augment(x, p=0.0), x)
    y = augment(x, p=1.0, generator=torch.Generator().manual_seed(1))
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert ((y - x).flatten(1).abs().amax(1) > 1e-3).all()


def test_each_op_is_applied_with_probability_p():
    x = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0)).repeat(4000, 1, 1, 1)
    for p in (0.2, 0.7):
        y = ADAAugment(ops=("brightness",))(x, p=p, generator=torch.Generator().manual_seed(2))
        changed = (y - x).flatten(1).abs().amax(1) > 0
        assert abs(changed.float().mean() - p) < 0.03, (p, changed.float().mean())


def test_pipeline_is_reproducible_and_differentiable():
    augment = ADAAugment(p=0.6, ops=("xflip", "rotate90", "translation", "scale", "cutout"))
    x = torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(0), requires_grad=True)
    a = augment(x, generator=torch.Generator().manual_seed(3))
    b = augment(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    a.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_xflip_and_rotate90_are_exact():
    x = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    y = ADAAugment(ops=("xflip",))(x, p=1.0, generator=torch.Generator().manual_seed(0))
    flipped = torch.isclose(y, x.flip(-1), atol=1e-5).flatten(1).all(1)
    same = torch.isclose(y, x, atol=1e-5).flatten(1).all(1)
    assert (flipped | same).all() and flipped.any() and same.any()
    y = ADAAugment(ops=("rotate90",))(x, p=1.0, generator=torch.Generator().manual_seed(0))
    matches = torch.stack(
        [
            torch.isclose(y, torch.rot90(x, k, dims=(2, 3)), atol=1e-5).flatten(1).all(1)
            for k in range(4)
        ]
    )
    assert matches.any(0).all() and matches.any(1).all()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown ADA ops"):
        ADAAugment(ops=("shear",))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        ADAAugment(p=1.5)
    with pytest.raises(ValueError, match="target"):
        ADAConfig(target=1.2)
    with pytest.raises(TypeError, match="floating-point"):
        AdaptiveProbability().update(torch.tensor([1, -1]))
