"""Augmentation: classical transforms and model-based (generative) augmenters.

**The family contract.** Every model in :mod:`genaug.gan`, :mod:`genaug.vae` and
:mod:`genaug.diffusion` is called the same way, so a lesson, a benchmark or a
downstream task can swap one for another.

**Generators** (``DCGANGenerator``, ``StyleGANGenerator``, ``CVAE``, ``NVAE``,
``LatentDiffusion``) have::

    images = model.sample(num_samples, *, labels=None, generator=None, **options)

* ``num_samples``: the number B of images, an int >= 1;
* ``labels``: ``(B,)`` int64 classes, required by a class-conditional model and
  refused by an unconditional one (a ``ValueError`` says which);
* ``generator``: a CPU ``torch.Generator``; equal seeds give equal images;
* ``images``: ``(B, C, H, W)`` float images **in [0, 1]** on the model's device,
  whatever range the network works in (a GAN's tanh output is mapped by
  (x + 1) / 2; the networks' own ``forward`` keeps its range);
* extra options are keyword-only and model-specific (``temperature`` of the VAEs,
  ``psi`` of StyleGAN, ``seeds``, ``num_steps`` and ``guidance`` of latent
  diffusion).

Pixel-space diffusion has no generator object: its samplers
(:class:`genaug.diffusion.ddpm.DDPMSampler`, :class:`genaug.diffusion.ddim.DDIMSampler`)
take the noise predictor, per-sample seeds and a shape, and return the model's
range [-1, 1]; :class:`genaug.diffusion.sdedit.GuidedDiffusionAugmenter` wraps them as
an augmenter.

**Augmenters** are one of two kinds:

* a :class:`~genaug.augment.transform.Transform`: ``x = transform(x, *, generator=rng)``,
  model-free, label-preserving, with its parameters drawn per sample from
  ``generator`` (:mod:`genaug.augment.classical`; :class:`genaug.gan.diffaugment.DiffAugment`
  and :class:`genaug.gan.ada.ADAAugment` are called the same way);
* a :class:`~genaug.augment.generative.GenerativeAugmenter`:
  ``new_images, new_labels = augmenter(images, labels, n, *, generator=rng)``,
  which returns ``n`` new labelled samples in [0, 1] drawn with the help of a
  model (:class:`~genaug.augment.generative.ConditionalAugmenter` for
  class-conditional generators). The course's: ``DCGANAugmenter``,
  ``StyleMixingAugmenter``, ``CycleGANAugmenter`` (:mod:`genaug.gan`);
  ``CVAEAugmenter``, ``InterpolationAugmenter``, ``AttributeEditAugmenter``
  (:mod:`genaug.vae`); ``SDEditAugmenter``, ``GuidedDiffusionAugmenter``,
  ``LatentDiffusionAugmenter`` (:mod:`genaug.diffusion`).

``tests/test_family_contract.py`` checks every generator and generative augmenter against it.

**Modules.**

* :mod:`genaug.augment.transform`: the interface of the model-free augmenters
  (``transform(x, *, generator) -> x``, parameters drawn per sample) and :class:`~genaug.augment.transform.Compose`;
* :mod:`genaug.augment.classical`: classical transforms (:class:`~genaug.augment.classical.RandomShift`, ...);
* :mod:`genaug.augment.geometry` and :mod:`genaug.augment.color`: the random horizontal
  flip and brightness factor (:class:`~genaug.augment.geometry.RandomHorizontalFlip`, :class:`~genaug.augment.color.RandomBrightness`);
* :mod:`genaug.augment.mixing`: :func:`~genaug.augment.mixing.mixup` and :func:`~genaug.augment.mixing.cutmix`, which mix labels too;
* :mod:`genaug.augment.generative`: the one interface every model-based augmenter
  implements (``augmenter(images, labels, n) -> (images, labels)``) and the
  label-preservation checks (:func:`~genaug.augment.generative.label_agreement`, :func:`~genaug.augment.generative.confidence_filter`).
"""

from genaug.augment.classical import RandomShift, random_shift
from genaug.augment.color import RandomBrightness, adjust_brightness
from genaug.augment.generative import (
    ConditionalAugmenter,
    FilteredAugmenter,
    FilterResult,
    GenerativeAugmenter,
    balanced_labels,
    check_labelled_images,
    class_probabilities,
    confidence_filter,
    label_agreement,
)
from genaug.augment.geometry import RandomHorizontalFlip, horizontal_flip
from genaug.augment.mixing import cutmix, mixup
from genaug.augment.transform import Compose, Transform

__all__ = [
    "Compose",
    "RandomBrightness",
    "RandomHorizontalFlip",
    "RandomShift",
    "Transform",
    "adjust_brightness",
    "cutmix",
    "horizontal_flip",
    "mixup",
    "random_shift",
    "ConditionalAugmenter",
    "FilterResult",
    "FilteredAugmenter",
    "GenerativeAugmenter",
    "balanced_labels",
    "check_labelled_images",
    "class_probabilities",
    "confidence_filter",
    "label_agreement",
]
