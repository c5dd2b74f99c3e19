"""Figures the lessons share: image grids and training curves.

Plotting boilerplate lives here so that lessons show the figure, not the code
that draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from genaug._checks import check_float, check_images, check_int


def make_grid(images: torch.Tensor, *, nrow: int = 8, padding: int = 1) -> np.ndarray:
    """Tile a batch of images into one array.

    Args:
        images: (N, C, H, W) tensor with C in {1, 3}, values in [0, 1].
        nrow: images per row.
        padding: pixels of white space between images.

    Returns:
        (rows * (H + p) + p, nrow * (W + p) + p, C) float array in [0, 1].

    Raises:
        ValueError: if the values leave [0, 1] (the message says how to map [0, 255]
            or [-1, 1] images), or the shape, ``nrow`` or ``padding`` is wrong.
    """
    # values outside [0, 1] would be clipped to a black or white grid: refuse them, with a hint
    check_images("images", images, channels=(1, 3))
    check_int("nrow", nrow, min=1)
    check_int("padding", padding, min=0)
    n, channels, height, width = images.shape
    array = images.detach().float().cpu().clamp(0, 1).permute(0, 2, 3, 1).numpy()
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    grid = np.ones(
        (rows * (height + padding) + padding, ncol * (width + padding) + padding, channels),
        dtype=np.float32,
    )
    for index in range(n):
        row, col = divmod(index, ncol)
        top = padding + row * (height + padding)
        left = padding + col * (width + padding)
        grid[top : top + height, left : left + width] = array[index]
    return grid


def show_images(
    images: torch.Tensor,
    *,
    nrow: int = 8,
    title: str | None = None,
    ax: Axes | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> Axes:
    """Show a batch of images as a grid.

    Args:
        images: (N, C, H, W) tensor, C in {1, 3}.
        nrow: images per row.
        title: optional axes title.
        ax: axes to draw on (default: a new figure sized to the grid).
        value_range: the (low, high) range of ``images``; use ``(-1, 1)`` for
            generator outputs in tanh range. Values outside it raise a ``ValueError``
            (clamp noisy images such as x_t first).

    Returns:
        The matplotlib axes.
    """
    low, high = value_range
    check_float("value_range[0]", low)
    check_float("value_range[1]", high)
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range}")
    check_images("images", images, channels=(1, 3), value_range=(low, high))
    grid = make_grid((images - low) / (high - low), nrow=nrow)
    if ax is None:
        scale = 0.04 if grid.shape[1] < 200 else 0.02
        _, ax = plt.subplots(
            figsize=(max(2.0, grid.shape[1] * scale), max(2.0, grid.shape[0] * scale))
        )
    if grid.shape[2] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_curves(
    history: Mapping[str, Sequence[float]],
    *,
    keys: Sequence[str] | None = None,
    smooth: int = 1,
    ax: Axes | None = None,
    xlabel: str = "step",
) -> Axes:
    """Plot training curves, optionally smoothed with a moving average.

    Args:
        history: name -> list of values per step (as returned by :func:`genaug.train.loop.fit`).
        keys: which curves to draw (default: all).
        smooth: window of the moving average (1 = raw).
        ax: axes to draw on (default: a new figure).
        xlabel: label of the x axis.

    Returns:
        The matplotlib axes.
    """
    keys = list(history) if keys is None else list(keys)
    missing = [key for key in keys if key not in history]
    if missing:
        raise KeyError(f"history has no curves {missing}; it has {sorted(history)}")
    check_int("smooth", smooth, min=1)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for key in keys:
        values = np.asarray(history[key], dtype=float)
        if smooth > 1 and len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            values = np.convolve(values, kernel, mode="valid")
            steps = np.arange(smooth - 1, smooth - 1 + len(values))
        else:
            steps = np.arange(len(values))
        ax.plot(steps, values, label=key)
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax
