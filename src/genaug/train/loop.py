"""The one training loop: progress bar, EMA of weights, NaN guard, periodic checkpoints, resume.

The lesson writes the *step* (sample a batch, compute the losses, update the
optimizers) because that is the idea being taught; :func:`fit` only repeats it
and does the bookkeeping every lesson needs:

* a progress bar showing the latest losses (``progress=True``),
* an exponential moving average of the weights (:class:`EMA`),
* a checkpoint every ``checkpoint_every`` steps, written atomically and read
  with ``torch.load(weights_only=True)``; if the checkpoint file exists when
  :func:`fit` starts, training resumes from it, so interrupting a lesson loses
  at most ``checkpoint_every`` steps. A resumed run is the run it replaces:
  weights, optimizers (and their class), EMAs, learning-rate schedulers, the
  global RNG and the batch generator are all restored. The checkpoint holds
  the sha256 of its content; a checkpoint that fails that check, or does not
  match the run (a missing module, optimizer or scheduler, another optimizer
  class, other shapes), is reported, removed and training starts over at step
  0 with the modules as they were passed in.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from tqdm.auto import tqdm

from genaug.cache import atomic_write, checksum
from genaug.train.scaffold import linear_warmup

StepFn = Callable[[int], Mapping[str, float]]


class EMA:
    """Exponential moving average of a module's weights (Polyak averaging).

    ``shadow <- decay * shadow + (1 - decay) * weights`` after every step;
    buffers (e.g. BatchNorm running statistics) are copied as they are.
    Sample from ``ema.module``: averaged weights give smoother, better samples
    for GANs and diffusion models.

    Args:
        model: the module being trained.
        decay: the averaging factor in [0, 1); 0.999 averages over about 1,000 steps.
    """

    def __init__(self, model: nn.Module, *, decay: float = 0.999) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model).eval()
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the shadow weights towards ``model``'s current weights.

        Args:
            model: the module being trained (same architecture as the shadow).
        """
        for shadow, current in zip(self.module.parameters(), model.parameters(), strict=True):
            shadow.lerp_(current.detach(), 1.0 - self.decay)
        for shadow, current in zip(self.module.buffers(), model.buffers(), strict=True):
            shadow.copy_(current)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return the shadow module's state dict."""
        return self.module.state_dict()

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Load a state dict into the shadow module.

        Args:
            state: a state dict from :meth:`state_dict`.
        """
        self.module.load_state_dict(state)


def fit(
    step_fn: StepFn,
    *,
    num_steps: int,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
    ema: Mapping[str, EMA] | None = None,
    schedulers: Mapping[str, LRScheduler] | None = None,
    generator: torch.Generator | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 200,
    progress: bool = False,
    description: str = "training",
) -> dict[str, list[float]]:
    """Run ``step_fn(step)`` for ``step = 0 .. num_steps - 1`` with bookkeeping.

    Args:
        step_fn: performs one training step and returns a dict of scalar floats
            (e.g. ``{"loss_d": 0.7, "loss_g": 1.2}``); they are logged each step.
            It must raise (not return NaN) if something is wrong; NaN or infinite
            values raise ``FloatingPointError`` here.
        num_steps: total number of steps (>= 1).
        modules: the trained modules by name, saved in checkpoints.
        optimizers: their optimizers by name, saved in checkpoints.
        ema: EMA trackers by name, updated after each step (via ``ema[name].update(modules[name])``)
            and saved in checkpoints. Each name must also be in ``modules``.
        schedulers: learning-rate schedulers by name, saved in checkpoints so a
            resumed run follows the same schedule; ``step_fn`` steps them.
        generator: the ``torch.Generator`` that ``step_fn`` draws its randomness
            from; its state is checkpointed so a resumed run repeats exactly.
        checkpoint: file for periodic checkpoints; resumes from it if it exists and
            fits this run (its checksum, names, shapes and optimizer classes);
            otherwise warns, removes it and starts at step 0 with the modules untouched.
        checkpoint_every: steps between checkpoints (>= 1).
        progress: show a tqdm progress bar with the latest losses (a widget in
            JupyterLab). ``GENAUG_PROGRESS=0`` in the environment turns every bar
            off, as the book build and the tests do.
        description: the progress bar's label.

    Returns:
        The history: for each key returned by ``step_fn``, the list of its values,
        one per step (including steps done before a resume).
    """
    if not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be a positive int, got {num_steps!r}")
    if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive int, got {checkpoint_every!r}")
    optimizers = dict(optimizers or {})
    ema = dict(ema or {})
    schedulers = dict(schedulers or {})
    unknown = set(ema) - set(modules)
    if unknown:
        raise ValueError(f"ema names {sorted(unknown)} are not in modules {sorted(modules)}")

    history: dict[str, list[float]] = {}
    start = 0
    path = Path(checkpoint) if checkpoint is not None else None
    run = {"modules": modules, "optimizers": optimizers, "ema": ema, "schedulers": schedulers}
    if path is not None and path.exists():
        try:
            start, history = _load_checkpoint(path, run, generator)
        except _LOAD_ERRORS as error:
            warnings.warn(
                f"checkpoint {path.name} is unusable ({error}); starting over.", stacklevel=2
            )
            path.unlink(missing_ok=True)
            start, history = 0, {}

    show = progress and os.environ.get("GENAUG_PROGRESS", "1") != "0"
    bar = tqdm(total=num_steps, initial=start, desc=description, disable=not show, leave=False)
    try:
        for step in range(start, num_steps):
            for module in modules.values():
                module.train()
            logs = step_fn(step)
            for name, tracker in ema.items():
                tracker.update(modules[name])
            for key, value in logs.items():
                value = float(value)
                if not math.isfinite(value):
                    raise FloatingPointError(f"{key} became {value} at step {step}")
                history.setdefault(key, []).append(value)
            bar.update(1)
            if show and (step % 10 == 0 or step == num_steps - 1):
                bar.set_postfix({key: f"{values[-1]:.3g}" for key, values in history.items()})
            done = step + 1
            if path is not None and (done % checkpoint_every == 0) and done < num_steps:
                _save_checkpoint(path, done, history, run, generator)
    finally:
        bar.close()
    return history


_LOAD_ERRORS = (
    pickle.UnpicklingError,
    RuntimeError,
    KeyError,
    EOFError,
    OSError,
    ValueError,
    TypeError,
)


def _save_checkpoint(path: Path, step: int, history, run: Mapping[str, Mapping], generator) -> None:
    """Write everything a resumed run needs, with the sha256 of it (see :func:`~genaug.cache.checksum`)."""
    state = {
        "step": step,
        "history": history,
        "modules": {name: module.state_dict() for name, module in run["modules"].items()},
        "optimizers": {name: opt.state_dict() for name, opt in run["optimizers"].items()},
        "optimizer_classes": {name: type(opt).__name__ for name, opt in run["optimizers"].items()},
        "ema": {name: tracker.state_dict() for name, tracker in run["ema"].items()},
        "schedulers": {name: sched.state_dict() for name, sched in run["schedulers"].items()},
        "scheduler_classes": {name: type(s).__name__ for name, s in run["schedulers"].items()},
        "torch_rng": torch.get_rng_state(),
        "generator": generator.get_state() if generator is not None else None,
    }
    state["sha256"] = checksum(state)
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def _load_checkpoint(path: Path, run: Mapping[str, Mapping], generator) -> tuple[int, dict]:
    """Verify a checkpoint against its checksum and the run, then restore it (all or nothing).

    Raises:
        ValueError: (or an error of ``torch.load``) if the checkpoint is corrupt or
            does not fit the run; nothing has been changed then.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "sha256" not in state:
        raise ValueError("no checksum (written by an older genaug)")
    stored = state.pop("sha256")
    if stored != checksum(state):
        raise ValueError("checksum mismatch: the file changed after it was written")
    if not isinstance(state.get("history"), dict) or not isinstance(state.get("step"), int):
        raise ValueError("its step or history is missing")
    _check_fits(state, run, generator)
    snapshot = _snapshot(run, generator)
    try:
        _restore(state, run, generator)
    except Exception:  # not expected after _check_fits; never leave a half-loaded run
        _restore(snapshot, run, generator)
        raise
    return int(state["step"]), {key: list(values) for key, values in state["history"].items()}


def _check_fits(state: dict[str, Any], run: Mapping[str, Mapping], generator) -> None:
    """Raise ValueError unless every part of ``run`` can load its part of ``state``."""
    for part, live in run.items():
        saved = state.get(part)
        if not isinstance(saved, dict) or set(saved) != set(live):
            found = sorted(saved) if isinstance(saved, dict) else saved
            raise ValueError(f"{part} {found} do not match this run's {sorted(live)}")
    for part in ("modules", "ema"):
        for name, owner in run[part].items():
            expected = {key: tuple(value.shape) for key, value in owner.state_dict().items()}
            found = {key: tuple(value.shape) for key, value in state[part][name].items()}
            if expected != found:
                raise ValueError(f"{part}[{name!r}]: parameter names or shapes differ")
    for part, classes in (("optimizers", "optimizer_classes"), ("schedulers", "scheduler_classes")):
        for name, owner in run[part].items():
            found = state.get(classes, {}).get(name)
            if found != type(owner).__name__:
                raise ValueError(
                    f"{part}[{name!r}] was a {found}, this run has a {type(owner).__name__}"
                )
    for name, optimizer in run["optimizers"].items():
        sizes = [len(group["params"]) for group in state["optimizers"][name]["param_groups"]]
        if sizes != [len(group["params"]) for group in optimizer.param_groups]:
            raise ValueError(f"optimizers[{name!r}]: parameter groups differ")
    rng = state.get("torch_rng")
    if not isinstance(rng, torch.Tensor) or rng.shape != torch.get_rng_state().shape:
        raise ValueError("the global RNG state is missing or malformed")
    if generator is not None:
        saved = state.get("generator")
        if not isinstance(saved, torch.Tensor) or saved.shape != generator.get_state().shape:
            raise ValueError("the generator state is missing or malformed")


def _snapshot(run: Mapping[str, Mapping], generator) -> dict[str, Any]:
    def copied(owner) -> Any:
        return copy.deepcopy(owner.state_dict())

    return {
        **{
            part: {name: copied(owner) for name, owner in live.items()}
            for part, live in run.items()
        },
        "torch_rng": torch.get_rng_state(),
        "generator": generator.get_state() if generator is not None else None,
    }


def _restore(state: Mapping[str, Any], run: Mapping[str, Mapping], generator) -> None:
    for part, live in run.items():
        for name, owner in live.items():
            owner.load_state_dict(state[part][name])
    torch.set_rng_state(state["torch_rng"])
    if generator is not None:
        generator.set_state(state["generator"])


LossStep = Callable[[int], tuple[torch.Tensor, Mapping[str, float]]]
"""``loss_step(step) -> (loss, logs)``: one batch's scalar loss and the floats to log beside it."""


def fit_adam(
    loss_step: LossStep,
    module: nn.Module,
    *,
    lr: float,
    num_steps: int,
    generator: torch.Generator | None = None,
    cosine: bool = False,
    warmup_steps: int = 0,
    ema: EMA | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 200,
    progress: bool = False,
    description: str = "training",
) -> dict[str, list[float]]:
    """Minimise ``loss_step``'s loss over ``module``'s parameters with Adam, through :func:`fit`.

    The optimiser step every course trainer shares: zero the gradients, backpropagate,
    step Adam (and the learning-rate schedule); :func:`fit` adds the progress bar, the
    EMA, the NaN guard and resumable checkpoints (schedule included).

    Args:
        loss_step: ``loss_step(step) -> (loss, logs)``; ``logs`` holds floats, and the loss is
            logged as ``"loss"`` unless ``logs`` has that key.
        module: the trained module.
        lr: Adam's learning rate (the peak when ``cosine`` or ``warmup_steps`` is set).
        num_steps: optimiser steps (>= 1).
        generator: the ``torch.Generator`` that ``loss_step`` draws from (checkpointed).
        cosine: decay the learning rate to 0 over ``num_steps`` (cosine annealing).
        warmup_steps: linear learning-rate warm-up over this many steps (0: none); the rate
            is a function of the step, so resuming needs no extra state.
        ema: an :class:`EMA` of ``module``, updated after every step.
        checkpoint: file for resumable checkpoints.
        checkpoint_every: steps between checkpoints.
        progress: show a progress bar.
        description: the progress bar's label.

    Returns:
        The history of :func:`fit`.
    """
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    schedulers = {}
    if cosine:
        schedulers["cosine"] = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, num_steps)

    def step(number: int) -> dict[str, float]:
        if warmup_steps:
            for group in optimizer.param_groups:  # linear warm-up, a function of the step
                group["lr"] = lr * linear_warmup(number, warmup_steps)
        loss, logs = loss_step(number)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        for scheduler in schedulers.values():
            scheduler.step()
        return {"loss": loss.item(), **logs}

    return fit(
        step,
        num_steps=num_steps,
        modules={"model": module},
        optimizers={"adam": optimizer},
        ema={"model": ema} if ema is not None else None,
        schedulers=schedulers,
        generator=generator,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        progress=progress,
        description=description,
    )
