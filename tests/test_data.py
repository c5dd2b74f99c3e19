"""Tests of genaug.data: offline loaders, the ImageSet container and stratified subsets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from genaug.data import (
    DIGITS_M_PHOTO_NAMES,
    PALETTE,
    PHOTO_NAMES,
    SCALE_VALUES,
    ImageSet,
    digits,
    digits_m,
    faces,
    photos,
    shapes,
    subset,
)
from genaug.data.images import _digit_split_indices

DIGIT_SPLIT_SIZES = {"train": 1438, "test": 359, "all": 1797}


def assert_images(images: torch.Tensor, shape: tuple[int, ...]) -> None:
    """Images have the given shape, are float32 and lie in [0, 1]."""
    assert images.shape == shape
    assert images.dtype == torch.float32
    assert images.min() >= 0.0 and images.max() <= 1.0


# ---------------------------------------------------------------------------
# ImageSet


def tiny_set(num_samples: int = 6) -> ImageSet:
    return ImageSet(
        images=torch.rand(num_samples, 1, 4, 4),
        labels=torch.arange(num_samples) % 2,
        classes=("a", "b"),
        name="tiny",
    )


def test_imageset_indexing_and_dataloader():
    data = tiny_set()
    image, label = data[3]
    assert image.shape == (1, 4, 4) and label.dtype == torch.int64 and label.ndim == 0
    assert len(data) == 6 and data.image_shape == (1, 4, 4)
    images, labels = next(iter(DataLoader(data, batch_size=4)))
    assert images.shape == (4, 1, 4, 4) and labels.tolist() == [0, 1, 0, 1]
    text = repr(data)
    assert "tiny" in text and "N=6" in text and "(1, 4, 4)" in text and "a, b" in text


def test_imageset_select_copies():
    data = tiny_set()
    picked = data.select([4, 1])
    assert torch.equal(picked.images, data.images[[4, 1]])
    picked.images.zero_()
    assert data.images[4].sum() > 0


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (dict(images=torch.rand(6, 4, 4)), TypeError, r"\(N, C, H, W\)"),
        (dict(images=torch.rand(6, 1, 4, 4).double()), TypeError, "float32"),
        (dict(images=torch.rand(6, 1, 4, 4) * 2 - 1), ValueError, r"\[0, 1\]"),
        (dict(labels=torch.zeros(5, dtype=torch.int64)), ValueError, "one per sample"),
        (dict(labels=torch.zeros(6, dtype=torch.int32)), TypeError, "int64"),
        (dict(labels=torch.full((6,), 2)), ValueError, r"in \[0, 2\)"),
        (dict(masks=torch.zeros(6, 1, 3, 3)), TypeError, "masks"),
        (dict(boxes=torch.zeros(6, 5)), TypeError, "boxes"),
        (dict(factors={"x": torch.zeros(5)}), TypeError, "factors"),
    ],
)
def test_imageset_rejects_inconsistent_fields(change, error, match):
    fields = dict(
        images=torch.rand(6, 1, 4, 4),
        labels=torch.zeros(6, dtype=torch.int64),
        classes=("a", "b"),
        name="bad",
    )
    fields.update(change)
    with pytest.raises(error, match=match):
        ImageSet(**fields)


# ---------------------------------------------------------------------------
# digits


@pytest.mark.parametrize("split", ["train", "test", "all"])
def test_digits_split_sizes(split):
    data = digits(split)
    num_samples = DIGIT_SPLIT_SIZES[split]
    assert_images(data.images, (num_samples, 1, 16, 16))
    assert data.labels.shape == (num_samples,) and data.labels.dtype == torch.int64
    assert data.classes == tuple("0123456789")
    assert set(data.labels.tolist()) == set(range(10))


def test_digits_split_is_disjoint_stratified_and_fixed():
    train, test = _digit_split_indices("train"), _digit_split_indices("test")
    assert len(np.intersect1d(train, test)) == 0
    assert np.array_equal(np.union1d(train, test), np.arange(1797))
    # pinned: the split must never change between versions or machines
    assert test[:8].tolist() == [21, 24, 28, 34, 35, 37, 39, 42] and test.sum() == 337919
    # every class is split 80 / 20, within rounding
    train_counts = np.bincount(digits("train").labels.numpy(), minlength=10)
    all_counts = np.bincount(digits("all").labels.numpy(), minlength=10)
    assert np.all(np.abs(train_counts - 0.8 * all_counts) <= 0.5)
    # the split's images are the matching rows of "all"
    everything = digits("all", size=8).images
    assert torch.equal(digits("test", size=8).images, everything[test])


@pytest.mark.parametrize("size", [8, 16, 32])
def test_digits_sizes(size):
    data = digits("test", size=size)
    assert_images(data.images, (359, 1, size, size))
    assert data.images.amax(dim=(1, 2, 3)).min() > 0.5  # every digit has ink


def test_digits_native_size_is_raw_data_over_16():
    from sklearn.datasets import load_digits

    raw = load_digits().images / 16.0
    assert np.allclose(digits("all", size=8).images[:, 0].numpy(), raw, atol=1e-6)


def test_digits_returns_fresh_tensors():
    first = digits("test")
    first.images.zero_()
    assert digits("test").images.sum() > 0


# ---------------------------------------------------------------------------
# shapes


@pytest.fixture(scope="module")
def shape_set() -> ImageSet:
    return shapes(300, size=32, seed=0)


def test_shapes_images_and_labels(shape_set):
    assert_images(shape_set.images, (300, 3, 32, 32))
    assert shape_set.classes == ("square", "ellipse", "triangle")
    assert torch.equal(shape_set.labels, shape_set.factors["shape"])
    assert set(shape_set.labels.tolist()) == {0, 1, 2}


def test_shapes_factor_ranges(shape_set):
    factors = shape_set.factors
    assert set(factors) == {"shape", "scale", "rotation", "x", "y", "colour"}
    assert all(value.shape == (300,) for value in factors.values())
    assert factors["shape"].dtype == torch.int64 and factors["colour"].dtype == torch.int64
    distance_to_grid = (factors["scale"][:, None] - torch.tensor(SCALE_VALUES)).abs()
    assert distance_to_grid.amin(dim=1).max() < 1e-6
    assert factors["rotation"].min() >= 0 and factors["rotation"].max() < 2 * math.pi
    for axis in ("x", "y"):
        assert factors[axis].min() >= 0 and factors[axis].max() <= 1
    assert factors["colour"].min() >= 0 and factors["colour"].max() < len(PALETTE)


def test_shapes_masks_and_boxes(shape_set):
    masks, boxes = shape_set.masks, shape_set.boxes
    assert masks.shape == (300, 1, 32, 32) and masks.dtype == torch.float32
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    assert masks.sum(dim=(1, 2, 3)).min() > 0
    # the mask is exactly where the image has ink
    assert torch.equal(masks[:, 0] > 0, shape_set.images.amax(dim=1) > 0)
    assert boxes.shape == (300, 4) and boxes.dtype == torch.float32
    assert (boxes[:, 0] < boxes[:, 2]).all() and (boxes[:, 1] < boxes[:, 3]).all()
    assert boxes.min() >= 0 and boxes.max() <= 32
    for mask, (x0, y0, x1, y1) in zip(masks[:, 0], boxes.long().tolist(), strict=True):
        inside = mask[y0:y1, x0:x1]
        assert inside.sum() == mask.sum()  # all of the mask is in the box
        # tight: the mask touches every side of the box
        assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()


def test_shapes_colour_follows_palette(shape_set):
    palette = torch.tensor(PALETTE)
    brightest = shape_set.images.flatten(2).argmax(dim=2)  # (N, 3) a fully covered pixel
    full = shape_set.images.flatten(2).gather(2, brightest[:, :1, None].expand(-1, 3, 1))[..., 0]
    assert torch.allclose(full, palette[shape_set.factors["colour"]], atol=1e-6)


def test_shapes_area_matches_geometry():
    # coverage summed over pixels estimates the area: square 2 r^2, ellipse
    # pi r^2 / 2, triangle 3 sqrt(3) r^2 / 4, with circumradius r = 0.3 * scale * size
    data = shapes(90, size=64, seed=1, colour=False)
    radius = 0.3 * data.factors["scale"] * 64
    area_per_radius2 = torch.tensor([2.0, math.pi / 2, 3 * math.sqrt(3) / 4])
    expected = area_per_radius2[data.factors["shape"]] * radius.square()
    measured = data.images.sum(dim=(1, 2, 3))
    assert ((measured - expected).abs() / expected).max() < 0.08


def test_shapes_determinism_and_seeds():
    first, again = shapes(64, seed=3), shapes(64, seed=3)
    assert torch.equal(first.images, again.images)
    assert all(torch.equal(first.factors[key], again.factors[key]) for key in first.factors)
    other = shapes(64, seed=4)
    assert not torch.equal(first.images, other.images)
    # a smaller n is a prefix of a larger one
    assert torch.equal(shapes(10, seed=3).images, first.images[:10])


def test_shapes_grayscale_has_same_geometry():
    coloured = shapes(50, size=16, seed=2)
    gray = shapes(50, size=16, seed=2, colour=False)
    assert_images(gray.images, (50, 1, 16, 16))
    assert torch.equal(gray.masks, coloured.masks)
    assert (gray.factors["colour"] == 0).all()
    assert gray.images.max() == 1.0


@pytest.mark.parametrize("size", [16, 64])
def test_shapes_sizes(size):
    data = shapes(8, size=size)
    assert_images(data.images, (8, 3, size, size))
    assert data.masks.shape == (8, 1, size, size)


# ---------------------------------------------------------------------------
# faces


@pytest.mark.parametrize(
    ("kind", "num_samples", "labels"),
    [
        ("faces", 100, {1}),
        ("nonfaces", 100, {0}),
        ("all", 200, {0, 1}),
    ],
)
def test_faces_kinds(kind, num_samples, labels):
    data = faces(kind)
    assert_images(data.images, (num_samples, 1, 25, 25))
    assert set(data.labels.tolist()) == labels
    assert data.classes == ("nonface", "face")


def test_faces_resize():
    assert_images(faces(size=64).images, (100, 1, 64, 64))
    assert_images(faces("all", size=8).images, (200, 1, 8, 8))


# ---------------------------------------------------------------------------
# photos


def test_photos_all_load_offline():
    images = photos()
    assert tuple(images) == PHOTO_NAMES
    for name, image in images.items():
        assert image.ndim == 3 and image.shape[0] == 3, name
        assert image.shape[1] >= 300 and image.shape[2] >= 300, name
        assert_images(image, tuple(image.shape))
    assert torch.equal(images["brick"][0], images["brick"][2])  # grayscale, repeated
    assert not torch.equal(images["astronaut"][0], images["astronaut"][2])


def test_photos_square_resize_and_fresh_copies():
    images = photos(["coffee", "grass"], size=48)
    assert list(images) == ["coffee", "grass"]
    for image in images.values():
        assert_images(image, (3, 48, 48))
    images["coffee"].zero_()
    assert photos(["coffee"], size=48)["coffee"].sum() > 0


# ---------------------------------------------------------------------------
# digits_m


def test_digits_m_matches_digits():
    blended = digits_m("test", size=16)
    plain = digits("test", size=16)
    assert_images(blended.images, (359, 3, 16, 16))
    assert torch.equal(blended.labels, plain.labels)
    assert blended.classes == plain.classes
    # colour: the channels differ, unlike the gray digits
    assert (blended.images[:, 0] - blended.images[:, 1]).abs().mean() > 0.02
    assert len(DIGITS_M_PHOTO_NAMES) >= 3


def test_digits_m_construction_is_absolute_difference(monkeypatch):
    import genaug.data.mnist_m as mnist_m

    real = digits("test", size=8)
    # with blank digits, digits_m returns the bare photo patches
    blank = ImageSet(torch.zeros_like(real.images), real.labels, real.classes, "blank")
    monkeypatch.setattr(mnist_m, "digits", lambda split, size: blank)
    patches = digits_m("test", size=8, seed=0).images
    monkeypatch.undo()
    blended = digits_m("test", size=8, seed=0).images
    assert torch.allclose(blended, (patches - real.images).abs())
    assert patches.std() > 0.1  # the patches are textured photos, not flat


def test_digits_m_determinism_and_split_consistency():
    first, again = digits_m("test", size=8, seed=1), digits_m("test", size=8, seed=1)
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.images, digits_m("test", size=8, seed=2).images)
    everything = digits_m("all", size=8, seed=1).images
    assert torch.equal(everything[_digit_split_indices("test")], first.images)


# ---------------------------------------------------------------------------
# subset


@pytest.mark.parametrize("fraction", [0.1, 0.25, 1.0])
def test_subset_fraction_is_stratified(fraction):
    data = digits("train")
    small = subset(data, fraction=fraction, seed=0)
    counts = np.bincount(small.labels.numpy(), minlength=10)
    full = np.bincount(data.labels.numpy(), minlength=10)
    assert np.array_equal(counts, np.maximum(1, np.floor(fraction * full + 0.5)))
    assert_images(small.images, (int(counts.sum()), 1, 16, 16))


def test_subset_per_class_determinism_and_alignment():
    data = shapes(120, size=16, seed=5)
    first = subset(data, per_class=7, seed=1)
    assert np.array_equal(np.bincount(first.labels.numpy()), [7, 7, 7])
    again = subset(data, per_class=7, seed=1)
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.images, subset(data, per_class=7, seed=2).images)
    # factors, masks and boxes follow their images
    for index in range(len(first)):
        match = (data.images == first.images[index]).flatten(1).all(dim=1).nonzero()[0, 0]
        assert torch.equal(first.masks[index], data.masks[match])
        assert torch.equal(first.boxes[index], data.boxes[match])
        assert all(first.factors[key][index] == data.factors[key][match] for key in data.factors)


def test_subset_of_single_class_data():
    only_faces = subset(faces("faces"), per_class=10)
    assert len(only_faces) == 10 and set(only_faces.labels.tolist()) == {1}


# ---------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: digits("val"), ValueError, "split must be one of 'train', 'test', 'all'"),
        (lambda: digits(size=28), ValueError, "size must be one of 8, 16, 32; got 28"),
        (lambda: digits(size=16.0), TypeError, "size must be an int"),
        (lambda: shapes(0), ValueError, "n must be >= 1; got 0"),
        (lambda: shapes(size=48), ValueError, "size must be one of 16, 32, 64"),
        (lambda: shapes(8, seed="zero"), TypeError, "seed must be an int"),
        (lambda: shapes(8, colour=1), TypeError, "colour must be True or False"),
        (lambda: faces("cats"), ValueError, "kind must be one of 'faces', 'nonfaces', 'all'"),
        (lambda: faces(size=4), ValueError, "size must be >= 8; got 4"),
        (lambda: faces(size=256), ValueError, "size must be <= 128; got 256"),
        (lambda: photos(["astronaut", "lena"]), ValueError, "'astronaut'.*got 'lena'"),
        (lambda: photos("astronaut"), TypeError, "not a single string"),
        (lambda: photos(size=2), ValueError, "size must be >= 8"),
        (lambda: digits_m("dev"), ValueError, "split must be one of"),
        (lambda: digits_m(size=64), ValueError, "size must be one of 8, 16, 32"),
        (lambda: subset(digits("test")), ValueError, "exactly one of fraction"),
        (
            lambda: subset(digits("test"), fraction=0.5, per_class=3),
            ValueError,
            "exactly one of fraction",
        ),
        (lambda: subset(digits("test"), fraction=0.0), ValueError, r"fraction must be in \(0, 1\]"),
        (lambda: subset(digits("test"), fraction=1.5), ValueError, r"fraction must be in \(0, 1\]"),
        (lambda: subset(digits("test"), per_class=0), ValueError, "per_class must be >= 1"),
        (lambda: subset(digits("test"), per_class=100), ValueError, "more than class"),
        (lambda: subset(torch.zeros(3), fraction=0.5), TypeError, "must be an ImageSet"),
    ],
)
def test_bad_arguments_raise_teaching_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
