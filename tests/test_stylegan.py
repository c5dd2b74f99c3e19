"""genaug.gan.stylegan: mapping, modulated convolutions, style mixing, truncation."""

import pytest
import torch

from genaug.augment.generative import GenerativeAugmenter
from genaug.gan import StyleMixingAugmenter
from genaug.gan.equalized import EqualizedLinear
from genaug.gan.stylegan import ModulatedConv2d, StyleGANConfig, StyleGANGenerator
from genaug.gan.stylegan_discriminator import MinibatchStd, StyleGANDiscriminator, r1_penalty


def make_generator(**overrides):
    values = dict(image_size=16, channels=1, latent_dim=8, mapping_layers=2, feature_channels=8)
    values.update(overrides)
    torch.manual_seed(0)
    return StyleGANGenerator(StyleGANConfig(**values))


@pytest.mark.parametrize("size, layers", [(8, 4), (16, 6), (32, 8)])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_range_and_number_of_layers(size, layers, channels):
    generator = make_generator(image_size=size, channels=channels)
    assert generator.config.num_layers == layers
    images = generator(torch.randn(3, 8))
    assert images.shape == (3, channels, size, size)
    assert images.abs().max() <= 1


def test_demodulation_gives_unit_output_variance_whatever_the_style():
    torch.manual_seed(0)
    conv = ModulatedConv2d(16, 8, 3, style_dim=4)
    with torch.no_grad():  # random, far-from-1 styles and a random weight scale
        conv.affine.weight.normal_(0, 3)
        conv.weight.mul_(5)
    x = torch.randn(256, 16, 12, 12)  # unit-variance inputs
    w = torch.randn(256, 4)
    with torch.no_grad():
        out = conv(x, w)[:, :, 1:-1, 1:-1]  # interior pixels: no zero padding involved
    variance = out.var(dim=(0, 2, 3))  # per output channel, over samples and pixels
    assert torch.allclose(variance, torch.ones(8), atol=0.05), variance
    # without demodulation the output variance follows the style's scale
    conv.demodulate = False
    with torch.no_grad():
        raw = conv(x, w)[:, :, 1:-1, 1:-1].var(dim=(0, 2, 3))
    assert (raw > 2).all(), raw


def test_modulation_equals_a_per_sample_convolution_with_scaled_weights():
    torch.manual_seed(0)
    conv = ModulatedConv2d(4, 3, 3, style_dim=5)
    with torch.no_grad():
        conv.affine.weight.normal_()
    x, w = torch.randn(2, 4, 6, 6), torch.randn(2, 5)
    out = conv(x, w)
    for b in range(2):
        weight = conv.weight * conv.scale * conv.affine(w[b]).view(1, -1, 1, 1)  # w'_ijk
        weight = weight / weight.pow(2).sum(dim=(1, 2, 3), keepdim=True).add(1e-8).sqrt()
        expected = torch.nn.functional.conv2d(x[b : b + 1], weight, padding=1)
        assert torch.allclose(out[b : b + 1], expected, atol=1e-5)


def test_style_mixing_uses_w1_before_and_w2_after_the_crossover():
    generator = make_generator()
    w1, w2 = torch.randn(2, 8), torch.randn(2, 8)
    crossover = 3
    ws = generator.mix_styles(w1, w2, crossover)
    assert ws.shape == (2, 6, 8)
    # record the w each layer's affine map A_l actually receives
    seen = []
    modules = [layer.conv.affine for layer in generator.layers] + [generator.to_image.affine]
    hooks = [
        m.register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0])) for m in modules
    ]
    generator.synthesis(ws, noise=False)
    for hook in hooks:
        hook.remove()
    assert len(seen) == generator.config.num_layers
    for layer, received in enumerate(seen):
        assert torch.equal(received, w1 if layer < crossover else w2), layer
    with pytest.raises(ValueError, match="crossover"):
        generator.mix_styles(w1, w2, 7)


def test_truncation():
    generator = make_generator()
    with torch.no_grad():
        generator.update_w_avg(generator.mapping(torch.randn(500, 8)), decay=0.0)
        z = torch.randn(4, 8)
        w = generator.mapping(z)
        # psi = 1 leaves w alone; psi = 0 sends every z to the same image
        assert torch.equal(generator.truncate(w, 1.0), w)
        same = generator(z, psi=0.0, noise=False)
        assert torch.allclose(same, same[:1].expand_as(same), atol=1e-6)
        # psi = 0.5 halves the distance to the average
        half = generator.truncate(w, 0.5)
        distance = (w - generator.w_avg).norm(dim=1)
        assert torch.allclose((half - generator.w_avg).norm(dim=1), distance / 2, atol=1e-6)


def test_w_avg_tracks_the_mean_of_w():
    generator = make_generator()
    target = torch.full((8,), 2.0)
    for _ in range(2000):
        generator.update_w_avg(target.expand(4, 8), decay=0.99)
    assert torch.allclose(generator.w_avg, target, atol=1e-3)


def test_noise_is_reproducible_from_a_generator_and_can_be_switched_off():
    generator = make_generator()
    with torch.no_grad():
        generator.layers[0].noise_strength.fill_(1.0)
        z = torch.randn(2, 8)
        a = generator(z, generator=torch.Generator().manual_seed(0))
        b = generator(z, generator=torch.Generator().manual_seed(0))
        c = generator(z, generator=torch.Generator().manual_seed(1))
        assert torch.equal(a, b) and not torch.equal(a, c)
        assert torch.equal(generator(z, noise=False), generator(z, noise=False))


def test_mixing_ws_mixes_with_the_configured_probability():
    generator = make_generator(style_mixing_prob=0.5)
    rng = torch.Generator().manual_seed(0)
    mixed = 0
    for _ in range(200):
        ws, w = generator.mixing_ws(torch.randn(2, 8, generator=rng), generator=rng)
        assert torch.equal(ws[:, 0], w)  # the first layer always reads the first latent
        mixed += not torch.equal(ws[:, -1], w)
    assert 70 < mixed < 130


def test_gradients_reach_every_part():
    generator = make_generator()
    generator(torch.randn(4, 8)).square().mean().backward()
    assert generator.mapping.net[0].weight.grad.abs().sum() > 0
    assert generator.constant.grad.abs().sum() > 0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="power of two"):
        StyleGANConfig(image_size=12)
    with pytest.raises(ValueError, match="style_mixing_prob"):
        StyleGANConfig(style_mixing_prob=1.5)
    generator = make_generator()
    with pytest.raises(ValueError, match=r"latent must have shape \(B, 8\)"):
        generator(torch.randn(2, 5))
    with pytest.raises(ValueError, match="ws must have shape"):
        generator.synthesis(torch.randn(2, 5, 8))


def test_sample_is_the_forward_pass_mapped_to_unit_range():
    generator = make_generator(num_classes=3)
    with torch.no_grad():
        generator.to_image.weight.mul_(100)  # saturate the tanh: outputs reach -1 and 1
        generator.layers[0].noise_strength.fill_(1.0)
    labels = torch.tensor([0, 2, 1])
    samples = generator.sample(3, labels=labels, generator=torch.Generator().manual_seed(4))
    rng = torch.Generator().manual_seed(4)
    with torch.no_grad():
        raw = generator(torch.randn(3, 8, generator=rng), labels, generator=rng)
    assert raw.min() < -0.999 and raw.max() > 0.999
    assert torch.equal(samples, (raw + 1) / 2)
    again = generator.sample(3, labels=labels, generator=torch.Generator().manual_seed(4))
    assert torch.equal(samples, again)
    with pytest.raises(ValueError, match="num_samples"):
        generator.sample(0)


def test_style_mixing_augmenter_keeps_balanced_labels():
    generator = make_generator(num_classes=3)
    augmenter = StyleMixingAugmenter(generator)
    assert isinstance(augmenter, GenerativeAugmenter)
    images, labels = torch.rand(4, 1, 16, 16), torch.tensor([0, 1, 0, 1])
    new_images, new_labels = augmenter(
        images, labels, 6, generator=torch.Generator().manual_seed(0)
    )
    assert new_images.shape == (6, 1, 16, 16) and new_labels.shape == (6,)
    assert 0 <= new_images.min() and new_images.max() <= 1
    assert sorted(new_labels.tolist()) == [0, 0, 0, 1, 1, 1]  # class 2 is absent
    again = augmenter(images, labels, 6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(new_images, again[0]) and torch.equal(new_labels, again[1])


def test_style_mixing_augmenter_mixes_two_same_class_latents():
    generator = make_generator(num_classes=3)
    wanted = torch.tensor([2, 0])
    crossover = 3
    augmenter = StyleMixingAugmenter(generator, crossover=crossover, noise=False)
    mixed = augmenter.sample(wanted, generator=torch.Generator().manual_seed(1))
    latents = torch.randn(2, 2, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        w1, w2 = generator.mapping(latents[0], wanted), generator.mapping(latents[1], wanted)
        expected = generator.synthesis(generator.mix_styles(w1, w2, crossover), noise=False)
        only_w1 = generator.synthesis(generator.broadcast(w1), noise=False)
    assert torch.equal(mixed, (expected + 1) / 2)
    assert not torch.allclose(mixed, (only_w1 + 1) / 2)  # the fine layers read w2
    # crossover = L: every layer reads w1, a plain sample of the first latent
    everything = StyleMixingAugmenter(generator, crossover=6, noise=False)
    plain = everything.sample(wanted, generator=torch.Generator().manual_seed(1))
    assert torch.equal(plain, (only_w1 + 1) / 2)
    # random crossovers: one per sample, in [1, L - 1]
    random_mix = StyleMixingAugmenter(generator, noise=False)
    assert random_mix.sample(wanted, generator=torch.Generator().manual_seed(1)).shape == (
        2,
        1,
        16,
        16,
    )


def test_style_mixing_augmenter_bad_inputs():
    with pytest.raises(ValueError, match="class-conditional"):
        StyleMixingAugmenter(make_generator())
    with pytest.raises(ValueError, match=r"crossover must be <= 6"):
        StyleMixingAugmenter(make_generator(num_classes=2), crossover=7)
    with pytest.raises(TypeError, match="StyleGANGenerator"):
        StyleMixingAugmenter(torch.nn.Linear(2, 2))


def test_equalized_linear_starts_like_a_he_initialised_layer_and_learns_m_times_slower():
    torch.manual_seed(0)
    x = torch.randn(4096, 64)
    fast, slow = EqualizedLinear(64, 32), EqualizedLinear(64, 32, lr_multiplier=0.01)
    for layer in (fast, slow):  # effective weights N(0, 1 / fan_in): unit output variance
        assert abs(layer(x).var().item() - 1) < 0.1
    # one Adam step of size lr moves each stored weight by about lr, so the effective
    # weights move by lr * m / sqrt(fan_in): 100x less for m = 0.01
    moves = []
    for layer in (fast, slow):
        before = (layer.weight * layer.weight_gain).detach().clone()
        optimizer = torch.optim.Adam(layer.parameters(), lr=1e-2)
        layer(x).pow(2).mean().backward()
        optimizer.step()
        moves.append(((layer.weight * layer.weight_gain).detach() - before).abs().mean().item())
    assert moves[1] == pytest.approx(moves[0] * 0.01, rel=0.05)
    with pytest.raises(ValueError):
        EqualizedLinear(4, 4, lr_multiplier=0)


def test_mapping_network_uses_the_configured_lr_multiplier():
    generator = make_generator(mapping_lr_multiplier=0.05)
    layers = [m for m in generator.mapping.modules() if isinstance(m, EqualizedLinear)]
    assert len(layers) == 2 and all(m.bias_gain == 0.05 for m in layers)
    assert make_generator().config.mapping_lr_multiplier == 0.01  # the paper's default
    with pytest.raises(ValueError):
        StyleGANConfig(mapping_lr_multiplier=1.5)


def test_minibatch_std_appends_the_group_std_and_sees_a_collapse():
    torch.manual_seed(0)
    layer = MinibatchStd(group_size=4)
    x = torch.randn(8, 3, 4, 4)
    out = layer(x)
    assert out.shape == (8, 4, 4, 4) and torch.equal(out[:, :3], x)
    # group g holds samples g, g + 2, g + 4, g + 6 (batch 8, groups of 4)
    expected = x[0::2].var(dim=0, unbiased=False).add(1e-8).sqrt().mean()
    assert torch.allclose(out[0, 3], expected.expand(4, 4))
    assert torch.allclose(out[6, 3], expected.expand(4, 4))
    collapsed = layer(x[:1].repeat(8, 1, 1, 1))  # identical samples: statistic ~ 0
    assert collapsed[:, 3].abs().max() < 1e-3 < out[:, 3].min()
    with pytest.raises(ValueError):
        layer(torch.randn(6, 3, 4, 4))  # 6 is not a multiple of 4
    with pytest.raises(ValueError):
        MinibatchStd(group_size=1)


@pytest.mark.parametrize("mbstd_group", [0, 4])
def test_stylegan_discriminator_shapes_conditioning_and_gradients(mbstd_group):
    torch.manual_seed(0)
    conditional = StyleGANDiscriminator(16, 1, 8, num_classes=3, mbstd_group=mbstd_group)
    images, labels = torch.randn(8, 1, 16, 16), torch.arange(8) % 3
    logits = conditional(images, labels)
    assert logits.shape == (8,) and torch.isfinite(logits).all()
    with torch.no_grad():
        conditional.embed.weight.normal_()
    assert not torch.allclose(conditional(images, labels), conditional(images, (labels + 1) % 3))
    logits.sum().backward()
    assert all(p.grad is not None for p in conditional.parameters())
    with pytest.raises(ValueError):
        conditional(images)  # labels missing
    with pytest.raises(ValueError):
        StyleGANDiscriminator(16, 1, 8)(images, labels)  # unconditional: no labels
    with pytest.raises(ValueError):
        conditional(torch.randn(8, 1, 8, 8), labels)


def test_r1_penalty_is_the_mean_squared_input_gradient():
    torch.manual_seed(0)
    images = torch.randn(5, 1, 4, 4, requires_grad=True)
    weight = torch.randn(16)
    logits = images.flatten(1) @ weight + images.flatten(1).pow(2).sum(1)  # grad: w + 2x
    penalty = r1_penalty(logits, images)
    expected = (weight + 2 * images.detach().flatten(1)).pow(2).sum(1).mean()
    assert torch.allclose(penalty, expected)
    penalty.backward()  # differentiable: D is trained through it
    assert images.grad is not None
    with pytest.raises(ValueError):
        r1_penalty(logits.detach(), images.detach())
