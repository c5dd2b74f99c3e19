"""Repository hygiene: notebooks, table of contents, environments, README example."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(
    path for path in (ROOT / "lessons").rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)


def _toc_files() -> list[str]:
    """Every `file:` / `root:` entry of _toc.yml, without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [str(Path(entry).with_suffix("")) if Path(entry).suffix else entry for entry in found]


def test_there_are_lessons():
    assert LESSONS, "no notebooks under lessons/"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} has stored outputs"
            assert cell.get("execution_count") is None, f"{path.name} has execution counts"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_kernel_and_name(path):
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    relative = path.relative_to(ROOT / "lessons")
    assert re.fullmatch(r"ch0\d_[a-z]+/\d\d_[a-z0-9_]+\.ipynb", str(relative)), relative
    assert (ROOT / "book" / f"{relative.parts[0]}.md").exists(), "chapter has no landing page"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_a_check_section_with_asserts(path):
    cells = json.loads(path.read_text())["cells"]
    headings = [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
        and re.search(r"^## Check\b", "".join(cell["source"]), re.M)
    ]
    assert headings, f"{path.name} has no '## Check' section"
    following = cells[headings[0] + 1 :]
    code = [c for c in following if c["cell_type"] == "code"]
    assert code and re.search(r"^\s*assert\b", "".join(code[0]["source"]), re.M), (
        f"the first code cell after '## Check' in {path.name} asserts nothing"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_listed_on_its_landing_page(path):
    chapter = path.parent.name
    landing = (ROOT / "book" / f"{chapter}.md").read_text()
    assert path.stem in landing, f"book/{chapter}.md does not mention {path.stem}"


def test_toc_and_lessons_agree():
    entries = _toc_files()
    lesson_entries = {entry for entry in entries if entry.startswith("lessons/")}
    on_disk = {str(path.relative_to(ROOT).with_suffix("")) for path in LESSONS}
    assert lesson_entries == on_disk, (
        f"in toc but missing: {sorted(lesson_entries - on_disk)}; "
        f"on disk but not in toc: {sorted(on_disk - lesson_entries)}"
    )
    for entry in entries:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".ipynb")), entry


def test_every_chapter_has_a_landing_page_in_the_toc():
    entries = set(_toc_files())
    for number, slug in enumerate(
        [
            "background",
            "concepts",
            "methods",
            "math",
            "practice",
            "applications",
            "tools",
            "trends",
            "faq",
        ],
        start=1,
    ):
        assert f"book/ch{number:02d}_{slug}" in entries


def _pip_requirements_of_environment() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: list"
    return {req.replace(" ", "") for req in pip_lists[0] if not req.startswith("-e")}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"])
    for extra in ("dev", "book", "tools"):
        declared |= set(project["optional-dependencies"][extra])
    declared = {req.replace(" ", "") for req in declared}
    assert _pip_requirements_of_environment() == declared
    python = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert "python=3.11" in python


def test_readme_reuse_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- reuse-example -->\s*```python\n(.*?)```", readme, re.S)
    assert match, "README.md has no ```python block after <!-- reuse-example -->"
    code = match.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    assert "samples" in namespace
    assert namespace["samples"].shape[1:] == (1, 16, 16)


def test_licences_are_stated():
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert "Attribution 4.0 International" in (ROOT / "book" / "LICENSE").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "Apache-2.0" in readme and "CC BY 4.0" in readme


def test_every_lesson_passed_a_cpu_run_of_its_current_code():
    """Once the execution status page exists, no lesson lands with unverified cpu claims."""
    status_file = ROOT / "benchmarks" / "results" / "execution_status.json"
    if not status_file.exists():
        pytest.skip("no execution status recorded yet (make book at the cpu profile writes it)")
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from execution_status import code_hash

    status = json.loads(status_file.read_text())["lessons"]
    stale = []
    for path in LESSONS:
        lesson = str(path.relative_to(ROOT))
        entry = status.get(lesson, {}).get("cpu")
        if entry is None or entry["check"] != "passed" or entry["code_hash"] != code_hash(path):
            stale.append(lesson)
    assert not stale, (
        "these lessons changed since their last passing cpu run (or never ran at cpu); "
        f"run `GENAUG_PROFILE=cpu make book`: {stale}"
    )


def _markdown_sources() -> list[tuple[str, str]]:
    """(name, text) of every lesson's markdown cells and every book page."""
    sources = [
        (str(p.relative_to(ROOT)), p.read_text()) for p in sorted((ROOT / "book").glob("*.md"))
    ]
    for path in LESSONS:
        cells = json.loads(path.read_text())["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        sources.append((str(path.relative_to(ROOT)), text))
    return sources


CODE_DIRECTIVES = {"math", "code", "code-block", "code-cell", "literalinclude", "eval-rst"}


def _inline_math_breaks(text: str) -> list[str]:
    """Lines that start with '+', '-' or '*' inside an open inline $...$ (Markdown then makes a
    list item and the math is left as raw TeX). Code and math fences are skipped; directive
    fences whose body is Markdown (proofs, exercises, admonitions) are checked."""
    problems: list[str] = []
    fences: list[bool] = []  # one entry per open fence: True if its body is code or math
    display = open_inline = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        fence = re.match(r"(`{3,}|~{3,})\s*(\{([\w:-]+)\}|[\w+-]*)", stripped)
        if fence:
            if not fence.group(2) and fences:
                fences.pop()
            else:
                directive = fence.group(3)
                fences.append(directive in CODE_DIRECTIVES if directive else True)
            open_inline = False
            continue
        if any(fences):
            continue
        if stripped == "$$":
            display = not display
            continue
        if display or stripped.startswith("$$"):
            continue
        if not stripped:
            open_inline = False
            continue
        if open_inline and re.match(r"[-+*] ", stripped):
            problems.append(f"line {number}: {stripped[:60]}")
        dollars = len(re.findall(r"(?<![\\$])\$(?!\$)", re.sub(r"`[^`]*`", "", line)))
        open_inline ^= dollars % 2 == 1
    return problems


@pytest.mark.parametrize(
    "name, text", _markdown_sources(), ids=lambda v: v if "/" in str(v) else ""
)
def test_inline_math_is_not_broken_into_a_list(name, text):
    problems = _inline_math_breaks(text)
    assert not problems, f"{name}: inline $...$ continued on a line that starts a list: {problems}"


def test_the_inline_math_check_catches_the_known_bug():
    assert _inline_math_breaks("unroll once: $x = a\n+ b$. Next")
    assert not _inline_math_breaks("unroll once: $x = a + b$.\n- a real list item")
    assert _inline_math_breaks("```{prf:proof}\nFor one, $a\n- b$.\n```")  # inside a proof
    assert not _inline_math_breaks("```python\nx = '$a'\n- 1\n```")


def test_bibliography_parses_and_every_cited_key_exists():
    from pybtex.database import parse_file

    keys = set(parse_file(str(ROOT / "book" / "references.bib")).entries)
    cited = set()
    for _, text in _markdown_sources():
        text = re.sub(r"``.*?``", "", text)  # examples quoted as code
        for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", text):
            cited.update(key.strip() for key in group.split(","))
    missing = sorted(cited - keys)
    assert not missing, f"cited but not in book/references.bib: {missing}"
