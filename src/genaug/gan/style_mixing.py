"""Style mixing as augmentation: Karras, Laine & Aila, "A Style-Based Generator
Architecture for Generative Adversarial Networks", CVPR 2019, Section 3.1.

Taught in lesson 5.1.2 (``lessons/ch05_practice/02_stylegan.ipynb``), which shows
that the early (coarse) layers of a class-conditional StyleGAN decide the class
and the late (fine) ones the stroke. :class:`StyleMixingAugmenter` draws two
latents z1, z2 of the *same* class, maps them to w1 = f(z1, y) and w2 = f(z2, y),
and feeds w1 to the layers before a crossover c and w2 from c on, so each new
sample combines the coarse structure of one draw with the details of another
while keeping its label.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genaug._checks import check_float, check_int
from genaug.augment.generative import ConditionalAugmenter
from genaug.gan.stylegan import StyleGANGenerator

__all__ = ["StyleMixingAugmenter"]


class StyleMixingAugmenter(ConditionalAugmenter):
    """Class-conditional StyleGAN samples with two same-class latents mixed per sample.

    Implements :class:`genaug.augment.generative.ConditionalAugmenter`:
    ``augmenter(images, labels, n, generator=rng)`` draws ``n`` class-balanced labels
    among the classes in ``labels`` and one mixed sample per label, in [0, 1].

    Args:
        model: a trained :class:`~genaug.gan.stylegan.StyleGANGenerator` with
            ``num_classes > 0``.
        crossover: first layer that reads w2, in ``[0, num_layers]``; None (default)
            draws one per sample, uniformly in ``[1, num_layers - 1]`` (a real mix).
        psi: truncation of both latents towards ``w_avg`` (1: none).
        noise: add per-pixel noise.
    """

    def __init__(
        self,
        model: StyleGANGenerator,
        *,
        crossover: int | None = None,
        psi: float = 1.0,
        noise: bool = True,
    ) -> None:
        if not isinstance(model, StyleGANGenerator):
            raise TypeError(f"model must be a StyleGANGenerator, got {type(model).__name__}")
        if model.config.num_classes == 0:
            raise ValueError(
                "StyleMixingAugmenter needs a class-conditional generator (num_classes > 0)"
            )
        num_layers = model.config.num_layers
        if crossover is not None:
            check_int("crossover", crossover, min=0, max=num_layers)
        check_float("psi", psi)
        self.model, self.crossover, self.psi, self.noise = model, crossover, psi, noise

    @torch.no_grad()
    def sample(self, labels: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One mixed sample per label, ``(n, C, H, W)`` in [0, 1].

        Args:
            labels: ``(n,)`` int64 classes.
            generator: CPU generator for both latents, the crossovers and the noise.

        Returns:
            ``(n, C, H, W)`` images in [0, 1] on the model's device.
        """
        model, config = self.model, self.model.config
        batch, num_layers = len(labels), config.num_layers
        device = model.constant.device
        labels = labels.long().to(device)
        # 1. two latents of the same class: w1 for the coarse layers, w2 for the fine ones
        latents = torch.randn(2, batch, config.latent_dim, generator=generator).to(device)
        w1 = model.truncate(model.mapping(latents[0], labels), self.psi)  # (n, D)
        w2 = model.truncate(model.mapping(latents[1], labels), self.psi)  # (n, D)
        # 2. a crossover c per sample: layers < c read w1, layers >= c read w2
        if self.crossover is None:
            crossover = torch.randint(1, num_layers, (batch,), generator=generator)
        else:
            crossover = torch.full((batch,), self.crossover)
        coarse = (torch.arange(num_layers)[None, :] < crossover[:, None]).to(device)  # (n, L)
        ws = torch.where(coarse[..., None], w1[:, None], w2[:, None])  # (n, L, D)
        images = model.synthesis(ws, noise=self.noise, generator=generator)  # in [-1, 1]
        return ((images + 1) / 2).clamp(0, 1)
