"""genaug's noise schedules to and from diffusers' scheduler configurations.

A model trained with :class:`genaug.diffusion.schedule.NoiseSchedule` can sample with any
diffusers scheduler (DDPM, DDIM, DPM-Solver, ...), and a diffusers scheduler's
configuration gives back the genaug schedule that trains for it. The mapping:

============================  ===============================================
genaug                        diffusers ``scheduler.config``
============================  ===============================================
``num_timesteps``             ``num_train_timesteps``
``schedule="linear"``         ``beta_schedule="linear"`` + ``beta_start``, ``beta_end``
``schedule="cosine"``         ``beta_schedule="squaredcos_cap_v2"``
epsilon prediction            ``prediction_type="epsilon"``
============================  ===============================================

diffusers is imported only when a scheduler object is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from genaug.diffusion.schedule import NoiseSchedule

_TO_DIFFUSERS = {"linear": "linear", "cosine": "squaredcos_cap_v2"}
_FROM_DIFFUSERS = {value: key for key, value in _TO_DIFFUSERS.items()}
SchedulerKind = Literal["ddpm", "ddim"]


def scheduler_config(schedule: NoiseSchedule) -> dict[str, Any]:
    """The diffusers scheduler configuration of a genaug schedule.

    Args:
        schedule: a :class:`~genaug.diffusion.schedule.NoiseSchedule`.

    Returns:
        A dict to pass as keyword arguments to a diffusers scheduler, e.g.
        ``DDIMScheduler(**scheduler_config(schedule))``.
    """
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    config: dict[str, Any] = {
        "num_train_timesteps": schedule.num_timesteps,
        "beta_schedule": _TO_DIFFUSERS[schedule.schedule],
        "prediction_type": "epsilon",
    }
    if schedule.schedule == "linear":
        config["beta_start"] = float(schedule.betas[0])
        config["beta_end"] = float(schedule.betas[-1])
    return config


def to_diffusers(schedule: NoiseSchedule, kind: SchedulerKind = "ddim", **options: Any) -> Any:
    """Build a diffusers scheduler that samples from a model trained with ``schedule``.

    Args:
        schedule: the genaug schedule the noise predictor was trained with.
        kind: ``"ddpm"`` (``DDPMScheduler``) or ``"ddim"`` (``DDIMScheduler``).
        **options: further scheduler options (e.g. ``clip_sample=False``).

    Returns:
        The diffusers scheduler.
    """
    from diffusers import DDIMScheduler, DDPMScheduler

    classes = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler}
    if kind not in classes:
        raise ValueError(f"kind must be one of {sorted(classes)}, got {kind!r}")
    return classes[kind](**scheduler_config(schedule), **options)


def from_diffusers(scheduler_or_config: Any) -> NoiseSchedule:
    """The genaug schedule of a diffusers scheduler (or of its ``config`` mapping).

    Args:
        scheduler_or_config: a diffusers scheduler, or its ``config`` (a mapping with
            ``num_train_timesteps`` and ``beta_schedule``).

    Returns:
        The equivalent :class:`~genaug.diffusion.schedule.NoiseSchedule`.

    Raises:
        ValueError: for a beta schedule genaug does not implement (e.g. ``scaled_linear``)
            or a model that does not predict the noise.
    """
    config = getattr(scheduler_or_config, "config", scheduler_or_config)
    if not isinstance(config, Mapping):
        raise TypeError(
            "expected a diffusers scheduler or its config mapping, got "
            f"{type(scheduler_or_config).__name__}"
        )
    name = config.get("beta_schedule")
    if name not in _FROM_DIFFUSERS:
        raise ValueError(
            f"beta_schedule {name!r} has no genaug equivalent; genaug implements "
            f"{sorted(_FROM_DIFFUSERS)}"
        )
    if config.get("trained_betas") is not None:
        raise ValueError("schedules given by trained_betas have no genaug equivalent")
    if config.get("prediction_type", "epsilon") != "epsilon":
        raise ValueError(
            f"genaug's samplers expect epsilon prediction, got {config['prediction_type']!r}"
        )
    kwargs = {}
    if name == "linear":
        kwargs = {"beta_start": float(config["beta_start"]), "beta_end": float(config["beta_end"])}
    return NoiseSchedule(
        int(config["num_train_timesteps"]), schedule=_FROM_DIFFUSERS[name], **kwargs
    )
