"""Studies across machines: what a trial records in the storage, and workers that share
nothing but the database (issue 18 item 2)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from _builders import tiny_model_doc
from lossbalance.cli import main
from lossbalance.spec import load_spec
from lossbalance.study import (
    METRICS_ATTR,
    WORKER_ATTR,
    Problem,
    StudyConfig,
    create_or_load_study,
    load_study_spec,
    open_storage,
    parse_objectives,
    register_problem,
    run_worker,
    trial_counts,
)
from lossbalance.study._experiment_trial import (
    LOG_TAIL_ATTR,
    MAX_ATTR_BYTES,
    MAX_WEIGHT_POINTS,
    RUN_DIR_ATTR,
    SPEC_ATTR,
    WEIGHTS_ATTR,
    compact,
    json_size,
    log_tail,
    stored_trajectory,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------ compact attributes
def test_compact_rounds_to_six_digits_and_drops_non_finite() -> None:
    value = {"a": [0.006902710594748115, math.nan, 1.0, 3], "b": {"c": math.inf, "d": "x"}}
    assert compact(value) == {"a": [0.00690271, None, 1.0, 3], "b": {"c": None, "d": "x"}}


def test_weight_trajectory_fits_a_mysql_text_column() -> None:
    """The largest trajectory a trial records (every point, ten terms) stays below the
    limit; a tighter limit thins it, keeping the first and the last point."""
    n = MAX_WEIGHT_POINTS
    traj = {
        "step": list(range(1, n + 1)),
        "epoch": [s / 7 for s in range(1, n + 1)],
        "weights": {f"term{j}": [1 / (s + j + 0.123456789) for s in range(n)] for j in range(10)},
    }
    assert json_size(traj) > MAX_ATTR_BYTES // 2  # full precision: about 45 KB
    stored = stored_trajectory(traj)
    assert json_size(stored) < MAX_ATTR_BYTES and len(stored["step"]) == n
    thin = stored_trajectory(traj, max_bytes=5_000)
    assert json_size(thin) <= 5_000
    assert thin["step"][0] == 1 and thin["step"][-1] == n
    assert all(len(v) == len(thin["step"]) for v in thin["weights"].values())


def test_log_tail_keeps_the_last_lines_within_its_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    assert log_tail(log) == []  # no log yet (a trial that failed before training)
    lines = [json.dumps({"epoch": e, "train": {"lm": 1 / (e + 3)}}) for e in range(8)]
    log.write_text("\n".join(lines) + '\n{"epoch": 8, "tr')  # last line cut short
    tail = log_tail(log)
    assert [r["epoch"] for r in tail] == [4, 5, 6, 7]  # 5 lines read, the cut one skipped
    assert tail[-1]["train"]["lm"] == 0.1
    assert [r["epoch"] for r in log_tail(log, max_bytes=80)] == [6, 7]


# --------------------------------------------------------- workers sharing only the DB
def _study_file(folder: Path, trials: int) -> Path:
    doc: dict[str, Any] = {
        "name": "machines",
        "base": {
            "name": "machines",
            "data": {"source": "simulator", "patients": 120, "seed": 0},
            "model": tiny_model_doc(96),
            "training": {"epochs": 2, "batch_size": 32, "eval_every": 1, "eval_patients": 20},
            "losses": {"age": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}}},
            "evaluation": {"patients": 40},
            "tiers": [{"name": "ok", "conditions": ["validity >= 0.5"]}],
        },
        "objectives": ["validity", "coherence"],
        "budget": {"trials": trials, "wall_time_s": None},
        "sampler": {"name": "random", "seed": 5},
        "pruner": {"enabled": False},
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_worker_writes_its_run_folders_where_it_is_told(tmp_path: Path) -> None:
    """``run_worker(runs_dir=...)`` replaces the folder stored by the study's creator."""
    config = load_study_spec(_study_file(tmp_path, 1)).to_config(tmp_path / "creator")
    storage = optuna.storages.InMemoryStorage()
    create_or_load_study(storage, "mine", config)
    run_worker(storage, "mine", runs_dir=tmp_path / "mine")
    (trial,) = optuna.load_study(study_name="mine", storage=storage).get_trials()
    assert trial.state == TrialState.COMPLETE
    assert Path(trial.user_attrs[RUN_DIR_ATTR]) == tmp_path / "mine" / "trial-0000"
    assert (tmp_path / "mine" / "trial-0000" / "metrics.json").is_file()
    assert not (tmp_path / "creator").exists()
    assert [r["epoch"] for r in trial.user_attrs[LOG_TAIL_ATTR]] == [0, 1]


@pytest.mark.postgres
@pytest.mark.slow
def test_workers_that_share_only_the_database(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two ``study worker`` processes, each in its own folder and working directory, on
    one PostgreSQL study; the study's creator and both workers' folders are deleted;
    from a third folder ``pareto``, ``pick``, ``plot`` and ``export`` work and the
    exported spec reruns."""
    name = f"lb-machines-{uuid.uuid4().hex[:10]}"
    budget = 4
    origin = tmp_path / "origin"  # the machine the study was created on
    origin.mkdir()
    config = load_study_spec(_study_file(origin, budget)).to_config(origin / "runs")
    storage = open_storage(postgres_url)
    create_or_load_study(storage, name, config)
    shutil.rmtree(origin)
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    procs: list[subprocess.Popen[str]] = []
    try:
        for i, folder in enumerate(machines):
            folder.mkdir()
            cmd = [sys.executable, "-m", "lossbalance", "study", "worker"]
            cmd += ["--storage", postgres_url, "--study", name, "--index", str(i)]
            procs.append(
                subprocess.Popen(
                    cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
            )
        outs = []
        for p in procs:
            out, _ = p.communicate(timeout=300)
            assert p.returncode == 0, out
            outs.append(out)
        study = optuna.load_study(study_name=name, storage=storage)
        counts = trial_counts(study)
        assert counts.complete == budget and counts.failed == 0
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        pids = {t.user_attrs[WORKER_ATTR].rpartition(":")[2] for t in complete}
        assert pids == {str(p.pid) for p in procs}, "both workers ran trials"
        home = {str(p.pid): folder for p, folder in zip(procs, machines, strict=True)}
        for t in complete:  # each run folder is in its worker's own working directory
            run_dir = Path(t.user_attrs[RUN_DIR_ATTR])
            folder = home[t.user_attrs[WORKER_ATTR].rpartition(":")[2]]
            assert run_dir == folder / "lossbalance-study" / name / "runs" / f"trial-{t.number:04d}"
            assert (run_dir / "metrics.json").is_file()
            assert t.user_attrs[SPEC_ATTR]["name"] == "machines"
            assert [r["epoch"] for r in t.user_attrs[LOG_TAIL_ATTR]] == [0, 1]
            assert len(t.user_attrs[WEIGHTS_ATTR]["step"]) > 0
            assert all(json_size(v) < MAX_ATTR_BYTES for v in t.user_attrs.values())
        for out in outs:
            assert f"run folders in {Path('lossbalance-study') / name / 'runs'}" in out, out
        assert not origin.exists()
        for folder in machines:  # nothing of the workers' machines is left
            shutil.rmtree(folder)

        reader = tmp_path / "reader"
        reader.mkdir()
        monkeypatch.chdir(reader)
        where = ["--storage", postgres_url, "--study", name]
        assert main(["study", "pareto", *where, "--json", "pareto.json"]) == 0
        rows = json.loads((reader / "pareto.json").read_text())
        assert rows and all(r["state"] == "COMPLETE" for r in rows)
        assert main(["study", "pick", *where, "--maximize", "validity", "--json", "p.json"]) == 0
        out = capsys.readouterr().out
        assert "last logged epoch (from the storage): epoch 2; train " in out
        picked = json.loads((reader / "p.json").read_text())
        assert {"spec", "log_tail", "weights", "tier", "metrics", "params"} <= set(picked)
        best = max(complete, key=lambda t: (t.user_attrs[METRICS_ATTR]["validity"], -t.number))
        assert picked["trial"] == best.number
        assert main(["study", "plot", *where, "--out", "plots"]) == 0
        for png in ("pareto_front.png", "hypervolume.png", "weights_pareto.png"):
            assert (reader / "plots" / png).stat().st_size > 0, png
        number = best.number
        assert main(["study", "export", *where, "--trial", str(number), "--out", "t.yaml"]) == 0
        assert load_spec(reader / "t.yaml").name == f"machines-trial-{number}"
        assert main(["run", "t.yaml", "--out", "rerun", "--no-progress"]) == 0
        assert (reader / "rerun" / "report.md").is_file()
        assert sorted(os.listdir(reader)) == ["p.json", "pareto.json", "plots", "rerun", "t.yaml"]
        with capsys.disabled():  # what a reader of `pytest -s` sees
            print(f"\nshared-nothing study {name!r}:")
            for out in outs:
                print("  " + out.strip().splitlines()[-1])
            for t in sorted(complete, key=lambda t: t.number):
                sizes = ", ".join(
                    f"{k} {json_size(t.user_attrs[k])} B"
                    for k in (SPEC_ATTR, LOG_TAIL_ATTR, WEIGHTS_ATTR, METRICS_ATTR)
                )
                print(f"  trial {t.number} on {t.user_attrs[WORKER_ATTR]}: {sizes}")
            print(
                f"  after deleting both workers' folders, from {reader.name}/: pareto "
                f"({len(rows)} rows), pick (trial {picked['trial']}, log tail of "
                f"{len(picked['log_tail'])} epochs), plot, export of trial {number}, "
                "`lossbalance run t.yaml`: all exit 0"
            )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        optuna.delete_study(study_name=name, storage=storage)


# ------------------------------------------------ a trial failed under its worker
def _taken_over_problem(options: Mapping[str, Any]) -> Problem:
    """The toy space; the first trial is failed under its worker, as another worker
    does with a trial whose heartbeat came late."""
    from lossbalance.study import TOY_SPACE

    def function(params: Mapping[str, Any], report: Any) -> dict[str, float]:
        metrics = {"validity": float(params["w_age"]), "coherence": 0.5}
        if report.number == 0:
            trial = report._trial  # the test plays the other worker
            trial.storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        report(1, metrics)
        return metrics

    return Problem(space=TOY_SPACE, function=function)


def test_a_trial_failed_under_its_worker_does_not_stop_the_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_problem("taken-over", _taken_over_problem)
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=3,
        sampler="random",
        seed=0,
        pruner=None,
        problem="taken-over",
    )
    storage = optuna.storages.InMemoryStorage()
    create_or_load_study(storage, "taken", config)
    run_worker(storage, "taken")
    trials = optuna.load_study(study_name="taken", storage=storage).get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, *[TrialState.COMPLETE] * 3]
    assert "trial 0 was failed by another worker while it ran" in caplog.text
    assert "Traceback" not in caplog.text
