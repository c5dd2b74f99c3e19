"""The limited-data GAN of lesson 3.1 and ``benchmarks/gan_limited_data.py``.

A DCGAN (class-conditional when labels are given) trained with the
non-saturating loss and one of four augmentation settings: ``"none"``,
``"diffaugment"`` (DiffAugment on real and fake images in both players' steps;
Zhao et al. 2020), ``"ada"`` (adaptive discriminator augmentation with p set
from r_t = E[sign(D(real))]; Karras et al. 2020) and ``"real-only"`` (the
augmentation applied to the real images alone: the leak experiment). The lesson
and the benchmark both train through this one function.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genaug._checks import check_int
from genaug.gan import (
    ADAAugment,
    ADAConfig,
    AdaptiveProbability,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    DiffAugment,
    discriminator_loss,
    generator_loss,
)
from genaug.train import EMA

METHODS = ("none", "real-only", "diffaugment", "ada")


def train_limited_data_gan(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    *,
    method: str,
    steps: int,
    base_channels: int,
    seed: int = 0,
    batch_size: int = 64,
    clean_every: int = 10,
    on_step: Callable[[int, DCGANGenerator, float], None] | None = None,
) -> tuple[DCGANGenerator, dict[str, list[float]]]:
    """Train one DCGAN on a (small) image set with an augmentation setting.

    Args:
        images: (N, 1, S, S) training images in [0, 1], S a power of two.
        labels: (N,) int64 labels in 0..9, or None for an unconditional GAN.
        method: ``"none"``, ``"real-only"``, ``"diffaugment"`` or ``"ada"``.
        steps: optimiser steps of each player (>= 1).
        base_channels: ``DCGANConfig.base_channels``.
        seed: initialisation, batches, noise and augmentation draws.
        batch_size: images per step.
        clean_every: record r_t on the clean real batch every this many steps.
        on_step: called after each step as ``on_step(step, ema_generator, r_t)``,
            with r_t = E[sign(D(x))] on that step's clean real batch.

    Returns:
        The EMA generator and a trace: per step ADA's ``p``, ``r_t`` on the augmented
        real batch and ``D(real)`` (mean probability); every ``clean_every`` steps
        ``r_t clean`` on the clean real batch.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    check_int("steps", steps, min=1)
    check_int("clean_every", clean_every, min=1)
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 1:
        raise ValueError("images must be a (N, 1, S, S) tensor in [0, 1]")
    torch.manual_seed(seed)
    gan_config = DCGANConfig(
        image_size=images.shape[-1],
        channels=1,
        latent_dim=64,
        base_channels=base_channels,
        num_classes=0 if labels is None else 10,
    )
    G, D = DCGANGenerator(gan_config), DCGANDiscriminator(gan_config)
    ema = EMA(G, decay=0.99)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(seed)
    diffaugment, ada = DiffAugment("color,translation,cutout"), ADAAugment()
    # our runs see ~100k images, not the paper's millions: p may cross [0, 1] in 20k images
    controller = AdaptiveProbability(ADAConfig(speed_images=20_000, interval=4))

    def augment_real(x: torch.Tensor) -> torch.Tensor:
        if method in ("real-only", "diffaugment"):
            return diffaugment(x, generator=rng)
        return ada(x, p=controller.p, generator=rng) if method == "ada" else x

    def augment_fake(x: torch.Tensor) -> torch.Tensor:
        return x if method in ("none", "real-only") else augment_real(x)

    trace: dict[str, list[float]] = {"p": [], "r_t": [], "D(real)": [], "r_t clean": []}
    x = images * 2 - 1  # (N, 1, S, S) in [-1, 1], the generator's tanh range
    for step in range(steps):
        index = torch.randint(0, len(x), (batch_size,), generator=rng)
        real, y = x[index], None if labels is None else labels[index]
        fake = G(torch.randn(batch_size, 64, generator=rng), y)
        # 1. discriminator: Eq. (eq-gan-aug-diffaugment), T on what D sees
        real_logits = D(augment_real(real), y)
        loss_d = discriminator_loss(real_logits, D(augment_fake(fake.detach()), y))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # 2. generator: its gradient flows through T (differentiable)
        loss_g = generator_loss(D(augment_fake(fake), y))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        ema.update(G)
        # 3. ADA: r_t on this batch's real logits, Eq. (eq-gan-aug-rt)
        if method == "ada":
            controller.update(real_logits)
        trace["p"].append(controller.p)
        trace["r_t"].append(torch.sign(real_logits.detach()).mean().item())
        trace["D(real)"].append(torch.sigmoid(real_logits.detach()).mean().item())
        # r_t on the clean real batch: does D recognise the training images? D stays in
        # train mode (batch statistics), so these extra passes change nothing it learns
        if step % clean_every == 0 or on_step is not None:
            with torch.no_grad():
                r_t_clean = torch.sign(D(real, y)).mean().item()
            if step % clean_every == 0:
                trace["r_t clean"].append(r_t_clean)
            if on_step is not None:
                on_step(step + 1, ema.module, r_t_clean)
    return ema.module, trace
