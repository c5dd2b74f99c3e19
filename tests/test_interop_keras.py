"""genaug.interop.keras: a genaug Transform as a Keras 3 layer on the PyTorch backend."""

from __future__ import annotations

import os
import sys

import pytest
import torch

if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = "torch"  # keras reads it once, at its first import
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # keras was imported earlier with another backend
    pytest.skip("keras was imported with another backend", allow_module_level=True)

from genaug.augment import RandomShift  # noqa: E402
from genaug.interop.keras import as_keras_layer  # noqa: E402


def _dots(batch: int = 32, size: int = 9) -> torch.Tensor:
    """(B, H, W, 1) channels-last images, each one bright pixel in the centre."""
    images = torch.zeros(batch, size, size, 1)
    images[:, size // 2, size // 2, 0] = 1.0
    return images


def test_layer_equals_the_genaug_transform_for_the_same_generator_state():
    layer = as_keras_layer(RandomShift(2), seed=3)
    assert isinstance(layer, keras.layers.Layer)
    images = torch.rand(16, 12, 10, 3)  # (B, H, W, C), not square, three channels
    out = layer(images, training=True)
    expected = RandomShift(2)(
        images.permute(0, 3, 1, 2).contiguous(), generator=torch.Generator().manual_seed(3)
    ).permute(0, 2, 3, 1)
    assert out.shape == images.shape
    assert torch.equal(out, expected)


def test_parameters_are_drawn_per_sample():
    out = as_keras_layer(RandomShift(2), seed=0)(_dots(), training=True)
    positions = set(out.flatten(1).argmax(1).tolist())
    assert len(positions) > 5  # one offset per image, not one per batch


def test_inactive_at_inference_and_in_predict():
    layer = as_keras_layer(RandomShift(2), seed=0)
    images = _dots(8)
    assert torch.equal(layer(images), images)
    assert torch.equal(layer(images, training=False), images)
    model = keras.Sequential([keras.Input((9, 9, 1)), layer])
    predicted = model.predict(images.numpy(), verbose=0)
    assert torch.equal(torch.as_tensor(predicted), images)
    assert not torch.equal(model(images, training=True), images)


def test_same_seed_same_augmentation_and_reseeding():
    images = _dots(8)
    a = as_keras_layer(RandomShift(2), seed=5)
    b = as_keras_layer(RandomShift(2), seed=5)
    first = a(images, training=True)
    assert torch.equal(first, b(images, training=True))
    assert not torch.equal(first, a(images, training=True))  # the generator moved on
    a.generator.manual_seed(5)
    assert torch.equal(first, a(images, training=True))


def test_single_image_and_gradient_flow():
    layer = as_keras_layer(RandomShift(1), seed=0)
    single = layer(torch.rand(8, 8, 1), training=True)
    assert single.shape == (8, 8, 1)
    images = torch.rand(4, 8, 8, 1, requires_grad=True)
    layer(images, training=True).sum().backward()
    assert images.grad is not None and torch.isfinite(images.grad).all()


def test_trains_inside_a_keras_model():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            as_keras_layer(RandomShift(1), seed=0),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    x = torch.rand(32, 8, 8, 1).numpy()
    y = (torch.arange(32) % 2).numpy()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert all(torch.isfinite(torch.tensor(history.history["loss"])))


def test_bad_inputs_raise_teaching_errors():
    with pytest.raises(TypeError, match="genaug Transform"):
        as_keras_layer(lambda x: x)
    with pytest.raises((TypeError, ValueError), match="seed"):
        as_keras_layer(RandomShift(1), seed=-1)
    with pytest.raises(ValueError, match="channels-last"):
        as_keras_layer(RandomShift(1))(torch.rand(2, 2, 8, 8, 1), training=True)


def test_wrong_backend_is_reported(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=torch"):
        as_keras_layer(RandomShift(1))
