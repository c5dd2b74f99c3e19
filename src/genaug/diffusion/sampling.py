"""What the samplers share: the model and callback types, the step output, the timestep grid.

:class:`~genaug.diffusion.ddpm.DDPMSampler` and :class:`~genaug.diffusion.ddim.DDIMSampler`
(and SDEdit, which runs DDIM from a partly noised image) speak these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from genaug._checks import check_int

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""The noise predictor eps_theta, mapping x_t (B, C, H, W) and t (B,) int64 to the noise."""

Callback = Callable[[int, int, torch.Tensor, torch.Tensor], None]
"""callback(index, t, x_t, predicted_x0), called after each sampling step."""


@dataclass
class StepOutput:
    """What one reverse step returns.

    Attributes:
        prev_sample: (B, C, H, W) x_{t_prev}, the less noisy sample.
        pred_original_sample: (B, C, H, W) the model's estimate of x_0 at this step.
    """

    prev_sample: torch.Tensor
    pred_original_sample: torch.Tensor


def leading_timesteps(num_timesteps: int, num_steps: int | None) -> list[int]:
    """Evenly strided timesteps, largest first, as diffusers' ``timestep_spacing="leading"``.

    With ``r = T // num_steps`` they are ``(num_steps - 1) r, ..., r, 0``.

    Args:
        num_timesteps: T of the schedule.
        num_steps: how many reverse steps to take (1 .. T); None for all T.

    Returns:
        A list of ``num_steps`` ints in decreasing order.
    """
    if num_steps is None:
        num_steps = num_timesteps
    check_int("num_steps", num_steps)
    if not 1 <= num_steps <= num_timesteps:
        raise ValueError(f"num_steps must be in [1, {num_timesteps}], got {num_steps}")
    ratio = num_timesteps // num_steps
    return [index * ratio for index in range(num_steps - 1, -1, -1)]


def check_sample(name: str, tensor: torch.Tensor, like: torch.Tensor | None = None) -> None:
    """Raise unless ``tensor`` is a floating (B, ...) batch, shaped like ``like`` if given.

    Args:
        name: the argument's name, for the message.
        tensor: the tensor to check.
        like: a tensor whose shape ``tensor`` must have (None: any batched shape).
    """
    if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating point tensor, got {type(tensor).__name__}")
    if tensor.ndim < 2:
        raise ValueError(f"{name} must be batched, shape (B, C, H, W), got {tuple(tensor.shape)}")
    if like is not None and tensor.shape != like.shape:
        raise ValueError(
            f"{name} must have the shape of the sample, {tuple(like.shape)}, "
            f"got {tuple(tensor.shape)}"
        )
