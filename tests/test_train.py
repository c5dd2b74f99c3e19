"""genaug.train: the loop helper, EMA, checkpoints and resume after a crash."""

import pytest
import torch
from torch import nn

from genaug import cache
from genaug.train import EMA, fit


def _problem(seed=0):
    """A small regression with noisy minibatches drawn from an explicit generator."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(seed)
    weights = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])

    def step(index, crash_at=None):
        if index == crash_at:
            raise KeyboardInterrupt("simulated interruption")
        x = torch.randn(32, 4, generator=generator)
        y = x @ weights + 0.1 * torch.randn(32, 1)  # global RNG: checkpointed too
        loss = (model(x) - y).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    return model, optimizer, generator, step


def test_loss_goes_down_and_history_is_complete():
    model, optimizer, generator, step = _problem()
    history = fit(step, num_steps=150, modules={"m": model}, optimizers={"o": optimizer})
    assert len(history["loss"]) == 150
    assert sum(history["loss"][-10:]) < 0.2 * sum(history["loss"][:10])


def test_interrupted_run_resumes_from_last_checkpoint(tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    model_a, opt_a, gen_a, step_a = _problem()
    reference = fit(
        step_a, num_steps=20, modules={"m": model_a}, optimizers={"o": opt_a}, generator=gen_a
    )

    model_b, opt_b, gen_b, step_b = _problem()
    with pytest.raises(KeyboardInterrupt):
        fit(
            lambda i: step_b(i, crash_at=13),
            num_steps=20,
            modules={"m": model_b},
            optimizers={"o": opt_b},
            generator=gen_b,
            checkpoint=checkpoint,
            checkpoint_every=5,
        )
    assert checkpoint.exists()
    state = torch.load(checkpoint, weights_only=True)  # plain tensors and containers only
    assert state["step"] == 10

    model_c, opt_c, gen_c, step_c = _problem(seed=99)  # a fresh process: different state
    calls = []
    resumed = fit(
        lambda i: calls.append(i) or step_c(i),
        num_steps=20,
        modules={"m": model_c},
        optimizers={"o": opt_c},
        generator=gen_c,
        checkpoint=checkpoint,
        checkpoint_every=5,
    )
    assert calls == list(range(10, 20))  # steps 10..19 only
    assert resumed["loss"] == pytest.approx(reference["loss"])
    for p_ref, p_resumed in zip(model_a.parameters(), model_c.parameters(), strict=True):
        assert torch.allclose(p_ref, p_resumed)


def test_load_or_train_resumes_through_checkpoint_path():
    config = {"steps": 20}
    model, optimizer, generator, step = _problem()

    def train(module, checkpoint, crash_at=None):
        return fit(
            lambda i: step(i, crash_at),
            num_steps=20,
            modules={"m": module},
            optimizers={"o": optimizer},
            generator=generator,
            checkpoint=checkpoint,
            checkpoint_every=4,
        )

    with pytest.raises(KeyboardInterrupt):
        cache.load_or_train("reg", config, model, lambda m, c: train(m, c, crash_at=9))
    checkpoint = cache.cache_path("reg", config).with_suffix(".ckpt")
    assert checkpoint.exists() and not cache.cache_path("reg", config).exists()
    result = cache.load_or_train("reg", config, model, train)
    assert len(result.history["loss"]) == 20
    assert not checkpoint.exists()  # removed once the final weights are saved


def test_corrupt_checkpoint_starts_over(tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    checkpoint.write_bytes(b"not a checkpoint")
    model, optimizer, generator, step = _problem()
    with pytest.warns(UserWarning, match="starting over"):
        history = fit(step, num_steps=3, modules={"m": model}, checkpoint=checkpoint)
    assert len(history["loss"]) == 3


def test_nan_loss_raises():
    model = nn.Linear(1, 1)
    with pytest.raises(FloatingPointError, match="loss became nan"):
        fit(lambda i: {"loss": float("nan")}, num_steps=3, modules={"m": model})


def test_ema_tracks_average():
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    ema = EMA(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)
    assert torch.allclose(ema.module.weight, torch.full((1, 2), 0.5))
    ema.update(model)
    assert torch.allclose(ema.module.weight, torch.full((1, 2), 0.75))
    assert not ema.module.weight.requires_grad


def test_ema_in_fit_and_bad_arguments():
    model, optimizer, generator, step = _problem()
    ema = EMA(model, decay=0.9)
    fit(step, num_steps=5, modules={"m": model}, ema={"m": ema})
    assert not torch.equal(ema.module[0].weight, model[0].weight)
    with pytest.raises(ValueError, match="decay"):
        EMA(model, decay=1.0)
    with pytest.raises(TypeError, match="nn.Module"):
        EMA("model")
    with pytest.raises(ValueError, match="num_steps"):
        fit(step, num_steps=0, modules={"m": model})
    with pytest.raises(ValueError, match="checkpoint_every"):
        fit(step, num_steps=1, modules={"m": model}, checkpoint_every=0)
    with pytest.raises(ValueError, match="not in modules"):
        fit(step, num_steps=1, modules={"m": model}, ema={"other": ema})
