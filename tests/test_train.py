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


def _scheduled_problem(seed=0, optimizer="adam"):
    """``_problem`` with a chosen optimizer and a cosine learning-rate schedule."""
    model, _, generator, step = _problem(seed)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 20)

    def scheduled_step(index, crash_at=None):
        if index == crash_at:
            raise KeyboardInterrupt("simulated interruption")
        x = torch.randn(32, 4, generator=generator)
        y = x.sum(1, keepdim=True) + 0.1 * torch.randn(32, 1)
        loss = (model(x) - y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        return {"loss": loss.item()}

    return model, opt, schedule, generator, scheduled_step


def _run(problem, checkpoint=None, crash_at=None, with_optimizer=True, with_schedule=True):
    model, opt, schedule, generator, step = problem
    calls = []
    history = fit(
        lambda i: calls.append(i) or step(i, crash_at),
        num_steps=20,
        modules={"m": model},
        optimizers={"o": opt} if with_optimizer else None,
        schedulers={"cosine": schedule} if with_schedule else None,
        generator=generator,
        checkpoint=checkpoint,
        checkpoint_every=5,
    )
    return model, history, calls


def _same_weights(first, second):
    return all(
        torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True)
    )


def _interrupt(checkpoint, **kwargs):
    with pytest.raises(KeyboardInterrupt):
        _run(
            _scheduled_problem(optimizer=kwargs.pop("optimizer", "adam")), checkpoint, 13, **kwargs
        )
    assert checkpoint.exists()


def test_resumed_run_with_a_cosine_schedule_is_the_uninterrupted_run(tmp_path):
    reference, reference_history, _ = _run(_scheduled_problem())
    checkpoint = tmp_path / "run.ckpt"
    _interrupt(checkpoint)
    resumed, history, calls = _run(_scheduled_problem(seed=99), checkpoint)
    assert calls == list(range(10, 20))
    assert history == reference_history and _same_weights(resumed, reference)

    # without the schedule in the checkpoint, the resumed run is another run
    checkpoint.unlink()
    _interrupt(checkpoint, with_schedule=False)
    model, _, calls = _run(_scheduled_problem(seed=99), checkpoint, with_schedule=False)
    assert calls == list(range(10, 20)) and not _same_weights(model, reference)


def test_flipped_byte_in_a_checkpoint_starts_over(tmp_path):
    reference, reference_history, _ = _run(_scheduled_problem())
    checkpoint = tmp_path / "run.ckpt"
    _interrupt(checkpoint)
    weight = torch.load(checkpoint, weights_only=True)["modules"]["m"]["0.weight"]
    data = bytearray(checkpoint.read_bytes())
    where = data.find(weight.numpy().tobytes())
    assert where > 0
    data[where] ^= 0x01  # still loads with torch.load: only the checksum can tell
    checkpoint.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="checksum mismatch.*starting over"):
        resumed, history, calls = _run(_scheduled_problem(), checkpoint)
    assert calls == list(range(20))
    assert history == reference_history and _same_weights(resumed, reference)


def test_checkpoint_without_optimizer_state_starts_over_from_fresh_modules(tmp_path):
    reference, reference_history, _ = _run(_scheduled_problem())
    checkpoint = tmp_path / "run.ckpt"
    _interrupt(checkpoint, with_optimizer=False)
    with pytest.warns(UserWarning, match=r"optimizers \[\] do not match.*starting over"):
        resumed, history, calls = _run(_scheduled_problem(), checkpoint)
    assert calls == list(range(20))  # the checkpoint's weights were not kept either
    assert history == reference_history and _same_weights(resumed, reference)


def test_sgd_checkpoint_resumed_with_adam_starts_over(tmp_path):
    reference, reference_history, _ = _run(_scheduled_problem())
    checkpoint = tmp_path / "run.ckpt"
    _interrupt(checkpoint, optimizer="sgd")
    with pytest.warns(UserWarning, match="was a SGD, this run has a Adam.*starting over"):
        resumed, history, calls = _run(_scheduled_problem(), checkpoint)
    assert calls == list(range(20))
    assert history == reference_history and _same_weights(resumed, reference)


def _regression_problem(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(64, 3, generator=generator)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(64, generator=generator)
    return inputs, targets


@pytest.mark.parametrize("cosine, warmup", [(False, 0), (True, 0), (False, 5)])
def test_fit_adam_is_the_hand_written_adam_loop(cosine, warmup):
    from genaug.train import fit_adam

    inputs, targets = _regression_problem()
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    theirs.load_state_dict(ours.state_dict())

    def loss_step(_):
        return ((ours(inputs)[:, 0] - targets) ** 2).mean(), {"extra": 1.0}

    history = fit_adam(loss_step, ours, lr=0.05, num_steps=20, cosine=cosine, warmup_steps=warmup)
    optimizer = torch.optim.Adam(theirs.parameters(), lr=0.05)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 20)
    for step in range(20):
        if warmup:
            optimizer.param_groups[0]["lr"] = 0.05 * min(1.0, (step + 1) / warmup)
        loss = ((theirs(inputs)[:, 0] - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if cosine:
            schedule.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert len(history["loss"]) == 20 and history["extra"] == [1.0] * 20
    assert history["loss"][-1] < history["loss"][0] / 2  # it fits


def test_fit_adam_resumes_a_cosine_schedule_exactly(tmp_path):
    from genaug.train import fit_adam

    inputs, targets = _regression_problem(1)

    def run(checkpoint, num_steps):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)

        def loss_step(_):
            return ((model(inputs)[:, 0] - targets) ** 2).mean(), {}

        fit_adam(loss_step, model, lr=0.05, num_steps=num_steps, cosine=True,
                 checkpoint=checkpoint, checkpoint_every=10)  # fmt: skip
        return model

    class Stop(Exception):
        pass

    full = run(None, 30)
    path = tmp_path / "run.ckpt"
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    calls = {"n": 0}

    def interrupted(_):
        calls["n"] += 1
        if calls["n"] > 25:
            raise Stop
        return ((model(inputs)[:, 0] - targets) ** 2).mean(), {}

    from genaug.train import fit_adam as fit_adam_again

    with pytest.raises(Stop):
        fit_adam_again(
            interrupted, model, lr=0.05, num_steps=30, cosine=True, checkpoint=path,
            checkpoint_every=10,
        )  # fmt: skip
    assert path.exists()  # the checkpoint of step 20
    resumed = run(path, 30)
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b)
