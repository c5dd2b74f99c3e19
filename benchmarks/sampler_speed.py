"""Wall time of our DDPM / DDIM sampling loops against diffusers' scheduler loops.

Usage:
    python benchmarks/sampler_speed.py                     # batch 64, DDPM 1000 steps, DDIM 50
    python benchmarks/sampler_speed.py --batch 32 --ddpm-steps 200

Both loops drive the same network (the UNet of lesson 5.3.1 at the cpu profile's size,
class-conditional, classifier-free guidance w = 2, so each step is one forward pass on a
doubled batch) on the same batch for the same number of steps. The machine may be
shared, so each pair is timed in the order ours, diffusers, diffusers, ours (one run of
each loop per half) and each loop's time is the median of its runs (the short DDIM loops are repeated
``--ddim-repeats`` times): a load that drifts linearly during the benchmark then
cancels out of the ratio. Our loops draw each image's noise from its own
generator (per-image reproducibility), diffusers' from one generator for the batch;
that difference is part of what is measured. The DDIM loops start from the same x_T and
must return the same images. Results go to ``benchmarks/results/sampler_speed.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from diffusers import DDIMScheduler, DDPMScheduler

from genaug.diffusion import DDIMSampler, DDPMSampler, NoiseSchedule, classifier_free_guidance
from genaug.nn import UNet, UNetConfig
from genaug.recipes import digits_ddpm_config

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.05  # ours / diffusers wall time should not exceed this


def diffusers_loop(scheduler, model_fn, start, num_steps, *, seed, **step_kwargs):
    """The standard diffusers sampling loop: set_timesteps, then step() per timestep."""
    scheduler.set_timesteps(num_steps)
    generator = torch.Generator().manual_seed(seed)
    sample = start.clone()
    for t in scheduler.timesteps:
        eps = model_fn(sample, t.expand(len(sample)))
        sample = scheduler.step(eps, t, sample, generator=generator, **step_kwargs).prev_sample
    return sample


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    """Parse arguments, time the four loops, write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--ddpm-steps", type=int, default=1000)
    parser.add_argument("--ddim-steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--ddim-repeats", type=int, default=5, help="ABBA blocks for the (short) DDIM loops"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/sampler_speed.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    recipe = digits_ddpm_config("cpu")
    torch.manual_seed(0)
    model = UNet(
        UNetConfig(
            base_channels=recipe.base_channels, channel_mults=recipe.channel_mults, num_classes=10
        )
    ).eval()
    for parameter in model.parameters():  # untrained but not trivial (the output starts at 0)
        parameter.data.normal_(0, 0.05)
    labels = torch.arange(args.batch) % 10
    model_fn = torch.no_grad()(classifier_free_guidance(model, labels, 2.0))
    schedule = NoiseSchedule(recipe.num_timesteps, schedule=recipe.schedule)
    name = {"linear": "linear", "cosine": "squaredcos_cap_v2"}[recipe.schedule]
    seeds = list(range(args.batch))
    start = torch.randn(args.batch, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    model_fn(start, torch.zeros(args.batch, dtype=torch.long))  # warm-up

    ours_ddim = DDIMSampler(schedule)
    theirs_ddim = DDIMScheduler(num_train_timesteps=recipe.num_timesteps, beta_schedule=name)
    ours_ddpm = DDPMSampler(schedule)
    theirs_ddpm = DDPMScheduler(num_train_timesteps=recipe.num_timesteps, beta_schedule=name)
    n_ddim, n_ddpm = args.ddim_steps, args.ddpm_steps
    loops = {
        "DDIM ours": lambda: ours_ddim.sample(model_fn, num_steps=n_ddim, start=start),
        "DDIM diffusers": lambda: diffusers_loop(
            theirs_ddim, model_fn, start, n_ddim, seed=0, eta=0.0
        ),
        "DDPM ours": lambda: ours_ddpm.sample(
            model_fn, seeds=seeds, shape=(1, 16, 16), num_steps=n_ddpm
        ),
        "DDPM diffusers": lambda: diffusers_loop(theirs_ddpm, model_fn, start, n_ddpm, seed=0),
    }
    rows, outputs = {}, {}
    for kind, repeats in (("DDIM", args.ddim_repeats), ("DDPM", 1)):
        order = [f"{kind} ours", f"{kind} diffusers", f"{kind} diffusers", f"{kind} ours"]
        times: dict[str, list[float]] = {}
        for name in order * repeats:  # ABBA, repeated
            seconds, outputs[name] = timed(loops[name])
            times.setdefault(name, []).append(seconds)
        rows.update({name: statistics.median(values) for name, values in times.items()})
    a, b = outputs["DDIM ours"], outputs["DDIM diffusers"]
    max_difference = (a - b).abs().max().item()
    if max_difference > 1e-4:
        raise AssertionError(f"DDIM loops disagree: max |ours - diffusers| = {max_difference:.2e}")

    ratio_ddim = rows["DDIM ours"] / rows["DDIM diffusers"]
    ratio_ddpm = rows["DDPM ours"] / rows["DDPM diffusers"]
    speedup = rows["DDPM ours"] / rows["DDIM ours"]
    load = os.getloadavg()
    lines = [
        "# Sampler speed: our loops against diffusers' scheduler loops",
        "",
        f"Generated by `python benchmarks/sampler_speed.py --batch {args.batch} "
        f"--ddpm-steps {n_ddpm} --ddim-steps {n_ddim} --ddim-repeats {args.ddim_repeats}` on {platform.machine()} "
        f"with {args.threads} torch threads; load average (1 min) at the end of the run "
        f"{load[0]:.1f}. Network: the lesson-5.3.1 UNet "
        f"({sum(p.numel() for p in model.parameters()):,} parameters), classifier-free "
        "guidance w = 2 (one forward pass on a doubled batch per step). Each time is the median "
        f"of the runs of {args.ddim_repeats} blocks (DDIM) or 1 block (DDPM) timed in the order "
        "ours, diffusers, diffusers, ours.",
        "",
        "| loop | steps | wall time (s) | ours / diffusers |",
        "|---|---|---|---|",
        f"| DDIM, ours | {n_ddim} | {rows['DDIM ours']:.2f} | {ratio_ddim:.3f} |",
        f"| DDIM, diffusers `DDIMScheduler` | {n_ddim} | {rows['DDIM diffusers']:.2f} | |",
        f"| DDPM, ours | {n_ddpm} | {rows['DDPM ours']:.2f} | {ratio_ddpm:.3f} |",
        f"| DDPM, diffusers `DDPMScheduler` | {n_ddpm} | {rows['DDPM diffusers']:.2f} | |",
        "",
        f"* Goal ours / diffusers <= {GOAL}: DDIM {'met' if ratio_ddim <= GOAL else 'NOT met'} "
        f"({ratio_ddim:.3f}), DDPM {'met' if ratio_ddpm <= GOAL else 'NOT met'} ({ratio_ddpm:.3f}).",
        f"* DDIM-{n_ddim} is {speedup:.1f}x faster than DDPM-{n_ddpm} (ours).",
        f"* The two DDIM loops return the same images from the same x_T "
        f"(max difference {max_difference:.1e}).",
        "* The machine is shared: the ratio moves by a few percent with the load.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
