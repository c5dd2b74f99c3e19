"""genaug.diffusion.ldm: the KL autoencoder, latent scaling, latent sampling, the cached trainer."""

import dataclasses

import pytest
import torch
from helpers import digits_subsets

from genaug.augment.generative import GenerativeAugmenter
from genaug.data import digits
from genaug.diffusion import DDIMSampler, NoiseSchedule
from genaug.diffusion.autoencoder import (
    AutoencoderConfig,
    KLAutoencoder,
    autoencoder_loss,
    latent_scale_factor,
)
from genaug.diffusion.ldm import LatentDiffusion, LatentDiffusionAugmenter
from genaug.nn import UNet, UNetConfig
from genaug.recipes import DigitsLDMConfig, digits_ldm_config, pretrained_digits_ldm

TINY = DigitsLDMConfig(
    ae_base_channels=8,
    ae_steps=60,
    ae_batch_size=32,
    base_channels=16,
    steps=60,
    batch_size=32,
    warmup=5,
    ema_decay=0.8,
)


def tiny_autoencoder(**changes) -> KLAutoencoder:
    torch.manual_seed(0)
    return KLAutoencoder(AutoencoderConfig(base_channels=8, **changes))


@pytest.fixture(scope="module")
def data():
    train = digits("train")
    return train.images[:300], train.labels[:300]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """One tiny latent diffusion model for the whole module, in its own cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GENAUG_CACHE", str(tmp_path_factory.mktemp("ldm-cache")))
        patch.setenv("GENAUG_PROFILE", "smoke")
        return pretrained_digits_ldm(TINY, train_images=data[0], train_labels=data[1])


# --- the autoencoder ---------------------------------------------------------------------------


def test_autoencoder_shapes_and_range():
    autoencoder = tiny_autoencoder()
    images = torch.rand(3, 1, 16, 16)
    mean, logvar = autoencoder.encode(images)
    assert mean.shape == logvar.shape == (3, 4, 4, 4) == (3, *autoencoder.config.latent_shape)
    decoded = autoencoder.decode(mean)
    assert decoded.shape == (3, 1, 16, 16)
    assert decoded.min() >= 0 and decoded.max() <= 1
    out = autoencoder(images, generator=torch.Generator().manual_seed(0))
    assert out.logits.shape == images.shape and out.latents.shape == mean.shape
    wide = tiny_autoencoder(channel_mults=(1, 2), latent_channels=2)  # f = 2: 8x8x2 latents
    assert wide.encode(images)[0].shape == (3, 2, 8, 8)


def test_autoencoder_codes_each_image_independently_of_its_batch():
    autoencoder = tiny_autoencoder().eval()
    images = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    mean, _ = autoencoder.encode(images)
    alone, _ = autoencoder.encode(images[2:3])
    torch.testing.assert_close(mean[2:3], alone, rtol=1e-5, atol=1e-5)


def test_loss_terms_and_kl_weight():
    autoencoder = tiny_autoencoder()
    images = digits("test").images[:16]
    plain = autoencoder_loss(autoencoder, images, kl_weight=0.0, generator=torch.Generator())
    weighted = autoencoder_loss(autoencoder, images, kl_weight=0.5, generator=torch.Generator())
    torch.testing.assert_close(plain.loss, plain.reconstruction)
    torch.testing.assert_close(weighted.loss, weighted.reconstruction + 0.5 * weighted.kl)
    assert plain.kl > 0 and plain.reconstruction > 0


def test_reconstruction_improves_with_training(trained, data):
    held_out = digits("test").images[:64]
    untrained = KLAutoencoder(TINY.autoencoder_config()).eval()
    autoencoder = trained.ldm.autoencoder
    with torch.no_grad():
        before = (untrained.decode(untrained.encode(held_out)[0]) - held_out).abs().mean()
        after = (autoencoder.decode(autoencoder.encode(held_out)[0]) - held_out).abs().mean()
    assert after < 0.6 * before, (after, before)
    losses = torch.tensor(trained.history["autoencoder"]["reconstruction"])
    assert len(losses) == TINY.ae_steps
    assert losses[-10:].mean() < losses[:10].mean()


# --- latent scaling ----------------------------------------------------------------------------


def test_latent_scale_factor_gives_unit_std():
    latents = 3.0 * torch.randn(500, 4, 4, 4, generator=torch.Generator().manual_seed(0)) + 1.0
    factor = latent_scale_factor(latents)
    assert (latents * factor).std().item() == pytest.approx(1.0, abs=1e-5)
    assert factor == pytest.approx(1 / 3, rel=0.02)


def test_trained_latents_are_scaled_to_unit_std(trained, data):
    scaled = trained.ldm.encode(data[0], generator=torch.Generator().manual_seed(0))
    assert scaled.shape == (len(data[0]), 4, 4, 4)
    assert scaled.std().item() == pytest.approx(1.0, abs=0.05)
    assert trained.history["diffusion"]["scale_factor"] == pytest.approx(trained.ldm.scale_factor)


# --- latent diffusion --------------------------------------------------------------------------


def test_trainer_records_history_and_reloads_from_the_cache(trained, data, fresh_cache):
    losses = torch.tensor(trained.history["diffusion"]["loss"])
    assert len(losses) == TINY.steps
    assert losses[-10:].mean() < losses[:10].mean()
    assert trained.history["seconds"] == pytest.approx(
        trained.history["autoencoder"]["seconds"] + trained.history["diffusion"]["seconds"]
    )
    config = dataclasses.replace(TINY, ae_steps=5, steps=5)
    first = pretrained_digits_ldm(config, train_images=data[0], train_labels=data[1])
    again = pretrained_digits_ldm(config, train_images=data[0], train_labels=data[1])
    assert not first.loaded and again.loaded
    assert again.history == first.history
    assert again.ldm.scale_factor == pytest.approx(first.ldm.scale_factor)
    for a, b in zip(first.ldm.model.parameters(), again.ldm.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert len(list(fresh_cache.glob("ldm-*.safetensors"))) == 2  # one file per stage


def test_cache_keys_follow_the_data_and_the_autoencoder(data, fresh_cache):
    from genaug.cache import load_weights, save_weights

    config = dataclasses.replace(TINY, ae_steps=3, steps=3)
    (images, other), (labels, other_labels) = digits_subsets()
    first = pretrained_digits_ldm(config, train_images=images, train_labels=labels)
    (ae_file,) = fresh_cache.glob("ldm-autoencoder-*.safetensors")

    # a different autoencoder under the same key (e.g. retrained on a GPU): the latent
    # model trained on the old one must not be reused
    autoencoder = KLAutoencoder(config.autoencoder_config())
    metadata = load_weights(autoencoder, ae_file)
    with torch.no_grad():
        next(autoencoder.parameters()).add_(0.01)
    save_weights(autoencoder, ae_file, metadata=metadata)
    again = pretrained_digits_ldm(config, train_images=images, train_labels=labels)
    assert not again.loaded and not torch.equal(
        next(again.ldm.model.parameters()), next(first.ldm.model.parameters())
    )
    assert len(list(fresh_cache.glob("ldm-digits-*.safetensors"))) == 2

    # another image of the same class: same size, same labels and label sum, other files
    third = pretrained_digits_ldm(config, train_images=other, train_labels=other_labels)
    assert not third.loaded
    assert len(list(fresh_cache.glob("ldm-autoencoder-*.safetensors"))) == 2
    assert len(list(fresh_cache.glob("ldm-digits-*.safetensors"))) == 3


def test_samples_have_the_image_shape_and_range(trained):
    samples = trained.ldm.sample(2, labels=torch.tensor([0, 5]), seeds=[0, 1], num_steps=4)
    assert samples.shape == (2, 1, 16, 16)
    assert torch.isfinite(samples).all() and samples.min() >= 0 and samples.max() <= 1


def test_samples_are_reproducible_per_image_whatever_the_batch(trained):
    ldm = trained.ldm
    batch = ldm.sample(3, labels=torch.tensor([1, 2, 3]), seeds=[11, 12, 13], num_steps=5)
    alone = ldm.sample(1, labels=torch.tensor([2]), seeds=[12], num_steps=5)
    reordered = ldm.sample(2, labels=torch.tensor([3, 2]), seeds=[13, 12], num_steps=5)
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(reordered[1:2], alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(batch[0], batch[1])


def test_a_generator_draws_one_seed_per_image(trained):
    ldm = trained.ldm
    labels = torch.tensor([4, 7])
    drawn = ldm.sample(2, labels=labels, generator=torch.Generator().manual_seed(6), num_steps=3)
    seeds = torch.randint(0, 2**31 - 1, (2,), generator=torch.Generator().manual_seed(6))
    assert torch.equal(drawn, ldm.sample(2, labels=labels, seeds=seeds.tolist(), num_steps=3))


def test_guidance_zero_is_the_unconditional_model(trained):
    ldm = trained.ldm
    seeds = [3, 4, 5]
    zero = ldm.sample(3, labels=torch.tensor([0, 1, 2]), seeds=seeds, num_steps=5, guidance=0.0)
    other_labels = ldm.sample(
        3, labels=torch.tensor([9, 9, 9]), seeds=seeds, num_steps=5, guidance=0.0
    )
    torch.testing.assert_close(zero, other_labels)
    model = ldm.model

    def unconditional(sample, timesteps):
        return model(sample, timesteps, torch.full_like(timesteps, model.null_label))

    latents = DDIMSampler(ldm.schedule, clip_sample=False).sample(
        unconditional, num_steps=5, seeds=seeds, shape=ldm.latent_shape
    )
    torch.testing.assert_close(zero, ldm.decode(latents))
    guided = ldm.sample(3, labels=torch.tensor([0, 1, 2]), seeds=seeds, num_steps=5, guidance=2.0)
    assert not torch.allclose(zero, guided)


def test_augmenter_interface(trained, data):
    augmenter = LatentDiffusionAugmenter(trained.ldm, num_steps=3)
    assert isinstance(augmenter, GenerativeAugmenter)
    images, labels = data[0][:20], data[1][:20]
    new_images, new_labels = augmenter(
        images, labels, 6, generator=torch.Generator().manual_seed(0)
    )
    again, _ = augmenter(images, labels, 6, generator=torch.Generator().manual_seed(0))
    assert new_images.shape == (6, 1, 16, 16) and new_labels.shape == (6,)
    assert set(new_labels.tolist()) <= set(labels.tolist())
    torch.testing.assert_close(new_images, again)


# --- configs and bad input ---------------------------------------------------------------------


def test_profiles_scale_the_recipe():
    smoke, cpu = digits_ldm_config("smoke"), digits_ldm_config("cpu")
    assert smoke.steps < cpu.steps and smoke.ae_steps < cpu.ae_steps
    assert digits_ldm_config("gpu").steps > cpu.steps
    assert cpu.autoencoder_config().latent_shape == (cpu.latent_channels, 4, 4)


def test_bad_input_raises(trained, data):
    ldm = trained.ldm
    with pytest.raises(ValueError, match="divisible"):
        AutoencoderConfig(image_size=18)
    with pytest.raises(ValueError, match="latent_channels"):
        AutoencoderConfig(latent_channels=0)
    autoencoder = tiny_autoencoder()
    with pytest.raises(ValueError, match="shape"):
        autoencoder.encode(torch.rand(2, 1, 8, 8))
    with pytest.raises(TypeError, match="float"):
        autoencoder.encode(torch.zeros(2, 1, 16, 16, dtype=torch.long))
    with pytest.raises(ValueError, match="latents"):
        autoencoder.decode(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="kl_weight"):
        autoencoder_loss(autoencoder, torch.rand(2, 1, 16, 16), kl_weight=-1.0)
    with pytest.raises(ValueError, match="standard deviation"):
        latent_scale_factor(torch.ones(10, 4, 4, 4))
    with pytest.raises(ValueError, match="seeds"):
        ldm.sample(2, labels=torch.tensor([1, 2]), seeds=[0], num_steps=2)
    with pytest.raises(ValueError, match="labels"):
        ldm.sample(1, labels=torch.tensor([10]), seeds=[0], num_steps=2)
    with pytest.raises(TypeError, match="labels"):
        ldm.sample(1, labels=torch.tensor([1.0]), seeds=[0], num_steps=2)
    with pytest.raises(ValueError, match="guidance"):
        ldm.sample(1, labels=torch.tensor([1]), seeds=[0], num_steps=2, guidance=-1.0)
    with pytest.raises(ValueError, match="num_steps"):
        ldm.sample(1, labels=torch.tensor([1]), seeds=[0], num_steps=0)
    with pytest.raises(ValueError, match="class-conditional: pass labels"):
        ldm.sample(2, seeds=[0, 1], num_steps=2)
    with pytest.raises(ValueError, match="got 2 labels for num_samples=3"):
        ldm.sample(3, labels=torch.tensor([1, 2]), num_steps=2)
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        ldm.sample(0, labels=torch.tensor([], dtype=torch.long), num_steps=2)
    with pytest.raises(ValueError, match="seeds or generator, not both"):
        ldm.sample(1, labels=torch.tensor([1]), seeds=[0], generator=torch.Generator())
    with pytest.raises(ValueError, match="scale_factor"):
        LatentDiffusion(ldm.autoencoder, ldm.model, ldm.schedule, 0.0)
    unet = UNet(UNetConfig(in_channels=4, image_size=4, base_channels=8, channel_mults=(1,)))
    with pytest.raises(TypeError, match="KLAutoencoder"):
        LatentDiffusion(unet, unet, NoiseSchedule(10), 1.0)
    with pytest.raises(ValueError, match="train_images"):
        pretrained_digits_ldm(TINY, train_labels=data[1])
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        pretrained_digits_ldm(TINY, train_images=torch.rand(4, 1, 8, 8), train_labels=data[1][:4])
    with pytest.raises(TypeError, match="DigitsLDMConfig"):
        pretrained_digits_ldm({"steps": 3})
    with pytest.raises(ValueError, match="guidance"):
        LatentDiffusionAugmenter(ldm, guidance=-0.5)
