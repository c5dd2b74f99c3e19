"""Memorisation: how close each generated sample is to its nearest training image.

Used by lesson 3.1 for the 100-shot faces, beside
:func:`genaug.metrics.distribution.pca_frechet_distance`.
"""

from __future__ import annotations

import torch

from genaug.metrics.distribution import _as_image_batch


def nearest_neighbour_distance(
    samples: torch.Tensor, reference: torch.Tensor, *, leave_one_out: bool = False
) -> torch.Tensor:
    """Root-mean-square pixel distance from each sample to its nearest reference image.

    d_i = min_j ||x_i - r_j||_2 / sqrt(D), with D = C * H * W: the typical
    per-pixel difference to the closest reference image. A generator that
    memorises its training set has d_i near 0; the training images' own
    leave-one-out distances (``leave_one_out=True``, ``samples`` the same
    images as ``reference``) are the scale of "a new image as different as two
    training images are". Used by lesson 3.1 for the 100-shot faces.

    Args:
        samples: (N, C, H, W) images, e.g. in [0, 1].
        reference: (M, C, H, W) images on the same scale, e.g. the training set.
        leave_one_out: exclude j = i (``samples`` must then be ``reference``
            itself, N = M): each image's distance to its nearest *other* image.

    Returns:
        (N,) float64 distances, >= 0.

    Raises:
        ValueError: if a tensor is not 4-D or not finite, the image shapes differ,
            or ``leave_one_out`` is set with N != M or M < 2.
    """
    a = _as_image_batch("samples", samples)
    b = _as_image_batch("reference", reference)
    if samples.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"image shapes differ: samples {tuple(samples.shape[1:])}, "
            f"reference {tuple(reference.shape[1:])}"
        )
    distances = torch.cdist(a, b)  # (N, M)
    if leave_one_out:
        if len(a) != len(b) or len(b) < 2:
            raise ValueError(
                "leave_one_out needs samples to be the reference images themselves "
                f"(N = M >= 2), got N = {len(a)}, M = {len(b)}"
            )
        distances.fill_diagonal_(float("inf"))
    return distances.min(dim=1).values / a.shape[1] ** 0.5
