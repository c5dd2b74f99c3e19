"""genaug.metrics: Frechet distance and KID against direct numpy/scipy formulas."""

import numpy as np
import pytest
import scipy.linalg
import torch

from genaug import metrics, recipes
from genaug.data import digits


def _direct_frechet(a, b):
    """The textbook formula with scipy's matrix square root."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def _direct_mmd(x, y):
    """Unbiased MMD^2 with the cubic kernel, written as explicit loops."""
    d = x.shape[1]
    m = len(x)

    def k(u, v):
        return (u @ v / d + 1) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_frechet_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(loc=0.5, size=(300, 6)) @ rng.normal(size=(6, 6))
    assert metrics.frechet_distance(a, b) == pytest.approx(_direct_frechet(a, b), rel=1e-6)
    assert metrics.frechet_distance(torch.tensor(a), torch.tensor(b)) == pytest.approx(
        _direct_frechet(a, b), rel=1e-6
    )


def test_frechet_closed_forms():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 4))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shift = np.array([1.0, -2.0, 0.0, 0.5])
    # same covariance, shifted mean: d^2 = ||shift||^2 exactly
    assert metrics.frechet_distance(a, a + shift) == pytest.approx((shift**2).sum(), rel=1e-8)
    # scaled: N(0, I) vs N(0, s^2 I) in D dims has d^2 = D (1 - s)^2 (here for sample covariances)
    value = metrics.frechet_distance(a, 3 * a)
    cov = np.cov(a, rowvar=False)
    assert value == pytest.approx(np.trace(cov) * 4 + (a.mean(0) * 2) @ (a.mean(0) * 2), rel=1e-6)


def test_kid_matches_direct_loops():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(12, 3))
    b = rng.normal(loc=0.3, size=(12, 3))
    mean, std = metrics.kernel_inception_distance(a, b, subset_size=12, num_subsets=1)
    assert mean == pytest.approx(_direct_mmd(a, b), rel=1e-9)
    assert std == 0.0


def test_kid_separates_distributions():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    far = rng.normal(loc=1.0, size=(300, 8))
    same, _ = metrics.kernel_inception_distance(a, b, subset_size=100)
    different, _ = metrics.kernel_inception_distance(a, far, subset_size=100)
    assert abs(same) < 0.05 < different


def test_bad_feature_inputs():
    good = np.zeros((10, 3))
    with pytest.raises(ValueError, match="2-D"):
        metrics.frechet_distance(np.zeros(10), good)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_distance(np.zeros((1, 3)), good)
    with pytest.raises(ValueError, match="feature sizes differ"):
        metrics.frechet_distance(np.zeros((10, 4)), good)
    with pytest.raises(ValueError, match="NaN"):
        metrics.frechet_distance(np.full((10, 3), np.nan), good)
    with pytest.raises(ValueError, match="subset_size"):
        metrics.kernel_inception_distance(good, good, subset_size=11)
    with pytest.raises(ValueError, match="num_subsets"):
        metrics.kernel_inception_distance(good, good, subset_size=5, num_subsets=0)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GENAUG_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield recipes.reference_classifier()


def test_reference_classifier_is_accurate_and_cached(reference):
    assert reference.test_accuracy > 0.95
    test = digits("test")
    predicted = reference.predict(test.images)
    assert (predicted == test.labels).float().mean() == pytest.approx(reference.test_accuracy)
    assert reference.features(test.images[:5]).shape == (5, 64)
    probabilities = reference.probabilities(test.images[:5])
    assert torch.allclose(probabilities.sum(1), torch.ones(5))


def test_reference_frechet_orders_real_above_noise(reference):
    train, test = digits("train"), digits("test")
    real = reference.frechet_distance(train.images[: len(test)], test.images)
    noise = reference.frechet_distance(torch.rand_like(test.images), test.images)
    assert real * 20 < noise


def test_reference_rejects_wrong_range_and_shape(reference):
    images = digits("test").images[:4]
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        reference.features(images * 2 - 1)
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        reference.features(images[:, :, :8])


# --- the 100-shot measures: nearest-neighbour distance and PCA Frechet distance ---------------


def test_nearest_neighbour_distance_closed_form():
    reference = torch.zeros(3, 1, 2, 2)
    reference[1] += 1.0
    reference[2] += 3.0
    samples = torch.stack([reference[1], reference[1] + 0.5, reference[2] + 10])
    # copies are at 0; a uniform offset of c is at RMS distance |c|
    distances = metrics.nearest_neighbour_distance(samples, reference)
    assert distances.tolist() == pytest.approx([0.0, 0.5, 10.0])
    # leave-one-out: each reference image's nearest *other* image
    loo = metrics.nearest_neighbour_distance(reference, reference, leave_one_out=True)
    assert loo.tolist() == pytest.approx([1.0, 1.0, 2.0])


def test_nearest_neighbour_distance_errors():
    images = torch.rand(4, 1, 8, 8)
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.nearest_neighbour_distance(images, torch.rand(4, 1, 4, 4))
    with pytest.raises(ValueError, match="leave_one_out"):
        metrics.nearest_neighbour_distance(images, images[:3], leave_one_out=True)
    with pytest.raises(ValueError, match="NaN"):
        metrics.nearest_neighbour_distance(images * float("nan"), images)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        metrics.nearest_neighbour_distance(images[0], images)


def test_pca_frechet_distance_full_rank_equals_pixel_frechet():
    generator = torch.Generator().manual_seed(0)
    reference = torch.rand(60, 1, 3, 3, generator=generator)
    images = torch.rand(80, 1, 3, 3, generator=generator) ** 2
    # all 9 components: an orthogonal change of basis, so the distance is unchanged
    full = metrics.pca_frechet_distance(images, reference, num_components=9)
    pixels = metrics.frechet_distance(images.flatten(1), reference.flatten(1))
    assert full == pytest.approx(pixels, rel=1e-6)
    assert metrics.pca_frechet_distance(reference, reference, num_components=4) == pytest.approx(
        0.0, abs=1e-8
    )
    # fewer components see less of the difference
    assert metrics.pca_frechet_distance(images, reference, num_components=2) <= full + 1e-9


def test_pca_frechet_distance_on_faces_separates_faces_from_nonfaces():
    from genaug.data import faces

    real = faces("faces", size=16).images
    halves = metrics.pca_frechet_distance(real[:50], real[50:], num_components=8)
    others = metrics.pca_frechet_distance(faces("nonfaces", size=16).images, real, num_components=8)
    assert others > 3 * halves


def test_pca_frechet_distance_errors():
    images = torch.rand(10, 1, 4, 4)
    with pytest.raises(ValueError, match=r"num_components must be in \[1, 9\]"):
        metrics.pca_frechet_distance(images, images, num_components=10)
    with pytest.raises(TypeError, match="must be an int"):
        metrics.pca_frechet_distance(images, images, num_components=2.0)
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.pca_frechet_distance(images, torch.rand(10, 3, 4, 4))
