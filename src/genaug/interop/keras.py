"""A genaug ``Transform`` (:mod:`genaug.augment`) as a Keras 3 layer (torch backend), lesson 7.1.

Keras 3 runs the same model code on a JAX, TensorFlow or PyTorch backend. On the
PyTorch backend (``KERAS_BACKEND=torch``, set before keras is first imported) a Keras
tensor *is* a ``torch.Tensor``, so a genaug transform can run inside a Keras model
unchanged. Two conventions differ and the layer bridges them:

* layout: Keras images are channels-last (B, H, W, C); genaug's are (B, C, H, W);
* activity: Keras augmentation layers act only when the model is called with
  ``training=True`` (inside ``fit``), and pass images through at inference
  (``predict``, ``evaluate``).

Parameters are drawn per sample, as everywhere in genaug, from the layer's own
``torch.Generator`` (seeded by ``seed``), so a Keras model that augments is reproducible
independently of Keras' own seed generators.

Example:
    >>> import os
    >>> os.environ["KERAS_BACKEND"] = "torch"  # before the first ``import keras``
    >>> from genaug.augment import RandomShift
    >>> from genaug.interop.keras import as_keras_layer
    >>> shift = as_keras_layer(RandomShift(2), seed=0)  # a keras.layers.Layer

keras is imported inside :func:`as_keras_layer` only, so importing genaug never needs it.
"""

from __future__ import annotations

from typing import Any

import torch

from genaug._checks import check_int
from genaug.augment.transform import Transform


def as_keras_layer(transform: Transform, *, seed: int = 0, name: str | None = None) -> Any:
    """Wrap a genaug transform as a ``keras.layers.Layer`` for the PyTorch backend.

    The layer takes channels-last float images (B, H, W, C) (or a single (H, W, C)
    image), permutes them to (B, C, H, W), applies ``transform`` with per-sample
    parameters drawn from its own CPU ``torch.Generator`` and permutes back. With
    ``training`` false or unset (``predict``, ``evaluate``, a plain call) it returns its
    input unchanged.

    Args:
        transform: the genaug ``Transform`` (e.g. ``genaug.augment.RandomShift(2)``).
        seed: seed of the layer's generator (non-negative int); equal seeds give equal
            augmentations for equal call sequences.
        name: the Keras layer name (default: Keras chooses one).

    Returns:
        A ``keras.layers.Layer``; its ``generator`` attribute is the torch generator, and
        ``layer.generator.manual_seed(s)`` re-seeds it.

    Raises:
        TypeError: if ``transform`` is not a genaug Transform.
        RuntimeError: if keras is not installed, or its backend is not ``"torch"``
            (set ``KERAS_BACKEND=torch`` before keras is first imported).
    """
    if not isinstance(transform, Transform):
        raise TypeError(f"transform must be a genaug Transform, got {type(transform).__name__}")
    check_int("seed", seed, min=0)
    try:
        import keras
    except ImportError as error:  # pragma: no cover - keras is in the tools extra
        raise RuntimeError(
            "as_keras_layer needs Keras 3: pip install 'genaug[tools]' (or keras>=3)"
        ) from error
    backend = keras.backend.backend()
    if backend != "torch":
        raise RuntimeError(
            f"as_keras_layer needs Keras' PyTorch backend, but keras runs on {backend!r}. "
            "Set the environment variable KERAS_BACKEND=torch before keras is first imported "
            "(e.g. os.environ['KERAS_BACKEND'] = 'torch' at the top of the notebook, then "
            "restart the kernel)."
        )

    class GenaugTransformLayer(keras.layers.Layer):
        """A genaug Transform inside a Keras model: channels-last, active in training only."""

        def __init__(self, inner: Transform, seed: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.inner = inner
            self.seed = seed
            self.generator = torch.Generator().manual_seed(seed)

        def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
            if not training:
                return inputs
            single = inputs.ndim == 3
            images = inputs[None] if single else inputs  # (B, H, W, C)
            if images.ndim != 4:
                raise ValueError(
                    f"expected channels-last images (B, H, W, C) or (H, W, C), "
                    f"got shape {tuple(inputs.shape)}"
                )
            channels_first = images.permute(0, 3, 1, 2).contiguous()  # (B, C, H, W)
            out = self.inner(channels_first, generator=self.generator)
            out = out.permute(0, 2, 3, 1).contiguous()  # (B, H, W, C)
            return out[0] if single else out

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return input_shape  # a transform keeps the shape

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "seed": self.seed, "transform": repr(self.inner)}

    return GenaugTransformLayer(transform, seed, name=name)
