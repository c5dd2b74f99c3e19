"""The family contract (genaug.augment's docstring, DESIGN.md): every generator samples
alike, every generative augmenter is called alike.

Generators: ``sample(num_samples, *, labels=None, generator=None)`` returns
``(num_samples, C, H, W)`` images in [0, 1], the same for equal generator seeds.
Augmenters: ``augmenter(images, labels, n, *, generator)`` returns ``n`` new images in
[0, 1] with labels among the given classes, the same for equal generator seeds.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch import nn

import genaug.diffusion
import genaug.gan
import genaug.vae
from genaug.augment.generative import ConditionalAugmenter, GenerativeAugmenter
from genaug.diffusion import (
    AutoencoderConfig,
    GuidedDiffusionAugmenter,
    KLAutoencoder,
    LatentDiffusion,
    LatentDiffusionAugmenter,
    NoiseSchedule,
    SDEditAugmenter,
)
from genaug.gan import (
    CycleGAN,
    CycleGANAugmenter,
    CycleGANConfig,
    DCGANAugmenter,
    DCGANConfig,
    DCGANGenerator,
    StyleGANConfig,
    StyleGANGenerator,
    StyleMixingAugmenter,
)
from genaug.nn import UNet, UNetConfig
from genaug.vae import (
    CVAE,
    NVAE,
    AttributeEditAugmenter,
    CVAEAugmenter,
    CVAEConfig,
    InterpolationAugmenter,
    NVAEConfig,
)

NUM_CLASSES = 3


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def small_weights(model: nn.Module) -> nn.Module:
    """Random weights of a scale that keeps a tiny untrained network's outputs varied."""
    for parameter in model.parameters():
        parameter.data.normal_(0, 0.05)
    return model.eval()


# --- tiny instances of every generator ---------------------------------------------------------


def dcgan(num_classes: int) -> DCGANGenerator:
    config = DCGANConfig(image_size=16, latent_dim=8, base_channels=8, num_classes=num_classes)
    return DCGANGenerator(config)


def stylegan(num_classes: int) -> StyleGANGenerator:
    config = StyleGANConfig(
        image_size=16, latent_dim=8, mapping_layers=2, feature_channels=8, num_classes=num_classes
    )
    return StyleGANGenerator(config)


def cvae(num_classes: int) -> CVAE:
    return CVAE(CVAEConfig(latent_dim=4, base_channels=8, hidden_dim=16, num_classes=num_classes))


def nvae() -> NVAE:
    return NVAE(NVAEConfig(image_size=8, hidden_channels=8, latent_channels=2))


def latent_diffusion() -> LatentDiffusion:
    autoencoder = KLAutoencoder(AutoencoderConfig(base_channels=8, latent_channels=2))
    unet = UNetConfig(
        in_channels=2, image_size=4, base_channels=8, channel_mults=(1,), num_classes=NUM_CLASSES
    )
    return LatentDiffusion(autoencoder, small_weights(UNet(unet)), NoiseSchedule(50), 1.0)


@dataclass
class GeneratorCase:
    build: Callable[[], object]
    shape: tuple[int, int, int]  # (C, H, W) of one sample
    conditional: bool
    options: dict  # the model's own keyword-only options, to keep the test fast


GENERATORS = {
    "dcgan": GeneratorCase(lambda: dcgan(0), (1, 16, 16), False, {}),
    "dcgan-conditional": GeneratorCase(lambda: dcgan(NUM_CLASSES), (1, 16, 16), True, {}),
    "stylegan": GeneratorCase(lambda: stylegan(0), (1, 16, 16), False, {}),
    "stylegan-conditional": GeneratorCase(lambda: stylegan(NUM_CLASSES), (1, 16, 16), True, {}),
    "vae": GeneratorCase(lambda: cvae(0), (1, 16, 16), False, {}),
    "cvae": GeneratorCase(lambda: cvae(NUM_CLASSES), (1, 16, 16), True, {}),
    "nvae": GeneratorCase(nvae, (1, 8, 8), False, {}),
    "latent-diffusion": GeneratorCase(latent_diffusion, (1, 16, 16), True, {"num_steps": 2}),
}


@pytest.fixture(params=sorted(GENERATORS), scope="module")
def case(request):
    torch.manual_seed(0)
    item = GENERATORS[request.param]
    return item, item.build()


def test_every_generator_class_is_covered():
    covered = {type(item.build()) for item in GENERATORS.values()}
    exported = set()
    for package in (genaug.gan, genaug.vae, genaug.diffusion):
        for name in package.__all__:
            value = getattr(package, name)
            is_sampler = name.endswith("Sampler") or (
                inspect.isclass(value) and issubclass(value, GenerativeAugmenter)
            )
            if inspect.isclass(value) and hasattr(value, "sample") and not is_sampler:
                exported.add(value)
    assert exported == covered


def test_sample_signature(case):
    _, model = case
    parameters = inspect.signature(model.sample).parameters
    names = list(parameters)
    assert names[0] == "num_samples"
    assert parameters["num_samples"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for name in ("labels", "generator"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is None, name
    # every other option is keyword-only with a default
    for name in names[1:]:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is not inspect.Parameter.empty, name


def test_sample_shape_range_and_determinism(case):
    item, model = case
    labels = torch.tensor([0, 2, 1, 2]) if item.conditional else None
    images = model.sample(4, labels=labels, generator=seeded(0), **item.options)
    assert isinstance(images, torch.Tensor) and images.dtype == torch.float32
    assert images.shape == (4, *item.shape)
    assert torch.isfinite(images).all()
    assert images.min() >= 0 and images.max() <= 1
    again = model.sample(4, labels=labels, generator=seeded(0), **item.options)
    assert torch.equal(images, again)
    other = model.sample(4, labels=labels, generator=seeded(1), **item.options)
    assert not torch.equal(images, other)


def test_labels_are_required_exactly_by_conditional_models(case):
    item, model = case
    if item.conditional:
        with pytest.raises(ValueError):
            model.sample(2, generator=seeded(0), **item.options)
    else:
        with pytest.raises(ValueError):
            model.sample(2, labels=torch.tensor([0, 1]), generator=seeded(0), **item.options)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_num_samples_must_be_a_positive_int(case, bad):
    item, model = case
    labels = torch.tensor([0, 1]) if item.conditional else None
    with pytest.raises((TypeError, ValueError), match="num_samples"):
        model.sample(bad, labels=labels, **item.options)


# --- every generative augmenter ------------------------------------------------------------------


def noise_predictor() -> UNet:
    config = UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=NUM_CLASSES)
    return small_weights(UNet(config))


AUGMENTERS: dict[str, Callable[[], GenerativeAugmenter]] = {
    "dcgan": lambda: DCGANAugmenter(dcgan(NUM_CLASSES)),
    "style-mixing": lambda: StyleMixingAugmenter(stylegan(NUM_CLASSES)),
    "cyclegan": lambda: CycleGANAugmenter(
        CycleGAN(CycleGANConfig(channels=1, base_channels=4, num_residual=1))
    ),
    "cvae": lambda: CVAEAugmenter(cvae(NUM_CLASSES)),
    "interpolation": lambda: InterpolationAugmenter(cvae(NUM_CLASSES)),
    "attribute-edit": lambda: AttributeEditAugmenter(
        cvae(NUM_CLASSES), torch.eye(4)[:2], torch.tensor([1.0, 0.5])
    ),
    "sdedit": lambda: SDEditAugmenter(
        noise_predictor(), NoiseSchedule(50), strength=0.3, num_steps=4
    ),
    "guided-diffusion": lambda: GuidedDiffusionAugmenter(
        noise_predictor(), NoiseSchedule(50), num_steps=2
    ),
    "latent-diffusion": lambda: LatentDiffusionAugmenter(latent_diffusion(), num_steps=2),
}


def test_every_augmenter_class_is_covered():
    torch.manual_seed(0)
    covered = {type(build()) for build in AUGMENTERS.values()}
    exported = {
        getattr(package, name)
        for package in (genaug.gan, genaug.vae, genaug.diffusion)
        for name in package.__all__
        if inspect.isclass(getattr(package, name))
        and issubclass(getattr(package, name), GenerativeAugmenter)
    }
    assert exported == covered


@pytest.mark.parametrize("name", sorted(AUGMENTERS))
def test_augmenter_contract(name):
    torch.manual_seed(0)
    augmenter = AUGMENTERS[name]()
    images = torch.rand(6, 1, 16, 16, generator=seeded(0))
    labels = torch.tensor([0, 2, 0, 2, 0, 2])  # class 1 absent
    new_images, new_labels = augmenter(images, labels, 5, generator=seeded(1))
    assert new_images.shape == (5, 1, 16, 16) and new_labels.shape == (5,)
    assert new_labels.dtype == torch.int64
    assert new_images.min() >= 0 and new_images.max() <= 1
    assert set(new_labels.tolist()) <= {0, 2}
    if isinstance(augmenter, ConditionalAugmenter):  # class-balanced: 5 = 3 + 2 or 2 + 3
        assert sorted(new_labels.bincount(minlength=3)[[0, 2]].tolist()) == [2, 3]
    again = augmenter(images, labels, 5, generator=seeded(1))
    assert torch.equal(new_images, again[0]) and torch.equal(new_labels, again[1])
