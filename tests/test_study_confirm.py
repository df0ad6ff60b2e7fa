"""``study confirm``: kept checkpoints, held-out intervals, idempotent reruns, another
process on PostgreSQL, bad input; pareto / pick / plot on confirmed values."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from _builders import tiny_model_doc
from lossbalance._errors import LossbalanceError
from lossbalance.cli import main
from lossbalance.study import (
    Choice,
    Problem,
    SearchSpace,
    StudyConfig,
    create_or_load_study,
    open_storage,
    parse_conditions,
    parse_objectives,
    register_problem,
    run_worker,
)
from lossbalance.study._checkpoints import ARTIFACT_ATTR, CHECKPOINT_ATTR, CheckpointPolicy
from lossbalance.study._confirm import (
    CONFIRMED_PREFIX,
    confirmed_records,
    parse_trial_selection,
    pick_confirmed,
    select_trials,
    summarize,
)
from lossbalance.study._trial_function import ReportFn

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SRC = Path(__file__).resolve().parents[1] / "src"

TINY_BASE: dict[str, Any] = {
    "name": "tiny",
    "data": {"source": "simulator", "patients": 120, "seed": 0},
    "model": tiny_model_doc(96),
    "training": {"epochs": 2, "batch_size": 32, "eval_every": 1, "eval_patients": 20},
    "losses": {"age": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}}},
    "evaluation": {"patients": 40},
    "tiers": [{"name": "ok", "conditions": ["validity >= 0.5"]}],
}


def _spec_file(folder: Path, name: str = "tiny", trials: int = 2) -> Path:
    doc = {
        "name": name,
        "base": TINY_BASE,
        "objectives": ["validity", "coherence"],
        "budget": {"trials": trials, "wall_time_s": 300},
        "sampler": {"name": "random", "seed": 1},
        "pruner": {"enabled": False},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A tiny real study of 2 trials, run once for the module: (spec file, journal)."""
    folder = tmp_path_factory.mktemp("confirm")
    spec = _spec_file(folder)
    storage = folder / "s.journal"
    args = ["study", "run", str(spec), "--storage", str(storage), "--quiet", "--no-plots"]
    assert main(args) == 0
    yield spec, storage


def _load(storage: Path | str, name: str = "tiny") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=open_storage(storage))


def test_trials_keep_checkpoints_in_the_artifact_store(tiny_study: tuple[Path, Path]) -> None:
    _spec, storage = tiny_study
    study = _load(storage)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 2
    store = storage.parent / "tiny" / "artifacts"
    for t in complete:  # pareto + last 3: both kept
        assert (store / t.user_attrs[ARTIFACT_ATTR]).is_file()
        assert Path(t.user_attrs[CHECKPOINT_ATTR]).is_file()


def test_confirm_stores_intervals_and_rerun_is_idempotent(
    tiny_study: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, storage = tiny_study
    args = ["study", "confirm", str(spec), "--storage", str(storage), "--seeds", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "confirmed on held_out" in out and "95% t-interval" in out
    study = _load(storage)
    records = confirmed_records(study)
    front = {t.number for t in study.best_trials}
    assert set(records) == front
    for record in records.values():
        assert record["n"] == 2 and record["unit"] == "generation seed"
        assert record["reference"] == "held_out" and record["generation_seeds"] == [1, 2]
        mean, std, low, high, n = record["metrics"]["validity"]
        assert n == 2 and low <= mean <= high and std >= 0
        assert {"coherence", "code_js", "copy_rate"} <= set(record["metrics"])
    before = storage.read_bytes()
    assert main(args) == 0
    assert "already confirmed" in capsys.readouterr().out
    assert storage.read_bytes() == before  # nothing recomputed, nothing written

    # pareto shows them, plot draws error bars
    assert main(["study", "pareto", "--storage", str(storage)]) == 0
    out = capsys.readouterr().out
    assert "Held-out confirmation" in out and "not confirmed" not in out
    plots = storage.parent / "plots"
    assert main(["study", "plot", "--storage", str(storage), "--out", str(plots)]) == 0
    html = (plots / "pareto_front.html").read_text()
    assert "confirmed on held_out" in html


def test_confirm_bad_input_exits_2_and_writes_nothing(
    tiny_study: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _spec, storage = tiny_study
    study = _load(storage)
    study.add_trial(
        optuna.trial.create_trial(state=TrialState.FAIL, user_attrs={"fail_reason": "NaN loss"})
    )
    failed = max(t.number for t in study.get_trials())
    before = storage.read_bytes()
    base = ["study", "confirm", "--storage", str(storage), "--study", "tiny"]
    cases = [
        (["--seeds", "0"], "--seeds: must be at least 1, got 0"),
        (["--trials", "99"], "has no trial 99"),
        (["--trials", str(failed)], f"trial {failed} of 'tiny' is FAIL (NaN loss)"),
        (["--trials", "first"], "--trials: expected pareto, all or trial numbers"),
        (["--retrain", "-1"], "--retrain: must be at least 0"),
    ]
    for extra, message in cases:
        assert main([*base, *extra]) == 2
        assert message in _err(capsys)
    assert storage.read_bytes() == before

    # a study that keeps no checkpoints (the toy problem has none)
    toy = tmp_path / "toy.journal"
    toy_run = ["study", "run", "--toy", "--storage", str(toy), "--trials", "3", "--toy-epochs"]
    assert main([*toy_run, "2", "--quiet", "--no-plots"]) == 0
    capsys.readouterr()
    before = toy.read_bytes()
    assert main(["study", "confirm", "--storage", str(toy)]) == 2
    assert "keeps no checkpoints" in _err(capsys)
    assert toy.read_bytes() == before


def test_summarize_is_the_student_t_interval() -> None:
    mean, std, low, high, n = summarize([1.0, 2.0, 3.0])
    assert (mean, std, n) == (2.0, 1.0, 3)
    half = 4.302652729911275 / math.sqrt(3)  # t_{0.975, 2}
    assert low == pytest.approx(2.0 - half) and high == pytest.approx(2.0 + half)
    assert summarize([0.5, math.nan]) == [0.5, None, None, None, 1]
    assert summarize([]) == [None, None, None, None, 0]
    assert parse_trial_selection("pareto") == "pareto"
    assert parse_trial_selection("7, 3,3") == [3, 7]


def _record(**metrics: list[float]) -> dict[str, Any]:
    return {"reference": "held_out", "n": 5, "unit": "generation seed", "metrics": metrics}


def test_pick_decides_on_the_lower_end_where_confirmed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.journal"
    config = StudyConfig(objectives=parse_objectives("validity,coherence"), n_trials=3)
    study = create_or_load_study(open_storage(path), "hand", config)
    for v, c in [(0.97, 0.80), (0.96, 0.70), (0.955, 0.60)]:
        metrics = {"validity": v, "coherence": c}
        study.add_trial(optuna.trial.create_trial(values=[v, c], user_attrs={"metrics": metrics}))
    # trial 0: mean 0.96 but its interval reaches down to 0.94: out under validity >= 0.95
    study.set_user_attr(
        f"{CONFIRMED_PREFIX}0",
        _record(validity=[0.96, 0.01, 0.94, 0.98, 5], coherence=[0.78, 0.01, 0.77, 0.79, 5]),
    )
    # trial 1: lower end 0.951 passes; ranked on its confirmed coherence mean
    study.set_user_attr(
        f"{CONFIRMED_PREFIX}1",
        _record(validity=[0.955, 0.002, 0.951, 0.959, 5], coherence=[0.69, 0.01, 0.68, 0.70, 5]),
    )
    chosen, notes = pick_confirmed(
        study, parse_conditions(["validity>=0.95"]), maximize="coherence"
    )
    assert chosen.number == 1
    assert any("lower end 0.951" in n for n in notes)
    assert any("1 completed trial(s) not confirmed" in n for n in notes)
    # without confirmations trial 0 (tuning validity 0.97) wins
    study.set_user_attr(f"{CONFIRMED_PREFIX}0", None)
    chosen, _ = pick_confirmed(study, parse_conditions(["validity>=0.95"]), maximize="coherence")
    assert chosen.number == 0

    args = ["study", "pick", "--storage", str(path), "--where", "validity>=0.955"]
    assert main([*args, "--maximize", "coherence", "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    # trial 0 is not confirmed now and wins on tuning values; the output says so
    assert "picked trial 0" in out and "not confirmed: decided on its tuning values" in out
    assert json.loads((tmp_path / "p.json").read_text())["confirmed"] is None


# Checkpoint policy on a synthetic problem: trial i writes a checkpoint file and reports
# (validity, coherence) = VALUES[i], both maximised: trial 1 dominates every other one.
VALUES = [(0.5, 0.5), (0.9, 0.9), (0.6, 0.6), (0.7, 0.4), (0.3, 0.3)]


def _with_checkpoint(params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
    i = int(params["idx"])
    folder = Path(os.environ["LOSSBALANCE_TEST_CKPT_DIR"])
    path = folder / f"ckpt-{i}.pt"
    path.write_bytes(b"checkpoint %d" % i)
    report.record(CHECKPOINT_ATTR, str(path))  # type: ignore[attr-defined]
    v, c = VALUES[i]
    return {"validity": v, "coherence": c}


register_problem(
    "synthetic-checkpoints",
    lambda options: Problem(
        space=SearchSpace(params={"idx": Choice(choices=list(range(len(VALUES))))}),
        function=_with_checkpoint,
    ),
)


@pytest.mark.parametrize(
    ("keep", "last", "kept"),
    [
        ("pareto", 0, {1}),  # 0 was on the front when it completed, until 1 dominated it
        ("pareto", 2, {1, 3, 4}),  # the front and the last two
        ("all", 0, {0, 1, 2, 3, 4}),
    ],
)
def test_checkpoint_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: str, last: int, kept: set[int]
) -> None:
    monkeypatch.setenv("LOSSBALANCE_TEST_CKPT_DIR", str(tmp_path))
    store = tmp_path / "artifacts"
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=len(VALUES),
        sampler="random",
        pruner=None,
        problem="synthetic-checkpoints",
        checkpoints=CheckpointPolicy(keep=keep, last=last, store=str(store)),  # type: ignore[arg-type]
    )
    storage = optuna.storages.InMemoryStorage()
    study = create_or_load_study(storage, "ckpt", config)
    for i in range(len(VALUES)):
        study.enqueue_trial({"idx": i})
    run_worker(storage, "ckpt")
    present = {
        t.number
        for t in study.get_trials()
        if t.user_attrs.get(ARTIFACT_ATTR) and (store / t.user_attrs[ARTIFACT_ATTR]).is_file()
    }
    assert present == kept
    if keep == "pareto" and last == 0:  # a removed checkpoint: one-line error; all skips it
        fs = optuna.artifacts.FileSystemArtifactStore(str(store))
        with pytest.raises(LossbalanceError, match="trial 0's checkpoint is not in the artifact"):
            select_trials(study, [0], fs, str(store))
        assert [t.number for t in select_trials(study, "all", fs)] == [1]


@pytest.mark.slow
def test_postgres_study_confirmed_from_another_process(postgres_url: str, tmp_path: Path) -> None:
    name = f"confirm-{uuid.uuid4().hex[:8]}"
    spec = _spec_file(tmp_path, name=name, trials=1)
    run = ["study", "run", str(spec), "--storage", postgres_url, "--quiet", "--no-plots"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)  # run folders and artifacts under tmp_path/lossbalance-study
        assert main(run) == 0
    finally:
        os.chdir(cwd)
    try:
        env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
        cmd = [sys.executable, "-m", "lossbalance", "study", "confirm", "--storage", postgres_url]
        cmd += ["--study", name, "--seeds", "1", "--retrain", "1"]
        done = subprocess.run(cmd, cwd=elsewhere, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        study = _load(postgres_url, name)
        (record,) = confirmed_records(study).values()
        assert record["unit"] == "training seed" and record["n"] == 2
        assert record["training_seeds"] == [1]
        assert record["metrics"]["validity"][4] == 2
    finally:
        optuna.delete_study(study_name=name, storage=open_storage(postgres_url))
