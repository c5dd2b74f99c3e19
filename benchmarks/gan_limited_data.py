"""The limited-data GAN experiment: DCGAN on 10 / 25 / 100% of the digits, with and
without DiffAugment (Zhao et al., 2020) and with ADA (Karras et al., 2020).

Usage:
    python benchmarks/gan_limited_data.py                         # the default grid
    python benchmarks/gan_limited_data.py --steps 1000 --seeds 0 1 --base-channels 32
    # the stored tables:
    python benchmarks/gan_limited_data.py --steps 1500 --seeds 0 1 2 --base-channels 32
    python benchmarks/gan_limited_data.py --faces --steps 1500 --eval-every 300 --base-channels 16

For each training fraction (a stratified subset of the 1,438 training digits),
method and seed, a class-conditional ``genaug.gan.DCGANGenerator`` /
``DCGANDiscriminator`` pair is trained with the non-saturating loss:

* ``none``: plain training;
* ``diffaugment``: ``DiffAugment("color,translation,cutout")`` on real and fake
  images in both players' steps;
* ``ada``: ``ADAAugment`` on real and fake images, with p set by
  ``AdaptiveProbability`` from r_t = E[sign(D(real))] (target 0.6);
* ``real-only`` (the leak experiment, 10% only): DiffAugment's transform applied
  to the real images alone.

Each run is scored by the Frechet distance between 359 samples of its EMA
generator (classes balanced) and the 359 test digits, on the reference
classifier's features (``genaug.recipes.reference_classifier``). The table
gives mean and standard deviation over seeds.

The *leak* measurement: a small detector CNN is trained to tell real training
digits from the same digits passed through DiffAugment's translation + cutout;
the share of a generator's samples it flags as "augmented" measures how much
of the augmentation leaked into the generator. Results go to
``benchmarks/results/gan_limited_data.{md,json}``.

``--faces`` runs the 100-shot setting instead (the DiffAugment paper's 100-image
Obama / grumpy cat / panda experiments, here scikit-image's 100 LFW faces
resized to 32x32): an unconditional DCGAN per method and seed, scored every
``--eval-every`` steps by the Frechet distance on the 100 faces' 16 principal
components (``genaug.metrics.pca_frechet_distance``; the digits classifier
knows nothing about faces), the mean distance of each sample to its nearest
training face (``genaug.metrics.nearest_neighbour_distance``, memorisation)
and r_t = E[sign(D(x))] on clean training faces (discriminator overfitting).
Results go to ``benchmarks/results/gan_100shot_faces.{md,json}``.

``--resume`` loads the runs already stored in the output JSON and trains only
the missing (fraction, method, seed) cells, so seeds can be added one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from genaug import metrics, recipes
from genaug.data import digits, faces, subset
from genaug.gan import (
    DCGANGenerator,
    DiffAugment,
)
from genaug.nn import ClassifierConfig, ConvClassifier
from genaug.recipes import train_limited_data_gan

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("none", "diffaugment", "ada")


def train_leak_detector(images: torch.Tensor, *, seed: int = 0, steps: int = 300) -> ConvClassifier:
    """A CNN that tells real digits (class 0) from translated + cut-out ones (class 1)."""
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    augment = DiffAugment("translation,cutout")
    model = ConvClassifier(ClassifierConfig(in_channels=1, num_classes=2, image_size=16))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        index = torch.randint(0, len(images), (128,), generator=rng)
        clean = images[index] * 2 - 1
        augmented = augment(clean, generator=rng)
        inputs = torch.cat([clean, augmented])
        targets = torch.cat([torch.zeros(128), torch.ones(128)]).long()
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def stats(values: list[float], digits: int = 2) -> str:
    """``"mean +- std"`` of a list of numbers (std ``nan`` for a single value)."""
    tensor = torch.tensor(values, dtype=torch.float64)
    spread = tensor.std().item() if len(values) > 1 else float("nan")
    return f"{tensor.mean():.{digits}f} +- {spread:.{digits}f}"


def load_previous(output: Path, resume: bool) -> list[dict]:
    """The runs stored in ``output``'s JSON when resuming, else an empty list."""
    path = output.with_suffix(".json")
    if resume and path.exists():
        return json.loads(path.read_text())
    return []


def run_faces(args: argparse.Namespace) -> None:
    """The 100-shot setting: unconditional DCGANs on the 100 LFW faces at 32x32."""
    real = faces("faces", size=32).images  # (100, 1, 32, 32) in [0, 1]
    real_nn = metrics.nearest_neighbour_distance(real, real, leave_one_out=True).mean().item()
    halves = metrics.pca_frechet_distance(real[:50], real[50:])
    nonfaces = metrics.pca_frechet_distance(faces("nonfaces", size=32).images, real)
    previous = load_previous(args.output, args.resume)
    done = {(r["method"], r["seed"]) for r in previous}
    runs = list(previous)
    for method in args.methods:
        for seed in args.seeds:
            if (method, seed) in done:
                continue
            tic = time.perf_counter()
            curve: dict[str, list[float]] = {"step": [], "pca_fd": [], "nn": [], "r_t": []}
            recent_r_t: list[float] = []

            def on_step(
                step: int,
                G: DCGANGenerator,
                r_t: float,
                seed: int = seed,
                curve: dict[str, list[float]] = curve,
                recent: list[float] = recent_r_t,
            ) -> None:
                recent.append(r_t)
                if step % args.eval_every == 0:
                    samples = G.sample(500, generator=torch.Generator().manual_seed(seed))
                    curve["step"].append(step)
                    curve["pca_fd"].append(metrics.pca_frechet_distance(samples, real))
                    curve["nn"].append(
                        metrics.nearest_neighbour_distance(samples, real).mean().item()
                    )
                    curve["r_t"].append(sum(recent[-50:]) / len(recent[-50:]))

            _, trace = train_limited_data_gan(
                real,
                None,
                method=method,
                steps=args.steps,
                base_channels=args.base_channels,
                seed=seed,
                batch_size=32,
                on_step=on_step,
            )
            runs.append(
                dict(
                    method=method,
                    seed=seed,
                    pca_fd=curve["pca_fd"][-1],
                    nn=curve["nn"][-1],
                    r_t=curve["r_t"][-1],
                    final_p=trace["p"][-1],
                    curve=curve,
                    seconds=time.perf_counter() - tic,
                )
            )
            print(
                f"faces {method:<12} seed {seed}: PCA-FD "
                + " ".join(f"{v:.1f}" for v in curve["pca_fd"])
                + f"; NN {curve['nn'][-1]:.3f}; r_t {curve['r_t'][-1]:.2f}; p {trace['p'][-1]:.2f} "
                f"({time.perf_counter() - tic:.0f} s)",
                flush=True,
            )

    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    seeds = sorted({r["seed"] for r in runs})
    steps = runs[0]["curve"]["step"]
    load = os.getloadavg()
    lines = [
        "# The 100-shot setting: DCGAN on the 100 LFW faces, with and without augmentation",
        "",
        f"Generated by `benchmarks/gan_limited_data.py --faces` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: unconditional DCGAN "
        f"(base_channels={args.base_channels}) on scikit-image's 100 LFW faces at 32x32, "
        f"{args.steps} steps of batch 32, EMA generator (decay 0.99); seeds {seeds}; "
        f"{sum(r['seconds'] for r in runs):.0f} s of training in all on {args.threads} thread(s), "
        f"load average {load[0]:.2f} at the end.",
        "",
        "Measures on 500 samples (mean +- standard deviation over seeds): **PCA-FD**, the Frechet "
        "distance on the 100 faces' 16 principal components (lower is better; a copy of the "
        "training set scores 0); **NN**, the root-mean-square pixel distance of a sample to its "
        "nearest training face (memorisation drives it to 0); **r_t**, E[sign D(x)] on clean "
        "training faces over the last 50 steps (1 = the discriminator calls every training face "
        "real: it has overfitted). References: PCA-FD between two halves of the faces "
        f"{halves:.2f}, of the 100 non-faces {nonfaces:.2f}; each face's NN distance to the "
        f"other 99: {real_nn:.3f}.",
        "",
        f"| method | seeds | PCA-FD at step {steps[-1]} | NN | r_t | ADA's p |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for method in methods:
        chosen = [r for r in runs if r["method"] == method]
        lines.append(
            f"| {method} | {len(chosen)} | {stats([r['pca_fd'] for r in chosen])} | "
            + " | ".join(stats([r[k] for r in chosen], 3) for k in ("nn", "r_t", "final_p"))
            + " |"
        )
    lines += [
        "",
        "PCA-FD over training (mean +- std over seeds):",
        "",
        "| method | " + " | ".join(f"step {s}" for s in steps) + " |",
        "|---|" + "---:|" * len(steps),
    ]
    for method in methods:
        chosen = [r for r in runs if r["method"] == method]
        cells = [stats([r["curve"]["pca_fd"][i] for r in chosen]) for i in range(len(steps))]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines.append("")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".md").write_text("\n".join(lines))
    args.output.with_suffix(".json").write_text(json.dumps(runs, indent=1))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 1.0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--faces", action="store_true", help="the 100-shot faces experiment")
    parser.add_argument("--eval-every", type=int, default=500, help="faces: steps between scores")
    parser.add_argument("--resume", action="store_true", help="keep the runs in the output JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.faces:
        args.output = args.output or ROOT / "benchmarks/results/gan_100shot_faces"
        run_faces(args)
        return
    args.output = args.output or ROOT / "benchmarks/results/gan_limited_data"

    train_set, test_set = digits("train"), digits("test")
    reference = recipes.reference_classifier()
    detector = train_leak_detector(train_set.images)
    n = len(test_set)
    eval_labels = torch.arange(n) % 10

    def score(G: DCGANGenerator, seed: int) -> tuple[float, float]:
        samples = G.sample(n, labels=eval_labels, generator=torch.Generator().manual_seed(seed))
        fd = reference.frechet_distance(samples, test_set.images)
        with torch.no_grad():
            flagged = detector(samples * 2 - 1).argmax(1).float().mean().item()
        return fd, flagged

    with torch.no_grad():
        real_flagged = detector(test_set.images * 2 - 1).argmax(1).float().mean().item()
        augmented = DiffAugment("translation,cutout")(
            test_set.images * 2 - 1, generator=torch.Generator().manual_seed(0)
        )
        augmented_flagged = detector(augmented).argmax(1).float().mean().item()

    runs = load_previous(args.output, args.resume)
    done = {(r["fraction"], r["method"], r["seed"]) for r in runs}
    cells = [(f, m) for f in args.fractions for m in args.methods]
    cells += [(min(args.fractions), "real-only")]
    for fraction, method in cells:
        for seed in args.seeds:
            if (fraction, method, seed) in done:
                continue
            data = subset(train_set, fraction=fraction, seed=seed) if fraction < 1 else train_set
            tic = time.perf_counter()
            G, trace = train_limited_data_gan(
                data.images,
                data.labels,
                method=method,
                steps=args.steps,
                base_channels=args.base_channels,
                seed=seed,
            )
            fd, flagged = score(G, seed)
            runs.append(
                dict(
                    fraction=fraction,
                    method=method,
                    seed=seed,
                    num_images=len(data),
                    frechet=fd,
                    flagged=flagged,
                    final_p=trace["p"][-1],
                    p_trace=trace["p"][:: max(1, args.steps // 100)],
                    seconds=time.perf_counter() - tic,
                )
            )
            print(
                f"{fraction:>5.0%} {method:<12} seed {seed}: FD {fd:6.2f}, flagged {flagged:5.1%}, "
                f"p {trace['p'][-1]:.2f} ({time.perf_counter() - tic:.0f} s)",
                flush=True,
            )

    seeds = sorted({r["seed"] for r in runs})
    load = os.getloadavg()
    lines = [
        "# Limited-data GAN training on the digits: DiffAugment and ADA",
        "",
        f"Generated by `benchmarks/gan_limited_data.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"class-conditional DCGAN (base_channels={args.base_channels}), {args.steps} steps of batch 64, "
        f"EMA generator (decay 0.99); seeds {seeds}; {sum(r['seconds'] for r in runs):.0f} s "
        "of training in all "
        f"on {args.threads} thread(s), load average {load[0]:.2f} at the end.",
        "",
        "Frechet distance (reference-classifier features, 359 samples vs the 359 test digits; "
        "lower is better; mean +- standard deviation over seeds):",
        "",
        "| training data | " + " | ".join(args.methods) + " |",
        "|---|" + "---:|" * len(args.methods),
    ]
    for fraction in args.fractions:
        count = next(r["num_images"] for r in runs if r["fraction"] == fraction)
        row = [
            stats([r["frechet"] for r in runs if r["fraction"] == fraction and r["method"] == m])
            for m in args.methods
        ]
        lines.append(f"| {fraction:.0%} ({count} images) | " + " | ".join(row) + " |")
    ada_p = [r["final_p"] for r in runs if r["method"] == "ada"]
    if ada_p:
        lines += ["", f"ADA's final p per run: {', '.join(f'{p:.2f}' for p in ada_p)}."]
    lines += [
        "",
        "## The augmentation leak",
        "",
        "Share of images a detector (trained to tell real digits from translated + cut-out ones) "
        f"flags as augmented. Real test digits: {real_flagged:.1%}; test digits after translation + "
        f"cutout: {augmented_flagged:.1%}. Generators trained on {min(args.fractions):.0%} of the data:",
        "",
        "| augmentation during GAN training | flagged as augmented | Frechet distance |",
        "|---|---:|---:|",
    ]
    for method in ["none", "real-only", "diffaugment", "ada"]:
        chosen = [r for r in runs if r["method"] == method and r["fraction"] == min(args.fractions)]
        if chosen:
            flagged = stats([100 * r["flagged"] for r in chosen])
            fd = stats([r["frechet"] for r in chosen])
            lines.append(f"| {method} | {flagged} % | {fd} |")
    lines.append("")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".md").write_text("\n".join(lines))
    args.output.with_suffix(".json").write_text(json.dumps(runs, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
