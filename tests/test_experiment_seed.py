"""The CI-sized seed scenario end to end through the CLI: forced worst case, fallback plan,
run folders, lineage, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lossbalance.cli import main
from lossbalance.spec import load_spec
from lossbalance.training import JsonlLogger

STUDIES = Path(__file__).resolve().parents[1] / "studies"
RUNS = ["baseline", "main", "fallbacks/worst/fixed-0.005-0.005", "fallbacks/worst/validity-first"]
LABELS = ["fixed-0.01-0.2", "main", "fixed-0.005-0.005", "validity-first"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.mark.slow
def test_seed_scenario_forced_worst_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = STUDIES / "seed_aux_weights_ci_worst.yaml"
    out = tmp_path / "tmp"
    assert main(["run", str(spec_file), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "tier worst triggers fallbacks[0]: 2 variants" in printed
    assert "recommendation:" in printed

    # every run: its folder, resolved spec, log, checkpoints, metrics, lineage
    record = read_json(out / "experiment.json")
    assert [(r["run"], r["label"], r["status"]) for r in record["runs"]] == [
        (run, label, "complete") for run, label in zip(RUNS, LABELS, strict=True)
    ]
    assert record["plan"] == 0 and record["finished"] is True
    for run in RUNS:
        folder = out / run
        for name in ("spec.yaml", "lineage.json", "log.jsonl", "last.pt", "metrics.json"):
            assert (folder / name).is_file(), f"{run}/{name}"
        assert read_json(folder / "outcome.json")["tier"] == "worst"  # forced: validity <= 1

    # lineage
    baseline = read_json(out / "baseline/lineage.json")
    assert baseline["baseline"] == {"kind": "train", "label": "fixed-0.01-0.2", "source": None}
    assert read_json(out / "main/lineage.json")["parent"] is None
    curriculum = read_json(out / "fallbacks/worst/validity-first/lineage.json")
    assert curriculum["parent"] == "main"
    assert curriculum["plan"] == {"index": 0, "tier": "worst", "stop": "acceptable"}
    assert curriculum["variant"]["field_path"] == "fallbacks[0].variants[1]"

    # each run trained with its own weights
    def weights(run: str) -> list[tuple[float, float]]:
        log = JsonlLogger.read(out / run / "log.jsonl")
        return [(r["weights"]["age"], r["weights"]["sex"]) for r in log]

    assert weights("baseline") == [(0.01, 0.2), (0.01, 0.2)]
    assert weights("main") == [(0.001, 0.001), (0.001, 0.001)]
    assert weights(RUNS[2]) == [(0.005, 0.005), (0.005, 0.005)]
    # the curriculum evaluates every epoch; epoch 0 always trains in its first phase (the
    # switch needs two evaluations), with the seed's weights
    log = JsonlLogger.read(out / RUNS[3] / "log.jsonl")
    assert (log[0]["weights"]["age"], log[0]["weights"]["sex"]) == (0.01, 0.2)
    assert all("validity" in r["metrics"] for r in log)
    variant_spec = load_spec(out / RUNS[3] / "spec.yaml")
    assert variant_spec.fallbacks == [] and "sex" not in variant_spec.losses

    # the report: every run on every metric, the floor, pass/fail, tiers, curves
    md = (out / "report.md").read_text()
    assert md.startswith("# Experiment report: seed-aux-weights-ci-worst")
    header = next(line for line in md.splitlines() if line.startswith("| metric |"))
    assert header == (
        "| metric |  | fixed-0.01-0.2 | main | fixed-0.005-0.005 | validity-first "
        "| floor (S vs held_out) | tier conditions |"
    )
    assert "| **tier** | | **worst** | **worst** | **worst** | **worst** |" in md
    assert "| best | `coverage >= 1000` | **FAIL** | **FAIL** | **FAIL** | **FAIL** |" in md
    assert "| worst | `validity <= 1` | pass | pass | pass | pass |" in md
    assert "best: >= 0.95; acceptable: >= 0.9; worst: <= 1" in md
    assert md.count("data:image/png;base64,") == 2

    # the recommendation: every run reached 'worst', so the largest mean of validity and
    # coherence wins (ties: validity, coherence, run order)
    scores = []
    for order, run in enumerate(RUNS):
        g = read_json(out / run / "metrics.json")["values"]
        v, c = g["validity"], g["coherence"]
        scores.append(((v + c) / 2, v, c, -order, LABELS[order], run))
    best = max(scores)
    assert f"**{best[4]}** (`{best[5]}`)" in md
    assert (out / "report.html").read_text().count('src="data:image/png;base64,') == 2
