"""The recommendation rule and the run-folder bookkeeping (no training)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.experiment import Candidate, ExperimentRecord, Lineage, RunDir, rank, recommend
from lossbalance.experiment._rundir import (
    EXPERIMENT_FILE,
    METRICS_FILE,
    clear_experiment,
    prepare_experiment_dir,
    write_json,
)
from lossbalance.spec import Tier

TIERS = [
    Tier.model_validate({"name": "best", "conditions": ["validity >= 0.95", "js < 0.3"]}),
    Tier.model_validate({"name": "acceptable", "conditions": ["validity >= 0.9"]}),
    Tier.model_validate({"name": "worst", "conditions": ["validity < 0.85"]}),
]


def cand(run: str, order: int, tier: str | None, validity: float, coherence: float) -> Candidate:
    return Candidate(run, run, order, tier, validity, coherence)


def test_tier_first_then_mean_of_the_composites() -> None:
    runs = [
        cand("baseline", 0, "worst", 0.80, 0.90),  # mean 0.85, worst tier
        cand("main", 1, "acceptable", 0.91, 0.40),  # mean 0.655
        cand("v1", 2, "acceptable", 0.92, 0.50),  # mean 0.71: best of 'acceptable'
        cand("v2", 3, None, 0.99, 0.99),  # no tier: last despite the best numbers
    ]
    assert [c.run for c in rank(runs, TIERS)] == ["v1", "main", "baseline", "v2"]
    rec = recommend(runs, TIERS)
    assert rec.best is not None and rec.best.run == "v1"
    assert "same tier as the runner-up, with the larger mean" in rec.reason
    assert "Runner-up: main" in rec.reason


def test_ties_validity_then_coherence_then_order() -> None:
    # equal means (0.8): the larger validity wins
    a = cand("a", 2, "best", 0.96, 0.64)
    b = cand("b", 1, "best", 0.98, 0.62)
    assert [c.run for c in rank([a, b], TIERS)] == ["b", "a"]
    assert "larger validity" in recommend([a, b], TIERS).reason
    # identical numbers: the earlier run wins
    c = cand("c", 3, "best", 0.98, 0.62)
    assert [x.run for x in rank([c, b], TIERS)] == ["b", "c"]
    assert "earlier in the run order" in recommend([c, b], TIERS).reason


def test_nan_counts_as_worst_and_baseline_wins_message() -> None:
    nan_run = cand("main", 1, "acceptable", 0.93, math.nan)
    base = cand("baseline", 0, "acceptable", 0.90, 0.10)
    ranking = rank([nan_run, base], TIERS)
    assert [c.run for c in ranking] == ["baseline", "main"]
    assert "keep it" in recommend([nan_run, base], TIERS).reason


def test_nothing_completed() -> None:
    rec = recommend([], TIERS)
    assert rec.best is None and rec.ranking == []
    assert "nothing to recommend" in rec.reason


def test_tier_wins_message() -> None:
    rec = recommend([cand("a", 0, "best", 0.95, 0.1), cand("b", 1, "worst", 0.5, 1.0)], TIERS)
    assert rec.best is not None and rec.best.run == "a"
    assert "the best tier reached" in rec.reason


# --------------------------------------------------------------- run folders
def _lineage(run: str, digest: str) -> Lineage:
    return Lineage(run=run, role="main", experiment="x", experiment_digest="e", spec_digest=digest)


def test_run_complete_needs_metrics_and_the_same_digest(tmp_path: Path) -> None:
    run = RunDir(tmp_path, "main")
    run.start(_lineage("main", "d1"), fresh=True)
    assert not run.is_complete("d1")  # no metrics yet
    run.file(METRICS_FILE).write_text("{}")
    assert run.is_complete("d1")
    assert not run.is_complete("d2")
    # a resume of the same spec keeps the checkpoint, drops the old metrics
    run.file("last.pt").write_bytes(b"x")
    run.start(_lineage("main", "d1"), fresh=False)
    assert run.file("last.pt").is_file() and not run.file(METRICS_FILE).exists()
    # a resume of another spec starts fresh (the checkpoint belongs to the other spec)
    run.start(_lineage("main", "d2"), fresh=False)
    assert not run.file("last.pt").exists()
    assert run.lineage is not None and run.lineage.spec_digest == "d2"


def test_other_spec_refused_unless_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rec = prepare_experiment_dir(out, "a", "digest-a", "a.yaml", force=False, resume=False)
    write_json(out / EXPERIMENT_FILE, rec)
    run = RunDir(out, "fallbacks/worst/v1")
    run.start(_lineage("fallbacks/worst/v1", "d"), fresh=True)
    (out / "notes.txt").write_text("mine")  # not the runner's: --force must keep it
    with pytest.raises(LossbalanceError) as err:
        prepare_experiment_dir(out, "b", "digest-b", "b.yaml", force=False, resume=False)
    msg = str(err.value)
    assert msg.startswith(f"{out}: already holds the results of another spec ('a'")
    assert "--force" in msg and "\n" not in msg
    # the same spec is fine, and a resume continues its record
    again = prepare_experiment_dir(out, "a", "digest-a", "a.yaml", force=False, resume=True)
    assert again.spec_digest == "digest-a"
    new = prepare_experiment_dir(out, "b", "digest-b", "b.yaml", force=True, resume=False)
    assert new == ExperimentRecord(name="b", spec_digest="digest-b", source="b.yaml")
    assert not (out / "fallbacks").exists()  # the old run folders went
    assert not (out / EXPERIMENT_FILE).exists()
    assert (out / "notes.txt").read_text() == "mine"


def test_unreadable_record_and_file_path(tmp_path: Path) -> None:
    (tmp_path / EXPERIMENT_FILE).write_text("{not json")
    with pytest.raises(LossbalanceError, match=r"unreadable experiment\.json; use --force"):
        prepare_experiment_dir(tmp_path, "a", "d", "a.yaml", force=False, resume=False)
    prepare_experiment_dir(tmp_path, "a", "d", "a.yaml", force=True, resume=False)
    assert not (tmp_path / EXPERIMENT_FILE).exists()
    file = tmp_path / "f"
    file.write_text("")
    with pytest.raises(LossbalanceError, match="is a file, not a folder"):
        prepare_experiment_dir(file, "a", "d", "a.yaml", force=False, resume=False)
    clear_experiment(tmp_path)  # nothing of the runner left: a no-op
