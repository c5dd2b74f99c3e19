"""Disentanglement: the mutual information gap (MIG).

Chen, Li, Grosse & Duvenaud, "Isolating Sources of Disentanglement in
Variational Autoencoders", NeurIPS 2018. Used in lesson 5.2.1
(``lessons/ch05_practice/04_beta_vae.ipynb``).
"""

from __future__ import annotations

import numpy as np
import torch

from genaug._checks import check_int


def discretize(values: torch.Tensor | np.ndarray, *, num_bins: int = 20) -> torch.Tensor:
    """Bin each column into ``num_bins`` equal-width bins between its minimum and maximum.

    Args:
        values: ``(N,)`` or ``(N, K)`` real values.
        num_bins: number of bins per column (>= 2).

    Returns:
        int64 bin indices in ``[0, num_bins)``, same shape as ``values``. A constant
        column falls entirely into bin 0.
    """
    check_int("num_bins", num_bins, min=2)
    tensor = torch.as_tensor(values).detach().to("cpu", torch.float64)
    if tensor.ndim not in (1, 2) or len(tensor) == 0:
        raise ValueError(
            f"values must be a non-empty (N,) or (N, K) array, got {tuple(tensor.shape)}"
        )
    if not torch.isfinite(tensor).all():
        raise ValueError("values contain NaN or infinite values")
    low, high = tensor.min(0).values, tensor.max(0).values
    scaled = (tensor - low) / (high - low).clamp(min=1e-12)  # in [0, 1]
    return (scaled * num_bins).long().clamp(max=num_bins - 1)


def _as_codes(name: str, values: torch.Tensor | np.ndarray) -> torch.Tensor:
    tensor = torch.as_tensor(values).detach().cpu()
    if tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(f"{name} must hold integer (discrete) values; use discretize() first")
    if tensor.ndim != 1:
        raise ValueError(f"{name} must be a 1-D (N,) array, got shape {tuple(tensor.shape)}")
    return torch.unique(tensor, return_inverse=True)[1]  # relabel as 0 .. K - 1


def discrete_entropy(labels: torch.Tensor | np.ndarray) -> float:
    """Entropy H(a) = -sum_a p(a) log p(a) of the empirical distribution of discrete values.

    Args:
        labels: ``(N,)`` integer values.

    Returns:
        The entropy in nats.
    """
    codes = _as_codes("labels", labels)
    probabilities = torch.bincount(codes).double() / len(codes)
    probabilities = probabilities[probabilities > 0]
    return float(-(probabilities * probabilities.log()).sum())


def discrete_mutual_information(
    a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray
) -> float:
    """Mutual information I(a; b) = sum p(a, b) log [p(a, b) / (p(a) p(b))] of two discrete samples.

    The plug-in estimate from the contingency table; it is biased upwards by about
    (K_a - 1)(K_b - 1) / (2N) nats for independent variables with K_a and K_b values.

    Args:
        a: ``(N,)`` integer values.
        b: ``(N,)`` integer values.

    Returns:
        The mutual information in nats, ``0 <= I <= min(H(a), H(b))``.
    """
    codes_a, codes_b = _as_codes("a", a), _as_codes("b", b)
    if len(codes_a) != len(codes_b):
        raise ValueError(
            f"a and b must have the same length, got {len(codes_a)} and {len(codes_b)}"
        )
    size_a, size_b = int(codes_a.max()) + 1, int(codes_b.max()) + 1
    joint = torch.bincount(codes_a * size_b + codes_b, minlength=size_a * size_b)
    joint = joint.double().view(size_a, size_b) / len(codes_a)  # p(a, b)
    outer = joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True)  # p(a) p(b)
    mask = joint > 0
    return max(float((joint[mask] * (joint[mask] / outer[mask]).log()).sum()), 0.0)


def mutual_information_matrix(
    codes: torch.Tensor | np.ndarray,
    factors: torch.Tensor | np.ndarray,
    *,
    num_bins: int = 20,
) -> torch.Tensor:
    """I(z_j; v_k) between every latent dimension and every ground-truth factor.

    Latents (real) are discretised into ``num_bins`` equal-width bins; factors are used
    as they are if integer, and discretised the same way if real (e.g. a continuous angle).

    Args:
        codes: ``(N, D)`` latent codes, e.g. the encoder's posterior means.
        factors: ``(N, K)`` ground-truth factors.
        num_bins: bins per real-valued column.

    Returns:
        ``(D, K)`` float64 mutual informations in nats.
    """
    latent = torch.as_tensor(codes).detach().cpu()
    truth = torch.as_tensor(factors).detach().cpu()
    if latent.ndim != 2 or truth.ndim != 2:
        raise ValueError(
            f"codes must be (N, D) and factors (N, K), got {tuple(latent.shape)} and "
            f"{tuple(truth.shape)}"
        )
    if len(latent) != len(truth):
        raise ValueError(
            f"codes has {len(latent)} rows but factors has {len(truth)}: one row per sample"
        )
    latent_bins = discretize(latent, num_bins=num_bins)  # (N, D)
    factor_bins = (
        truth.long() if not truth.is_floating_point() else discretize(truth, num_bins=num_bins)
    )
    return torch.tensor(
        [
            [
                discrete_mutual_information(latent_bins[:, j], factor_bins[:, k])
                for k in range(truth.shape[1])
            ]
            for j in range(latent.shape[1])
        ],
        dtype=torch.float64,
    )


def mutual_information_gap(
    codes: torch.Tensor | np.ndarray,
    factors: torch.Tensor | np.ndarray,
    *,
    num_bins: int = 20,
) -> float:
    """The mutual information gap (MIG) of Chen et al. (2018), a disentanglement score in [0, 1].

    MIG = (1/K) sum_k [ I(z_(1); v_k) - I(z_(2); v_k) ] / H(v_k), where z_(1) and z_(2)
    are the latent dimensions with the largest and second largest mutual information
    with factor v_k. It is 1 when every factor is captured by exactly one latent
    dimension (and no other dimension knows anything about it) and near 0 when the
    information about each factor is spread over several dimensions.

    Args:
        codes: ``(N, D)`` latent codes with D >= 2, e.g. posterior means.
        factors: ``(N, K)`` ground-truth factors (integer, or real to be discretised).
        num_bins: bins per real-valued column (see :func:`mutual_information_matrix`).

    Returns:
        The MIG; factors that never vary (zero entropy) are skipped.
    """
    information = mutual_information_matrix(codes, factors, num_bins=num_bins)  # (D, K)
    if information.shape[0] < 2:
        raise ValueError("MIG needs at least 2 latent dimensions to compare")
    truth = torch.as_tensor(factors).detach().cpu()
    factor_bins = (
        truth.long() if not truth.is_floating_point() else discretize(truth, num_bins=num_bins)
    )
    gaps = []
    for k in range(information.shape[1]):
        entropy = discrete_entropy(factor_bins[:, k])
        if entropy == 0:
            continue
        top_two = information[:, k].topk(2).values
        gaps.append(float(top_two[0] - top_two[1]) / entropy)
    if not gaps:
        raise ValueError("every factor is constant: MIG is undefined")
    return float(np.mean(gaps))
