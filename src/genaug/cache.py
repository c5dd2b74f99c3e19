"""Checkpoint cache: train a model once, reuse it in every later lesson.

``load_or_train(name, config, model, train_fn)`` looks for a file keyed on
``name`` and a hash of ``config`` and the active profile. If it is there, the
weights are loaded into ``model``; if not (or if the file is corrupt), the
model is trained by ``train_fn`` and saved. Three promises:

* **Atomic writes.** Files are written to a temporary name in the same folder
  and moved into place with ``os.replace``, so a crash never leaves a half
  written checkpoint under the real name.
* **No arbitrary unpickling.** Final weights are stored with safetensors;
  resumable training checkpoints with ``torch.save`` and read back with
  ``torch.load(weights_only=True)``, which refuses anything but tensors and
  plain containers.
* **Recovery.** A truncated or corrupt file is reported with a warning, removed
  and retrained; a training run that is interrupted resumes from its last
  periodic checkpoint (see :func:`genaug.train.fit`).

The cache folder is ``GENAUG_CACHE`` (default ``~/.cache/genaug``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from genaug.config import get_profile

CACHE_ENV = "GENAUG_CACHE"
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def cache_dir() -> Path:
    """Return the cache folder, creating it if needed.

    Returns:
        ``Path(os.environ["GENAUG_CACHE"])`` if set, else ``~/.cache/genaug``.
    """
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "genaug")
    root.mkdir(parents=True, exist_ok=True)
    return root


def config_hash(config: Any, *, profile: str | None = None) -> str:
    """Hash a config (dataclass or mapping of JSON-able values) together with the profile.

    Args:
        config: a dataclass instance or a mapping; values must be JSON
            serialisable (numbers, strings, bools, None, lists, dicts).
        profile: the profile to mix in (default: the active profile).

    Returns:
        A 12-character hex digest; equal configs give equal digests.

    Raises:
        TypeError: if ``config`` is not a dataclass or mapping, or holds values
            that are not JSON serialisable.
    """
    payload = {"config": _as_dict(config), "profile": profile or get_profile()}
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    except TypeError as error:
        raise TypeError(
            f"config values must be JSON serialisable (numbers, strings, lists, dicts): {error}"
        ) from None
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _as_dict(config: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    if isinstance(config, Mapping):
        return dict(config)
    raise TypeError(
        f"config must be a dataclass instance or a mapping, got {type(config).__name__}"
    )


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or not set(name) <= _NAME_CHARS:
        raise ValueError(
            f"cache name must be a non-empty string of lowercase letters, digits, '-', '_' "
            f"or '.', got {name!r}"
        )


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file atomically: ``write`` fills a temporary file, then it replaces ``path``.

    Args:
        path: the final file name.
        write: a function that writes the whole file to the path it is given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_weights(
    module: nn.Module, path: Path, *, metadata: Mapping[str, str] | None = None
) -> None:
    """Save a module's state dict as safetensors, atomically.

    Args:
        module: the module whose ``state_dict()`` is saved.
        path: destination file (``.safetensors``).
        metadata: optional string-to-string metadata stored in the header.
    """
    state = {key: value.detach().cpu().contiguous() for key, value in module.state_dict().items()}
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=dict(metadata or {})))


def load_weights(module: nn.Module, path: Path) -> dict[str, str]:
    """Load safetensors weights into ``module`` (strict: every key must match).

    Args:
        module: the module to fill; its parameters keep their device.
        path: a file written by :func:`save_weights`.

    Returns:
        The metadata stored in the file's header.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is corrupt or its keys or shapes do not match ``module``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        state = load_file(str(path))
        with open(path, "rb") as handle:  # header: 8-byte length, then JSON
            header_len = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(header_len))
        expected = {key: tuple(value.shape) for key, value in module.state_dict().items()}
        found = {key: tuple(value.shape) for key, value in state.items()}
        if expected != found:
            missing = sorted(set(expected) - set(found))[:3]
            extra = sorted(set(found) - set(expected))[:3]
            raise ValueError(f"keys or shapes differ (missing {missing}, unexpected {extra})")
        module.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError, OSError, json.JSONDecodeError, ValueError) as error:
        raise ValueError(f"cannot load weights from {path}: {error}") from error
    return dict(header.get("__metadata__", {}))


@dataclass
class CacheResult:
    """What :func:`load_or_train` returns.

    Attributes:
        model: the module, trained or loaded (the same object that was passed in).
        history: the dict returned by ``train_fn`` (e.g. loss curves), restored from
            the file when loaded.
        loaded: True if the weights came from the cache, False if just trained.
        path: the cache file.
    """

    model: nn.Module
    history: dict[str, Any] = field(default_factory=dict)
    loaded: bool = False
    path: Path | None = None


def cache_path(name: str, config: Any, *, profile: str | None = None) -> Path:
    """The file that :func:`load_or_train` uses for ``name`` and ``config``.

    Args:
        name: a short identifier, e.g. ``"dcgan-digits"``.
        config: a dataclass instance or mapping (see :func:`config_hash`).
        profile: the profile to key on (default: the active profile).

    Returns:
        ``cache_dir() / f"{name}-{hash}.safetensors"``.
    """
    _check_name(name)
    return cache_dir() / f"{name}-{config_hash(config, profile=profile)}.safetensors"


def load_or_train(
    name: str,
    config: Any,
    model: nn.Module,
    train_fn: Callable[[nn.Module, Path], Mapping[str, Any] | None],
    *,
    retrain: bool = False,
    profile: str | None = None,
) -> CacheResult:
    """Load ``model``'s weights from the cache, or train it with ``train_fn`` and cache them.

    Args:
        name: short identifier of the model, e.g. ``"dcgan-digits"`` (lowercase,
            digits, ``-_.``).
        config: everything that determines the trained weights (a dataclass or
            mapping of JSON-able values); it is hashed, with the profile, into the key.
        model: the freshly built module to fill (use ``nn.ModuleDict`` to cache
            several modules together, e.g. a generator and its EMA copy).
        train_fn: ``train_fn(model, checkpoint_path)`` trains ``model`` in place and
            may return a dict of JSON-able history (loss curves, timings). It
            should pass ``checkpoint_path`` to :func:`genaug.train.fit` so that an
            interrupted run resumes where it stopped.
        retrain: ignore an existing file and train again.
        profile: the profile mixed into the key (default: the active one). Pass a
            fixed string such as ``"all"`` for models trained the same way at
            every profile (the reference classifier of :mod:`genaug.metrics`).

    Returns:
        A :class:`CacheResult` with the model, its history and whether it was loaded.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(train_fn):
        raise TypeError("train_fn must be callable as train_fn(model, checkpoint_path)")
    path = cache_path(name, config, profile=profile)
    if path.exists() and not retrain:
        try:
            metadata = load_weights(model, path)
            history = json.loads(metadata.get("history", "{}"))
            return CacheResult(model=model, history=history, loaded=True, path=path)
        except (ValueError, json.JSONDecodeError) as error:
            warnings.warn(
                f"cached weights {path.name} are unusable ({error}); retraining.", stacklevel=2
            )
            path.unlink(missing_ok=True)
    checkpoint = path.with_suffix(".ckpt")
    history = dict(train_fn(model, checkpoint) or {})
    metadata = {"history": json.dumps(history), "config": json.dumps(_as_dict(config))}
    save_weights(model, path, metadata=metadata)
    checkpoint.unlink(missing_ok=True)
    return CacheResult(model=model, history=history, loaded=False, path=path)
