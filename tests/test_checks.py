"""The house input checks in genaug._checks: what they accept, refuse and say."""

import math

import numpy as np
import pytest
import torch

from genaug._checks import (
    check_choice,
    check_float,
    check_images,
    check_int,
    check_labels,
    check_probability,
    check_seed,
    check_seeds,
    check_tensor,
)


def test_check_int_accepts_python_and_numpy_ints_and_returns_int():
    assert check_int("n", 3, min=1) == 3
    value = check_int("n", np.int64(4), max=4)
    assert value == 4 and type(value) is int


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (True, TypeError, "n must be an int; got bool True"),
        (2.0, TypeError, "n must be an int; got float 2.0"),
        ("3", TypeError, "got str '3'"),
        (0, ValueError, "n must be >= 1; got 0"),
        (11, ValueError, "n must be <= 10; got 11"),
    ],
)
def test_check_int_refuses(value, error, text):
    with pytest.raises(error, match=text):
        check_int("n", value, min=1, max=10)


def test_check_int_choices():
    assert check_int("size", 16, choices={8, 16}) == 16
    with pytest.raises(ValueError, match="size must be one of 8, 16; got 12"):
        check_int("size", 12, choices={16, 8})


def test_check_float_accepts_ints_numpy_and_scalar_tensors():
    assert check_float("x", 2) == 2.0
    assert check_float("x", np.float32(0.5)) == 0.5
    assert check_float("x", torch.tensor(0.25)) == 0.25
    assert type(check_float("x", 1)) is float


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (math.nan, ValueError, "eta must be a finite number; got nan"),
        (math.inf, ValueError, "finite"),
        (True, TypeError, "eta must be a real number; got bool"),
        ("0.5", TypeError, "real number"),
        (None, TypeError, "NoneType"),
        (-0.1, ValueError, r"eta must be in \[0, 1\]; got -0.1"),
        (1.5, ValueError, r"in \[0, 1\]"),
    ],
)
def test_check_float_refuses(value, error, text):
    with pytest.raises(error, match=text):
        check_float("eta", value, min=0, max=1)


def test_check_float_open_bounds():
    assert check_float("r", 0.5, min=0, max=1, min_open=True, max_open=True) == 0.5
    with pytest.raises(ValueError, match=r"r must be in \(0, 1\); got 0"):
        check_float("r", 0.0, min=0, max=1, min_open=True, max_open=True)
    with pytest.raises(ValueError, match=r"\(0, 1\); got 1"):
        check_float("r", 1.0, min=0, max=1, min_open=True, max_open=True)
    with pytest.raises(ValueError, match="clip_range must be > 0; got -1"):
        check_float("clip_range", -1.0, min=0, min_open=True)
    with pytest.raises(ValueError, match="eta must be >= 0; got -1"):
        check_float("eta", -1, min=0)
    with pytest.raises(ValueError, match="x must be < 1; got 2"):
        check_float("x", 2, max=1, max_open=True)


def test_check_probability():
    assert check_probability("p", 0) == 0.0
    assert check_probability("p", 1) == 1.0
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        check_probability("p", 1.01)


def test_check_choice_names_the_options():
    assert check_choice("mode", "lerp", ("slerp", "lerp")) == "lerp"
    with pytest.raises(ValueError, match="mode must be one of 'slerp', 'lerp'; got 'x'"):
        check_choice("mode", "x", ("slerp", "lerp"))
    with pytest.raises(ValueError, match="one of"):
        check_choice("mode", ["unhashable"], {"slerp", "lerp"})


def test_check_seed_and_seeds():
    assert check_seed("seed", 0) == 0
    with pytest.raises(ValueError, match="seed must be >= 0; got -1"):
        check_seed("seed", -1)
    with pytest.raises(TypeError, match="seed must be an int"):
        check_seed("seed", 1.0)
    assert check_seeds("seeds", [3, 4]) == [3, 4]
    assert check_seeds("seeds", torch.tensor([5, 6]), num=2) == [5, 6]
    assert check_seeds("seeds", range(3)) == [0, 1, 2]
    with pytest.raises(TypeError, match=r"seeds\[0\] must be an int; got float 1.5"):
        check_seeds("seeds", [1.5])
    with pytest.raises(TypeError, match="seeds must be a 1-D integer tensor"):
        check_seeds("seeds", torch.tensor([[1]]))
    with pytest.raises(ValueError, match="at least one seed"):
        check_seeds("seeds", [])
    with pytest.raises(ValueError, match="seeds must hold 2 seeds"):
        check_seeds("seeds", [1, 2, 3], num=2)
    with pytest.raises(TypeError, match="sequence of int seeds"):
        check_seeds("seeds", 7)


def test_check_tensor_passes_a_good_tensor_through_unchanged():
    x = torch.rand(2, 3)
    assert check_tensor("x", x, ndim=2, shape=(None, 3), floating=True, value_range=(0, 1)) is x


@pytest.mark.parametrize(
    ("value", "kwargs", "error", "text"),
    [
        ([1.0], {}, TypeError, "x must be a torch.Tensor; got list"),
        (torch.zeros(2), {"ndim": 2}, ValueError, r"x must have 2 dimensions; got shape \(2,\)"),
        (torch.zeros(2, 4), {"shape": (None, 3)}, ValueError, r"shape \(\*, 3\); got \(2, 4\)"),
        (torch.zeros(2, dtype=torch.long), {"floating": True}, TypeError, "floating-point"),
        (torch.zeros(2), {"floating": False}, TypeError, "integer tensor"),
        (torch.zeros(0, 3), {}, ValueError, "must not be empty"),
        (torch.tensor([1.0, math.nan]), {}, ValueError, "1 NaN or infinite"),
        (torch.tensor([0.0, 2.0]), {"value_range": (0, 1)}, ValueError, r"got values in \[0, 2\]"),
    ],
)
def test_check_tensor_refuses(value, kwargs, error, text):
    with pytest.raises(error, match=text):
        check_tensor("x", value, **kwargs)


def test_check_tensor_options_can_allow_empty_and_non_finite():
    check_tensor("x", torch.zeros(0), non_empty=False)
    check_tensor("x", torch.tensor([math.inf]), finite=False)


def test_check_images_accepts_rounding_slack_and_refuses_with_hints():
    images = torch.rand(2, 3, 8, 8)
    assert check_images("images", images, channels=3, size=8) is images
    check_images("images", images + 5e-5)
    with pytest.raises(ValueError, match="divide by 255"):
        check_images("images", images * 255)
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        check_images("images", images * 2 - 1)
    with pytest.raises(ValueError, match="images must have 1 channels"):
        check_images("images", images, channels=1)
    with pytest.raises(ValueError, match="images must be 16x16 pixels"):
        check_images("images", images, size=16)
    with pytest.raises(ValueError, match="4 dimensions"):
        check_images("images", torch.rand(3, 8, 8))
    with pytest.raises(TypeError, match="floating-point"):
        check_images("images", torch.zeros(1, 1, 2, 2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="finite"):
        check_images("images", torch.full((1, 1, 2, 2), math.nan))
    check_images("images", images * 2 - 1, value_range=(-1, 1))
    with pytest.raises(ValueError, match=r"in \[-1, 1\].*x / 127.5 - 1"):
        check_images("images", images * 255, value_range=(-1, 1))
    check_images("images", images * 255, value_range=None)


def test_check_labels():
    labels = torch.tensor([0, 2, 1])
    assert check_labels("labels", labels, num=3, num_classes=3) is labels
    check_labels("labels", labels.int())
    check_labels("labels", torch.zeros(0, dtype=torch.long))
    with pytest.raises(TypeError, match="labels must be a 1-D int64 tensor; got list"):
        check_labels("labels", [0, 1])
    with pytest.raises(TypeError, match="got dtype torch.float32"):
        check_labels("labels", labels.float())
    with pytest.raises(TypeError, match="torch.bool"):
        check_labels("labels", labels.bool())
    with pytest.raises(ValueError, match=r"1-D, one label per sample; got shape \(3, 1\)"):
        check_labels("labels", labels[:, None])
    with pytest.raises(ValueError, match="must hold 4 labels, one per sample; got 3"):
        check_labels("labels", labels, num=4)
    with pytest.raises(
        ValueError, match=r"labels must be in \[0, 2\) for num_classes=2; got labels in \[0, 2\]"
    ):
        check_labels("labels", labels, num_classes=2)
    with pytest.raises(
        ValueError, match=r"labels must be >= 0 \(class indices\); got labels in \[-1, 0\]"
    ):
        check_labels("labels", torch.tensor([-1, 0]))
