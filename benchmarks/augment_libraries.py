"""One augmentation pipeline in six libraries: throughput at 1 and 2 threads and in DataLoader workers.

Usage:
    python benchmarks/augment_libraries.py                    # 1024 images, 5 rounds
    python benchmarks/augment_libraries.py --num-images 256 --rounds 1  # quicker

Lesson 7.2 (``lessons/ch07_tools/02_augmentation_libraries.ipynb``) builds the same
pipelines, loads the JSON this script writes and times a small slice live.

The pipeline, on the course's photos at 64x64 (``genaug.data.photos``, tiled to N images):

1. a random integer translation of up to 1/8 of the side (8 px) in x and y, zero fill;
2. a horizontal flip with probability 0.5;
3. a brightness factor drawn uniformly from [0.75, 1.25] (the image is multiplied by it);
4. cutout: one 16x16 square (1/4 of the side) set to 0.

Each library gets its own native input and closest native ops:

* Albumentations 2.0.8 and imgaug 0.4.0: (H, W, 3) uint8 numpy arrays, one image per call;
* Augmentor: PIL images, one per call; it has no translation, so a six-line custom
  ``Operation`` adds it; its ``random_erasing`` fills a rectangle of random size with noise;
* torchvision v2: (3, H, W) float32 tensors, one image per call (per-sample parameters),
  and the whole (B, 3, H, W) batch in one call (one draw of parameters per call: a
  different augmentation, timed for reference);
* Kornia: the (B, 3, H, W) float32 batch, per-sample parameters (its translation is
  sub-pixel, bilinear);
* genaug: the (B, 3, H, W) float32 batch, per-sample parameters:
  ``DiffAugment("translation,cutout")`` after ``RandomHorizontalFlip`` and ``RandomBrightness``.

Every library runs the same batches (B images each), interleaved, for ``--rounds`` rounds;
each setting reports the median images/s over rounds and the best round (the one least
disturbed by other jobs on a shared machine), and genaug's ratio to Albumentations per round. Settings: 1 thread and 2 threads in
the main process (``torch.set_num_threads`` and ``cv2.setNumThreads``: the per-image
libraries do not split one small image across threads), and a ``DataLoader`` with
``num_workers=2`` (each worker one thread, augmenting whole batches; per-image outputs are
stacked into one tensor per batch, as a training loop needs them). imgaug 0.4.0 needs
``np.sctypes`` back under NumPy 2 (:func:`import_imgaug`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # no PyPI request on import

import albumentations as A
import Augmentor
import cv2
import kornia
import kornia.augmentation as K
import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

import genaug
from genaug.augment import Compose, RandomBrightness, RandomHorizontalFlip
from genaug.data import photos
from genaug.gan import DiffAugment

ROOT = Path(__file__).resolve().parents[1]
SIZE = 64
SPEC = {
    "size": SIZE,
    "max_shift": SIZE // 8,  # pixels, each direction
    "flip_p": 0.5,
    "brightness": [0.75, 1.25],  # multiplicative factor range
    "cutout": SIZE // 4,  # side of the square, pixels
}


def import_imgaug():
    """Import imgaug 0.4.0 under NumPy 2: restore ``np.sctypes``, which NumPy 2.0 removed."""
    if not hasattr(np, "sctypes"):  # hasattr is False: numpy raises AttributeError for it
        np.sctypes = {
            "int": [np.int8, np.int16, np.int32, np.int64],
            "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
            "float": [np.float16, np.float32, np.float64, np.longdouble],
            "complex": [np.complex64, np.complex128, np.clongdouble],
            "others": [bool, object, bytes, str, np.void],
        }
    import imgaug.augmenters as iaa

    return iaa


class RandomTranslate(Augmentor.Operations.Operation):
    """Augmentor has no translation: shift by an integer offset in [-max_shift, max_shift], zero fill."""

    def __init__(self, probability: float, max_shift: int) -> None:
        super().__init__(probability)
        self.max_shift = max_shift

    def perform_operation(self, images: list[Image.Image]) -> list[Image.Image]:
        dx, dy = np.random.randint(-self.max_shift, self.max_shift + 1, size=2)
        # PIL's AFFINE maps each output pixel (x, y) to the input pixel (x - dx, y - dy)
        matrix = (1, 0, -int(dx), 0, 1, -int(dy))
        return [image.transform(image.size, Image.AFFINE, matrix, fillcolor=0) for image in images]


def albumentations_pipeline(seed: int = 0) -> A.Compose:
    m, c = SPEC["max_shift"], SPEC["cutout"]
    low, high = SPEC["brightness"]
    return A.Compose(
        [
            A.Affine(
                translate_px={"x": (-m, m), "y": (-m, m)},
                border_mode=cv2.BORDER_CONSTANT,
                fill=0,
                p=1,
            ),
            A.HorizontalFlip(p=SPEC["flip_p"]),
            A.ColorJitter(
                brightness=(low, high), contrast=(1, 1), saturation=(1, 1), hue=(0, 0), p=1
            ),
            A.CoarseDropout(
                num_holes_range=(1, 1),
                hole_height_range=(c, c),
                hole_width_range=(c, c),
                fill=0,
                p=1,
            ),
        ],
        seed=seed,
    )


def augmentor_pipeline() -> Callable[[Image.Image], Image.Image]:
    low, high = SPEC["brightness"]
    pipeline = Augmentor.Pipeline()
    pipeline.add_operation(RandomTranslate(probability=1, max_shift=SPEC["max_shift"]))
    pipeline.flip_left_right(probability=SPEC["flip_p"])
    pipeline.random_brightness(probability=1, min_factor=low, max_factor=high)
    pipeline.random_erasing(probability=1, rectangle_area=SPEC["cutout"] / SIZE)
    return pipeline.torch_transform()  # PIL image -> PIL image


def imgaug_pipeline(seed: int = 0):
    iaa = import_imgaug()
    m = SPEC["max_shift"]
    return iaa.Sequential(
        [
            iaa.Affine(translate_px={"x": (-m, m), "y": (-m, m)}, mode="constant", cval=0),
            iaa.Fliplr(SPEC["flip_p"]),
            iaa.Multiply(tuple(SPEC["brightness"])),
            iaa.Cutout(
                nb_iterations=1,
                size=SPEC["cutout"] / SIZE,
                squared=True,
                fill_mode="constant",
                cval=0,
            ),
        ],
        seed=seed,
    )


def torchvision_pipeline() -> v2.Compose:
    shift, area = SPEC["max_shift"] / SIZE, (SPEC["cutout"] / SIZE) ** 2
    low, high = SPEC["brightness"]
    return v2.Compose(
        [
            v2.RandomAffine(degrees=0, translate=(shift, shift)),
            v2.RandomHorizontalFlip(p=SPEC["flip_p"]),
            v2.ColorJitter(brightness=(low, high)),
            v2.RandomErasing(p=1, scale=(area, area), ratio=(1, 1), value=0),
        ]
    )


def kornia_pipeline() -> torch.nn.Sequential:
    shift, area = SPEC["max_shift"] / SIZE, (SPEC["cutout"] / SIZE) ** 2
    low, high = SPEC["brightness"]
    return torch.nn.Sequential(
        K.RandomAffine(degrees=0, translate=(shift, shift), padding_mode="zeros", p=1),
        K.RandomHorizontalFlip(p=SPEC["flip_p"]),
        K.ColorJitter(brightness=(low, high), p=1),
        K.RandomErasing(scale=(area, area), ratio=(1, 1), value=0, p=1),
    )


def genaug_pipeline() -> Callable[..., torch.Tensor]:
    low, high = SPEC["brightness"]
    flip_and_brighten = Compose([RandomHorizontalFlip(SPEC["flip_p"]), RandomBrightness(low, high)])
    shift_and_cut = DiffAugment(
        "translation,cutout",
        translation_ratio=SPEC["max_shift"] / SIZE,
        cutout_ratio=SPEC["cutout"] / SIZE,
    )

    def augment(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return shift_and_cut(flip_and_brighten(images, generator=generator), generator=generator)

    return augment


def runners(seed: int = 0) -> dict[str, tuple[str, Callable]]:
    """Name -> (input kind, function from one batch of native inputs to one output tensor)."""
    albumentations, imgaug = albumentations_pipeline(seed), imgaug_pipeline(seed)
    augmentor, torchvision_, kornia_ = (
        augmentor_pipeline(),
        torchvision_pipeline(),
        kornia_pipeline(),
    )
    genaug_ = genaug_pipeline()
    generator = torch.Generator().manual_seed(seed)
    return {
        "Albumentations": (
            "numpy",
            lambda batch: torch.from_numpy(
                np.stack([albumentations(image=a)["image"] for a in batch])
            ),
        ),
        "Augmentor": (
            "pil",
            lambda batch: torch.from_numpy(np.stack([np.asarray(augmentor(a)) for a in batch])),
        ),
        "imgaug": (
            "numpy",
            lambda batch: torch.from_numpy(np.stack([imgaug(image=a) for a in batch])),
        ),
        "torchvision v2 (per image)": (
            "tensor",
            lambda batch: torch.stack([torchvision_(x) for x in batch]),
        ),
        "torchvision v2 (whole batch)": ("tensor", torchvision_),
        "Kornia": ("tensor", kornia_),
        "genaug": ("tensor", lambda batch: genaug_(batch, generator=generator)),
    }


def native_batches(images_u8: torch.Tensor, batch_size: int) -> dict[str, list]:
    """(N, 3, H, W) uint8 -> batches in each kind of native input."""
    floats = images_u8.float() / 255  # (N, 3, H, W) in [0, 1]
    arrays = [np.ascontiguousarray(x.permute(1, 2, 0).numpy()) for x in images_u8]  # (H, W, 3)
    n = len(images_u8)
    return {
        "numpy": [arrays[i : i + batch_size] for i in range(0, n, batch_size)],
        "pil": [
            [Image.fromarray(a) for a in arrays[i : i + batch_size]]
            for i in range(0, n, batch_size)
        ],
        "tensor": [floats[i : i + batch_size] for i in range(0, n, batch_size)],
    }


def test_images(num_images: int) -> torch.Tensor:
    """The course's 12 photos at 64x64, tiled to ``num_images``: (N, 3, 64, 64) uint8."""
    base = torch.stack(list(photos(size=SIZE).values()))  # (12, 3, 64, 64) in [0, 1]
    base = (base * 255).round().to(torch.uint8)
    return base.repeat((num_images + len(base) - 1) // len(base), 1, 1, 1)[:num_images]


def set_threads(threads: int) -> None:
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def time_in_process(run: Callable, batches: list, threads: int) -> float:
    """Seconds to augment every batch once in this process with ``threads`` threads."""
    set_threads(threads)
    with torch.no_grad():
        run(batches[0])  # warm-up
        start = time.perf_counter()
        for batch in batches:
            run(batch)
        return time.perf_counter() - start


class _AugmentedBatches(Dataset):
    """Item k is batch k augmented by ``run``: each DataLoader worker augments whole batches."""

    def __init__(self, run: Callable, batches: list) -> None:
        self.run, self.batches = run, batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> torch.Tensor:
        with torch.no_grad():
            return self.run(self.batches[index])


def _one_thread_worker(_: int) -> None:
    set_threads(1)
    random.seed(torch.initial_seed() % 2**32)  # Augmentor draws from random and np.random


def time_in_workers(run: Callable, batches: list, workers: int = 2) -> float:
    """Seconds for a warm ``DataLoader(num_workers=workers)`` to deliver every batch once."""
    loader = DataLoader(
        _AugmentedBatches(run, batches),
        batch_size=None,
        num_workers=workers,
        persistent_workers=True,
        worker_init_fn=_one_thread_worker,
        multiprocessing_context="fork",
    )
    for _ in loader:  # first epoch: starts the workers
        pass
    start = time.perf_counter()
    for _ in loader:
        pass
    seconds = time.perf_counter() - start
    del loader
    return seconds


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import imgaug

    return {
        "albumentations": A.__version__,
        "Augmentor": version("Augmentor"),
        "imgaug": imgaug.__version__,
        "torchvision": torchvision.__version__,
        "kornia": kornia.__version__,
        "genaug": genaug.__version__ if hasattr(genaug, "__version__") else version("genaug"),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


def run_benchmark(num_images: int, batch_size: int, rounds: int, workers: int = 2) -> dict:
    """Time every library in every setting, interleaved over ``rounds`` rounds."""
    inputs = native_batches(test_images(num_images), batch_size)
    libraries = runners()
    settings = ["1 thread", "2 threads", f"{workers} DataLoader workers"]
    seconds = {name: {s: [] for s in settings} for name in libraries}
    load_before = os.getloadavg()
    for _ in range(rounds):
        for name, (kind, run) in libraries.items():
            seconds[name]["1 thread"].append(time_in_process(run, inputs[kind], 1))
            seconds[name]["2 threads"].append(time_in_process(run, inputs[kind], 2))
            set_threads(1)
            seconds[name][settings[2]].append(time_in_workers(run, inputs[kind], workers))
    load_after = os.getloadavg()
    rates = {
        name: {s: [num_images / t for t in times] for s, times in by_setting.items()}
        for name, by_setting in seconds.items()
    }
    ratios = {
        s: [g / a for g, a in zip(rates["genaug"][s], rates["Albumentations"][s], strict=True)]
        for s in settings
    }
    best = {name: {s: max(r) for s, r in by_setting.items()} for name, by_setting in rates.items()}
    return {
        "benchmark": "benchmarks/augment_libraries.py",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "spec": SPEC,
        "num_images": num_images,
        "batch_size": batch_size,
        "rounds": rounds,
        "settings": settings,
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "load_average_before": list(load_before),
            "load_average_after": list(load_after),
        },
        "versions": versions(),
        "seconds": seconds,
        "images_per_second": {
            name: {s: statistics.median(r) for s, r in by_setting.items()}
            for name, by_setting in rates.items()
        },
        "best_images_per_second": best,
        "genaug_over_albumentations": {
            s: {
                "median": statistics.median(r),
                "min": min(r),
                "max": max(r),
                "best": best["genaug"][s] / best["Albumentations"][s],
            }
            for s, r in ratios.items()
        },
    }


def markdown(result: dict) -> str:
    settings = result["settings"]
    machine = result["machine"]
    before, after = machine["load_average_before"], machine["load_average_after"]
    lines = [
        "# One pipeline, six augmentation libraries: throughput",
        "",
        f"Generated by `benchmarks/augment_libraries.py` on {result['date']}: "
        f"{result['num_images']} photos at {result['spec']['size']}x{result['spec']['size']} "
        f"(`genaug.data.photos`, tiled), batches of {result['batch_size']}; pipeline: integer "
        f"translation up to {result['spec']['max_shift']} px, horizontal flip p={result['spec']['flip_p']}, "
        f"brightness factor in {result['spec']['brightness']}, one {result['spec']['cutout']}x"
        f"{result['spec']['cutout']} cutout. Median of {result['rounds']} interleaved rounds.",
        "",
        f"Machine: {machine['processor']}, {machine['cpu_count']} CPU cores, load average "
        f"{before[0]:.2f} / {before[1]:.2f} / {before[2]:.2f} before and {after[0]:.2f} / "
        f"{after[1]:.2f} / {after[2]:.2f} after (1 / 5 / 15 min). Versions: "
        + ", ".join(f"{k} {v}" for k, v in result["versions"].items())
        + ".",
        "",
        "| library | " + " | ".join(f"images/s, {s}" for s in settings) + " |",
        "|---|" + "---:|" * len(settings),
    ]
    for name, by_setting in result["images_per_second"].items():
        lines.append(f"| {name} | " + " | ".join(f"{by_setting[s]:,.0f}" for s in settings) + " |")
    lines += [
        "",
        "genaug over Albumentations (ratio of images/s in the same round, median [min, max] "
        "over rounds; and the ratio of each library's best round): "
        + "; ".join(
            f"{s}: {r['median']:.1f}x [{r['min']:.1f}, {r['max']:.1f}], best {r['best']:.1f}x"
            for s, r in result["genaug_over_albumentations"].items()
        )
        + ".",
        "",
        "Albumentations, Augmentor and imgaug augment one uint8 image per call; Kornia and genaug "
        "a float32 batch per call with per-image parameters; torchvision v2 both ways (its "
        "whole-batch row draws one set of parameters for the batch, a different augmentation). "
        "Absolute rates vary between runs (the load, the machine, the image count); the rounds "
        "are interleaved so that the ratios compare libraries under the same conditions.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-images", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks/results/augment_libraries"
    )
    args = parser.parse_args()
    result = run_benchmark(args.num_images, args.batch_size, args.rounds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    args.output.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
