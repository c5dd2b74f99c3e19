"""benchmarks/scoreboard.py at the smoke profile: every kind of cell is produced, stored,
resumed without recomputation, and summarised with paired gains."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import scoreboard  # noqa: E402


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    out = tmp_path_factory.mktemp("board")
    args = argparse.Namespace(profile="smoke", out=out, minutes=None, report_only=False)
    scoreboard.run(args)
    scoreboard.report(out)
    return out


def test_every_kind_of_cell_is_stored(board):
    data = json.loads((board / "scoreboard.json").read_text())
    methods = {(c["regime"], c["method"], c["filter"]) for c in data["cells"]}
    for name in scoreboard.BASELINES:
        assert ("baseline", name, False) in methods
    for name in scoreboard.CLOSED:
        assert {("closed", name, False), ("closed", name, True)} <= methods
    for name in ("open-sdedit", "open-cg", "open-vae"):
        assert {("open", name, False), ("open", name, True)} <= methods
    assert ("open", "pseudo-label", False) in methods
    assert all(0 <= c["accuracy"] <= 1 and len(c["per_class"]) == 10 for c in data["cells"])
    assert all(c["kept"] is not None for c in data["cells"] if c["filter"])
    generators = {(g["regime"], g["generator"]) for g in data["generators"]}
    assert {("closed", name) for name in scoreboard.CLOSED} <= generators
    assert all(0 <= g["cas"] <= 1 and g["fd"] >= 0 for g in data["generators"])


def test_a_second_run_resumes_without_recomputing(board):
    before = json.loads((board / "scoreboard.json").read_text())
    args = argparse.Namespace(profile="smoke", out=board, minutes=None, report_only=False)
    scoreboard.run(args)
    after = json.loads((board / "scoreboard.json").read_text())
    assert after["cells"] == before["cells"]
    assert after["generators"] == before["generators"]


def test_summary_pairs_each_cell_with_its_own_baseline(board):
    data = json.loads((board / "scoreboard.json").read_text())
    rows = scoreboard.summarise(data)
    none = {
        (str(c["labels"]), c["seed"]): c["accuracy"] for c in data["cells"] if c["method"] == "none"
    }
    for row in rows:
        members = [
            c for c in data["cells"]
            if (c["regime"], str(c["labels"]), c["method"], c["filter"])
            == (row["regime"], row["labels"], row["method"], row["filter"])
        ]  # fmt: skip
        expected = sum(c["accuracy"] - none[(str(c["labels"]), c["seed"])] for c in members)
        assert row["gain"] == pytest.approx(expected / len(members))
    assert (board / "scoreboard.md").read_text().count("\n|") > len(rows)
    assert (board / "scoreboard.png").stat().st_size > 10_000


def test_the_summary_is_stored_in_the_json(board):
    data = json.loads((board / "scoreboard.json").read_text())
    # compared as JSON text: a one-seed interval is NaN, and NaN != NaN
    assert json.dumps(data["summary"]) == json.dumps(scoreboard.summarise(data))


def test_closed_generators_trains_only_what_is_asked():
    from genaug.data import digits
    from genaug.tasks.classification import labelled_split

    labelled, _ = labelled_split(digits("train"), 2, seed=0)
    chosen = scoreboard.closed_generators(labelled, 0, scoreboard.PROFILES["smoke"], ("cvae",))
    assert list(chosen) == ["cvae"]


def test_parallel_boards_merge_into_one(board, tmp_path):
    data = json.loads((board / "scoreboard.json").read_text())
    half = len(data["cells"]) // 2
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({**data, "cells": data["cells"][:half], "seconds": 1.0}))
    second.write_text(json.dumps({**data, "cells": data["cells"][half - 1 :], "seconds": 2.0}))
    out = tmp_path / "merged"
    out.mkdir()
    scoreboard.merge(out, [first, second])
    merged = json.loads((out / "scoreboard.json").read_text())
    assert merged["cells"] == data["cells"]  # the overlapping cell is kept once
    assert merged["seconds"] == 3.0
