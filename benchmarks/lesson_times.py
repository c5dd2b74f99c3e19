"""Run every lesson at a chosen profile and write a table of wall times.

Usage:
    python benchmarks/lesson_times.py --profile cpu            # all lessons, cold cache
    python benchmarks/lesson_times.py --profile smoke --match dcgan
    python benchmarks/lesson_times.py --profile cpu --warm     # reuse GENAUG_CACHE

Each lesson runs alone in a fresh kernel, as a reader would run it. By default
each gets its own empty checkpoint cache, so the time includes training
(the "cold" time a reader sees the first time); ``--warm`` uses the existing
cache instead. Results go to ``benchmarks/results/lesson_times_<profile>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
LIMITS = {"smoke": 45.0, "cpu": 240.0, "gpu": None}  # DESIGN.md's budget per lesson, seconds


def run_lesson(path: Path, *, timeout: int) -> tuple[float, str]:
    """Execute one notebook in a fresh kernel.

    Args:
        path: the notebook.
        timeout: per-cell timeout in seconds.

    Returns:
        (wall seconds, "ok" or the error's first line).
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as error:
        status = "error: " + str(error).strip().splitlines()[-1][:120]
    return time.perf_counter() - start, status


def main() -> None:
    """Parse arguments, run the lessons, write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["smoke", "cpu", "gpu"], default="cpu")
    parser.add_argument("--match", default="", help="only lessons whose path contains this")
    parser.add_argument("--warm", action="store_true", help="reuse GENAUG_CACHE")
    parser.add_argument("--timeout", type=int, default=1200)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    lessons = sorted(
        p
        for p in (ROOT / "lessons").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and args.match in str(p)
    )
    if not lessons:
        raise SystemExit(f"no lessons match {args.match!r}")
    os.environ["GENAUG_PROFILE"] = args.profile
    os.environ.setdefault("MPLBACKEND", "Agg")
    rows = []
    for path in lessons:
        with tempfile.TemporaryDirectory() as cache:
            if not args.warm:
                os.environ["GENAUG_CACHE"] = cache
            seconds, status = run_lesson(path, timeout=args.timeout)
        name = str(path.relative_to(ROOT))
        rows.append({"lesson": name, "seconds": round(seconds, 1), "status": status})
        print(f"{name:<60} {seconds:7.1f} s  {status}", flush=True)

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    limit = LIMITS[args.profile]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", {torch.cuda.get_device_name(0)}"
    lines = [
        f"Lesson wall times at the `{args.profile}` profile ({'warm' if args.warm else 'cold'} "
        f"cache), {time.strftime('%Y-%m-%d')}, {machine}; load average at the end {load} "
        "(above the core count means other jobs shared the machine and times are inflated).",
        "",
        "| lesson | seconds | within budget | status |",
        "|---|---:|:---:|---|",
    ]
    for row in rows:
        within = "n/a" if limit is None else ("yes" if row["seconds"] <= limit else "NO")
        lines.append(f"| {row['lesson']} | {row['seconds']} | {within} | {row['status']} |")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"lesson_times_{args.profile}"
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    stem.with_suffix(".json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    print(f"wrote {stem}.md")
    if any(row["status"] != "ok" for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
