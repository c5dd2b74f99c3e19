"""The augmentation scoreboard: when does generative augmentation help a digits classifier,
and by how much?

Usage:
    python benchmarks/scoreboard.py --profile cpu                 # resume / complete the board
    python benchmarks/scoreboard.py --profile cpu --minutes 60    # stop cleanly after an hour
    python benchmarks/scoreboard.py --profile smoke --out /tmp/b  # the test's tiny board
    python benchmarks/scoreboard.py --profile cpu --report-only   # tables and figure only
    # two processes, one thread each, then merge (a 2-core machine runs small models faster so)
    OMP_NUM_THREADS=1 python benchmarks/scoreboard.py --groups baselines open --out /tmp/a &
    OMP_NUM_THREADS=1 python benchmarks/scoreboard.py --groups closed longtail --out /tmp/b; wait
    python benchmarks/scoreboard.py --merge /tmp/a/scoreboard.json /tmp/b/scoreboard.json

The protocol (DESIGN.md, "Experiments"; :mod:`genaug.tasks.classification`):

* every cell is (regime, labels per class, method, filter, seed); a seed redraws the
  labelled subset, the generator's training run and the synthetic set;
* every arm trains the same small classifier for the same steps on the same real
  batches from the same initialisation; synthetic images are added on top, and the
  ``same-total`` control fills those slots with real images instead;
* **closed** regime: each generator sees only the labelled subset;
  **open** regime: an unconditional DDPM also learns from the rest of the training
  digits without their labels (as a pretrained model would); the labelled subset
  steers it (SDEdit from labelled seeds, classifier guidance with a classifier
  trained on the labelled subset); ``pseudo-label`` labels the same pool with the
  baseline classifier, the control that says whether a gain is generation or just
  more images;
* ``open-vae``: an unconditional VAE trained on every training digit without labels,
  sampled by interpolating between the latent codes of two labelled digits of one class
  (the cheap open-regime generator that lesson 6.1.1 runs live);
* ``filter`` keeps only the generated images that the baseline classifier (trained on
  the labelled subset alone: no test set, no other labels) assigns to their label
  with probability >= 0.9 (the cell records how many were kept; none kept means the
  arm trains without synthetic images);
* every generator is also measured: CAS (train on its samples only, test on real),
  Frechet distance and KID to the test digits on the reference classifier's
  features, label agreement with the reference classifier, seconds per 1,000 samples.

Every finished cell is written to the JSON at once, so an interrupted run resumes
where it stopped and the board can be completed over several runs; generators are
cached (:mod:`genaug.cache`) and shared by every method and label count that may
use them. Results: ``benchmarks/results/scoreboard.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from genaug.augment import GenerativeAugmenter, RandomShift, confidence_filter, label_agreement
from genaug.augment.transform import Compose
from genaug.data import digits
from genaug.diffusion import DDIMSampler, classifier_free_guidance, classifier_guidance
from genaug.diffusion.ldm import LatentDiffusionAugmenter
from genaug.diffusion.sdedit import GuidedDiffusionAugmenter, SDEditAugmenter
from genaug.gan import DCGANAugmenter
from genaug.interop import FromTorchvision
from genaug.metrics import kernel_inception_distance
from genaug.metrics.downstream import classification_accuracy_score, equivalent_labels, paired_gain
from genaug.nn import ClassifierConfig, NoiseAwareClassifier
from genaug.recipes import (
    DigitsDDPMConfig,
    DigitsLDMConfig,
    pretrained_digits_ddpm,
    pretrained_digits_ldm,
    reference_classifier,
    train_limited_data_gan,
)
from genaug.tasks.classification import ClassifierRecipe, evaluate, labelled_split, train_classifier
from genaug.train import fit, fit_vae
from genaug.vae import CVAE, CVAEAugmenter, CVAEConfig, InterpolationAugmenter

ROOT = Path(__file__).resolve().parents[1]
BASELINES = ("none", "same-total", "classical", "randaugment", "trivialaugment", "mixup", "cutmix")
CLOSED = ("dcgan", "cvae", "cvae-interpolation", "ddpm-cfg", "ddpm-sdedit", "ddpm-cg", "ldm")
OPEN = ("open-sdedit", "open-cg", "open-vae", "pseudo-label")
GROUPS = ("baselines", "open", "closed", "longtail")  # the run order: cheapest first

PROFILES = {
    "smoke": dict(
        seeds=[0], labels_open=[2], labels_closed=[2], longtail=None, synthetic=64,
        classifier=ClassifierRecipe(steps=40, width=8, feature_dim=16), gan_steps=30,
        gan_channels=8, cvae_steps=30, ddpm=DigitsDDPMConfig(base_channels=8, channel_mults=(1, 2),
        steps=10, batch_size=16, ema_decay=0.5), open_ddpm_steps=10, open_vae_steps=30, ldm=DigitsLDMConfig(
        ae_base_channels=8, ae_steps=10, ae_batch_size=16, base_channels=16, steps=10,
        batch_size=16, warmup=2, ema_decay=0.5), sample_steps=4, noisy_steps=20, eval_size=100,
    ),
    "cpu": dict(
        seeds=[0, 1, 2, 3, 4], labels_open=[1, 2, 5, 10, 25], labels_closed=[2, 5, 10],
        longtail=[2, 2, 2] + [25] * 7, synthetic=500, classifier=ClassifierRecipe(),
        gan_steps=600, gan_channels=32, cvae_steps=1500, ddpm=DigitsDDPMConfig(
        base_channels=16, steps=400, batch_size=64, ema_decay=0.99), open_ddpm_steps=600, open_vae_steps=3000,
        ldm=DigitsLDMConfig(ae_steps=200, steps=600), sample_steps=20, noisy_steps=300,
        eval_size=359,
    ),
    "gpu": dict(
        seeds=list(range(10)), labels_open=[1, 2, 5, 10, 25], labels_closed=[1, 2, 5, 10, 25],
        longtail=[2, 2, 2] + [25] * 7, synthetic=2000, classifier=ClassifierRecipe(steps=1000),
        gan_steps=3000, gan_channels=64, cvae_steps=5000, ddpm=DigitsDDPMConfig(base_channels=32,
        steps=3000), open_ddpm_steps=10000, open_vae_steps=10000, ldm=DigitsLDMConfig(), sample_steps=50,
        noisy_steps=1000, eval_size=359,
    ),
}  # fmt: skip


class Board:
    """The scoreboard's results file: cells and generator rows, written after each one."""

    def __init__(self, path: Path, profile: str) -> None:
        self.path = path
        self.data = {"profile": profile, "cells": [], "generators": [], "seconds": 0.0}
        if path.exists():
            self.data = json.loads(path.read_text())
        self.done = {self._key(c) for c in self.data["cells"]}
        self.generator_done = {self._gkey(g) for g in self.data["generators"]}

    @staticmethod
    def _key(cell: dict) -> tuple:
        return (cell["regime"], str(cell["labels"]), cell["method"], cell["filter"], cell["seed"])

    @staticmethod
    def _gkey(row: dict) -> tuple:
        return (row["regime"], str(row["labels"]), row["generator"], row["seed"])

    def has(self, regime, labels, method, filtered, seed) -> bool:
        return (regime, str(labels), method, filtered, seed) in self.done

    def add(self, cell: dict) -> None:
        self.data["cells"].append(cell)
        self.done.add(self._key(cell))
        self.save()

    def add_generator(self, row: dict) -> None:
        if self._gkey(row) not in self.generator_done:
            self.data["generators"].append(row)
            self.generator_done.add(self._gkey(row))
            self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        os.replace(tmp, self.path)


def classical_transforms() -> dict[str, object]:
    """The model-free baselines' transforms (per-sample parameters)."""
    affine = FromTorchvision(v2.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)))
    return {
        "classical": Compose([affine, RandomShift(1), FromTorchvision(v2.RandomErasing(p=0.3))]),
        "randaugment": FromTorchvision(v2.RandAugment(), uint8=True),
        "trivialaugment": FromTorchvision(v2.TrivialAugmentWide(), uint8=True),
    }


def train_noisy_classifier(images, labels, schedule, *, steps: int, seed: int):
    """A classifier of noised labelled images for classifier guidance (lesson 3.3's recipe)."""
    torch.manual_seed(seed)
    model = NoiseAwareClassifier(
        ClassifierConfig(in_channels=2, width=16, feature_dim=64),
        num_timesteps=schedule.num_timesteps,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = torch.Generator().manual_seed(seed)
    x = images * 2 - 1

    def step(_: int) -> dict[str, float]:
        index = torch.randint(0, len(x), (64,), generator=rng)
        t = torch.randint(0, schedule.num_timesteps, (64,), generator=rng)
        noisy = schedule.add_noise(x[index], torch.randn(64, 1, 16, 16, generator=rng), t)
        loss = F.cross_entropy(model(noisy, t), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    fit(step, num_steps=steps, modules={"classifier": model}, generator=rng)
    return model.eval()


class ClassifierGuidedAugmenter(GenerativeAugmenter):
    """Samples of the requested classes from an unconditional DDPM steered by a noisy classifier."""

    def __init__(self, model, schedule, classifier, *, scale: float, num_steps: int) -> None:
        self.model, self.schedule, self.classifier = model, schedule, classifier
        self.scale, self.num_steps = scale, num_steps

    def generate(self, images, labels, n, *, generator=None):
        from genaug.augment import balanced_labels

        wanted = balanced_labels(labels, n, generator=generator)
        seeds = torch.randint(0, 2**31 - 1, (n,), generator=generator).tolist()
        unconditional = classifier_free_guidance(self.model, wanted, 0.0)
        samples = DDIMSampler(self.schedule).sample(
            classifier_guidance(unconditional, self.classifier, wanted, self.scale, self.schedule),
            num_steps=self.num_steps,
            seeds=seeds,
            shape=(1, 16, 16),
        )
        return ((samples + 1) / 2).clamp(0, 1), wanted


def train_cvae(images, labels, seed: int, steps: int) -> CVAE:
    """The board's (C)VAE recipe (lesson 6.1.1 trains the same): ``labels=None`` = unconditional."""
    num_classes = 0 if labels is None else 10
    model = CVAE(
        CVAEConfig(latent_dim=16, base_channels=16, hidden_dim=128, num_classes=num_classes)
    )
    fit_vae(model, images, labels, steps=steps, lr=2e-3, warmup_steps=steps // 5, seed=seed)
    return model.eval()


def closed_generators(
    labelled, seed: int, sizes: dict, names: tuple[str, ...] = CLOSED
) -> dict[str, GenerativeAugmenter]:
    """The closed regime's augmenters named in ``names``, all trained on the labelled subset alone.

    Only the models those augmenters need are trained (the long-tailed set uses two).
    """
    images, labels = labelled.images, labelled.labels
    steps = sizes["sample_steps"]
    chosen: dict[str, GenerativeAugmenter] = {}
    if "dcgan" in names:
        G, _ = train_limited_data_gan(
            images, labels, method="diffaugment", steps=sizes["gan_steps"],
            base_channels=sizes["gan_channels"], seed=seed,
        )  # fmt: skip
        chosen["dcgan"] = DCGANAugmenter(G)
    if {"cvae", "cvae-interpolation"} & set(names):
        cvae = train_cvae(images, labels, seed, sizes["cvae_steps"])
        chosen["cvae"] = CVAEAugmenter(cvae)
        chosen["cvae-interpolation"] = InterpolationAugmenter(cvae)
    if {"ddpm-cfg", "ddpm-sdedit", "ddpm-cg"} & set(names):
        ddpm = pretrained_digits_ddpm(
            replace(sizes["ddpm"], seed=seed),
            train_images=images,
            train_labels=labels,
            name=f"board-{len(labelled)}-s{seed}-ddpm",
        )
        chosen["ddpm-cfg"] = GuidedDiffusionAugmenter(
            ddpm.model, ddpm.schedule, guidance=1.5, num_steps=steps
        )
        chosen["ddpm-sdedit"] = SDEditAugmenter(
            ddpm.model, ddpm.schedule, strength=0.5, guidance=1.5, num_steps=steps
        )
        if "ddpm-cg" in names:
            noisy = train_noisy_classifier(
                images, labels, ddpm.schedule, steps=sizes["noisy_steps"], seed=seed
            )
            chosen["ddpm-cg"] = ClassifierGuidedAugmenter(
                ddpm.model, ddpm.schedule, noisy, scale=2.0, num_steps=steps
            )
    if "ldm" in names:
        ldm = pretrained_digits_ldm(
            replace(sizes["ldm"], seed=seed), train_images=images, train_labels=labels
        )
        chosen["ldm"] = LatentDiffusionAugmenter(ldm.ldm, guidance=1.5, num_steps=steps)
    return {name: chosen[name] for name in names}  # fmt: skip


def open_ddpm(pool_images: torch.Tensor, seed: int, sizes: dict):
    """The open regime's unconditional DDPM: every training digit, no labels (null label only)."""
    config = replace(sizes["ddpm"], seed=seed, steps=sizes["open_ddpm_steps"], label_dropout=1.0)
    fake_labels = torch.zeros(len(pool_images), dtype=torch.long)  # never seen: always dropped
    return pretrained_digits_ddpm(
        config, train_images=pool_images, train_labels=fake_labels, name=f"board-open-ddpm-s{seed}"
    )


def measure_generator(name, augmenter, labelled, test, reference, sizes, seed) -> dict:
    """CAS, FD, KID, label agreement and cost of one generator's samples."""
    n = sizes["eval_size"]
    start = time.perf_counter()
    with torch.no_grad() if not name.endswith("cg") else torch.enable_grad():
        images, labels = augmenter(
            labelled.images, labelled.labels, n, generator=torch.Generator().manual_seed(seed)
        )
    seconds = time.perf_counter() - start
    kid, kid_std = kernel_inception_distance(
        reference.features(images), reference.features(test.images[:n]), num_subsets=10,
        subset_size=min(100, n), seed=seed,
    )  # fmt: skip
    return dict(
        cas=classification_accuracy_score(images, labels, test.images, test.labels, seed=seed, recipe=sizes["classifier"]),
        fd=reference.frechet_distance(images, test.images[:n]),
        kid=kid, kid_std=kid_std,
        agreement=label_agreement(images, labels, reference),
        seconds_per_1000=1000 * seconds / n,
    )  # fmt: skip


class Runner:
    """Runs the board's cells in order, skipping those already stored."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.sizes = PROFILES[args.profile]
        args.out.mkdir(parents=True, exist_ok=True)
        self.board = Board(args.out / "scoreboard.json", args.profile)
        self.train, self.test = digits("train"), digits("test")
        self.reference = reference_classifier()
        self.recipe = self.sizes["classifier"]
        self.deadline = time.time() + 60 * args.minutes if args.minutes else None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.time() > self.deadline

    def arm(self, regime, counts, method, filtered, seed, labelled, kept=None, **options) -> None:
        """Train the downstream classifier of one cell (unless stored) and store its score."""
        if self.board.has(regime, counts, method, filtered, seed):
            return
        tic = time.perf_counter()
        model = train_classifier(
            labelled.images, labelled.labels, seed=seed, recipe=self.recipe, **options
        )
        result = evaluate(model, self.test.images, self.test.labels)
        self.board.add(
            dict(
                regime=regime,
                labels=counts,
                method=method,
                filter=filtered,
                seed=seed,
                accuracy=result.accuracy,
                per_class=result.per_class.tolist(),
                seconds=round(time.perf_counter() - tic, 2),
                kept=kept,
            )
        )
        print(f"{regime:<8} {counts!s:<8} {method:<20} filter={filtered!s:<5} seed {seed}: "
              f"{result.accuracy:.3f}", flush=True)  # fmt: skip

    def generative_arms(self, regime, counts, seed, labelled, augmenters, baseline_model) -> None:
        """Measure each generator once, then score it with and without the confidence filter."""
        for name, augmenter in augmenters.items():
            if self.out_of_time():
                return
            if (regime, str(counts), name, seed) not in self.board.generator_done:
                scores = measure_generator(
                    name, augmenter, labelled, self.test, self.reference, self.sizes, seed
                )
                row = dict(regime=regime, labels=counts, generator=name, seed=seed)
                self.board.add_generator({**row, **scores})
            if self.complete(regime, counts, (name,), seed):
                continue
            images, labels = augmenter(
                labelled.images,
                labelled.labels,
                self.sizes["synthetic"],
                generator=torch.Generator().manual_seed(seed),
            )
            synthetic = (images.detach().cpu(), labels.cpu())
            self.arm(regime, counts, name, False, seed, labelled, synthetic=synthetic)
            # the filter keeps the samples the baseline classifier (labelled subset only)
            # assigns to their label with probability >= 0.9; none kept = no augmentation
            kept = confidence_filter(*synthetic, baseline_model, threshold=0.9)
            options = {"synthetic": (kept.images, kept.labels)} if len(kept.labels) else {}
            self.arm(regime, counts, name, True, seed, labelled, kept=len(kept.labels), **options)

    def baselines(self, seed: int) -> None:
        """No augmentation, the same-total control, classical and mixing at every label count."""
        transforms = classical_transforms()
        for k in sorted(set(self.sizes["labels_open"]) | set(self.sizes["labels_closed"])):
            if self.out_of_time():
                return
            labelled, _ = labelled_split(self.train, k, seed=seed)
            self.arm("baseline", k, "none", False, seed, labelled)
            self.arm("baseline", k, "same-total", False, seed, labelled, same_total=True)
            for name, transform in transforms.items():
                self.arm("baseline", k, name, False, seed, labelled, transform=transform)
            for mixing in ("mixup", "cutmix"):
                self.arm("baseline", k, mixing, False, seed, labelled, mixing=mixing)

    def complete(self, regime, counts, methods, seed) -> bool:
        return all(
            self.board.has(regime, counts, m, f, seed) for m in methods for f in (False, True)
        )

    def closed(self, seed: int) -> None:
        """Generators trained on the labelled subset alone."""
        for k in self.sizes["labels_closed"]:
            if self.out_of_time() or self.complete("closed", k, CLOSED, seed):
                continue
            labelled, _ = labelled_split(self.train, k, seed=seed)
            baseline_model = train_classifier(
                labelled.images, labelled.labels, seed=seed, recipe=self.recipe
            )
            augmenters = closed_generators(labelled, seed, self.sizes)
            self.generative_arms("closed", k, seed, labelled, augmenters, baseline_model)

    def open(self, seed: int) -> None:
        """One unconditional DDPM per seed on every training image, steered by the labels."""
        todo = [
            k
            for k in self.sizes["labels_open"]
            if not self.complete("open", k, OPEN[:3], seed)
            or not self.board.has("open", k, "pseudo-label", False, seed)
        ]
        if not todo or self.out_of_time():
            return
        ddpm = open_ddpm(self.train.images, seed, self.sizes)
        vae = train_cvae(self.train.images, None, seed, self.sizes["open_vae_steps"])
        steps = self.sizes["sample_steps"]
        for k in todo:
            if self.out_of_time():
                return
            labelled, pool = labelled_split(self.train, k, seed=seed)
            baseline_model = train_classifier(
                labelled.images, labelled.labels, seed=seed, recipe=self.recipe
            )
            noisy = train_noisy_classifier(
                labelled.images,
                labelled.labels,
                ddpm.schedule,
                steps=self.sizes["noisy_steps"],
                seed=seed,
            )
            augmenters = {
                "open-sdedit": SDEditAugmenter(
                    ddpm.model, ddpm.schedule, strength=0.5, guidance=0.0, num_steps=steps
                ),
                "open-cg": ClassifierGuidedAugmenter(
                    ddpm.model, ddpm.schedule, noisy, scale=2.0, num_steps=steps
                ),
                # same-class latent interpolation through a VAE that saw every digit unlabelled
                "open-vae": InterpolationAugmenter(vae),
            }
            self.generative_arms("open", k, seed, labelled, augmenters, baseline_model)
            with torch.no_grad():  # the control: the same pool, labelled by the baseline
                pseudo = baseline_model(pool.images).argmax(1)
            self.arm(
                "open", k, "pseudo-label", False, seed, labelled, synthetic=(pool.images, pseudo)
            )

    def longtail(self, seed: int) -> None:
        """A few classes with 2 labels, the rest with 25: generate to balance them."""
        counts = self.sizes["longtail"]
        if not counts or self.out_of_time():
            return
        labelled, _ = labelled_split(self.train, counts, seed=seed)
        self.arm("longtail", counts, "none", False, seed, labelled)
        methods = ("ddpm-cfg", "cvae")
        if self.complete("longtail", counts, methods, seed):
            return
        baseline_model = train_classifier(
            labelled.images, labelled.labels, seed=seed, recipe=self.recipe
        )
        chosen = closed_generators(labelled, seed, self.sizes, methods)
        self.generative_arms("longtail", counts, seed, labelled, chosen, baseline_model)


def run(args: argparse.Namespace) -> None:
    """Complete the board (or as much as ``--minutes`` allows), storing every cell."""
    runner = Runner(args)
    started = time.perf_counter()
    seeds = getattr(args, "seeds", None) or runner.sizes["seeds"]
    # group by group over all seeds, cheapest first: an interrupted board has whole groups
    groups = getattr(args, "groups", None) or GROUPS
    for name in GROUPS:  # always in this order
        if name in groups:
            for seed in seeds:
                getattr(runner, name)(seed)
    board = runner.board
    board.data["seconds"] = board.data.get("seconds", 0.0) + time.perf_counter() - started
    board.data["sizes"] = {
        key: asdict(value) if hasattr(value, "__dataclass_fields__") else value
        for key, value in runner.sizes.items()
    }
    board.save()


def merge(out: Path, others: list[Path]) -> None:
    """Merge the cells and generator rows of boards run in parallel (``--out`` per process).

    Cells already in ``out`` are kept; ``seconds`` adds up the processes' run times.
    """
    board = Board(out / "scoreboard.json", json.loads(others[0].read_text())["profile"])
    for path in others:
        other = json.loads(path.read_text())
        if other["profile"] != board.data["profile"]:
            raise ValueError(f"{path} is a {other['profile']} board, not {board.data['profile']}")
        for cell in other["cells"]:
            if not board.has(
                cell["regime"], cell["labels"], cell["method"], cell["filter"], cell["seed"]
            ):
                board.data["cells"].append(cell)
                board.done.add(Board._key(cell))
        for row in other["generators"]:
            if Board._gkey(row) not in board.generator_done:
                board.data["generators"].append(row)
                board.generator_done.add(Board._gkey(row))
        board.data["seconds"] = board.data.get("seconds", 0.0) + other.get("seconds", 0.0)
        board.data["sizes"] = other.get("sizes") or board.data.get("sizes")  # the latest run's
    board.save()


def summarise(board: dict) -> list[dict]:
    """Mean accuracy and paired gain over 'none' (same labels, same seed) for every group."""
    cells = board["cells"]
    base = {(str(c["labels"]), c["seed"]): c["accuracy"] for c in cells if c["method"] == "none"}
    curve: dict[int, list[float]] = {}
    for c in cells:
        if c["regime"] == "baseline" and c["method"] == "none":
            curve.setdefault(c["labels"], []).append(c["accuracy"])
    counts = sorted(curve)
    means = [sum(curve[k]) / len(curve[k]) for k in counts]
    groups: dict[tuple, list[dict]] = {}
    for c in cells:
        groups.setdefault((c["regime"], str(c["labels"]), c["method"], c["filter"]), []).append(c)
    rows = []
    for (regime, labels, method, filtered), members in sorted(groups.items()):
        paired = [
            (c["accuracy"], base[(labels, c["seed"])])
            for c in members
            if (labels, c["seed"]) in base
        ]
        if not paired:
            continue
        gain = paired_gain([a for a, _ in paired], [b for _, b in paired])
        mean = sum(a for a, _ in paired) / len(paired)
        equivalent = None
        if regime != "longtail" and len(counts) >= 2 and method != "none":
            equivalent = equivalent_labels(counts, means, mean)
        rows.append(
            dict(
                regime=regime,
                labels=labels,
                method=method,
                filter=filtered,
                accuracy=mean,
                gain=gain.mean,
                low=gain.low,
                high=gain.high,
                won=gain.seeds_won,
                seeds=gain.num_seeds,
                equivalent_labels=equivalent,
            )
        )
    return rows


def _budget_line(sizes: dict) -> str:
    """Which label budgets each regime ran at (the closed regime may run at fewer)."""
    if not sizes:
        return "Label budgets: not recorded."
    line = (
        f"Labels per class: baselines and the open regime at {sizes['labels_open']}; "
        f"the closed regime at {sizes['labels_closed']}"
    )
    if set(sizes["labels_closed"]) != set(sizes["labels_open"]):
        line += " only (training every closed generator per seed and label count costs the most)"
    return line + f"; the long-tailed set at {sizes['longtail']}; {len(sizes['seeds'])} seeds."


def report(out: Path) -> None:
    """Write scoreboard.md and scoreboard.png from scoreboard.json."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    board = json.loads((out / "scoreboard.json").read_text())
    rows = summarise(board)
    # the paired summary travels with the cells, so lessons and pages read it from the JSON
    board["summary"] = rows
    (out / "scoreboard.json").write_text(json.dumps(board, indent=1))
    generators = board["generators"]
    lines = [
        f"# Augmentation scoreboard ({board['profile']} profile)",
        "",
        f"Total compute recorded: {board.get('seconds', 0) / 60:.1f} minutes. Gains are paired "
        "differences in test accuracy against no augmentation (same subset, seed, real batches), "
        "with a 95% Student-t interval and the seeds won.",
        "",
        _budget_line(board.get("sizes", {})),
        "",
        "| regime | labels/class | method | filter | accuracy | gain | 95% interval | won | equivalent labels |",
        "|---|---|---|---|---:|---:|---|---|---:|",
    ]
    for r in rows:
        eq = r["equivalent_labels"]
        # past the end of the baseline's curve: more than its largest label budget
        top = max((int(x["labels"]) for x in rows if x["regime"] == "baseline"), default=0)
        eq = "" if eq is None else (f"> {top}" if math.isinf(eq) else f"{eq:.1f}")
        lines.append(
            f"| {r['regime']} | {r['labels']} | {r['method']} | {'yes' if r['filter'] else 'no'} | "
            f"{r['accuracy']:.3f} | {r['gain']:+.3f} | [{r['low']:+.3f}, {r['high']:+.3f}] | "
            f"{r['won']}/{r['seeds']} | {eq} |"
        )
    lines += [
        "",
        "## Generators",
        "",
        "| regime | labels/class | generator | seeds | CAS | FD | KID | label agreement | s / 1000 samples |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for g in generators:
        groups.setdefault((g["regime"], str(g["labels"]), g["generator"]), []).append(g)
    for (regime, labels, name), members in sorted(groups.items()):
        mean = {
            key: sum(m[key] for m in members) / len(members)
            for key in members[0]
            if key not in ("regime", "labels", "generator", "seed")
        }
        lines.append(
            f"| {regime} | {labels} | {name} | {len(members)} | {mean['cas']:.3f} | "
            f"{mean['fd']:.2f} | {mean['kid']:.4f} | {mean['agreement']:.3f} | "
            f"{mean['seconds_per_1000']:.3g} |"
        )
    (out / "scoreboard.md").write_text("\n".join(lines) + "\n")
    # generative methods with the confidence filter (their better variant on this board; the
    # table has both), in colour with 95% bands; model-free baselines and the pseudo-label
    # control as thin grey lines without bands
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, regime in zip(axes, ("closed", "open"), strict=True):
        for method in (*BASELINES[2:], "pseudo-label", *CLOSED, *OPEN[:-1]):
            model_free = method in BASELINES or method == "pseudo-label"
            pts = sorted(
                (int(r["labels"]), 100 * r["gain"], 100 * r["low"], 100 * r["high"])
                for r in rows
                if r["method"] == method
                and r["regime"] in ((regime, "baseline") if model_free else (regime,))
                and r["filter"] == (not model_free)
            )
            if not pts:
                continue
            k, g, lo, hi = zip(*pts, strict=True)
            if model_free:
                ax.plot(k, g, ":" if method == "pseudo-label" else "--", color="0.55", lw=1,
                        marker=".", label=method)  # fmt: skip
                continue
            (line,) = ax.plot(k, g, "-", marker="o", lw=1.8, label=f"{method} + filter")
            if all(map(math.isfinite, lo + hi)):  # one seed has no interval
                ax.fill_between(k, lo, hi, alpha=0.12, color=line.get_color())
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xscale("log")
        ticks = sorted({int(r["labels"]) for r in rows if r["regime"] in (regime, "baseline")})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("labelled digits per class")
        ax.set_title(f"{regime} regime (grey: model-free baselines)")
        ax.legend(fontsize=6.5, ncol=2, loc="lower right")
    axes[0].set_ylabel("paired gain over no augmentation (points), 95% band")
    fig.tight_layout()
    fig.savefig(out / "scoreboard.png", dpi=120)
    print(f"wrote {out / 'scoreboard.md'} and scoreboard.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="cpu")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--minutes", type=float, default=None, help="stop cleanly after this long")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="run only these of the profile's seeds"
    )
    parser.add_argument(
        "--groups", nargs="+", choices=GROUPS, default=None, help="run only these groups of cells"
    )
    parser.add_argument(
        "--merge", type=Path, nargs="+", default=None,
        help="merge these scoreboard.json files (parallel runs) into --out, then report",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("GENAUG_PROFILE", args.profile)
    if args.merge:
        args.out.mkdir(parents=True, exist_ok=True)
        merge(args.out, args.merge)
    elif not args.report_only:
        run(args)
    report(args.out)


if __name__ == "__main__":
    main()
