"""Run a module in eval mode for a block of code and give it back in the mode it was in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Put ``modules`` in eval mode inside the ``with`` block, then restore each one's mode.

    Samplers and augmenters use it so that calling them never leaves the caller's
    model switched from training to evaluation (or the other way round).

    Args:
        *modules: the modules to switch (their submodules follow).

    Yields:
        Nothing; the modules are in eval mode inside the block.
    """
    for module in modules:
        if not isinstance(module, nn.Module):
            raise TypeError(f"eval_mode takes nn.Module objects, got {type(module).__name__}")
    # every submodule's flag, so a module that was partly in eval mode comes back as it was
    saved = [[(sub, sub.training) for sub in module.modules()] for module in modules]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for states in saved:
            for sub, training in states:
                sub.training = training
