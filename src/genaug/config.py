"""Profiles, devices and seeds: the knobs every lesson and test turns first.

A *profile* says how much compute a run may spend:

* ``smoke``: the test suite. A lesson runs in at most 45 s on 2 CPU cores and
  checks mechanics (shapes, finite values, a loss going down).
* ``cpu``: a reader on a laptop. A lesson runs in at most 4 minutes on 2 cores
  and shows the technique working.
* ``gpu``: full quality on a CUDA machine, same code, tighter numbers.

The profile comes from the ``GENAUG_PROFILE`` environment variable; when it is
unset, ``gpu`` is chosen if CUDA is available, else ``cpu``.
"""

from __future__ import annotations

import os
import random
from typing import Any, Literal, TypeVar

import numpy as np
import torch

from genaug._checks import check_int

Profile = Literal["smoke", "cpu", "gpu"]
PROFILES: tuple[str, ...] = ("smoke", "cpu", "gpu")
PROFILE_ENV = "GENAUG_PROFILE"

T = TypeVar("T")


def get_profile() -> Profile:
    """Return the active profile.

    Returns:
        ``"smoke"``, ``"cpu"`` or ``"gpu"``: the value of ``GENAUG_PROFILE`` if
        set, else ``"gpu"`` when CUDA is available, else ``"cpu"``.

    Raises:
        ValueError: if ``GENAUG_PROFILE`` holds anything other than the three
            profile names.
    """
    value = os.environ.get(PROFILE_ENV, "").strip().lower()
    if not value:
        return "gpu" if torch.cuda.is_available() else "cpu"
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not a profile; "
            f"expected one of {', '.join(PROFILES)} (or unset it to pick automatically)."
        )
    return value  # type: ignore[return-value]


def by_profile(*, smoke: T, cpu: T, gpu: T, profile: str | None = None) -> T:
    """Pick the value for the active profile: the one place a lesson's sizes live.

    Args:
        smoke: value used by the test suite.
        cpu: value for a laptop CPU.
        gpu: value for a CUDA machine.
        profile: override the active profile (default: :func:`get_profile`).

    Returns:
        The value given for the profile.

    Example:
        >>> sizes = by_profile(smoke=dict(steps=20), cpu=dict(steps=1500), gpu=dict(steps=20000))
    """
    chosen = get_profile() if profile is None else profile
    table: dict[str, Any] = {"smoke": smoke, "cpu": cpu, "gpu": gpu}
    if chosen not in table:
        raise ValueError(f"profile must be one of {PROFILES}, got {chosen!r}")
    return table[chosen]


def device(prefer: Literal["auto", "cpu", "cuda"] = "auto") -> torch.device:
    """Return the device lessons should run on.

    Args:
        prefer: ``"auto"`` (CUDA if the profile is ``gpu`` and CUDA is
            available, else CPU), ``"cpu"`` or ``"cuda"``.

    Returns:
        A ``torch.device``.

    Raises:
        ValueError: for an unknown ``prefer``.
        RuntimeError: if ``"cuda"`` is requested on a machine without CUDA.
    """
    if prefer not in ("auto", "cpu", "cuda"):
        raise ValueError(f"prefer must be 'auto', 'cpu' or 'cuda', got {prefer!r}")
    if prefer == "cpu":
        return torch.device("cpu")
    if prefer == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device('cuda') was requested but CUDA is not available here.")
        return torch.device("cuda")
    if get_profile() == "gpu" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so a run repeats exactly on CPU.

    Args:
        seed: a non-negative integer below 2**32.

    Returns:
        A fresh CPU ``torch.Generator`` seeded with ``seed``, for code that
        prefers an explicit generator to global state.

    Raises:
        TypeError: if ``seed`` is not an ``int``.
        ValueError: if ``seed`` is negative or too large.
    """
    check_int("seed", seed, min=0, max=2**32 - 1)  # numpy's legacy seeding stops at 2**32
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def seed_worker(worker_id: int) -> None:
    """Seed NumPy and ``random`` inside a DataLoader worker from torch's per-worker seed.

    Pass as ``worker_init_fn=seed_worker`` together with
    ``generator=loader_generator(seed)`` so that workers draw reproducible
    augmentations. (Torch seeds itself per worker; NumPy and ``random`` it does not.)

    Args:
        worker_id: the worker index DataLoader passes in (unused: torch's
            ``initial_seed()`` already differs per worker).
    """
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def loader_generator(seed: int) -> torch.Generator:
    """A seeded generator for ``DataLoader(generator=...)``: same seed, same batch order.

    Args:
        seed: a non-negative integer below 2**32.

    Returns:
        A CPU ``torch.Generator``.
    """
    check_int("seed", seed, min=0, max=2**32 - 1)  # numpy's legacy seeding stops at 2**32
    return torch.Generator().manual_seed(int(seed))
