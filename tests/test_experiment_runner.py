"""The experiment runner end to end on a tiny cohort: stop rule, lineage, resume, --force,
baselines (trained, checkpoint, run folder), report rebuild, one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from _builders import tiny_model_doc
from lossbalance._errors import LossbalanceError
from lossbalance.cli import main
from lossbalance.data import Cohort
from lossbalance.experiment import RunResult, build_report, run_experiment
from lossbalance.spec import load_spec
from lossbalance.training import JsonlLogger, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


CODES = ["I10", "E119", "E785", "N179", "J189", "K219", "F329", "N390", "O800", "N400", "C61"]


def make_cohort(n: int = 60, seed: int = 0) -> Cohort:
    rng = np.random.default_rng(seed)
    recs = []
    for _ in range(n):
        visits = [
            [str(c) for c in rng.choice(CODES, size=int(rng.integers(2, 5)), replace=False)]
            for _ in range(int(rng.integers(1, 3)))
        ]
        recs.append(
            {"age": float(rng.uniform(18, 80)), "sex": "FM"[int(rng.integers(2))], "visits": visits}
        )
    return Cohort.from_records(recs)


def spec_doc(**changes: Any) -> dict[str, Any]:
    """A tiny experiment whose outcome is decided by ``duplicate_rate``: with duplicates
    allowed, an untrained model repeats codes (tier 'bad'); forbidding them gives exactly 0
    (tier 'good')."""
    doc: dict[str, Any] = {
        "name": "tiny",
        "data": {"source": "cohort", "path": "cohort.npz"},
        "model": tiny_model_doc(32),
        "training": {"epochs": 2, "batch_size": 16, "device": "cpu"},
        "losses": {
            "age": {"schedule": {"family": "fixed", "params": {"weight": 0.001}}},
            "sex": {"schedule": {"family": "fixed", "params": {"weight": 0.001}}},
        },
        "evaluation": {"patients": 30, "sampling": {"forbid_duplicates": False}},
        "tiers": [
            {"name": "good", "conditions": ["duplicate_rate <= 0"]},
            {"name": "bad"},
        ],
        "fallbacks": [
            {
                "tier": "bad",
                "stop": {"first_reaching": "good"},
                "variants": [
                    {"name": "heavier", "losses.age.schedule.params.weight": 0.05},
                    {"name": "no-dups", "evaluation": {"sampling": {"forbid_duplicates": True}}},
                    {"name": "never-run", "training": {"epochs": 3}},
                ],
            }
        ],
    }
    doc.update(changes)
    return doc


def write_spec(folder: Path, file: str = "spec.yaml", **changes: Any) -> Path:
    if not (folder / "cohort.npz").exists():
        make_cohort().save(folder / "cohort.npz")
    path = folder / file
    path.write_text(yaml.safe_dump(spec_doc(**changes), sort_keys=False))
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_plan_runs_until_the_stop_tier(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    result = run_experiment(spec, out, progress=False)
    assert [r.run for r in result.runs] == [
        "main",
        "fallbacks/bad/heavier",
        "fallbacks/bad/no-dups",
    ]
    tiers = {r.run: r.outcome.tier for r in result.runs}
    assert tiers == {"main": "bad", "fallbacks/bad/heavier": "bad", "fallbacks/bad/no-dups": "good"}
    main_metrics = result.run("main").metrics
    no_dups = result.run("fallbacks/bad/no-dups").metrics
    assert main_metrics is not None and no_dups is not None
    assert main_metrics.flat()["duplicate_rate"] > 0
    assert no_dups.flat()["duplicate_rate"] == 0.0

    record = read_json(out / "experiment.json")
    assert [(r["run"], r["status"]) for r in record["runs"]] == [
        ("main", "complete"),
        ("fallbacks/bad/heavier", "complete"),
        ("fallbacks/bad/no-dups", "complete"),
        ("fallbacks/bad/never-run", "skipped"),
    ]
    assert record["finished"] is True and record["plan"] == 0
    assert "no-dups reached good" in record["runs"][3]["note"]
    assert not (out / "fallbacks/bad/never-run").exists()

    # every run folder: resolved spec, log, checkpoints, metrics, lineage
    variant = out / "fallbacks/bad/no-dups"
    assert {p.name for p in variant.iterdir()} == {
        "spec.yaml",
        "lineage.json",
        "log.jsonl",
        "last.pt",
        "best.pt",
        "generated.npz",
        "outcome.json",
        "metrics.json",
    }
    lineage = read_json(variant / "lineage.json")
    assert lineage["parent"] == "main" and lineage["role"] == "variant"
    assert lineage["plan"] == {"index": 0, "tier": "bad", "stop": "good"}
    assert lineage["variant"]["field_path"] == "fallbacks[0].variants[1]"
    resolved = load_spec(variant / "spec.yaml")
    assert resolved.evaluation.sampling.forbid_duplicates is True
    assert resolved.fallbacks == []
    heavier = load_spec(out / "fallbacks/bad/heavier/spec.yaml")
    assert heavier.losses["age"].schedule.params == {"weight": 0.05}  # type: ignore[union-attr]
    assert [
        r["weights"]["age"] for r in JsonlLogger.read(out / "fallbacks/bad/heavier/log.jsonl")
    ] == [
        0.05,
        0.05,
    ]
    assert read_json(out / "main/lineage.json")["parent"] is None
    assert load_spec(out / "main/spec.yaml") == load_spec(spec)

    # the report: every run, the skipped variant, the recommendation (the only 'good' run)
    assert result.report is not None
    assert result.report.recommendation.best is not None
    assert result.report.recommendation.best.run == "fallbacks/bad/no-dups"
    md = (out / "report.md").read_text()
    assert "**no-dups** (`fallbacks/bad/no-dups`)" in md
    assert "skipped: not run: the plan stopped after no-dups reached good" in md
    assert "| good | `duplicate_rate <= 0` | **FAIL** | **FAIL** | pass |" in md
    assert md.count("data:image/png;base64,") == 2
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2

    # `lossbalance report` rebuilds both files from disk alone, identically
    (out / "report.md").unlink()
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_text() == md
    assert (out / "report.html").read_text() == html


def test_resume_after_an_interrupt_does_not_retrain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "out"

    def stop_after_main(result: RunResult) -> None:
        if result.run == "main":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, out, progress=False, on_run_end=stop_after_main)
    main_files = {n: (out / "main" / n).stat().st_mtime_ns for n in ("last.pt", "metrics.json")}
    assert not (out / "fallbacks").exists()
    assert read_json(out / "experiment.json")["finished"] is False

    fits: list[str] = []
    original = Trainer.fit

    def counting_fit(self: Trainer, until_epoch: int | None = None) -> Any:
        fits.append(str(self.out_dir))
        return original(self, until_epoch)

    monkeypatch.setattr(Trainer, "fit", counting_fit)
    result = run_experiment(spec, out, resume=True, progress=False)
    assert result.run("main").reused
    assert [Path(f).name for f in fits] == ["heavier", "no-dups"]  # main was not retrained
    assert {n: (out / "main" / n).stat().st_mtime_ns for n in main_files} == main_files
    assert read_json(out / "experiment.json")["finished"] is True

    # a resume of a finished experiment reruns nothing
    fits.clear()
    again = run_experiment(spec, out, resume=True, progress=False)
    assert fits == [] and all(r.reused for r in again.runs)
    # the tier of a reused run comes from its metrics and the spec, not from outcome.json
    (out / "main/outcome.json").unlink()
    again = run_experiment(spec, out, resume=True, progress=False)
    assert fits == [] and again.run("main").outcome.tier == "bad"
    assert [r.run for r in again.runs][1:] == ["fallbacks/bad/heavier", "fallbacks/bad/no-dups"]


def test_crash_mid_training_resumes_from_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, fallbacks=[])
    clean = run_experiment(spec, tmp_path / "clean", progress=False)

    calls = {"n": 0}
    original = Trainer._run_epoch

    def crash_in_second_epoch(self: Trainer) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(Trainer, "_run_epoch", crash_in_second_epoch)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, out, progress=False)
    assert [r["epoch"] for r in JsonlLogger.read(out / "main/log.jsonl")] == [0]
    assert not (out / "main/metrics.json").exists()
    resumed = run_experiment(spec, out, resume=True, progress=False)
    assert calls["n"] == 3  # only the second epoch ran again
    assert [r["epoch"] for r in JsonlLogger.read(out / "main/log.jsonl")] == [0, 1]
    # bit-for-bit: the same metrics as the run that was never interrupted
    assert resumed.run("main").metrics == clean.run("main").metrics


def test_baselines_checkpoint_run_dir_and_trained(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, fallbacks=[])
    first = run_experiment(spec, tmp_path / "first", progress=False)
    main_metrics = first.run("main").metrics
    assert main_metrics is not None

    # a checkpoint and a previous run folder are evaluated on the same cohort and settings:
    # the first experiment's main run scores exactly what it scored there
    for key, value in (
        ("checkpoint", str(tmp_path / "first/main/best.pt")),
        ("run_dir", str(tmp_path / "first")),
    ):
        path = write_spec(tmp_path, f"{key}.yaml", baseline={key: value, "label": "old"})
        result = run_experiment(path, tmp_path / key, progress=False)
        baseline = result.run("baseline")
        assert baseline.metrics == main_metrics
        lineage = read_json(tmp_path / key / "baseline/lineage.json")
        assert lineage["baseline"]["kind"] == key
        assert lineage["baseline"]["source"] == str(tmp_path / "first/main/best.pt")
        assert not (tmp_path / key / "baseline/spec.yaml").exists()
        assert not (tmp_path / key / "baseline/last.pt").exists()
        assert "| `baseline` | baseline | " in (tmp_path / key / "report.md").read_text()

    # baseline.train: trained like any run, with its override
    path = write_spec(
        tmp_path,
        "train.yaml",
        fallbacks=[],
        baseline={"label": "seed", "train": {"losses.sex.schedule.params.weight": 0.2}},
    )
    result = run_experiment(path, tmp_path / "trained", progress=False)
    assert [r.run for r in result.runs] == ["baseline", "main"]
    log = JsonlLogger.read(tmp_path / "trained/baseline/log.jsonl")
    assert log[-1]["weights"] == {"lm": 1.0, "age": 0.001, "sex": 0.2}
    assert load_spec(tmp_path / "trained/baseline/spec.yaml").baseline is None


def test_cli_force_missing_baseline_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    a = write_spec(tmp_path, "a.yaml", fallbacks=[], training={"epochs": 1, "device": "cpu"})
    assert main(["run", str(a), "--out", str(out), "--no-progress"]) == 0
    assert "recommendation:" in capsys.readouterr().out

    # another spec into the same folder: one line, exit 2, nothing touched
    b = write_spec(tmp_path, "b.yaml", name="other", fallbacks=[])
    before = (out / "experiment.json").read_text()
    assert main(["run", str(b), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {out}: already holds the results of another spec ('tiny'")
    assert "use --force" in err and "\n" not in err
    assert (out / "experiment.json").read_text() == before
    assert main(["run", str(b), "--out", str(out), "--no-progress", "--force"]) == 0
    assert read_json(out / "experiment.json")["name"] == "other"

    # a missing baseline checkpoint: one line naming the spec and the field, exit 2
    missing = tmp_path / "gone" / "best.pt"
    c = write_spec(tmp_path, "c.yaml", baseline={"checkpoint": str(missing)})
    capsys.readouterr()
    assert main(["run", str(c), "--out", str(tmp_path / "c-out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "c.yaml: baseline.checkpoint: checkpoint file" in err and str(missing) in err
    assert "\n" not in err
    assert not (tmp_path / "c-out").exists()

    # a run folder without checkpoints as the baseline
    empty = tmp_path / "empty"
    empty.mkdir()
    d = write_spec(tmp_path, "d.yaml", baseline={"run_dir": str(empty)})
    assert main(["run", str(d), "--out", str(tmp_path / "d-out"), "--no-progress"]) == 2
    assert "baseline.run_dir: " in capsys.readouterr().err

    # `report` on a folder that is not an experiment
    assert main(["report", str(empty)]) == 2
    assert "not an experiment folder" in capsys.readouterr().err


def test_failed_variant_is_recorded_and_the_plan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(
        tmp_path,
        fallbacks=[
            {
                "tier": "bad",
                "variants": [
                    {"name": "explodes", "training": {"lr": 0.9}},
                    {"name": "fine", "training": {"lr": 0.002}},
                ],
            }
        ],
    )
    original = Trainer._step

    def nan_when_lr_is_huge(self: Trainer, batch: dict[str, torch.Tensor]) -> None:
        if self.config.lr == 0.9:
            raise LossbalanceError("loss term 'lm' is nan at step 1 (epoch 0)")
        original(self, batch)

    monkeypatch.setattr(Trainer, "_step", nan_when_lr_is_huge)
    result = run_experiment(spec, tmp_path / "out", progress=False)
    failed = result.run("fallbacks/bad/explodes")
    assert failed.outcome.status == "failed" and failed.metrics is None
    assert "nan at step 1" in (failed.outcome.error or "")
    assert result.run("fallbacks/bad/fine").outcome.status == "complete"
    report = build_report(tmp_path / "out", write=False)
    assert [r.entry.status for r in report.runs] == ["complete", "failed", "complete"]
    assert "failed: loss term 'lm' is nan" in report.markdown()


def test_main_run_failure_is_one_line(tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path, fallbacks=[], evaluation={"patients": 5, "held_out_fraction": 0.001}
    )
    with pytest.raises(LossbalanceError) as err:
        run_experiment(spec, tmp_path / "out", progress=False)
    assert (
        "evaluation: split fraction held_out=0.001 leaves split 'held_out' empty "
        "in a cohort of 60 patients"
    ) in str(err.value)
    record = read_json(tmp_path / "out/experiment.json")
    assert record["runs"][0]["status"] == "failed"
    assert "leaves split 'held_out' empty" in read_json(tmp_path / "out/main/outcome.json")["error"]
