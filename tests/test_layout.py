"""The package's rooms (DESIGN.md, "The package"): imports point down, family files stay
free of the cache, data, training loop and recipes, and no module grows into a drawer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "genaug"

# the rank of each room: a module may import rooms of its own rank or below, never above
RANKS = {
    "config": 0,
    "cache": 0,
    "_checks": 0,
    "data": 1,
    "nn": 1,
    "train": 1,
    "gan": 2,
    "vae": 2,
    "diffusion": 2,
    "augment": 2,
    "viz": 3,
    "metrics": 3,
    "tasks": 3,
    "interop": 3,
    "recipes": 4,
}
FAMILIES = {"gan", "vae", "diffusion"}
FORBIDDEN_IN_FAMILIES = {"cache", "data", "train", "recipes"}
MAX_LINES = 420
BANNED_NAMES = {"utils.py", "helpers.py", "common.py", "misc.py"}
MODULES = sorted(path for path in SRC.rglob("*.py"))


def _room(path: Path) -> str:
    """The room of a source file: its first component under genaug/ (without .py)."""
    part = path.relative_to(SRC).parts[0]
    return part.removesuffix(".py")


def _imported_rooms(path: Path) -> set[str]:
    """Every genaug room this file imports, at module level or inside functions."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "genaug":  # from genaug import metrics, viz
                names = [f"genaug.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "genaug" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


def test_every_room_has_a_rank():
    rooms = {_room(path) for path in MODULES} - {"__init__"}
    assert rooms <= set(RANKS), f"rooms without a rank in this test: {rooms - set(RANKS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path):
    room = _room(path)
    if room == "__init__":
        return
    upward = {other for other in _imported_rooms(path) if RANKS[other] > RANKS[room]}
    assert not upward, f"{path.relative_to(SRC)} ({room}) imports rooms above it: {upward}"


@pytest.mark.parametrize(
    "path",
    [path for path in MODULES if _room(path) in FAMILIES],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_family_files_know_nothing_of_cache_data_training_or_recipes(path):
    found = _imported_rooms(path) & FORBIDDEN_IN_FAMILIES
    assert not found, f"{path.relative_to(SRC)} imports {found}; move that code to genaug.recipes"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_a_drawer(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines: split it by kind"
    assert path.name not in BANNED_NAMES, f"{path.name}: name the module after what it holds"


def test_the_scan_sees_imports_inside_functions(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from genaug.recipes import x\n    import genaug.cache\n")
    assert _imported_rooms(probe) == {"recipes", "cache"}


LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def _lesson_labels() -> set[str]:
    """Every equation label defined in a lesson (``:label: eq-...``)."""
    labels = set()
    for path in LESSONS.rglob("*.ipynb"):
        labels.update(re.findall(r":label: (eq-[a-z0-9-]+)", path.read_text()))
    return labels


def test_every_equation_label_cited_in_src_exists_in_a_lesson():
    labels = _lesson_labels()
    assert len(labels) > 20, "the lessons should define their equations with :label:"
    cited = {}
    for path in MODULES:
        for label in re.findall(r"Eq\. \((eq-[a-z0-9-]+)\)", path.read_text()):
            cited.setdefault(label, []).append(str(path.relative_to(SRC)))
    assert len(cited) >= 10, "code should cite the lessons' equation labels"
    missing = {label: files for label, files in cited.items() if label not in labels}
    assert not missing, f"labels cited in src but defined in no lesson: {missing}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_module_imports(path):
    """A module that imports a moved or deleted one fails here, not in a lesson."""
    import importlib

    parts = path.relative_to(SRC.parent).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    if name == "genaug.interop.keras":
        import os

        os.environ.setdefault("KERAS_BACKEND", "torch")  # keras reads it at its first import
        pytest.importorskip("keras")
    importlib.import_module(name)
