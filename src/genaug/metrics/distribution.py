"""Distances between two sets of samples: Frechet distance, KID, and PCA Frechet distance.

Inception-based FID (Heusel et al., 2017) and KID (Binkowski et al., 2018)
need pretrained ImageNet weights, which this course never downloads, and
Inception features mean little for 16x16 digits anyway. We use the same
formulas on the penultimate features of the reference classifier
(:class:`genaug.metrics.reference.ReferenceClassifier`, trained once by
:func:`genaug.recipes.reference.reference_classifier`). Numbers are comparable within this
course (same classifier, same sample sizes), not with published FIDs.

* :func:`frechet_distance`: ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}),
  the Frechet (2-Wasserstein) distance between Gaussians fitted to two feature sets.
* :func:`kernel_inception_distance`: unbiased MMD^2 with the cubic polynomial
  kernel k(a, b) = (a.b / d + 1)^3, averaged over random subsets.
* :func:`pca_frechet_distance`: for image sets the digits classifier knows
  nothing about (the 100 faces of lesson 3.1), the Frechet distance on the
  reference set's principal components.
"""

from __future__ import annotations

import numpy as np
import torch

from genaug._checks import check_int, check_seed


def _as_float64(name: str, features: torch.Tensor | np.ndarray) -> torch.Tensor:
    if not isinstance(features, torch.Tensor | np.ndarray):
        raise TypeError(
            f"{name} must be a (N, D) torch.Tensor or numpy array of features, "
            f"got {type(features).__name__}"
        )
    tensor = torch.as_tensor(features).detach().to("cpu", torch.float64)
    if tensor.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D (N, D) array of features, got shape {tuple(tensor.shape)}"
        )
    if len(tensor) < 2:
        raise ValueError(
            f"{name} needs at least 2 samples to estimate a covariance, got {len(tensor)}"
        )
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return tensor


def frechet_distance(
    features_a: torch.Tensor | np.ndarray, features_b: torch.Tensor | np.ndarray
) -> float:
    """Frechet distance between Gaussians fitted to two sets of features.

    d^2 = ||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^{1/2}).
    The trace of the matrix square root is computed stably as the sum of the
    square roots of the eigenvalues of S_a^{1/2} S_b S_a^{1/2}, a symmetric
    positive semi-definite matrix with the same eigenvalues as S_a S_b.

    Args:
        features_a: (N_a, D) features.
        features_b: (N_b, D) features, same D.

    Returns:
        The squared Frechet distance d^2 >= 0 (the quantity FID reports).
    """
    a = _as_float64("features_a", features_a)
    b = _as_float64("features_b", features_b)
    _check_same_size(a, b)
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)  # (D, D), unbiased
    eigvals_a, eigvecs_a = torch.linalg.eigh(cov_a)
    sqrt_a = eigvecs_a @ torch.diag(eigvals_a.clamp(min=0).sqrt()) @ eigvecs_a.T
    middle = sqrt_a @ cov_b @ sqrt_a
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    value = (mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_sqrt
    return max(float(value), 0.0)


def kernel_inception_distance(
    features_a: torch.Tensor | np.ndarray,
    features_b: torch.Tensor | np.ndarray,
    *,
    subset_size: int = 100,
    num_subsets: int = 50,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel (Inception) distance: unbiased MMD^2 with a cubic polynomial kernel.

    For each of ``num_subsets`` random subsets of size m from each set,
    MMD^2 = mean_{i != j} k(a_i, a_j) + mean_{i != j} k(b_i, b_j) - 2 mean_{i, j} k(a_i, b_j),
    with k(x, y) = (x.y / D + 1)^3.

    Args:
        features_a: (N_a, D) features.
        features_b: (N_b, D) features.
        subset_size: m, at most min(N_a, N_b).
        num_subsets: number of random subsets averaged.
        seed: seed of the subset draws.

    Returns:
        (mean, standard deviation) of MMD^2 over the subsets; the mean is
        unbiased, so it can be slightly negative for identical distributions.
    """
    a = _as_float64("features_a", features_a)
    b = _as_float64("features_b", features_b)
    _check_same_size(a, b)
    m = check_int("subset_size", subset_size)
    if not 2 <= m <= min(len(a), len(b)):
        raise ValueError(f"subset_size must be an int in [2, {min(len(a), len(b))}], got {m!r}")
    check_int("num_subsets", num_subsets, min=1)
    check_seed("seed", seed)
    dim = a.shape[1]
    generator = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(num_subsets):
        x = a[torch.randperm(len(a), generator=generator)[:m]]
        y = b[torch.randperm(len(b), generator=generator)[:m]]
        k_xx = (x @ x.T / dim + 1) ** 3
        k_yy = (y @ y.T / dim + 1) ** 3
        k_xy = (x @ y.T / dim + 1) ** 3
        off_diagonal = m * (m - 1)
        mmd = (
            (k_xx.sum() - k_xx.diagonal().sum()) / off_diagonal
            + (k_yy.sum() - k_yy.diagonal().sum()) / off_diagonal
            - 2 * k_xy.mean()
        )
        values.append(float(mmd))
    array = np.asarray(values)
    return float(array.mean()), float(array.std())


def _check_same_size(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"feature sizes differ: features_a has {a.shape[1]}, features_b has {b.shape[1]}"
        )


def _as_image_batch(name: str, images: torch.Tensor) -> torch.Tensor:
    """Check a (N, C, H, W) image tensor and flatten it to (N, C*H*W) float64 on the CPU."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"{name} must be a (N, C, H, W) tensor, got {shape}")
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return images.detach().to("cpu", torch.float64).flatten(1)


def pca_frechet_distance(
    images: torch.Tensor, reference: torch.Tensor, *, num_components: int = 16
) -> float:
    """Frechet distance in the principal-component space of a reference image set.

    The reference images (e.g. the 100 training faces) are flattened and their
    top ``num_components`` principal directions found (for faces, the
    "eigenfaces" of Turk & Pentland, 1991); both sets are projected onto them
    and compared with :func:`genaug.metrics.distribution.frechet_distance`. Unlike the reference
    classifier's features, nothing here is trained on another domain, so it
    suits any small grayscale image set; it sees only linear structure, and a
    copy of the reference set scores 0, so pair it with
    :func:`genaug.metrics.memorisation.nearest_neighbour_distance` to expose memorisation. With all
    components it equals the Frechet distance on raw pixels (a rotation of the
    feature space leaves the distance unchanged).

    Args:
        images: (N, C, H, W) images, e.g. generator samples in [0, 1].
        reference: (M, C, H, W) images on the same scale; defines the components.
        num_components: K, the number of principal directions kept, in
            [1, min(M - 1, C * H * W)] (default 16).

    Returns:
        The squared Frechet distance d^2 >= 0 between the (N, K) and (M, K) projections.

    Raises:
        ValueError: if the tensors are not 4-D, finite and of the same image
            shape, or ``num_components`` is out of range.
    """
    a = _as_image_batch("images", images)
    b = _as_image_batch("reference", reference)
    if images.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"image shapes differ: images {tuple(images.shape[1:])}, "
            f"reference {tuple(reference.shape[1:])}"
        )
    largest = min(len(b) - 1, b.shape[1])
    check_int("num_components", num_components)
    if not 1 <= num_components <= largest:
        raise ValueError(f"num_components must be in [1, {largest}], got {num_components}")
    mean = b.mean(0)  # (D,)
    # rows of vh are the principal directions of the centred reference set, largest first
    _, _, vh = torch.linalg.svd(b - mean, full_matrices=False)
    components = vh[:num_components]  # (K, D)
    return frechet_distance((a - mean) @ components.T, (b - mean) @ components.T)
