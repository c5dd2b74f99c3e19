"""genaug.viz: grids and curves, and their errors on bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from genaug import viz


def test_make_grid_places_images():
    images = torch.zeros(5, 1, 4, 4)
    images[3] = 1.0
    grid = viz.make_grid(images, nrow=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 1)
    # image 3 is row 1, column 0: its pixels are 1, the neighbouring image's are 0
    assert grid[6:10, 1:5].min() == 1.0
    assert grid[6:10, 6:10].max() == 0.0
    assert grid[0].min() == 1.0  # padding is white


def test_make_grid_keeps_colour_and_refuses_values_it_would_clip():
    grid = viz.make_grid(torch.full((2, 3, 2, 2), 0.5), nrow=2)
    assert grid.shape[2] == 3 and grid[1:3, 1:3].max() == 0.5
    with pytest.raises(ValueError, match=r"images must be in \[0, 1\]; got values in \[5, 5\]"):
        viz.make_grid(torch.full((2, 3, 2, 2), 5.0), nrow=2)


@pytest.mark.parametrize(
    "images, error, match",
    [
        (np.zeros((2, 1, 4, 4)), TypeError, "must be a torch.Tensor"),
        (torch.zeros(1, 4, 4), ValueError, "shape"),
        (torch.zeros(2, 2, 4, 4), ValueError, "1 or 3 channels"),
        (torch.zeros(0, 1, 4, 4), ValueError, "empty"),
        (torch.full((2, 1, 4, 4), 255.0), ValueError, "divide by 255"),
        (torch.full((2, 1, 4, 4), -1.0), ValueError, r"\(x \+ 1\) / 2"),
    ],
)
def test_make_grid_bad_input(images, error, match):
    with pytest.raises(error, match=match):
        viz.make_grid(images)
    with pytest.raises(ValueError, match="nrow"):
        viz.make_grid(torch.zeros(2, 1, 4, 4), nrow=0)


def test_show_images_maps_value_range():
    ax = viz.show_images(torch.full((4, 1, 4, 4), -1.0), value_range=(-1, 1), title="t")
    shown = ax.get_images()[0].get_array()
    assert float(np.asarray(shown)[1:5, 1:5].max()) == 0.0  # -1 maps to black
    assert ax.get_title() == "t"
    plt.close("all")
    with pytest.raises(ValueError, match="value_range"):
        viz.show_images(torch.zeros(1, 1, 4, 4), value_range=(1, 1))
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\]"):
        viz.show_images(torch.full((1, 1, 4, 4), 3.0), value_range=(-1, 1))


def test_plot_curves_smooths_and_validates():
    history = {"loss": [4.0, 2.0, 0.0, 2.0], "other": [1.0, 1.0, 1.0, 1.0]}
    ax = viz.plot_curves(history, keys=["loss"], smooth=2)
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == [3.0, 1.0, 1.0]
    assert list(line.get_xdata()) == [1, 2, 3]
    plt.close("all")
    with pytest.raises(KeyError, match="no curves"):
        viz.plot_curves(history, keys=["missing"])
    with pytest.raises(ValueError, match="smooth"):
        viz.plot_curves(history, smooth=0)
