"""The package as an engineer installs it: a wheel that holds every room and the data assets,
installed apart from the repository, runs the README's reuse example with the core
dependencies alone (none of the dev, book or tools extras importable)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# top-level modules of the extras: the example must run with all of them hidden
EXTRA_MODULES = [
    "pytest", "xdist", "nbval", "ruff", "jupyterlab", "ipykernel", "yaml", "ipywidgets",
    "jupyter_book", "sphinx", "sphinx_proof", "sphinx_exercise", "myst_nb", "albumentations",
    "Augmentor", "imgaug", "keras", "kornia", "tensorflow",
]  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy, so that setuptools' build/ and egg-info never land in the repository
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(source)],
        check=True, env={**os.environ, "PIP_NO_INDEX": "1"},
    )  # fmt: skip
    (path,) = out.glob("genaug-*.whl")
    return path


def test_wheel_holds_every_room_and_the_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {str(p.relative_to(ROOT / "src")) for p in (ROOT / "src" / "genaug").rglob("*.py")}
    assert packages <= names, f"missing from the wheel: {sorted(packages - names)[:5]}"
    assets = {
        str(p.relative_to(ROOT / "src"))
        for p in (ROOT / "src" / "genaug" / "data" / "assets").iterdir()
        if p.is_file()
    }
    assert assets and assets <= names
    assert not any(name.startswith(("tests/", "lessons/", "benchmarks/")) for name in names)


def test_wheel_requires_only_the_core_dependencies(wheel):
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    )
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata.decode(), re.M)
    core = [r for r in requires if "extra ==" not in r]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def normal(requirements):
        return sorted((r.name.lower(), str(r.specifier)) for r in map(Requirement, requirements))

    assert normal(core) == normal(project["dependencies"])


def test_readme_example_runs_from_the_installed_wheel(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"<!-- reuse-example -->\s*```python\n(.*?)```", readme, re.S).group(1)
    check = "\nimport genaug\nassert genaug.__file__.startswith(" + repr(str(target)) + ")\n"
    # the venv's site-packages without the extras' top-level modules (symlinks to the rest);
    # the repository's editable genaug (a .pth file) is not on the path, nor are the extras
    core = tmp_path / "core"
    core.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        top = entry.name.split("-")[0].removesuffix(".py")
        if top not in EXTRA_MODULES and not entry.name.endswith(".pth") and top != "genaug":
            (core / entry.name).symlink_to(entry)
    bootstrap = f"import sys; sys.path[:0] = [{str(target)!r}, {str(core)!r}]\n"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GENAUG_CACHE": str(tmp_path / "cache"),
        "GENAUG_PROFILE": "smoke",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    probe = (
        "\nimport importlib.util\nprint([m for m in "
        + repr(EXTRA_MODULES)
        + " if importlib.util.find_spec(m)])\n"
    )
    # -I: no PYTHONPATH, user site or current folder; -S: no site-packages at all
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", bootstrap + example + check + probe],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "[]", f"extras importable in the core-only environment: {lines[-1]}"
    assert float(lines[-2]) >= 0  # the Frechet distance the example prints
