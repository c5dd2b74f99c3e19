"""The small pieces every trainer repeats: re-initialise from a seed, draw a batch, warm up.

Each trainer of :mod:`genaug.train` (and each recipe) used to write these three
lines its own way; here they are once, so that two trainers given the same seed
draw the same batches.
"""

from __future__ import annotations

import torch
from torch import nn

from genaug._checks import check_int


def reinitialise(module: nn.Module, seed: int) -> None:
    """Re-draw a module's parameters from ``seed``, so equal seeds give equal weights.

    Seeds torch's global generator with ``seed``, then calls ``reset_parameters()``
    on ``module`` itself if it defines one (a model with its own initialisation,
    e.g. :class:`genaug.vae.nvae.NVAE`), else on every submodule that has one.

    Args:
        module: the module to re-initialise in place.
        seed: the seed (int >= 0).
    """
    check_int("seed", seed, min=0)
    torch.manual_seed(seed)
    if callable(getattr(module, "reset_parameters", None)):
        module.reset_parameters()
        return
    for layer in module.modules():
        if layer is not module and hasattr(layer, "reset_parameters"):
            layer.reset_parameters()


def draw_batch(
    generator: torch.Generator, batch_size: int, *tensors: torch.Tensor | None
) -> tuple[torch.Tensor | None, ...]:
    """Draw ``batch_size`` rows with replacement, the same rows from each tensor.

    Args:
        generator: the (CPU) ``torch.Generator`` the row indices come from.
        batch_size: rows to draw (>= 1).
        *tensors: tensors with equal first dimension N (None entries are passed through).

    Returns:
        The tensors' rows at the drawn indices, each on its own device, in order.
    """
    check_int("batch_size", batch_size, min=1)
    present = [tensor for tensor in tensors if tensor is not None]
    if not present:
        raise ValueError("draw_batch needs at least one tensor")
    sizes = {len(tensor) for tensor in present}
    if len(sizes) != 1:
        raise ValueError(f"tensors must have the same first dimension, got sizes {sorted(sizes)}")
    index = torch.randint(0, sizes.pop(), (batch_size,), generator=generator)  # (B,)
    return tuple(None if t is None else t[index.to(t.device)] for t in tensors)


def linear_warmup(step: int, warmup_steps: int) -> float:
    """The factor ``min(1, (step + 1) / warmup_steps)`` of a linear warm-up (1 when there is none).

    Used for the learning rate of the diffusion trainers and the KL weight of the
    VAE trainers (Bowman et al., 2016).

    Args:
        step: the 0-based step.
        warmup_steps: length of the warm-up (0: no warm-up).

    Returns:
        A float in (0, 1].
    """
    if warmup_steps <= 0:
        return 1.0
    return min(1.0, (step + 1) / warmup_steps)
