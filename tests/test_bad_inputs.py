"""Bad input, tried as a new user would, must fail loudly with a message that helps.

One parametrised test over a table of ``(callable, args, kwargs, exception,
substring)``: each public constructor and function of genaug.data, gan, vae,
diffusion, augment, metrics, viz, config and cache is called with a wrong type,
a wrong shape, NaN, an empty or an out-of-range value, and must raise the
given exception type (``TypeError`` for the wrong kind of value, ``ValueError``
for the right kind with a wrong value) whose message contains the substring
(usually the argument's name). Nothing may be accepted silently, and no
library internals (numpy, reshape, IndexError) may leak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch

from genaug import cache, config, viz
from genaug.augment import (
    Compose,
    FilteredAugmenter,
    RandomShift,
    balanced_labels,
    check_labelled_images,
    class_probabilities,
    confidence_filter,
    cutmix,
    label_agreement,
    mixup,
)
from genaug.augment.classical import random_shift
from genaug.data import ImageSet, digits, digits_m, faces, photos, shapes, subset
from genaug.diffusion import (
    AutoencoderConfig,
    DDIMSampler,
    DDPMSampler,
    GuidedDiffusionAugmenter,
    KLAutoencoder,
    LatentDiffusion,
    LatentDiffusionAugmenter,
    NoiseSchedule,
    SDEditAugmenter,
    autoencoder_loss,
    classifier_free_guidance,
    classifier_guidance,
    ddpm_loss,
    drop_labels,
    guidance_combine,
    latent_scale_factor,
    make_generators,
    per_sample_noise,
    sdedit,
)
from genaug.gan import (
    ADAAugment,
    ADAConfig,
    AdaptiveProbability,
    CycleGAN,
    CycleGANAugmenter,
    DCGANAugmenter,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    DiffAugment,
    StyleMixingAugmenter,
    discriminator_loss,
    generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    saturating_generator_loss,
)
from genaug.gan.cyclegan import (
    CycleGANConfig,
    CycleGANGenerator,
    ImageBuffer,
    cycle_consistency_loss,
    identity_loss,
)
from genaug.gan.stylegan import StyleGANConfig, StyleGANGenerator
from genaug.metrics import (
    ReferenceClassifier,
    discrete_entropy,
    discrete_mutual_information,
    discretize,
    frechet_distance,
    kernel_inception_distance,
    mutual_information_gap,
    mutual_information_matrix,
    nearest_neighbour_distance,
    pca_frechet_distance,
)
from genaug.nn import ClassifierConfig, ConvClassifier, UNet, UNetConfig, eval_mode
from genaug.recipes import ReferenceConfig, digits_cvae_settings, shapes_beta_vae_settings
from genaug.train import fit, fit_nvae, fit_vae
from genaug.vae import (
    CVAE,
    NVAE,
    AttributeEditAugmenter,
    CVAEAugmenter,
    CVAEConfig,
    InterpolationAugmenter,
    NVAEConfig,
    attribute_direction,
    bernoulli_log_likelihood,
    capacity_loss,
    elbo,
    gaussian_kl,
    gaussian_log_density,
    kl_balance_weights,
    kl_per_dimension,
    latent_traversal,
    lerp,
    linear_gaussian_elbo,
    linear_gaussian_log_marginal,
    linear_gaussian_posterior,
    reparameterize,
    slerp,
)

NAN = math.nan
torch.manual_seed(0)

# ---- tiny, valid objects to call methods on ----------------------------------------------
IMAGES = torch.rand(4, 1, 8, 8)  # (B, C, H, W) in [0, 1]
RGB = torch.rand(4, 3, 8, 8)
LABELS = torch.tensor([0, 1, 2, 3])
NAN_IMAGES = IMAGES.clone().index_put_((torch.tensor([0]),), torch.tensor(NAN))
EMPTY = torch.zeros(0, 1, 8, 8)
FEATURES = torch.randn(20, 3)
SCHEDULE = NoiseSchedule(100)
DDPM = DDPMSampler(SCHEDULE)
DDIM = DDIMSampler(SCHEDULE)
GEN = torch.Generator().manual_seed(0)


def zero_model(x, t, labels=None):
    """eps_theta = 0, callable as ``model(x_t, t)`` or ``model(x_t, t, labels)``."""
    return torch.zeros_like(x)


def enter_eval_mode(*modules):
    """Enter and leave ``eval_mode(*modules)`` (the checks run on entering)."""
    with eval_mode(*modules):
        pass


UNET = UNet(UNetConfig(image_size=8, base_channels=8, channel_mults=(1,), num_classes=4))
CVAE_MODEL = CVAE(
    CVAEConfig(image_size=8, latent_dim=2, base_channels=8, hidden_dim=16, num_classes=4)
)
DCGAN_G = DCGANGenerator(DCGANConfig(image_size=8, latent_dim=4, base_channels=8, num_classes=4))
DCGAN_D = DCGANDiscriminator(
    DCGANConfig(image_size=8, latent_dim=4, base_channels=8, num_classes=4)
)
STYLE_G = StyleGANGenerator(
    StyleGANConfig(image_size=8, latent_dim=8, mapping_layers=1, feature_channels=8, num_classes=4)
)
CYCLE_G = CycleGANGenerator(CycleGANConfig(channels=1, base_channels=8, num_residual=1))
NVAE_MODEL = NVAE(NVAEConfig(image_size=8, hidden_channels=8, latent_channels=2))
AUTOENCODER = KLAutoencoder(AutoencoderConfig(image_size=8, base_channels=8, channel_mults=(1, 2)))
LDM_UNET = UNet(
    UNetConfig(in_channels=4, image_size=4, base_channels=8, channel_mults=(1,), num_classes=4)
)
LDM = LatentDiffusion(AUTOENCODER, LDM_UNET, SCHEDULE, 1.0)
CLASSIFIER = ConvClassifier(ClassifierConfig(image_size=8, width=8, feature_dim=8, num_classes=4))
REFERENCE = ReferenceClassifier(
    ConvClassifier(ClassifierConfig(image_size=16, width=8, feature_dim=8)), 0.9
)
DATA = ImageSet(torch.rand(8, 1, 4, 4), torch.arange(8) % 2, ("a", "b"), "toy")
AUGMENTER = CVAEAugmenter(CVAE_MODEL)


class NaNModel(torch.nn.Module):
    """A classifier whose features are NaN (a diverged network)."""

    def __init__(self):
        super().__init__()
        self.inner = ConvClassifier(ClassifierConfig(image_size=16, width=8, feature_dim=8))
        self.config = self.inner.config

    def features(self, images):
        return self.inner.features(images) * NAN

    def forward(self, images):
        return self.inner(images) * NAN


@dataclass
class CacheConfig:
    size: int = 1


def case(fn, *args, error, match, id, **kwargs):  # noqa: A002
    return pytest.param(fn, args, kwargs, error, match, id=id)


T, V = TypeError, ValueError
# fmt: off
# (one row per case: the table reads best unwrapped)
CASES = [
    # ---- genaug.data ---------------------------------------------------------------------
    case(digits, "validation", error=V, match="split", id="digits-split"),
    case(digits, size=0, error=V, match="size", id="digits-size0"),
    case(digits, size=16.0, error=T, match="size", id="digits-size-float"),
    case(digits_m, seed=-1, error=V, match="seed", id="digits_m-seed-neg"),
    case(digits_m, seed=1.5, error=T, match="seed", id="digits_m-seed-float"),
    case(digits_m, "val", error=V, match="split", id="digits_m-split"),
    case(faces, "cats", error=V, match="kind", id="faces-kind"),
    case(faces, size=True, error=T, match="size", id="faces-size-bool"),
    case(photos, ["nope"], error=V, match="names", id="photos-name"),
    case(photos, "astronaut", error=T, match="names", id="photos-names-str"),
    case(photos, size=-3, error=V, match="size", id="photos-size"),
    case(shapes, seed=-1, error=V, match="seed", id="shapes-seed-neg"),
    case(shapes, 0, error=V, match="n", id="shapes-n0"),
    case(shapes, 10.0, error=T, match="n", id="shapes-n-float"),
    case(shapes, size=7, error=V, match="size", id="shapes-size"),
    case(subset, DATA, fraction=0.5, seed=-1, error=V, match="seed", id="subset-seed-neg"),
    case(subset, DATA, fraction=NAN, error=V, match="fraction", id="subset-fraction-nan"),
    case(subset, DATA, fraction=1.5, error=V, match="fraction", id="subset-fraction-big"),
    case(subset, DATA, per_class=0, error=V, match="per_class", id="subset-per_class0"),
    case(subset, IMAGES, fraction=0.5, error=T, match="ImageSet", id="subset-not-imageset"),
    case(ImageSet, NAN_IMAGES, LABELS, ("a",) * 4, "x", error=V, match="images", id="imageset-nan"),
    case(ImageSet, IMAGES * 255, LABELS, ("a",) * 4, "x", error=V, match="images", id="imageset-255"),
    case(ImageSet, IMAGES, LABELS.float(), ("a",) * 4, "x", error=T, match="labels", id="imageset-float-labels"),
    case(ImageSet, IMAGES, LABELS[:3], ("a",) * 4, "x", error=V, match="labels", id="imageset-count"),
    case(ImageSet, IMAGES, LABELS, ("a",), "x", error=V, match="labels", id="imageset-label-past-classes"),
    # ---- genaug.gan ----------------------------------------------------------------------
    case(DCGANConfig, channels=True, error=T, match="channels", id="dcgan-channels-bool"),
    case(DCGANConfig, image_size=12, error=V, match="image_size", id="dcgan-size"),
    case(DCGANConfig, latent_dim=0, error=V, match="latent_dim", id="dcgan-latent0"),
    case(DCGANConfig, num_classes=-1, error=V, match="num_classes", id="dcgan-classes-neg"),
    case(DCGANGenerator, {"image_size": 8}, error=T, match="config", id="dcgan-g-config-dict"),
    case(DCGANGenerator.sample, DCGAN_G, 0, labels=LABELS[:0], error=V, match="num_samples", id="dcgan-sample-n0"),
    case(DCGAN_G.sample, 2.0, labels=LABELS[:2], error=T, match="num_samples", id="dcgan-sample-n-float"),
    case(DCGAN_G.sample, 4, labels=LABELS + 4, error=V, match="labels", id="dcgan-sample-label-range"),
    case(DCGAN_G.sample, 4, labels=LABELS.float(), error=T, match="labels", id="dcgan-sample-label-float"),
    case(DCGAN_D, IMAGES, LABELS[:2], error=V, match="labels", id="dcgan-d-label-count"),
    case(DCGAN_D, IMAGES[:, :, :4], LABELS, error=V, match="images", id="dcgan-d-image-size"),
    case(DiffAugment(), EMPTY, error=V, match="images", id="diffaugment-empty"),
    case(DiffAugment(), IMAGES[0], error=V, match="images", id="diffaugment-3d"),
    case(DiffAugment, policy="colour", error=V, match="policy", id="diffaugment-policy"),
    case(DiffAugment, cutout_ratio=3.0, error=V, match="cutout_ratio", id="diffaugment-cutout"),
    case(DiffAugment, translation_ratio=NAN, error=V, match="translation_ratio", id="diffaugment-translation-nan"),
    case(ADAAugment, cutout_ratio=3.0, error=V, match="cutout_ratio", id="ada-cutout-big"),
    case(ADAAugment, cutout_ratio=0.0, error=V, match="cutout_ratio", id="ada-cutout-zero"),
    case(ADAAugment, p=NAN, error=V, match="p", id="ada-p-nan"),
    case(ADAAugment, p=1.5, error=V, match="p", id="ada-p-big"),
    case(ADAAugment, ops=("xflip", "warp"), error=V, match="ops", id="ada-ops"),
    case(ADAAugment, scale_std=-0.1, error=V, match="scale_std", id="ada-scale-neg"),
    case(ADAAugment(p=0.5), EMPTY, error=V, match="images", id="ada-empty"),
    case(ADAConfig, target=NAN, error=V, match="target", id="adaconfig-target-nan"),
    case(ADAConfig, interval=0, error=V, match="interval", id="adaconfig-interval"),
    case(ADAConfig, speed_images=1.5, error=T, match="speed_images", id="adaconfig-speed-float"),
    case(ADAConfig, max_p=2.0, error=V, match="max_p", id="adaconfig-max_p"),
    case(AdaptiveProbability, "fast", error=T, match="config", id="adaptive-config-str"),
    case(AdaptiveProbability().update, torch.tensor([NAN]), error=V, match="real_logits", id="adaptive-update-nan"),
    case(AdaptiveProbability().update, [0.5], error=T, match="real_logits", id="adaptive-update-list"),
    case(discriminator_loss, torch.zeros(3), torch.zeros(0), error=V, match="fake_logits", id="d-loss-empty"),
    case(discriminator_loss, [0.0], torch.zeros(3), error=T, match="real_logits", id="d-loss-list"),
    case(generator_loss, torch.tensor([True]), error=T, match="fake_logits", id="g-loss-bool"),
    case(generator_loss, torch.zeros(0), error=V, match="fake_logits", id="g-loss-empty"),
    case(saturating_generator_loss, torch.tensor([1, 2]), error=T, match="fake_logits", id="sat-loss-int"),
    case(least_squares_discriminator_loss, torch.zeros(2), "x", error=T, match="fake_outputs", id="ls-d-loss-str"),
    case(least_squares_generator_loss, [0.5], error=T, match="fake_outputs", id="ls-g-loss-list"),
    case(StyleGANConfig, image_size=12, error=V, match="image_size", id="stylegan-size"),
    case(StyleGANConfig, channels=True, error=T, match="channels", id="stylegan-channels-bool"),
    case(StyleGANConfig, style_mixing_prob=NAN, error=V, match="style_mixing_prob", id="stylegan-mix-nan"),
    case(STYLE_G.mapping, torch.randn(4, 8), LABELS + 4, error=V, match="labels", id="stylegan-label-range"),
    case(STYLE_G.mapping, torch.randn(4, 8), LABELS.float(), error=T, match="labels", id="stylegan-label-float"),
    case(STYLE_G.mapping, torch.randn(4, 8), LABELS[:2], error=V, match="labels", id="stylegan-label-count"),
    case(CycleGANConfig, lambda_cycle=NAN, error=V, match="lambda_cycle", id="cyclegan-lambda-nan"),
    case(CycleGANConfig, channels=2.0, error=T, match="channels", id="cyclegan-channels-float"),
    case(CYCLE_G, torch.rand(2, 3, 8, 8), error=V, match="images", id="cyclegan-g-channels"),
    case(cycle_consistency_loss, IMAGES, IMAGES[:, :, :4], IMAGES, IMAGES, error=V, match="reconstructed_a", id="cycle-loss-shape"),
    case(cycle_consistency_loss, IMAGES, IMAGES, IMAGES, [0.0], error=T, match="reconstructed_b", id="cycle-loss-list"),
    case(identity_loss, CYCLE_G, CYCLE_G, "x", IMAGES, error=T, match="real_a", id="identity-loss-str"),
    case(identity_loss, CYCLE_G, CYCLE_G, IMAGES, RGB, error=V, match="images", id="identity-loss-channels"),
    case(ImageBuffer, -1, error=V, match="size", id="buffer-size-neg"),
    case(ImageBuffer, 2.5, error=T, match="size", id="buffer-size-float"),
    case(ImageBuffer(2).query, EMPTY, error=V, match="images", id="buffer-query-empty"),
    # ---- genaug.vae ----------------------------------------------------------------------
    case(CVAEConfig, latent_dim=0, error=V, match="latent_dim", id="cvae-config-latent0"),
    case(CVAEConfig, channels=True, error=T, match="channels", id="cvae-config-channels-bool"),
    case(CVAEConfig, num_classes=-2, error=V, match="num_classes", id="cvae-config-classes"),
    case(CVAE_MODEL.sample, 0, labels=LABELS[:0], error=V, match="n", id="cvae-sample-n0"),
    case(CVAE_MODEL.sample, 4, labels=LABELS + 4, error=V, match="labels", id="cvae-sample-label-range"),
    case(CVAE_MODEL.sample, 4, labels=LABELS, temperature=NAN, error=V, match="temperature", id="cvae-sample-temp-nan"),
    case(CVAE_MODEL.sample, 4, labels=LABELS, temperature=-1.0, error=V, match="temperature", id="cvae-sample-temp-neg"),
    case(CVAE_MODEL.encode, IMAGES, LABELS.float(), error=T, match="labels", id="cvae-encode-label-float"),
    case(CVAE_MODEL.encode, IMAGES * 255, LABELS, error=V, match="images", id="cvae-encode-255"),
    case(CVAE_MODEL.decode, torch.randn(4, 3), LABELS, error=V, match="z", id="cvae-decode-z-dim"),
    case(CVAEAugmenter, CVAE_MODEL, temperature=NAN, error=V, match="temperature", id="cvae-augmenter-temp-nan"),
    case(CVAEAugmenter, "model", error=T, match="model", id="cvae-augmenter-model"),
    case(AUGMENTER, IMAGES, LABELS, 0, error=V, match="n", id="augmenter-n0"),
    case(AUGMENTER, IMAGES, LABELS, 2.0, error=T, match="n", id="augmenter-n-float"),
    case(AUGMENTER, NAN_IMAGES, LABELS, 2, error=V, match="images", id="augmenter-nan"),
    case(NVAEConfig, image_size=6, error=V, match="image_size", id="nvae-config-size"),
    case(NVAEConfig, cells_per_group=0, error=V, match="cells_per_group", id="nvae-config-cells"),
    case(NVAE_MODEL.sample, 0, error=V, match="n", id="nvae-sample-n0"),
    case(NVAE_MODEL.sample, 2, temperature=NAN, error=V, match="temperature", id="nvae-sample-temp-nan"),
    case(NVAE_MODEL.loss, IMAGES * 255, error=V, match="images", id="nvae-loss-255"),
    case(NVAE_MODEL.loss, IMAGES, kl_weight=NAN, error=V, match="kl_weight", id="nvae-loss-kl-nan"),
    case(fit_vae, CVAE_MODEL, IMAGES, LABELS, steps=0, error=V, match="steps", id="fit_vae-steps0"),
    case(fit_vae, CVAE_MODEL, IMAGES, LABELS, steps=1, lr=NAN, error=V, match="lr", id="fit_vae-lr-nan"),
    case(fit_vae, CVAE_MODEL, IMAGES, LABELS, steps=1, seed=-1, error=V, match="seed", id="fit_vae-seed-neg"),
    case(fit_vae, CVAE_MODEL, IMAGES, LABELS[:2], steps=1, error=V, match="labels", id="fit_vae-label-count"),
    case(fit_nvae, NVAE_MODEL, IMAGES, steps=1, batch_size=0, error=V, match="batch_size", id="fit_nvae-batch0"),
    case(fit_nvae, NVAE_MODEL, NAN_IMAGES, steps=1, error=V, match="images", id="fit_nvae-nan"),
    case(lerp, torch.zeros(2, 3), torch.ones(2, 3), NAN, error=V, match="t", id="lerp-t-nan"),
    case(lerp, torch.zeros(2, 3), torch.ones(2, 4), 0.5, error=V, match="z1", id="lerp-shape"),
    case(slerp, torch.zeros(2, 3) + 1, torch.ones(2, 3), NAN, error=V, match="t", id="slerp-t-nan"),
    case(slerp, torch.ones(2, 3), torch.ones(2, 3), torch.tensor([0.5, NAN]), error=V, match="t", id="slerp-t-tensor-nan"),
    case(slerp, [1.0], torch.ones(2, 3), 0.5, error=T, match="z0", id="slerp-z0-list"),
    case(InterpolationAugmenter, CVAE_MODEL, mode="linear", error=V, match="mode", id="interp-mode"),
    case(InterpolationAugmenter, CVAE_MODEL, t_range=(0.8, 0.2), error=V, match="t_range", id="interp-t-range"),
    case(InterpolationAugmenter, CVAE_MODEL, t_range=(0.0, NAN), error=V, match="t_range", id="interp-t-range-nan"),
    case(AttributeEditAugmenter, CVAE_MODEL, torch.randn(2, 3), torch.ones(2), error=V, match="directions", id="attr-aug-dir-dim"),
    case(AttributeEditAugmenter, CVAE_MODEL, torch.randn(2, 2), torch.tensor([NAN]), error=V, match="strengths", id="attr-aug-strength-nan"),
    case(attribute_direction, torch.randn(4, 2), torch.randn(3), error=V, match="values", id="attr-dir-count"),
    case(attribute_direction, torch.randn(4, 2), torch.tensor([0.0, 1.0, NAN, 1.0]), error=V, match="values", id="attr-dir-nan"),
    case(latent_traversal, CVAE_MODEL, torch.randn(2), 5, torch.linspace(-1, 1, 3), labels=LABELS[:1], error=V, match="dim", id="traversal-dim"),
    case(latent_traversal, CVAE_MODEL, torch.randn(2), 0.5, torch.linspace(-1, 1, 3), labels=LABELS[:1], error=T, match="dim", id="traversal-dim-float"),
    case(reparameterize, torch.zeros(2, 3), torch.zeros(2, 4), error=V, match="logvar", id="reparam-shape"),
    case(reparameterize, torch.zeros(2, 3), torch.zeros(2, 3), num_samples=0, error=V, match="num_samples", id="reparam-samples0"),
    case(gaussian_kl, torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.long), error=T, match="logvar", id="kl-int"),
    case(gaussian_kl, torch.zeros(2, 3), torch.zeros(3, 3), error=V, match="logvar", id="kl-shape"),
    case(gaussian_log_density, [0.0], torch.zeros(1), torch.zeros(1), error=T, match="x", id="log-density-list"),
    case(bernoulli_log_likelihood, torch.zeros(2, 4), torch.full((2, 4), 2.0), error=V, match="target", id="bernoulli-target-range"),
    case(elbo, torch.zeros(2), torch.zeros(2), beta=NAN, error=V, match="beta", id="elbo-beta-nan"),
    case(elbo, torch.zeros(2), torch.zeros(2), beta=-1.0, error=V, match="beta", id="elbo-beta-neg"),
    case(capacity_loss, torch.zeros(2), torch.zeros(2), capacity=NAN, error=V, match="capacity", id="capacity-nan"),
    case(capacity_loss, torch.zeros(2), torch.zeros(2), capacity=1.0, gamma=-1.0, error=V, match="gamma", id="capacity-gamma"),
    case(kl_per_dimension, torch.zeros(2, 3), torch.zeros(2, 2), error=V, match="logvar", id="kl-per-dim-shape"),
    case(kl_balance_weights, torch.ones(2), (1, 2, 3), error=V, match="group_sizes", id="kl-balance-count"),
    case(kl_balance_weights, [1.0, 2.0], (1, 2), error=T, match="kl_per_group", id="kl-balance-list"),
    case(linear_gaussian_log_marginal, torch.zeros(2, 3), torch.zeros(3, 2), torch.zeros(3), -1.0, error=V, match="noise_var", id="lg-marginal-noise"),
    case(linear_gaussian_posterior, torch.zeros(2, 3), torch.zeros(3, 2), torch.zeros(3), NAN, error=V, match="noise_var", id="lg-posterior-nan"),
    case(linear_gaussian_elbo, torch.zeros(2, 3), torch.zeros(3, 2), torch.zeros(4), 1.0, torch.zeros(2, 2), torch.zeros(2, 2), error=V, match="bias", id="lg-elbo-bias"),
    # ---- genaug.diffusion ----------------------------------------------------------------
    case(NoiseSchedule, 0, error=V, match="num_timesteps", id="schedule-T0"),
    case(NoiseSchedule, 10.0, error=T, match="num_timesteps", id="schedule-T-float"),
    case(NoiseSchedule, 10, schedule="quadratic", error=V, match="schedule", id="schedule-name"),
    case(NoiseSchedule, 10, beta_end=NAN, error=V, match="beta_end", id="schedule-beta-nan"),
    case(NoiseSchedule, 10, beta_start=0.1, beta_end=0.01, error=V, match="beta", id="schedule-beta-order"),
    case(SCHEDULE.check_timesteps, 100, error=V, match="timesteps", id="schedule-t-range"),
    case(DDPMSampler, SCHEDULE, clip_range=-1.0, error=V, match="clip_range", id="ddpm-clip-neg"),
    case(DDPMSampler, SCHEDULE, clip_range=0.0, error=V, match="clip_range", id="ddpm-clip-zero"),
    case(DDPMSampler, SCHEDULE, clip_range=NAN, error=V, match="clip_range", id="ddpm-clip-nan"),
    case(DDPMSampler, SCHEDULE, variance="huge", error=V, match="variance", id="ddpm-variance"),
    case(DDPMSampler, "linear", error=T, match="schedule", id="ddpm-schedule-str"),
    case(DDPM.sample, zero_model, seeds=[1.5], shape=(1, 4, 4), error=T, match="seeds", id="ddpm-seeds-float"),
    case(DDPM.sample, zero_model, seeds=[], shape=(1, 4, 4), error=V, match="seeds", id="ddpm-seeds-empty"),
    case(DDPM.sample, zero_model, seeds=[-1], shape=(1, 4, 4), error=V, match="seeds", id="ddpm-seeds-neg"),
    case(DDPM.sample, zero_model, seeds=[0], shape=(1, 4, 4), num_steps=0, error=V, match="num_steps", id="ddpm-steps0"),
    case(DDPM.sample, zero_model, seeds=[0], shape=(1, 4, 4), num_steps=5.0, error=T, match="num_steps", id="ddpm-steps-float"),
    case(DDPM.step, torch.zeros(1, 1, 4, 4), 100, torch.zeros(1, 1, 4, 4), noise=torch.zeros(1, 1, 4, 4), error=V, match="timesteps", id="ddpm-step-t-range"),
    case(DDIMSampler, SCHEDULE, clip_range=-1.0, error=V, match="clip_range", id="ddim-clip-neg"),
    case(DDIMSampler, SCHEDULE, clip_range=0.0, error=V, match="clip_range", id="ddim-clip-zero"),
    case(DDIMSampler, SCHEDULE, clip_sample="yes", error=T, match="clip_sample", id="ddim-clip-sample-str"),
    case(DDIM.sample, zero_model, num_steps=2, shape=(1, 4, 4), seeds=[0], eta=NAN, error=V, match="eta", id="ddim-eta-nan"),
    case(DDIM.sample, zero_model, num_steps=2, shape=(1, 4, 4), seeds=[0], eta=-0.5, error=V, match="eta", id="ddim-eta-neg"),
    case(DDIM.sample, zero_model, num_steps=2, shape=(1, 4, 4), seeds=[0.5], error=T, match="seeds", id="ddim-seeds-float"),
    case(DDIM.sample, zero_model, num_steps=0, shape=(1, 4, 4), seeds=[0], error=V, match="num_steps", id="ddim-steps0"),
    case(DDIM.sample, zero_model, num_steps=200, shape=(1, 4, 4), seeds=[0], error=V, match="num_steps", id="ddim-steps-too-many"),
    case(DDIM.invert, zero_model, torch.full((1, 1, 4, 4), NAN), num_steps=2, error=V, match="sample", id="ddim-invert-nan"),
    case(DDIM.invert, zero_model, torch.zeros(1, 1, 4, 4), num_steps=2, refine=-1, error=V, match="refine", id="ddim-invert-refine"),
    case(sdedit, zero_model, IMAGES * 255, SCHEDULE, strength=0.5, num_steps=2, seeds=[0, 1, 2, 3], error=V, match="images", id="sdedit-255"),
    case(sdedit, zero_model, IMAGES, SCHEDULE, strength=NAN, num_steps=2, seeds=[0, 1, 2, 3], error=V, match="strength", id="sdedit-strength-nan"),
    case(sdedit, zero_model, IMAGES, SCHEDULE, strength=1.5, num_steps=2, seeds=[0, 1, 2, 3], error=V, match="strength", id="sdedit-strength-big"),
    case(sdedit, zero_model, IMAGES, SCHEDULE, strength=0.5, num_steps=2, seeds=[0, 1], error=V, match="seeds", id="sdedit-seed-count"),
    case(sdedit, zero_model, IMAGES, SCHEDULE, strength=0.5, num_steps=2, seeds=[0, 1, 2, 3], eta=NAN, error=V, match="eta", id="sdedit-eta-nan"),
    case(SDEditAugmenter, UNET, SCHEDULE, strength=NAN, error=V, match="strength", id="sdedit-aug-strength-nan"),
    case(SDEditAugmenter, UNET, SCHEDULE, guidance=-1.0, error=V, match="guidance", id="sdedit-aug-guidance-neg"),
    case(SDEditAugmenter, UNET, SCHEDULE, num_steps=0, error=V, match="num_steps", id="sdedit-aug-steps0"),
    case(GuidedDiffusionAugmenter, UNET, SCHEDULE, guidance=NAN, error=V, match="guidance", id="guided-aug-nan"),
    case(GuidedDiffusionAugmenter, UNET, SCHEDULE, num_steps=2.5, error=T, match="num_steps", id="guided-aug-steps-float"),
    case(GuidedDiffusionAugmenter, UNET, SCHEDULE, shape=(1, 0, 8), error=V, match="shape", id="guided-aug-shape"),
    case(classifier_free_guidance, UNET, LABELS, NAN, error=V, match="scale", id="cfg-scale-nan"),
    case(classifier_free_guidance, UNET, LABELS, -1.0, error=V, match="scale", id="cfg-scale-neg"),
    case(classifier_free_guidance, UNET, LABELS + 4, 1.0, error=V, match="labels", id="cfg-label-range"),
    case(classifier_free_guidance, UNET, LABELS.float(), 1.0, error=T, match="labels", id="cfg-label-float"),
    case(classifier_guidance, zero_model, CLASSIFIER, LABELS, NAN, SCHEDULE, error=V, match="scale", id="cg-scale-nan"),
    case(classifier_guidance, zero_model, CLASSIFIER, [0, 1], 1.0, SCHEDULE, error=T, match="labels", id="cg-labels-list"),
    case(guidance_combine, torch.zeros(2), torch.zeros(2), NAN, error=V, match="scale", id="combine-nan"),
    case(guidance_combine, torch.zeros(2), torch.zeros(3), 1.0, error=V, match="shape", id="combine-shape"),
    case(drop_labels, LABELS, probability=NAN, null_label=4, generator=GEN, error=V, match="probability", id="drop-labels-nan"),
    case(drop_labels, LABELS, probability=1.5, null_label=4, generator=GEN, error=V, match="probability", id="drop-labels-big"),
    case(drop_labels, LABELS.float(), probability=0.5, null_label=4, generator=GEN, error=T, match="labels", id="drop-labels-float"),
    case(drop_labels, LABELS, probability=0.5, null_label=-1, generator=GEN, error=V, match="null_label", id="drop-labels-null"),
    case(ddpm_loss, UNET, IMAGES, SCHEDULE, generator=GEN, labels=LABELS, label_dropout=NAN, error=V, match="label_dropout", id="ddpm-loss-dropout-nan"),
    case(ddpm_loss, UNET, LABELS, SCHEDULE, generator=GEN, labels=LABELS, error=T, match="original", id="ddpm-loss-int-images"),
    case(ddpm_loss, UNET, IMAGES, SCHEDULE, generator=GEN, labels=LABELS[:2], error=V, match="labels", id="ddpm-loss-label-count"),
    case(make_generators, [1.5], error=T, match="seeds", id="make-generators-float"),
    case(make_generators, [-1], error=V, match="seeds", id="make-generators-neg"),
    case(make_generators, 3, error=T, match="seeds", id="make-generators-int"),
    case(per_sample_noise, [GEN], (0, 4), error=V, match="shape", id="noise-shape0"),
    case(per_sample_noise, [0], (1, 4), error=T, match="generators", id="noise-not-generator"),
    case(AutoencoderConfig, image_size=18, error=V, match="image_size", id="ae-config-size"),
    case(AutoencoderConfig, latent_channels=True, error=T, match="latent_channels", id="ae-config-bool"),
    case(AUTOENCODER.encode, IMAGES * 255, error=V, match="images", id="ae-encode-255"),
    case(AUTOENCODER.encode, NAN_IMAGES, error=V, match="images", id="ae-encode-nan"),
    case(autoencoder_loss, AUTOENCODER, IMAGES, kl_weight=NAN, error=V, match="kl_weight", id="ae-loss-kl-nan"),
    case(autoencoder_loss, AUTOENCODER, IMAGES, kl_weight=-1.0, error=V, match="kl_weight", id="ae-loss-kl-neg"),
    case(latent_scale_factor, torch.full((2, 4, 4, 4), NAN), error=V, match="latents", id="scale-factor-nan"),
    case(latent_scale_factor, torch.zeros(0, 4, 4, 4), error=V, match="latents", id="scale-factor-empty"),
    case(LatentDiffusion, AUTOENCODER, LDM_UNET, SCHEDULE, NAN, error=V, match="scale_factor", id="ldm-scale-nan"),
    case(LatentDiffusion, AUTOENCODER, LDM_UNET, SCHEDULE, 0.0, error=V, match="scale_factor", id="ldm-scale-zero"),
    case(LDM.sample, 4, labels=LABELS, seeds=[0, 1, 2, 3], guidance=NAN, num_steps=2, error=V, match="guidance", id="ldm-sample-guidance-nan"),
    case(LDM.sample, 4, labels=LABELS, seeds=[0, 1, 2, 3.5], num_steps=2, error=T, match="seeds", id="ldm-sample-seeds-float"),
    case(LDM.sample, 4, labels=LABELS + 4, seeds=[0, 1, 2, 3], num_steps=2, error=V, match="labels", id="ldm-sample-label-range"),
    case(LDM.sample, 4, labels=LABELS, seeds=[0, 1, 2, 3], num_steps=2, clip_range=-1.0, error=V, match="clip_range", id="ldm-sample-clip"),
    case(LatentDiffusionAugmenter, LDM, guidance=NAN, error=V, match="guidance", id="ldm-aug-guidance-nan"),
    case(LatentDiffusionAugmenter, LDM, num_steps=0, error=V, match="num_steps", id="ldm-aug-steps0"),
    # ---- genaug.augment ------------------------------------------------------------------
    case(check_labelled_images, IMAGES * 255, LABELS, error=V, match="[0, 1]", id="labelled-255"),
    case(check_labelled_images, IMAGES, LABELS.float(), error=T, match="labels", id="labelled-float-labels"),
    case(check_labelled_images, EMPTY, LABELS[:0], error=V, match="images", id="labelled-empty"),
    case(check_labelled_images, NAN_IMAGES, LABELS, error=V, match="images", id="labelled-nan"),
    case(balanced_labels, LABELS, 0, error=V, match="n", id="balanced-n0"),
    case(balanced_labels, LABELS, 2.0, error=T, match="n", id="balanced-n-float"),
    case(balanced_labels, LABELS.float(), 2, error=T, match="labels", id="balanced-float-labels"),
    case(balanced_labels, LABELS[:0], 2, error=V, match="labels", id="balanced-empty"),
    case(class_probabilities, CLASSIFIER, IMAGES * 255, error=V, match="images", id="class-probs-255"),
    case(class_probabilities, "classifier", IMAGES, error=T, match="classifier", id="class-probs-classifier"),
    case(confidence_filter, IMAGES, LABELS, CLASSIFIER, threshold=NAN, error=V, match="threshold", id="confidence-nan"),
    case(confidence_filter, IMAGES, LABELS, CLASSIFIER, threshold=1.5, error=V, match="threshold", id="confidence-big"),
    case(label_agreement, IMAGES, LABELS[:3], CLASSIFIER, error=V, match="labels", id="agreement-count"),
    case(label_agreement, NAN_IMAGES, LABELS, CLASSIFIER, error=V, match="images", id="agreement-nan"),
    case(FilteredAugmenter, AUGMENTER, CLASSIFIER, threshold=NAN, error=V, match="threshold", id="filtered-nan"),
    case(FilteredAugmenter, AUGMENTER, CLASSIFIER, max_rounds=0, error=V, match="max_rounds", id="filtered-rounds0"),
    case(FilteredAugmenter, AUGMENTER, CLASSIFIER, max_rounds=2.0, error=T, match="max_rounds", id="filtered-rounds-float"),
    case(random_shift, IMAGES[0], 1, GEN, error=V, match="images", id="random-shift-3d"),
    case(random_shift, IMAGES, -1, GEN, error=V, match="max_shift", id="random-shift-neg"),
    case(random_shift, IMAGES, 1.5, GEN, error=T, match="max_shift", id="random-shift-float"),
    case(RandomShift, -1, error=V, match="max_shift", id="random-shift-class-neg"),
    case(RandomShift(1), NAN_IMAGES, error=V, match="images", id="random-shift-class-nan"),
    case(Compose, [RandomShift(1), "flip"], error=T, match="Transform", id="compose-not-transform"),
    case(mixup, IMAGES, LABELS, num_classes=4, alpha=NAN, error=V, match="alpha", id="mixup-alpha-nan"),
    case(mixup, IMAGES, LABELS.float(), num_classes=4, error=T, match="labels", id="mixup-float-labels"),
    case(cutmix, IMAGES, LABELS + 1, num_classes=4, error=V, match="labels", id="cutmix-label-range"),
    case(cutmix, EMPTY, LABELS[:0], num_classes=4, error=V, match="images", id="cutmix-empty"),
    # ---- gan augmenters -------------------------------------------------------------------
    case(DCGANAugmenter, STYLE_G, error=T, match="model", id="dcgan-augmenter-model"),
    case(DCGANAugmenter(DCGAN_G), IMAGES, LABELS, 0, error=V, match="n", id="dcgan-augmenter-n0"),
    case(StyleMixingAugmenter, STYLE_G, crossover=99, error=V, match="crossover", id="style-mixing-crossover"),
    case(StyleMixingAugmenter, STYLE_G, crossover=1.0, error=T, match="crossover", id="style-mixing-crossover-float"),
    case(StyleMixingAugmenter, STYLE_G, psi=NAN, error=V, match="psi", id="style-mixing-psi-nan"),
    case(CycleGANAugmenter, CYCLE_G, error=T, match="model", id="cyclegan-augmenter-model"),
    case(CycleGANAugmenter, CycleGAN(CycleGANConfig(channels=1, base_channels=8, num_residual=1)), direction="up", error=V, match="direction", id="cyclegan-augmenter-direction"),
    case(CycleGAN, {"channels": 1}, error=T, match="config", id="cyclegan-config-dict"),
    # ---- genaug.nn, genaug.train, genaug.recipes (what the families build on) ---------------
    case(UNetConfig, dropout=NAN, error=V, match="dropout", id="unet-config-dropout-nan"),
    case(UNetConfig, base_channels=True, error=T, match="base_channels", id="unet-config-bool"),
    case(UNET, IMAGES, torch.zeros(4, dtype=torch.long), LABELS.float(), error=T, match="labels", id="unet-label-float"),
    case(UNET, IMAGES, torch.zeros(4, dtype=torch.long), LABELS[:2], error=V, match="labels", id="unet-label-count"),
    case(enter_eval_mode, "model", error=T, match="nn.Module", id="eval-mode-not-module"),
    case(fit, lambda index: {}, num_steps=0, modules={}, error=V, match="num_steps", id="fit-steps0"),
    case(shapes_beta_vae_settings, NAN, error=V, match="beta", id="beta-vae-settings-nan"),
    case(digits_cvae_settings, "huge", error=V, match="profile", id="cvae-settings-profile"),
    case(ReferenceConfig, seed=-1, error=V, match="seed", id="ref-config-seed"),
    case(latent_traversal, CVAE_MODEL, torch.randn(2), 0, torch.tensor([NAN]), labels=LABELS[:1], error=V, match="values", id="traversal-values-nan"),
    # ---- genaug.metrics ------------------------------------------------------------------
    case(frechet_distance, "abc", FEATURES, error=T, match="features_a", id="fd-str"),
    case(frechet_distance, FEATURES, torch.full((20, 3), NAN), error=V, match="features_b", id="fd-nan"),
    case(frechet_distance, FEATURES, torch.randn(20, 4), error=V, match="features", id="fd-dims"),
    case(frechet_distance, FEATURES[:1], FEATURES, error=V, match="features_a", id="fd-one-row"),
    case(kernel_inception_distance, FEATURES, FEATURES, subset_size=0, error=V, match="subset_size", id="kid-subset0"),
    case(kernel_inception_distance, FEATURES, FEATURES, subset_size=10, num_subsets=1.5, error=T, match="num_subsets", id="kid-subsets-float"),
    case(kernel_inception_distance, FEATURES, FEATURES, subset_size=10, seed=-1, error=V, match="seed", id="kid-seed-neg"),
    case(kernel_inception_distance, FEATURES * NAN, FEATURES, error=V, match="features_a", id="kid-nan"),
    case(nearest_neighbour_distance, IMAGES, torch.rand(4, 1, 4, 4), error=V, match="reference", id="nn-shape"),
    case(nearest_neighbour_distance, NAN_IMAGES, IMAGES, error=V, match="samples", id="nn-nan"),
    case(pca_frechet_distance, IMAGES, IMAGES, num_components=0, error=V, match="num_components", id="pca-fd-0"),
    case(pca_frechet_distance, IMAGES, NAN_IMAGES, error=V, match="reference", id="pca-fd-nan"),
    case(ReferenceConfig, image_size=20, error=V, match="image_size", id="ref-config-size"),
    case(ReferenceConfig, steps=0, error=V, match="steps", id="ref-config-steps"),
    case(ReferenceConfig, lr=NAN, error=V, match="lr", id="ref-config-lr-nan"),
    case(ReferenceClassifier, CLASSIFIER, 1.5, error=V, match="test_accuracy", id="ref-accuracy"),
    case(ReferenceClassifier, "model", 0.9, error=T, match="model", id="ref-model"),
    case(REFERENCE.features, torch.full((2, 1, 16, 16), NAN), error=V, match="images", id="ref-features-nan-images"),
    case(ReferenceClassifier(NaNModel(), 0.9).features, torch.rand(2, 1, 16, 16), error=V, match="features", id="ref-features-nan-out"),
    case(REFERENCE.probabilities, torch.rand(2, 1, 16, 16) * 255, error=V, match="images", id="ref-probs-255"),
    case(REFERENCE.features, torch.rand(2, 1, 16, 16), batch_size=0, error=V, match="batch_size", id="ref-batch0"),
    case(ClassifierConfig, dropout=NAN, error=V, match="dropout", id="classifier-dropout-nan"),
    case(ClassifierConfig, num_classes=0, error=V, match="num_classes", id="classifier-classes0"),
    case(discretize, torch.zeros(4, 2), num_bins=0, error=V, match="num_bins", id="discretize-bins0"),
    case(discretize, torch.full((4, 2), NAN), error=V, match="values", id="discretize-nan"),
    case(discrete_entropy, torch.tensor([0.5, 1.0]), error=T, match="labels", id="entropy-float"),
    case(discrete_mutual_information, torch.tensor([0, 1]), torch.tensor([0, 1, 1]), error=V, match="b", id="mi-count"),
    case(mutual_information_matrix, torch.zeros(4, 2), torch.zeros(3, 1, dtype=torch.long), error=V, match="factors", id="mi-matrix-count"),
    case(mutual_information_gap, torch.zeros(4, 2), torch.zeros(4, 1, dtype=torch.long), num_bins=1.5, error=T, match="num_bins", id="mig-bins-float"),
    # ---- genaug.viz ----------------------------------------------------------------------
    case(viz.make_grid, IMAGES * 255, error=V, match="255", id="grid-255"),
    case(viz.make_grid, IMAGES * 2 - 1, error=V, match="(x + 1) / 2", id="grid-tanh"),
    case(viz.make_grid, NAN_IMAGES, error=V, match="images", id="grid-nan"),
    case(viz.make_grid, IMAGES, nrow=0, error=V, match="nrow", id="grid-nrow0"),
    case(viz.make_grid, IMAGES, nrow=2.0, error=T, match="nrow", id="grid-nrow-float"),
    case(viz.make_grid, torch.rand(2, 2, 4, 4), error=V, match="channels", id="grid-channels"),
    case(viz.show_images, IMAGES, value_range=(1.0, 0.0), error=V, match="value_range", id="show-range-order"),
    case(viz.show_images, EMPTY, error=V, match="images", id="show-empty"),
    case(viz.plot_curves, {"loss": [1.0]}, smooth=0, error=V, match="smooth", id="curves-smooth0"),
    case(viz.plot_curves, {"loss": [1.0]}, keys=["acc"], error=KeyError, match="acc", id="curves-key"),
    # ---- genaug.config -------------------------------------------------------------------
    case(config.seed_everything, -1, error=V, match="seed", id="seed-everything-neg"),
    case(config.seed_everything, 1.5, error=T, match="seed", id="seed-everything-float"),
    case(config.loader_generator, True, error=T, match="seed", id="loader-generator-bool"),
    case(config.device, "tpu", error=V, match="prefer", id="device-name"),
    case(config.by_profile, smoke=1, cpu=2, gpu=3, profile="huge", error=V, match="profile", id="by-profile"),
    # ---- genaug.cache --------------------------------------------------------------------
    case(cache.config_hash, object(), error=T, match="config", id="cache-hash-object"),
    case(cache.config_hash, {"f": object()}, error=T, match="JSON", id="cache-hash-not-json"),
    case(cache.cache_path, "../escape", CacheConfig(), error=V, match="name", id="cache-path-name"),
    case(cache.cache_path, "", CacheConfig(), error=V, match="name", id="cache-path-empty"),
]
# fmt: on


@pytest.mark.parametrize(("fn", "args", "kwargs", "error", "match"), CASES)
def test_bad_input_fails_loudly_with_a_helpful_message(fn, args, kwargs, error, match):
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is checked below
        fn(*args, **kwargs)
    assert type(raised.value) is error or isinstance(raised.value, error), (
        f"expected {error.__name__}, got {type(raised.value).__name__}: {raised.value}"
    )
    assert match in str(raised.value), f"{match!r} not in the message: {raised.value}"
