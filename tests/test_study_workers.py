"""Workers: exact budgets with several processes, failures, and the PostgreSQL kill test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from _builders import tiny_model_doc
from lossbalance.study import (
    FAIL_ATTR,
    HISTORY_ATTR,
    METRICS_ATTR,
    WORKER_ATTR,
    StudyConfig,
    StudyObjective,
    build_problem,
    create_or_load_study,
    default_base_spec,
    open_storage,
    parse_conditions,
    parse_objectives,
    parse_study_spec,
    run_study,
    run_worker,
    trial_counts,
)
from lossbalance.study._experiment_trial import RUN_DIR_ATTR
from lossbalance.study._workers import BudgetClaimed


def _config(n: int, **toy: object) -> StudyConfig:
    return StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=n,
        sampler="random",
        seed=1,
        pruner=None,
        problem_options={"epochs": 2, **toy},
    )


@pytest.mark.slow
def test_two_worker_processes_complete_exactly_the_budget(tmp_path: Path) -> None:
    path = str(tmp_path / "s.journal")
    study = run_study(path, "two", _config(9, epoch_seconds=0.05), workers=2, threads=2)
    counts = trial_counts(study)
    assert counts.done == 9
    assert counts.running == 0 and counts.waiting == 0
    workers = {t.user_attrs[WORKER_ATTR] for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert len(workers) == 2  # both processes ran trials
    # distinct seeds per worker: no two trials share parameters
    params = [tuple(sorted(t.params.items())) for t in study.get_trials()]
    assert len(set(params)) == len(params)


def test_failed_trials_record_their_reason_and_the_study_goes_on() -> None:
    storage = optuna.storages.InMemoryStorage()
    create_or_load_study(storage, "nan", _config(6, nan_below=0.01))
    run_worker(storage, "nan")
    study = optuna.load_study(study_name="nan", storage=storage)
    counts = trial_counts(study)
    assert counts.done == 6
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert failed, "seed 1 samples some w_age < 0.01"
    for t in failed:
        assert t.params["w_age"] < 0.01
        assert t.user_attrs[FAIL_ATTR] == "FloatingPointError: loss is NaN at epoch 1"
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        assert t.params["w_age"] >= 0.01
        assert set(t.user_attrs[METRICS_ATTR]) >= {"validity", "coherence", "floor_coherence"}
        assert t.values == [
            t.user_attrs[METRICS_ATTR]["validity"],
            t.user_attrs[METRICS_ATTR]["coherence"],
        ]
        assert sorted(t.user_attrs[HISTORY_ATTR]) == ["1", "2"]


def test_a_trial_beyond_the_claimed_budget_ends_without_running() -> None:
    storage = optuna.storages.InMemoryStorage()
    config = _config(2)
    study = create_or_load_study(storage, "claims", config)
    objective = StudyObjective(config, build_problem("toy", {"epochs": 1}))
    a, b = study.ask(), study.ask()  # two RUNNING trials claim the whole budget
    c = study.ask()
    with pytest.raises(BudgetClaimed):
        objective(c)
    assert c.params == {}  # nothing sampled
    assert len(objective(a)) == 2 and len(objective(b)) == 2


def test_constraints_reach_optuna() -> None:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        constraints=parse_conditions(["validity>=0.9", "coherence<0.99"]),
        n_trials=5,
        sampler="tpe",
        pruner=None,
        problem_options={"epochs": 1},
    )
    create_or_load_study(storage, "con", config)
    run_worker(storage, "con")
    study = optuna.load_study(study_name="con", storage=storage)
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        v = t.user_attrs[METRICS_ATTR]
        assert t.constraints == pytest.approx(
            {"validity >= 0.9": 0.9 - v["validity"], "coherence < 0.99": v["coherence"] - 0.99}
        )
    feasible = {
        t.number
        for t in study.get_trials(states=(TrialState.COMPLETE,))
        if t.user_attrs[METRICS_ATTR]["validity"] >= 0.9
    }
    assert {t.number for t in study.best_trials} <= feasible


def _kill_toy(runs_dir: Path) -> StudyConfig:
    """The synthetic problem: 6 trials of 4 epochs of 0.4 s."""
    return StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=6,
        sampler="random",
        seed=3,
        pruner=None,
        problem_options={"epochs": 4, "epoch_seconds": 0.4},
    )


def _kill_experiment(runs_dir: Path) -> StudyConfig:
    """The real ``experiment`` problem (train, generate, evaluate) at a tiny size, built as
    ``bench/bench_study_real.py`` does: 100 simulated patients, d_model 16, 4 epochs with
    an evaluation of 20 patients each, 40 in the final one (about 2 s a trial on one
    thread); searched: fixed age and sex weights (log-uniform) and the temperature."""
    base = default_base_spec()
    tiny = {
        **base,
        "data": {"source": "simulator", "patients": 100, "seed": 0},
        "model": tiny_model_doc(64),
        "training": {**base["training"], "epochs": 4, "eval_every": 1, "eval_patients": 20},
        "evaluation": {"patients": 40, "seed": 0},
    }
    weight = {"fixed": {"weight": {"low": 1e-4, "high": 1.0, "log": True}}}
    space = {
        "terms": {"age": {"families": weight}, "sex": {"families": weight}},
        "sampling": {"temperature": {"low": 0.7, "high": 1.3}},
    }
    spec = parse_study_spec(
        {
            "base": tiny,
            "space": space,
            "budget": {"trials": 4, "wall_time_s": None},
            "sampler": {"name": "random", "seed": 3},
            "pruner": {"enabled": False},
        }
    )
    return spec.to_config(runs_dir)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize(
    ("make_config", "deadline_s"),
    [pytest.param(_kill_toy, 30, id="toy"), pytest.param(_kill_experiment, 90, id="experiment")],
)
def test_sigkill_a_worker_mid_trial_on_postgres(
    postgres_url: str,
    tmp_path: Path,
    make_config: Callable[[Path], StudyConfig],
    deadline_s: float,
) -> None:
    """Two workers, SIGKILL one mid-trial: exact budget, the killed trial FAIL and retried.

    ``deadline_s`` bounds the wait for the victim to get mid-trial (worker start-up
    included: the experiment's workers import torch) and, 1.5x, the survivor's end.
    """
    name = f"lb-kill-{uuid.uuid4().hex[:10]}"
    config = make_config(tmp_path / "runs")
    budget = config.n_trials
    storage = open_storage(postgres_url, heartbeat_interval=1, grace_period=2)
    study = create_or_load_study(storage, name, config)
    cli = "import sys; from lossbalance.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [
        sys.executable,
        "-c",
        cli,
        "study",
        "worker",
        "--storage",
        postgres_url,
        "--study",
        name,
        "--heartbeat-interval",
        "1",
        "--grace-period",
        "2",
        "--threads",
        "1",
        "--runs-dir",
        str(tmp_path / "runs"),
    ]
    procs = [
        subprocess.Popen(
            [*cmd, "--index", str(i)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for i in range(2)
    ]
    victim, survivor = procs[1], procs[0]
    try:
        killed = None
        deadline = time.monotonic() + deadline_s
        while killed is None and time.monotonic() < deadline:
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
                mine = t.user_attrs.get(WORKER_ATTR, "").endswith(f":{victim.pid}")
                if mine and len(t.user_attrs.get(HISTORY_ATTR, {})) >= 1:
                    killed = t.number
                    break
            else:
                time.sleep(0.05)
        assert killed is not None, "the victim never got mid-trial"
        before = {t.number: t.values for t in study.get_trials(states=(TrialState.COMPLETE,))}
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        out, _ = survivor.communicate(timeout=1.5 * deadline_s)
        assert survivor.returncode == 0, out

        study = optuna.load_study(study_name=name, storage=open_storage(postgres_url))
        trials = {t.number: t for t in study.get_trials()}
        counts = trial_counts(study)
        assert counts.done == budget and counts.running == 0 and counts.waiting == 0
        assert trials[killed].state == TrialState.FAIL
        retries = [t for t in trials.values() if t.system_attrs.get("failed_trial") == killed]
        assert len(retries) == 1
        assert retries[0].state == TrialState.COMPLETE
        assert retries[0].params == trials[killed].params
        # no completed trial lost or changed; no failed trial retried twice
        for number, values in before.items():
            assert trials[number].state == TrialState.COMPLETE and trials[number].values == values
        retried = [
            t.system_attrs["failed_trial"]
            for t in trials.values()
            if "failed_trial" in t.system_attrs and t.state == TrialState.COMPLETE
        ]
        assert len(retried) == len(set(retried))
        finals = [t for t in trials.values() if t.state == TrialState.COMPLETE]
        assert len({tuple(sorted(t.params.items())) for t in finals}) == len(finals)
        if config.problem == "experiment":  # every completed trial kept its run folder
            run_dirs = [Path(t.user_attrs[RUN_DIR_ATTR]) for t in finals]
            assert len(set(run_dirs)) == len(finals)
            for run_dir in run_dirs:
                assert run_dir.parent == tmp_path / "runs"
                assert (run_dir / "metrics.json").is_file(), run_dir
        print(
            f"kill test ({config.problem}): killed trial {killed}, retried as "
            f"{retries[0].number}; {counts.complete} complete, {counts.failed} failed; states "
            f"{ {n: t.state.name for n, t in sorted(trials.items())} }"
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        optuna.delete_study(study_name=name, storage=storage)


def test_expected_failures_log_one_line_or_none() -> None:
    import logging

    from lossbalance.study._workers import TrialFailed, _ExpectedFailures

    def record(msg: str, exc: BaseException | None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc is not None else None
        return logging.LogRecord("optuna", logging.WARNING, __file__, 1, msg, None, info)

    keep = _ExpectedFailures()
    assert not keep.filter(record("Trial 3 failed ...", BudgetClaimed("claimed")))
    failed = record("Trial 4 failed ... TrialFailed('loss is NaN')", TrialFailed("loss is NaN"))
    assert keep.filter(failed) and failed.exc_info is None
    assert not keep.filter(record("Trial 4 failed with value None.", None))
    assert keep.filter(record("Trial 5 failed with value [nan, 0.5].", None))
    assert keep.filter(record("Trial 6 failed ...", ValueError("unexpected")))
