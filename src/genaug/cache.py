"""Checkpoint cache: train a model once, reuse it in every later lesson.

``load_or_train(name, config, model, train_fn)`` looks for a file keyed on
``name`` and a hash of ``config`` and the active profile. If it is there, the
weights are loaded into ``model``; if not (or if the file is corrupt), the
model is trained by ``train_fn`` and saved. Five promises:

* **Atomic writes.** Files are written to a temporary name in the same folder
  and moved into place with ``os.replace``, so a crash never leaves a half
  written checkpoint under the real name.
* **No arbitrary unpickling.** Final weights are stored with safetensors;
  resumable training checkpoints with ``torch.save`` and read back with
  ``torch.load(weights_only=True)``, which refuses anything but tensors and
  plain containers.
* **Verified loads.** Every weights file carries in its header the sha256 of
  its tensors (names, dtypes, shapes, bytes) and other metadata; a file that
  does not match it, or whose floating weights are not all finite, is not loaded.
* **Recovery.** A truncated, corrupt or unverifiable file is reported with a
  warning, removed and retrained; a training run that is interrupted resumes
  from its last periodic checkpoint (see :func:`genaug.train.loop.fit`).
* **One training per key.** A lock file next to the weights makes a second
  process that asks for the same key wait for the first and then load its
  weights, instead of training them again.

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

import numpy as np
import torch
from filelock import FileLock
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from genaug.config import get_profile

CACHE_ENV = "GENAUG_CACHE"
CHECKSUM_KEY = "sha256"
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


def data_hash(*values: Any) -> str:
    """Hash training data (tensors, arrays) and plain values into a short key part.

    Tensors and arrays are hashed by dtype, shape and values, so two subsets of
    a dataset differ even with equal sizes and label counts. Put it in a cached
    model's config: ``{"data": data_hash(images, labels), ...}``.

    Args:
        *values: tensors, numpy arrays, numbers, strings, bools, None, dtypes,
            or lists, tuples and mappings (string or int keys) of these. Order matters.

    Returns:
        16 hex characters (the start of :func:`checksum`); equal values, equal digests.

    Raises:
        TypeError: if a value is of another type (e.g. a module or a generator).
    """
    return checksum(*values)[:16]


def checksum(*values: Any) -> str:
    """The full sha256 of values, as :func:`data_hash` hashes them (to verify files).

    Args:
        *values: as for :func:`data_hash`, e.g. a state dict.

    Returns:
        A 64-character hex digest.
    """
    digest = hashlib.sha256()
    _feed(digest, list(values))
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    """Add ``value`` to ``digest`` with a type tag, so ``[1]`` and ``"1"`` differ."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"tensor|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype == object:
            raise TypeError("data_hash cannot hash numpy arrays of Python objects")
        digest.update(f"array|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    elif isinstance(value, Mapping):
        if not all(isinstance(key, str | int) for key in value):
            raise TypeError("data_hash needs mappings with string or int keys")
        digest.update(f"map|{len(value)}|".encode())
        for key in sorted(value, key=lambda key: (type(key).__name__, key)):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, list | tuple):
        digest.update(f"seq|{len(value)}|".encode())
        for item in value:
            _feed(digest, item)
    elif value is None or isinstance(value, bool | int | float | str | np.generic):
        item = value.item() if isinstance(value, np.generic) else value
        digest.update(f"{type(item).__name__}|{item!r}|".encode())
    elif isinstance(value, torch.dtype):
        digest.update(f"dtype|{value}|".encode())
    else:
        raise TypeError(
            f"data_hash hashes tensors, arrays, plain values, got {type(value).__name__}"
        )


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
    """Save a module's state dict as safetensors, atomically, with a checksum.

    Args:
        module: the module whose ``state_dict()`` is saved.
        path: destination file (``.safetensors``).
        metadata: optional string-to-string metadata stored in the header; the
            key ``"sha256"`` is reserved for the checksum of the tensors and metadata.
    """
    state = {key: value.detach().cpu().contiguous() for key, value in module.state_dict().items()}
    header = {key: value for key, value in (metadata or {}).items() if key != CHECKSUM_KEY}
    header[CHECKSUM_KEY] = checksum(state, header)
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=header))


def load_weights(module: nn.Module, path: Path) -> dict[str, str]:
    """Load safetensors weights into ``module`` after verifying them.

    The module is changed only if every check passes: the file is readable,
    it matches the checksum in its header, its tensors' names and shapes match
    ``module`` (strict) and every floating-point weight is finite.

    Args:
        module: the module to fill; its parameters keep their device.
        path: a file written by :func:`save_weights`.

    Returns:
        The metadata stored in the file's header (including ``"sha256"``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is corrupt, has no or a wrong checksum, holds
            NaN or infinite weights, or its keys or shapes do not match ``module``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        state = load_file(str(path))
        with open(path, "rb") as handle:  # header: 8-byte length, then JSON
            header_len = int.from_bytes(handle.read(8), "little")
            metadata = dict(json.loads(handle.read(header_len)).get("__metadata__") or {})
        stored = metadata.pop(CHECKSUM_KEY, None)
        if stored is None:
            raise ValueError("no checksum in its header (written by an older genaug)")
        if stored != checksum(state, metadata):
            raise ValueError("checksum mismatch: the file changed after it was saved")
        expected = {key: tuple(value.shape) for key, value in module.state_dict().items()}
        found = {key: tuple(value.shape) for key, value in state.items()}
        if expected != found:
            missing = sorted(set(expected) - set(found))[:3]
            extra = sorted(set(found) - set(expected))[:3]
            raise ValueError(f"keys or shapes differ (missing {missing}, unexpected {extra})")
        floats = {key: value for key, value in state.items() if value.is_floating_point()}
        bad = [key for key, value in floats.items() if not torch.isfinite(value).all()]
        if bad:
            raise ValueError(f"non-finite (NaN or infinite) weights in {sorted(bad)[:3]}")
        module.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError, OSError, json.JSONDecodeError, ValueError) as error:
        raise ValueError(f"cannot load weights from {path}: {error}") from error
    return {**metadata, CHECKSUM_KEY: stored}


@dataclass
class CacheResult:
    """What :func:`load_or_train` returns.

    Attributes:
        model: the module, trained or loaded (the same object that was passed in).
        history: the dict returned by ``train_fn`` (e.g. loss curves) as stored
            (tensors and numpy values turned into numbers and lists), restored
            from the file when loaded.
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

    Training holds a lock file (``<file>.lock``): a second process asking for
    the same key waits until the first has saved, then loads its weights.

    Args:
        name: short identifier of the model, e.g. ``"dcgan-digits"`` (lowercase,
            digits, ``-_.``).
        config: everything that determines the trained weights (a dataclass or
            mapping of JSON-able values); it is hashed, with the profile, into the
            key. Include the training data's :func:`data_hash` and the cache file
            name of any cached model this one is built on.
        model: the freshly built module to fill (use ``nn.ModuleDict`` to cache
            several modules together, e.g. a generator and its EMA copy).
        train_fn: ``train_fn(model, checkpoint_path)`` trains ``model`` in place and
            may return a dict of history (loss curves, timings) whose values are
            JSON-able, tensors or numpy values. It should pass
            ``checkpoint_path`` to :func:`genaug.train.loop.fit` so that an
            interrupted run resumes where it stopped.
        retrain: ignore an existing file and train again.
        profile: the profile mixed into the key (default: the active one). Pass a
            fixed string such as ``"all"`` for models trained the same way at
            every profile (the reference classifier of :mod:`genaug.metrics`).

    Returns:
        A :class:`CacheResult` with the model, its history and whether it was loaded.

    Raises:
        TypeError: if ``train_fn`` returns something other than a mapping or None
            (nothing is cached then).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(train_fn):
        raise TypeError("train_fn must be callable as train_fn(model, checkpoint_path)")
    path = cache_path(name, config, profile=profile)
    if not retrain and path.exists():  # fast path, no lock: files appear atomically
        try:
            return _load_cached(model, path)
        except ValueError:
            pass  # re-checked, reported and removed under the lock
    with FileLock(path.with_name(path.name + ".lock")):
        if not retrain and path.exists():  # another process may have trained it meanwhile
            try:
                return _load_cached(model, path)
            except ValueError as error:
                warnings.warn(
                    f"cached weights {path.name} are unusable ({error}); retraining.",
                    stacklevel=2,
                )
                path.unlink(missing_ok=True)
        checkpoint = path.with_suffix(".ckpt")
        returned = train_fn(model, checkpoint)
        if returned is not None and not isinstance(returned, Mapping):
            raise TypeError(
                f"train_fn must return a mapping of history (e.g. {{'loss': [...]}}) or None, "
                f"got {type(returned).__name__}"
            )
        history = _storable_history(returned or {})
        metadata = {"history": json.dumps(history), "config": json.dumps(_as_dict(config))}
        save_weights(model, path, metadata=metadata)
        checkpoint.unlink(missing_ok=True)
    return CacheResult(model=model, history=history, loaded=False, path=path)


def _load_cached(model: nn.Module, path: Path) -> CacheResult:
    metadata = load_weights(model, path)
    try:
        history = json.loads(metadata.get("history", "{}"))
    except json.JSONDecodeError as error:
        raise ValueError(f"its history is not JSON ({error})") from error
    return CacheResult(model=model, history=history, loaded=True, path=path)


def _storable_history(history: Mapping[Any, Any]) -> dict[str, Any]:
    """Tensors, arrays, tuples -> lists or numbers; the rest is dropped with a warning
    (not raised: the trained weights are kept)."""
    storable, dropped = {}, []
    for key, value in history.items():
        try:
            storable[str(key)] = _jsonable(value)
        except TypeError:
            dropped.append(str(key))
    if dropped:
        warnings.warn(
            f"history entries {dropped} are not numbers, strings, lists, dicts, tensors or "
            "numpy values; they are not cached (the weights are).",
            stacklevel=3,
        )
    return storable


def _jsonable(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return _jsonable(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return _jsonable(list(value) if value.dtype == object else value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
