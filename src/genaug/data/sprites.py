"""Procedural dSprites-style images with known generative factors.

After dSprites (Matthey, Higgins, Hassabis and Lerchner 2017, the dataset of
the beta-VAE paper, Higgins et al. 2017): every image shows one shape on black,
made from six independent factors -- shape, scale, rotation, x, y, colour --
that a lesson can read back. Disentanglement (beta-VAE, MIG), attribute
editing, detection (boxes) and segmentation (masks) lessons use it
(``lessons/ch05_practice/04_beta_vae``, ``lessons/ch06_applications/02..03``).

Rendering is a vectorised inside-test on a pixel grid with 2x2 supersampling:
each output pixel holds the fraction of its four sub-pixel centres that fall
inside the shape, so edges are smooth and the whole set renders in a fraction
of a second.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from genaug._checks import check_int, check_seed
from genaug.data.imageset import ImageSet

SHAPE_SIZES: tuple[int, ...] = (16, 32, 64)
SHAPE_NAMES: tuple[str, ...] = ("square", "ellipse", "triangle")
#: The six scale values; ``scale`` factors are drawn uniformly from these.
SCALE_VALUES: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Names and RGB values of the colour palette, indexed by the ``colour`` factor.
PALETTE_NAMES: tuple[str, ...] = ("red", "green", "blue", "yellow", "magenta", "cyan")
PALETTE: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.25, 0.25),
    (0.25, 1.0, 0.25),
    (0.3, 0.45, 1.0),
    (1.0, 1.0, 0.25),
    (1.0, 0.25, 1.0),
    (0.25, 1.0, 1.0),
)
#: Circumradius of a shape at scale 1, as a share of the image side. Centres keep
#: this margin from every edge, so every shape at every scale lies fully inside.
MAX_RADIUS = 0.3
SUPERSAMPLE = 2  # sub-pixels per pixel side
_MAX_CHUNK_ELEMENTS = 1 << 18  # sub-pixels rendered at once: small chunks stay in cache


def shapes(n: int = 2048, *, size: int = 32, seed: int = 0, colour: bool = True) -> ImageSet:
    """Render ``n`` dSprites-style images, one shape each, with their factors.

    The factors are drawn independently and uniformly by
    ``numpy.random.default_rng(seed)``, one row of six uniforms per image, so
    ``shapes(n=10)`` is the first 10 images of ``shapes(n=2048)`` and
    ``colour=False`` gives the same geometry as ``colour=True``.

    Factors (each a ``(N,)`` tensor in ``ImageSet.factors``):

    * ``shape``: int64 index, 0 square, 1 ellipse (axes 2:1), 2 triangle
      (equilateral); also the label.
    * ``scale``: float32 value from ``SCALE_VALUES`` (0.5, 0.6, ..., 1.0); the
      circumradius is ``scale * 0.3 * size`` pixels.
    * ``rotation``: float32 angle in radians, continuous in ``[0, 2 pi)``,
      clockwise on screen (the image y axis points down). At 0 the square is
      axis-aligned, the ellipse's long axis horizontal and the triangle points
      up. The square repeats every pi/2, the ellipse every pi, the triangle
      every 2 pi/3, as in dSprites.
    * ``x``, ``y``: float32 position of the centre, continuous in ``[0, 1]``:
      0 is the leftmost (topmost) and 1 the rightmost (bottommost) position
      that keeps the largest shape inside; the centre sits at pixel
      ``(0.3 + 0.4 * x) * size`` (likewise ``y``).
    * ``colour``: int64 index into ``PALETTE`` (red, green, blue, yellow,
      magenta, cyan); all 0 when ``colour=False``.

    Args:
        n: number of images, ``>= 1`` (default 2048).
        size: image side in pixels, one of 16, 32 (default) or 64.
        seed: seed of the factor draw (default 0); the same seed gives the same images.
        colour: ``True`` (default) for 3-channel images in palette colours,
            ``False`` for 1-channel white shapes.

    Returns:
        ``ImageSet`` named ``"shapes"``: images ``(N, C, size, size)`` float32
        in ``[0, 1]`` with ``C = 3`` (colour) or ``1``, black background and
        antialiased edges; labels ``(N,)`` int64 = ``factors["shape"]``; classes
        ``("square", "ellipse", "triangle")``; ``masks`` ``(N, 1, size, size)``
        float32 in ``{0, 1}``, 1 wherever the image is non-zero; ``boxes``
        ``(N, 4)`` float32 ``(x0, y0, x1, y1)``, the tight box of the mask in
        pixels with ``x1``, ``y1`` exclusive.

    Raises:
        TypeError: if ``n``, ``size`` or ``seed`` is not an int or ``colour`` not a bool.
        ValueError: if ``n < 1`` or ``size`` is not one of 16, 32, 64.
    """
    check_int("n", n, min=1)
    check_int("size", size, choices=SHAPE_SIZES)
    check_seed("seed", seed)
    if not isinstance(colour, bool):
        raise TypeError(f"colour must be True or False; got {type(colour).__name__} {colour!r}.")
    factors = _draw_factors(n, seed=seed, colour=colour)
    coverage = _render_coverage(factors, size=size)  # (N, H, W) in [0, 1]
    if colour:
        palette = torch.tensor(PALETTE, dtype=torch.float32)  # (6, 3)
        tint = palette[factors["colour"]]  # (N, 3)
        images = coverage[:, None] * tint[:, :, None, None]  # (N, 3, H, W)
    else:
        images = coverage[:, None].clone()  # (N, 1, H, W)
    masks = (coverage > 0).float()[:, None]  # (N, 1, H, W)
    return ImageSet(
        images=images,
        labels=factors["shape"].clone(),
        classes=SHAPE_NAMES,
        name="shapes",
        factors=factors,
        masks=masks,
        boxes=_tight_boxes(masks[:, 0]),
    )


def _draw_factors(n: int, *, seed: int, colour: bool) -> dict[str, Tensor]:
    """Draw the six factors of ``n`` images from one row of uniforms per image."""
    uniforms = np.random.default_rng(seed).random((n, 6))  # (N, 6) in [0, 1)
    scale_values = np.asarray(SCALE_VALUES)
    shape_index = np.floor(uniforms[:, 0] * len(SHAPE_NAMES)).astype(np.int64)
    scale_index = np.floor(uniforms[:, 1] * len(SCALE_VALUES)).astype(np.int64)
    colour_index = np.floor(uniforms[:, 5] * len(PALETTE)).astype(np.int64)
    if not colour:
        colour_index = np.zeros(n, dtype=np.int64)
    return {
        "shape": torch.from_numpy(shape_index),
        "scale": torch.from_numpy(scale_values[scale_index].astype(np.float32)),
        "rotation": torch.from_numpy((2 * math.pi * uniforms[:, 2]).astype(np.float32)),
        "x": torch.from_numpy(uniforms[:, 3].astype(np.float32)),
        "y": torch.from_numpy(uniforms[:, 4].astype(np.float32)),
        "colour": torch.from_numpy(colour_index),
    }


def _render_coverage(factors: dict[str, Tensor], *, size: int) -> Tensor:
    """Render the share of each pixel covered by its shape: ``(N, size, size)`` float32.

    Sub-pixel centres lie at ``(j + 0.5) / SUPERSAMPLE`` in pixel units. Each is
    moved into the shape's own frame -- centred, rotated back by the rotation,
    divided by the circumradius -- where the inside-tests are fixed formulas.
    Images are rendered in chunks, one shape kind at a time.
    """
    num_images = factors["shape"].shape[0]
    fine = size * SUPERSAMPLE
    grid = (torch.arange(fine, dtype=torch.float32) + 0.5) / SUPERSAMPLE  # (S,) pixel units
    chunk = max(1, _MAX_CHUNK_ELEMENTS // (fine * fine))
    coverage = torch.empty(num_images, size, size)
    for shape_index in range(len(SHAPE_NAMES)):
        members = torch.nonzero(factors["shape"] == shape_index).flatten()
        for start in range(0, len(members), chunk):
            part = members[start : start + chunk]
            u, v = _shape_frame(factors, part, grid=grid, size=size)  # (B, S, S) each
            inside = _INSIDE_TESTS[shape_index](u, v)  # (B, S, S) bool
            # (B, S, S) -> (B, H, 2, W, 2) -> mean over the 2x2 sub-pixels -> (B, H, W)
            blocks = inside.float().reshape(-1, size, SUPERSAMPLE, size, SUPERSAMPLE)
            coverage[part] = blocks.mean(dim=(2, 4))
    return coverage


def _shape_frame(
    factors: dict[str, Tensor], part: Tensor, *, grid: Tensor, size: int
) -> tuple[Tensor, Tensor]:
    """Coordinates ``(u, v)`` of the sub-pixel centres in each shape's frame, each ``(B, S, S)``.

    The frame is centred on the shape, rotated back by its rotation and scaled
    so the circumradius is 1; ``u`` runs along the image width at rotation 0.
    """
    radius = factors["scale"][part] * MAX_RADIUS * size  # (B,) circumradius in pixels
    span = 1.0 - 2.0 * MAX_RADIUS
    centre_x = (MAX_RADIUS + span * factors["x"][part]) * size  # (B,)
    centre_y = (MAX_RADIUS + span * factors["y"][part]) * size
    cos = (torch.cos(factors["rotation"][part]) / radius)[:, None, None]  # (B, 1, 1)
    sin = (torch.sin(factors["rotation"][part]) / radius)[:, None, None]
    offset_x = grid[None, None, :] - centre_x[:, None, None]  # (B, 1, S): varies along W
    offset_y = grid[None, :, None] - centre_y[:, None, None]  # (B, S, 1): varies along H
    # rotate by -rotation: small (B, 1, S) and (B, S, 1) terms broadcast to (B, S, S)
    u = cos * offset_x + sin * offset_y
    v = -sin * offset_x + cos * offset_y
    return u, v


def _inside_square(u: Tensor, v: Tensor) -> Tensor:
    """Square inscribed in the unit circle, sides along the axes: half-side 1/sqrt(2)."""
    return torch.maximum(u.abs(), v.abs()) <= 1.0 / math.sqrt(2.0)


def _inside_ellipse(u: Tensor, v: Tensor) -> Tensor:
    """Ellipse with semi-axes 1 along ``u`` and 1/2 along ``v``."""
    return u.square() + 4.0 * v.square() <= 1.0


def _inside_triangle(u: Tensor, v: Tensor) -> Tensor:
    """Equilateral triangle inscribed in the unit circle with its apex at ``v = -1`` (up).

    A point is inside when it lies within all three edges; their outward normals
    point at 90, 210 and 330 degrees and each edge is 1/2 (the inradius) from the centre.
    """
    inside = torch.ones_like(u, dtype=torch.bool)
    for normal_angle in (90.0, 210.0, 330.0):
        angle = math.radians(normal_angle)
        inside &= u * math.cos(angle) + v * math.sin(angle) <= 0.5
    return inside


_INSIDE_TESTS = (_inside_square, _inside_ellipse, _inside_triangle)


def _tight_boxes(masks: Tensor) -> Tensor:
    """Tight boxes ``(N, 4)`` float32 ``(x0, y0, x1, y1)`` of ``(N, H, W)`` masks, exclusive ends.

    An empty mask would give the box ``(0, 0, 0, 0)``; shapes never renders one.
    """
    _, height, width = masks.shape
    columns = masks.amax(dim=1) > 0  # (N, W): any pixel in each column
    rows = masks.amax(dim=2) > 0  # (N, H)
    column_index = torch.arange(width)
    row_index = torch.arange(height)
    x0 = torch.where(columns, column_index, width).amin(dim=1)
    x1 = torch.where(columns, column_index + 1, 0).amax(dim=1)
    y0 = torch.where(rows, row_index, height).amin(dim=1)
    y1 = torch.where(rows, row_index + 1, 0).amax(dim=1)
    boxes = torch.stack([x0, y0, x1, y1], dim=1).float()
    empty = ~columns.any(dim=1)
    boxes[empty] = 0.0
    return boxes
