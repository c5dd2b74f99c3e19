"""Sample-quality metrics on the features of a small reference classifier.

Inception-based FID (Heusel et al., 2017) and KID (Binkowski et al., 2018)
need pretrained ImageNet weights, which this course never downloads, and
Inception features mean little for 16x16 digits anyway. We use the same
formulas on the penultimate features of :class:`genaug.nn.ConvClassifier`
trained once on the digits training split. Numbers are comparable within this
course (same classifier, same sample sizes), not with published FIDs.

* :func:`frechet_distance`: ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}),
  the Frechet (2-Wasserstein) distance between Gaussians fitted to two feature sets.
* :func:`kernel_inception_distance`: unbiased MMD^2 with the cubic polynomial
  kernel k(a, b) = (a.b / d + 1)^3, averaged over random subsets.
* :func:`reference_classifier`: the classifier (trained once, cached).
* :func:`genaug.metrics.pca_frechet_distance` and
  :func:`genaug.metrics.nearest_neighbour_distance`: for image
  sets the digits classifier knows nothing about (the 100 faces of lesson 3.1),
  the Frechet distance on the reference set's principal components, and each
  sample's distance to its nearest training image (memorisation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from genaug.cache import load_or_train
from genaug.nn import ClassifierConfig, ConvClassifier
from genaug.train import fit


def _as_float64(name: str, features: torch.Tensor | np.ndarray) -> torch.Tensor:
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
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}")
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
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}")
    m = subset_size
    if not isinstance(m, int) or not 2 <= m <= min(len(a), len(b)):
        raise ValueError(f"subset_size must be an int in [2, {min(len(a), len(b))}], got {m!r}")
    if not isinstance(num_subsets, int) or num_subsets < 1:
        raise ValueError(f"num_subsets must be a positive int, got {num_subsets!r}")
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


def _as_image_batch(name: str, images: torch.Tensor) -> torch.Tensor:
    """Check a (N, C, H, W) image tensor and flatten it to (N, C*H*W) float64 on the CPU."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"{name} must be a (N, C, H, W) tensor, got {shape}")
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return images.detach().to("cpu", torch.float64).flatten(1)


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


def pca_frechet_distance(
    images: torch.Tensor, reference: torch.Tensor, *, num_components: int = 16
) -> float:
    """Frechet distance in the principal-component space of a reference image set.

    The reference images (e.g. the 100 training faces) are flattened and their
    top ``num_components`` principal directions found (for faces, the
    "eigenfaces" of Turk & Pentland, 1991); both sets are projected onto them
    and compared with :func:`genaug.metrics.frechet_distance`. Unlike the reference
    classifier's features, nothing here is trained on another domain, so it
    suits any small grayscale image set; it sees only linear structure, and a
    copy of the reference set scores 0, so pair it with
    :func:`genaug.metrics.nearest_neighbour_distance` to expose memorisation. With all
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
    if isinstance(num_components, bool) or not isinstance(num_components, int):
        raise ValueError(f"num_components must be an int, got {num_components!r}")
    if not 1 <= num_components <= largest:
        raise ValueError(f"num_components must be in [1, {largest}], got {num_components}")
    mean = b.mean(0)  # (D,)
    # rows of vh are the principal directions of the centred reference set, largest first
    _, _, vh = torch.linalg.svd(b - mean, full_matrices=False)
    components = vh[:num_components]  # (K, D)
    return frechet_distance((a - mean) @ components.T, (b - mean) @ components.T)


@dataclass
class ReferenceConfig:
    """How the reference digits classifier is trained (fixed across profiles)."""

    image_size: int = 16  # digits resolution, 16 or 32
    width: int = 16  # channels of the classifier's first stage
    feature_dim: int = 64  # size of the features the distances are computed on
    steps: int = 300  # optimiser steps (about 5 s on 2 CPU cores)
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate
    max_shift: int = 1  # random translation augmentation, pixels
    seed: int = 0  # initialisation and batch order


class ReferenceClassifier:
    """A trained :class:`~genaug.nn.ConvClassifier` for digits, used to score generated images.

    Attributes:
        model: the classifier (eval mode, CPU).
        test_accuracy: its accuracy on the digits test split.
    """

    def __init__(self, model: ConvClassifier, test_accuracy: float) -> None:
        self.model = model.eval()
        self.test_accuracy = test_accuracy

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        size = self.model.config.image_size
        if (
            not isinstance(images, torch.Tensor)
            or images.ndim != 4
            or images.shape[1:]
            != (
                1,
                size,
                size,
            )
        ):
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise ValueError(f"images must be a (N, 1, {size}, {size}) tensor, got {shape}")
        if images.min() < -0.05 or images.max() > 1.05:
            raise ValueError(
                f"images must be in [0, 1], got values in [{float(images.min()):.2f}, "
                f"{float(images.max()):.2f}]; generator outputs in [-1, 1] need (x + 1) / 2"
            )
        return images.detach().float().cpu().clamp(0, 1)

    @torch.no_grad()
    def features(self, images: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
        """Penultimate features.

        Args:
            images: (N, 1, H, W) images in [0, 1].
            batch_size: images per forward pass.

        Returns:
            (N, feature_dim) float32 features.
        """
        images = self._prepare(images)
        return torch.cat([self.model.features(chunk) for chunk in images.split(batch_size)])

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
        """Class probabilities.

        Args:
            images: (N, 1, H, W) images in [0, 1].
            batch_size: images per forward pass.

        Returns:
            (N, 10) probabilities.
        """
        images = self._prepare(images)
        return torch.cat([self.model(chunk).softmax(1) for chunk in images.split(batch_size)])

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted labels.

        Args:
            images: (N, 1, H, W) images in [0, 1].

        Returns:
            (N,) int64 labels.
        """
        return self.probabilities(images).argmax(1)

    def frechet_distance(self, images_a: torch.Tensor, images_b: torch.Tensor) -> float:
        """Frechet distance between two image sets on this classifier's features.

        Args:
            images_a: (N_a, 1, H, W) images in [0, 1].
            images_b: (N_b, 1, H, W) images in [0, 1].

        Returns:
            The squared Frechet distance (see :func:`frechet_distance`).
        """
        return frechet_distance(self.features(images_a), self.features(images_b))


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by an integer offset in [-max_shift, max_shift], zero-filled.

    Args:
        images: (B, C, H, W).
        max_shift: largest shift in pixels (>= 0).
        generator: source of the random offsets.

    Returns:
        (B, C, H, W) shifted images.
    """
    if max_shift == 0:
        return images
    batch, _, height, width = images.shape
    padded = F.pad(images, [max_shift] * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (batch, 2), generator=generator)
    return torch.stack(
        [
            padded[i, :, dy : dy + height, dx : dx + width]
            for i, (dy, dx) in enumerate(offsets.tolist())
        ]
    )


def reference_classifier(
    config: ReferenceConfig | None = None, *, progress: bool = False
) -> ReferenceClassifier:
    """The reference digits classifier: trained on the first call, then loaded from the cache.

    Args:
        config: training settings (default :class:`ReferenceConfig`).
        progress: show a progress bar while training.

    Returns:
        A :class:`ReferenceClassifier` with its measured test accuracy.
    """
    from genaug.data import digits  # local import: data is heavier to import

    config = config or ReferenceConfig()
    model = ConvClassifier(
        ClassifierConfig(
            image_size=config.image_size, width=config.width, feature_dim=config.feature_dim
        )
    )
    train_set = digits("train", size=config.image_size)
    test_set = digits("test", size=config.image_size)

    def train(module: ConvClassifier, checkpoint) -> dict:
        generator = torch.Generator().manual_seed(config.seed)
        torch.manual_seed(config.seed)
        for layer in module.modules():  # deterministic re-initialisation
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.steps)

        def step(_: int) -> dict[str, float]:
            index = torch.randint(0, len(train_set), (config.batch_size,), generator=generator)
            images = random_shift(train_set.images[index], config.max_shift, generator)
            loss = F.cross_entropy(module(images), train_set.labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            return {"loss": loss.item()}

        history = fit(
            step,
            num_steps=config.steps,
            modules={"classifier": module},
            optimizers={"adam": optimizer},
            generator=generator,
            checkpoint=checkpoint,
            progress=progress,
            description="reference classifier",
        )
        module.eval()
        with torch.no_grad():
            accuracy = (module(test_set.images).argmax(1) == test_set.labels).float().mean()
        return {"loss": history["loss"], "test_accuracy": float(accuracy), **asdict(config)}

    result = load_or_train(
        f"reference-classifier-digits{config.image_size}", config, model, train, profile="all"
    )
    return ReferenceClassifier(result.model, float(result.history["test_accuracy"]))


# ----------------------------------------------------------------------------------------------
# Disentanglement: the mutual information gap (MIG) of Chen, Li, Grosse & Duvenaud,
# "Isolating Sources of Disentanglement in Variational Autoencoders", NeurIPS 2018.
# Used in lesson 5.2.1 (lessons/ch05_practice/04_beta_vae.ipynb).
# ----------------------------------------------------------------------------------------------


def discretize(values: torch.Tensor | np.ndarray, *, num_bins: int = 20) -> torch.Tensor:
    """Bin each column into ``num_bins`` equal-width bins between its minimum and maximum.

    Args:
        values: ``(N,)`` or ``(N, K)`` real values.
        num_bins: number of bins per column (>= 2).

    Returns:
        int64 bin indices in ``[0, num_bins)``, same shape as ``values``. A constant
        column falls entirely into bin 0.
    """
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 2:
        raise ValueError(f"num_bins must be an int >= 2, got {num_bins!r}")
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
        raise ValueError(f"{len(latent)} codes but {len(truth)} factor rows: they must match")
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
