"""Make the book's static diagrams (SVG) with matplotlib.

Run from the repository root:

    .venv/bin/python book/figures/make_figures.py

It rewrites ``book/figures/*.svg``. The output is deterministic (fixed SVG
hash salt, no date in the metadata), so re-running it leaves git clean unless
the drawing changed. The SVGs are committed, so building the book does not run
this script. Diagrams only: figures that show data or results live in the
lessons, made by code the reader runs.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent

# Colour per family, used the same way in every diagram.
COLOURS = {
    "classical": "#dbe9f6",
    "mixing": "#e3f1dc",
    "learned": "#fbe8c8",
    "gan": "#f8d7da",
    "vae": "#e6dcf2",
    "diffusion": "#d5f0ee",
    "neutral": "#f2f2f2",
}
EDGE = "#444444"


def _setup() -> None:
    plt.rcParams.update(
        {
            "svg.hashsalt": "genaug-book",
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "font.size": 10,
        }
    )


def _box(ax, x, y, w, h, text, colour, *, size=10, weight="normal"):
    """Draw a rounded box with centred text; (x, y) is the lower-left corner."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=colour,
            edgecolor=EDGE,
            linewidth=1.0,
        )
    )
    ax.text(
        x + w / 2,
        y + h / 2,
        text,
        ha="center",
        va="center",
        fontsize=size,
        fontweight=weight,
        linespacing=1.3,
    )


def _arrow(ax, start, end, *, text=None, offset=(0.0, 0.12), style="-|>"):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            color=EDGE,
            linewidth=1.1,
            shrinkA=2,
            shrinkB=2,
        )
    )
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="bottom", fontsize=8.5, style="italic")


def _save(fig, name: str) -> Path:
    path = HERE / name
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


def taxonomy() -> Path:
    """Families of data augmentation, from hand-designed transforms to generative models."""
    fig, ax = plt.subplots(figsize=(10, 4.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.6)
    ax.axis("off")

    _box(ax, 3.6, 3.75, 2.8, 0.65, "Data augmentation", COLOURS["neutral"], size=12, weight="bold")

    columns = [
        (
            "Hand-designed\ntransforms",
            "classical",
            "flip, crop, rotate\ncolour jitter, blur, noise\nerasing / cutout",
        ),
        ("Sample\nmixing", "mixing", "mixup\nCutMix\ncopy-paste"),
        ("Learned\npolicies", "learned", "AutoAugment\nRandAugment\nTrivialAugment"),
        ("Generative\nmodels", "neutral", ""),
    ]
    xs = [0.1, 2.55, 5.0, 7.45]
    width = 2.35
    for x, (title, key, body) in zip(xs, columns, strict=True):
        _box(ax, x, 2.55, width, 0.75, title, COLOURS[key], size=10, weight="bold")
        _arrow(ax, (5.0, 3.75), (x + width / 2, 3.3))
        if body:
            _box(ax, x, 0.9, width, 1.35, body, "white", size=9)

    # The generative column splits into the three families the course teaches.
    families = [("GAN", "gan"), ("VAE", "vae"), ("Diffusion", "diffusion")]
    fw = 0.72
    for i, (name, key) in enumerate(families):
        fx = 7.45 + i * (fw + 0.095)
        _box(ax, fx, 1.55, fw, 0.6, name, COLOURS[key], size=8, weight="bold")
        _arrow(ax, (7.45 + width / 2, 2.55), (fx + fw / 2, 2.15))
    _box(ax, 7.45, 0.9, width, 0.5, "new samples, edits,\ntranslations", "white", size=8.5)

    ax.annotate(
        "",
        xy=(9.85, 0.5),
        xytext=(0.1, 0.5),
        arrowprops=dict(arrowstyle="-|>", color="#888888", linewidth=1.2),
    )
    ax.text(
        0.1,
        0.18,
        "fixed, cheap, label-preserving by design",
        fontsize=8.5,
        color="#555555",
        ha="left",
    )
    ax.text(
        9.85,
        0.18,
        "learned, costly, can add genuinely new variation",
        fontsize=8.5,
        color="#555555",
        ha="right",
    )
    return _save(fig, "augmentation_taxonomy.svg")


def two_directions() -> Path:
    """Augmentation *for* generative models and augmentation *with* generative models."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.6)
    ax.axis("off")

    # Top row: augmenting the data a generative model is trained on.
    ax.text(
        0.05,
        3.35,
        "A. Augmentation for generative models (Ch. 2, 3)",
        fontsize=10,
        fontweight="bold",
        ha="left",
    )
    _box(ax, 0.1, 2.05, 1.8, 0.85, "few real\nimages", COLOURS["neutral"])
    _box(ax, 2.6, 2.05, 2.2, 0.85, "differentiable\naugmentation T", COLOURS["classical"])
    _box(ax, 5.5, 2.05, 1.8, 0.85, "discriminator on\nT(x) and T(G(z))", COLOURS["gan"])
    _box(ax, 8.0, 2.05, 1.9, 0.85, "generator G\nthat does not\nleak T", COLOURS["gan"], size=9)
    _arrow(ax, (1.9, 2.47), (2.6, 2.47))
    _arrow(ax, (4.8, 2.47), (5.5, 2.47))
    _arrow(ax, (7.3, 2.47), (8.0, 2.47), text="gradients")

    # Bottom row: using a trained generative model as an augmenter.
    ax.text(
        0.05,
        1.55,
        "B. Generative models as augmenters (Ch. 3, 5, 6)",
        fontsize=10,
        fontweight="bold",
        ha="left",
    )
    _box(ax, 0.1, 0.2, 1.8, 0.9, "training\nset", COLOURS["neutral"])
    _box(ax, 2.6, 0.2, 2.2, 0.9, "GAN / VAE /\ndiffusion model", COLOURS["diffusion"])
    _box(ax, 5.5, 0.2, 1.8, 0.9, "synthetic or\nedited samples", COLOURS["vae"])
    _box(ax, 8.0, 0.2, 1.9, 0.9, "downstream model\n(real + synthetic)", COLOURS["learned"], size=9)
    _arrow(ax, (1.9, 0.65), (2.6, 0.65), text="fit")
    _arrow(ax, (4.8, 0.65), (5.5, 0.65), text="sample")
    _arrow(ax, (7.3, 0.65), (8.0, 0.65), text="filter, mix")
    return _save(fig, "two_directions.svg")


def main() -> None:
    _setup()
    for make in (taxonomy, two_directions):
        path = make()
        print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
