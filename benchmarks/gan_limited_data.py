"""The limited-data GAN experiment: DCGAN on 10 / 25 / 100% of the digits, with and
without DiffAugment (Zhao et al., 2020) and with ADA (Karras et al., 2020).

Usage:
    python benchmarks/gan_limited_data.py                         # the default grid
    python benchmarks/gan_limited_data.py --steps 1000 --seeds 0 1 --base-channels 32

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
classifier's features (``genaug.metrics.reference_classifier``). The table
gives mean and standard deviation over seeds.

The *leak* measurement: a small detector CNN is trained to tell real training
digits from the same digits passed through DiffAugment's translation + cutout;
the share of a generator's samples it flags as "augmented" measures how much
of the augmentation leaked into the generator. Results go to
``benchmarks/results/gan_limited_data.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from genaug import metrics
from genaug.data import digits, subset
from genaug.gan import (
    ADAAugment,
    ADAConfig,
    AdaptiveProbability,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    DiffAugment,
    discriminator_loss,
    generator_loss,
)
from genaug.nn import ClassifierConfig, ConvClassifier
from genaug.train import EMA

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("none", "diffaugment", "ada")


def train_gan(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    method: str,
    steps: int,
    base_channels: int,
    seed: int,
    batch_size: int = 64,
) -> tuple[DCGANGenerator, list[float]]:
    """Train one conditional DCGAN; return its EMA generator and ADA's p per step."""
    torch.manual_seed(seed)
    config = DCGANConfig(
        image_size=16, channels=1, latent_dim=64, base_channels=base_channels, num_classes=10
    )
    G, D = DCGANGenerator(config), DCGANDiscriminator(config)
    ema = EMA(G, decay=0.99)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(seed)
    diffaugment = DiffAugment("color,translation,cutout")
    ada = ADAAugment()
    # our runs see ~100k images, not the paper's millions: p may cross [0, 1] in 20k images
    controller = AdaptiveProbability(ADAConfig(speed_images=20_000, interval=4))
    identity = lambda x: x  # noqa: E731

    if method == "diffaugment":
        augment_real = augment_fake = lambda x: diffaugment(x, generator=rng)  # noqa: E731
    elif method == "ada":
        augment_real = augment_fake = lambda x: ada(x, p=controller.p, generator=rng)  # noqa: E731
    elif method == "real-only":
        augment_real, augment_fake = (lambda x: diffaugment(x, generator=rng)), identity
    elif method == "none":
        augment_real = augment_fake = identity
    else:
        raise ValueError(f"method must be one of {METHODS + ('real-only',)}, got {method!r}")

    p_trace = []
    x = images * 2 - 1  # (N, 1, 16, 16) in [-1, 1]
    for _ in range(steps):
        index = torch.randint(0, len(x), (batch_size,), generator=rng)
        real, y = x[index], labels[index]
        fake = G(torch.randn(batch_size, 64, generator=rng), y)
        real_logits = D(augment_real(real), y)
        loss_d = discriminator_loss(real_logits, D(augment_fake(fake.detach()), y))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = generator_loss(D(augment_fake(fake), y))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        ema.update(G)
        if method == "ada":
            controller.update(real_logits)
        p_trace.append(controller.p)
    return ema.module, p_trace


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.25, 1.0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/gan_limited_data")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train_set, test_set = digits("train"), digits("test")
    reference = metrics.reference_classifier()
    detector = train_leak_detector(train_set.images)
    n = len(test_set)
    eval_labels = torch.arange(n) % 10

    def score(G: DCGANGenerator, seed: int) -> tuple[float, float]:
        samples = (
            G.sample(n, labels=eval_labels, generator=torch.Generator().manual_seed(seed)) + 1
        ) / 2
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

    runs = []
    start = time.perf_counter()
    cells = [(f, m) for f in args.fractions for m in args.methods]
    cells += [(min(args.fractions), "real-only")]
    for fraction, method in cells:
        for seed in args.seeds:
            data = subset(train_set, fraction=fraction, seed=seed) if fraction < 1 else train_set
            tic = time.perf_counter()
            G, p_trace = train_gan(
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
                    final_p=p_trace[-1],
                    p_trace=p_trace[:: max(1, args.steps // 100)],
                    seconds=time.perf_counter() - tic,
                )
            )
            print(
                f"{fraction:>5.0%} {method:<12} seed {seed}: FD {fd:6.2f}, flagged {flagged:5.1%}, "
                f"p {p_trace[-1]:.2f} ({time.perf_counter() - tic:.0f} s)",
                flush=True,
            )

    def stats(values: list[float]) -> str:
        tensor = torch.tensor(values)
        spread = tensor.std().item() if len(values) > 1 else float("nan")
        return f"{tensor.mean():.2f} +- {spread:.2f}"

    load = os.getloadavg()
    lines = [
        "# Limited-data GAN training on the digits: DiffAugment and ADA",
        "",
        f"Generated by `benchmarks/gan_limited_data.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"class-conditional DCGAN (base_channels={args.base_channels}), {args.steps} steps of batch 64, "
        f"EMA generator (decay 0.99); seeds {args.seeds}; {time.perf_counter() - start:.0f} s in all "
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
