"""The real study objective: study specs, spec resolution, train/generate/evaluate trials,
pruning through the trainer's evaluation callback, failures, export, bad input (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from _builders import tiny_model_doc
from lossbalance._errors import LossbalanceError
from lossbalance.cli import main
from lossbalance.data import Cohort
from lossbalance.experiment import score, split_data
from lossbalance.metrics import MetricsResult
from lossbalance.schedulers import ScheduleSpec
from lossbalance.spec import load_spec, parse_spec
from lossbalance.study import (
    FAIL_ATTR,
    METRICS_ATTR,
    ExperimentTrialFunction,
    ScheduleSearchSpace,
    create_or_load_study,
    default_study_spec,
    load_study_spec,
    parse_study_spec,
    resolve_trial_spec,
    run_worker,
)

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY_BASE: dict[str, Any] = {
    "name": "tiny",
    "data": {"source": "simulator", "patients": 120, "seed": 0},
    "model": tiny_model_doc(96),
    "training": {"epochs": 2, "batch_size": 32, "eval_every": 1, "eval_patients": 20},
    "losses": {"age": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}}},
    "evaluation": {"patients": 40, "reference_patients": 300},
    "tiers": [{"name": "ok", "conditions": ["validity >= 0.5"]}],
}


def _tiny_study(tmp_path: Path, file: str = "tiny.yaml", **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "name": "tiny",
        "base": TINY_BASE,
        "objectives": ["validity", "coherence"],
        "budget": {"trials": 3, "wall_time_s": 300},
        "sampler": {"name": "random", "seed": 1},
        "pruner": {"warmup_trials": 1, "min_dominating": 1},
        **extra,
    }
    path = tmp_path / file
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


# --------------------------------------------------------------------- study specs
def test_default_yaml_is_the_builtin_study() -> None:
    written = load_study_spec(ROOT / "studies" / "default.yaml")
    builtin = default_study_spec()
    assert written.search_space() == builtin.search_space()
    assert written.base_spec() == builtin.base_spec()
    for field in ("name", "objectives", "constraints", "budget", "sampler", "pruner"):
        assert getattr(written, field) == getattr(builtin, field), field
    assert builtin.study_name() == "validity-coherence"
    assert builtin.budget.trials == 24 and builtin.budget.wall_time_s == 330
    config = builtin.to_config("/tmp/runs")
    assert config.problem == "experiment" and config.problem_options["runs_dir"] == "/tmp/runs"
    assert config.pruner is not None and config.pruner.min_dominating == 3


def test_study_spec_base_file_and_errors(tmp_path: Path) -> None:
    spec = load_study_spec(_tiny_study(tmp_path, base="../studies/seed_aux_weights_ci.yaml"))
    with pytest.raises(LossbalanceError, match=r"tiny\.yaml: base: \.\./studies/.*file not found"):
        spec.base_spec()
    spec = parse_study_spec(
        {"base": str(ROOT / "studies" / "seed_aux_weights_ci.yaml")}, source="s.yaml"
    )
    assert spec.base_spec().name == "seed-aux-weights-ci"
    # the trial base drops the baseline and the fallback plans
    options = spec.to_config(tmp_path / "runs").problem_options
    assert options["base"]["fallbacks"] == [] and options["base"]["baseline"] is None

    bad = {
        "objectives: unknown metric 'novelty'": {"objectives": ["validity", "novelty"]},
        "budget.trials: Input should be greater than or equal to 1": {"budget": {"trials": 0}},
        "constraints[0]: condition 'validity => 3' is not 'metric op number'": {
            "constraints": ["validity => 3"]
        },
        "bogus: no such field (allowed: name, description, base, space": {"bogus": 1},
        "sampler.name: Input should be 'auto', 'tpe', 'nsga2', 'gp' or 'random'": {
            "sampler": {"name": "cmaes"}
        },
    }
    for message, doc in bad.items():
        with pytest.raises(LossbalanceError) as info:
            parse_study_spec(doc, source="s.yaml")
        assert str(info.value).startswith("s.yaml: " + message), str(info.value)
    lazy = {
        "s.yaml: space: terms.age.families.nope: unknown family (known: cosine": {
            "space": {"terms": {"age": {"families": {"nope": {}}}}}
        },
        "s.yaml: space: terms.age.families.fixed.weight: empty range [1, 1]": {
            "space": {"terms": {"age": {"families": {"fixed": {"weight": {"low": 1, "high": 1}}}}}}
        },
        "s.yaml: base: training.epochs: Input should be greater than or equal to 1": {
            "base": {"training": {"epochs": 0}}
        },
    }
    for message, doc in lazy.items():
        with pytest.raises(LossbalanceError) as info:
            parse_study_spec(doc, source="s.yaml").to_config(tmp_path / "runs")
        assert str(info.value).startswith(message), str(info.value)


def test_resolve_trial_spec_replaces_schedules_and_sampling() -> None:
    base = parse_spec(
        {
            **TINY_BASE,
            "losses": {
                "age": {"schedule": {"family": "fixed", "params": {"weight": 0.01}}},
                "sex": {"schedule": {"family": "fixed", "params": {"weight": 0.2}}},
            },
        }
    )
    space = ScheduleSearchSpace.from_mapping(
        {
            "terms": {
                "age": {
                    "families": {
                        "fixed": {"weight": {"low": 1e-4, "high": 1.0, "log": True}},
                        "linear": {
                            "start": {"low": 1e-3, "high": 1.0},
                            "end": 1e-4,
                            "duration": {"low": 2, "high": 30},
                            "unit": "epoch",
                        },
                    }
                },
            },
            "sampling": {"temperature": {"low": 0.7, "high": 1.3}, "top_p": 0.9},
        }
    )
    spec = resolve_trial_spec(
        base,
        space,
        {
            "age.family": "linear",
            "age.linear.start": 0.5,
            "age.linear.duration": 7.0,
            "sampling.temperature": 0.8,
        },
    )
    age = spec.losses["age"].schedule
    assert isinstance(age, ScheduleSpec) and age.family == "linear"
    assert age.params == {"start": 0.5, "end": 1e-4, "duration": 7.0, "unit": "epoch"}
    assert spec.losses["sex"].schedule == ScheduleSpec(
        family="fixed", params={"weight": 0.2}, terms=None
    )
    for sampling in (spec.evaluation.sampling, spec.training.sampling):
        assert (sampling.temperature, sampling.top_p) == (0.8, 0.9)
    assert spec.model == base.model and spec.data == base.data


# ------------------------------------------------------------- trials, pruning, failures
class _Report:
    """A study's report callable: records, and prunes at ``prune_at``."""

    def __init__(self, number: int, prune_at: int | None = None) -> None:
        self.number = number
        self.prune_at = prune_at
        self.calls: list[tuple[int, dict[str, float]]] = []
        self.attrs: dict[str, Any] = {}

    def record(self, key: str, value: Any) -> None:
        self.attrs[key] = value

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.calls.append((epoch, dict(metrics)))
        if epoch == self.prune_at:
            raise optuna.TrialPruned(f"dominated at epoch {epoch}")


def _function(tmp_path: Path, epochs: int = 2) -> ExperimentTrialFunction:
    base = {**TINY_BASE, "training": {**TINY_BASE["training"], "epochs": epochs}}
    space = {"terms": {"age": {"families": {"fixed": {"weight": {"low": 1e-3, "high": 1.0}}}}}}
    return ExperimentTrialFunction(base=base, space=space, runs_dir=str(tmp_path / "runs"))


def test_a_pruned_trial_stops_training_at_the_report(tmp_path: Path) -> None:
    """The trainer's evaluation callback reports each epoch; TrialPruned ends training."""
    fn = _function(tmp_path, epochs=3)
    report = _Report(number=7, prune_at=2)
    with pytest.raises(optuna.TrialPruned):
        fn({"age.family": "fixed", "age.fixed.weight": 0.05}, report)
    assert [epoch for epoch, _ in report.calls] == [1, 2]
    assert {"validity", "coherence", "floor_coherence"} <= set(report.calls[0][1])
    run = tmp_path / "runs" / "trial-0007"
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0]  # epoch 2 (index 1) never finished
    assert not (run / "metrics.json").exists()
    assert load_spec(run / "spec.yaml").losses["age"].schedule == ScheduleSpec(
        family="fixed", params={"weight": 0.05}, terms=None
    )
    weights = report.attrs["weights"]
    assert weights["weights"]["age"] and set(weights["weights"]["age"]) == {0.05}
    assert report.attrs["run_dir"] == str(run)
    assert [r["epoch"] for r in report.attrs["log_tail"]] == [0]  # recorded when pruned too


def test_training_failure_fails_the_trial_and_the_study_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NaN loss (the trainer's LossbalanceError) fails that trial only, with the reason."""
    import lossbalance.training as training

    real_fit = training.fit_cohort
    calls = {"n": 0}

    def fit_cohort(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise LossbalanceError("loss term 'lm' is nan at step 3 (epoch 0); training stopped")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(training, "fit_cohort", fit_cohort)
    spec = parse_study_spec(
        {
            "base": {**TINY_BASE, "training": {**TINY_BASE["training"], "epochs": 1}},
            "space": {
                "terms": {"age": {"families": {"fixed": {"weight": {"low": 1e-3, "high": 1.0}}}}}
            },
            "budget": {"trials": 1},
            "sampler": {"name": "random"},
            "pruner": {"enabled": False},
        }
    )
    storage = optuna.storages.InMemoryStorage()
    create_or_load_study(storage, "nan", spec.to_config(tmp_path / "runs"))
    run_worker(storage, "nan")
    trials = optuna.load_study(study_name="nan", storage=storage).get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert trials[0].user_attrs[FAIL_ATTR] == (
        "training: loss term 'lm' is nan at step 3 (epoch 0); training stopped"
    )
    metrics = trials[1].user_attrs[METRICS_ATTR]
    assert 0.0 <= metrics["validity"] <= 1.0 and metrics["floor_validity"] == 1.0
    assert trials[1].user_attrs["tier"] in ("ok", None)


# ------------------------------------------------------------------- end to end (CLI)
def test_tiny_real_study_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _tiny_study(tmp_path)
    args = ["study", "run", str(spec), "--storage", "s.journal", "--target", "validity>=0.9"]
    assert main([*args, "--constraint", "mia_auc<=1"]) == 0
    out = capsys.readouterr().out
    assert "Pareto trials of 'tiny'" in out
    assert "study 'tiny': budget of 3 trials reached" in out
    for name in ("pareto_front.png", "pareto_front.html", "hypervolume.png", "weights_pareto.png"):
        assert f"{name}: tiny/plots/{name}" in out
        assert (tmp_path / "tiny" / "plots" / name).stat().st_size > 0

    study = optuna.load_study(
        study_name="tiny",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "s.journal"))
        ),
    )
    trials = study.get_trials()
    assert len([t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]) == 3
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert complete
    for t in complete:
        run = Path(t.user_attrs["run_dir"])
        assert run == tmp_path / "tiny" / "runs" / f"trial-{t.number:04d}"
        for name in ("spec.yaml", "log.jsonl", "weights.jsonl", "last.pt", "metrics.json"):
            assert (run / name).is_file(), name
        stored = MetricsResult.from_json((run / "metrics.json").read_bytes()).flat()
        assert t.values == [pytest.approx(stored["validity"]), pytest.approx(stored["coherence"])]
        assert t.user_attrs[METRICS_ATTR]["js"] == pytest.approx(stored["js"])
        assert t.user_attrs["spec"]["name"] == "tiny"
        assert t.user_attrs["tier"] in ("ok", None)
        assert "floor_coherence" in t.user_attrs[METRICS_ATTR]
        # selected on tuning: the stored metrics are generated.npz scored against tuning
        assert t.user_attrs["evaluation"] == {
            "reference": "tuning",
            "train_patients": 120,
            "tuning_patients": 300,
            "held_out_patients": 300,
            "splits": "simulated",
        }
        for name in ("distinct_ratio", "unique_patient_rate", "copy_rate", "mia_auc", "nnaar"):
            assert name in t.user_attrs[METRICS_ATTR], name
        data = split_data(load_spec(run / "spec.yaml"))
        again = score(
            Cohort.load(run / "generated.npz"), data.tuning, data.train, top_k=100, seed=0
        ).flat()
        assert again["coherence"] == pytest.approx(stored["coherence"])
        assert again["mia_auc"] == pytest.approx(stored["mia_auc"], nan_ok=True)

    # rerun: the budget is reached, nothing more runs
    assert main(["study", "run", str(spec), "--storage", "s.journal", "--no-plots"]) == 0
    assert "budget of 3 trials reached" in capsys.readouterr().out
    assert len(study.get_trials()) == len(trials)

    # export a completed trial: spec validate and the runner accept it
    number = complete[0].number
    assert (
        main(
            ["study", "export", "--storage", "s.journal", "--trial", str(number), "--out", "t.yaml"]
        )
        == 0
    )
    assert f"wrote t.yaml (trial {number} of 'tiny')" in capsys.readouterr().out
    exported = load_spec(tmp_path / "t.yaml")
    assert exported.name == f"tiny-trial-{number}"
    assert (
        exported.losses == load_spec(Path(complete[0].user_attrs["run_dir"]) / "spec.yaml").losses
    )
    assert main(["spec", "validate", "t.yaml"]) == 0
    assert main(["run", "t.yaml", "--out", "rerun", "--no-progress"]) == 0
    assert (tmp_path / "rerun" / "report.md").is_file()
    capsys.readouterr()

    assert (
        main(["study", "export", "--storage", "s.journal", "--trial", "99", "--out", "x.yaml"]) == 2
    )
    assert "--trial: study 'tiny' has no trial 99" in _err(capsys)


def test_real_path_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _tiny_study(tmp_path)

    assert main(["study", "run", str(spec), "--objectives", "validity,novelty"]) == 2
    assert "--objectives: unknown metric 'novelty'" in _err(capsys)

    empty = _tiny_study(
        tmp_path,
        "empty.yaml",
        space={"terms": {"age": {"families": {"fixed": {"weight": {"low": 0.5, "high": 0.5}}}}}},
    )
    assert main(["study", "run", str(empty), "--storage", "s.journal"]) == 2
    assert _err(capsys) == (
        f"error: {empty}: space: terms.age.families.fixed.weight: empty range [0.5, 0.5]"
    )

    unknown = _tiny_study(
        tmp_path, "unknown.yaml", space={"terms": {"age": {"families": {"sigmoid": {}}}}}
    )
    assert main(["study", "run", str(unknown), "--storage", "s.journal"]) == 2
    assert "space: terms.age.families.sigmoid: unknown family (known: cosine" in _err(capsys)

    url = "postgresql://bob:hunter2@127.0.0.1:1/db"
    assert main(["study", "run", str(spec), "--storage", url, "--no-plots"]) == 2
    err = _err(capsys)
    assert "bob:***@127.0.0.1:1/db: cannot connect" in err and "hunter2" not in err

    # an existing study with other objectives: refused before any trial runs
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "s.journal"))
    )
    optuna.create_study(storage=storage, study_name="tiny", directions=["maximize", "minimize"])
    assert main(["study", "run", str(spec), "--storage", "s.journal", "--no-plots"]) == 2
    assert (
        "'tiny' in s.journal exists with objectives objective0:maximize, objective1:minimize"
        in (_err(capsys))
    )
    assert not (tmp_path / "tiny" / "runs").exists()


# ------------------------------------------------------- export reruns exactly (issue 19)
def test_exported_trial_reruns_to_the_trials_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The study trains with one thread per worker, ``run`` with the process's setting
    (torch's default: every core): the exported spec carries the trial's thread count,
    so the rerun's losses and metrics equal the trial's exactly, and the rerun says so
    (before: losses differing from about the 8th digit, issue 19 item 1)."""
    import torch

    monkeypatch.chdir(tmp_path)
    spec = _tiny_study(tmp_path, budget={"trials": 2, "wall_time_s": 300})
    assert main(["study", "run", str(spec), "--storage", "s.journal", "--no-plots"]) == 0
    study = optuna.load_study(
        study_name="tiny",
        storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "s.journal"))
        ),
    )
    trial = [t for t in study.get_trials() if t.state == TrialState.COMPLETE][-1]
    args = ["study", "export", "--storage", "s.journal", "--trial", str(trial.number)]
    assert main([*args, "--out", "t.yaml"]) == 0
    exported = load_spec(tmp_path / "t.yaml")
    assert exported.training.threads == 1
    assert exported.origin is not None and exported.origin.environment["threads"] == 1
    capsys.readouterr()

    torch.set_num_threads(2)  # what `lossbalance run` gets on a 2-core machine
    assert main(["run", "t.yaml", "--out", "rerun", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert torch.get_num_threads() == 2  # restored after the run

    def losses(log: Path) -> list[dict[str, Any]]:
        # every logged loss, to the last bit (threads change them from about the 8th digit)
        return [
            {k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in log.read_text().splitlines()
        ]

    trial_log = Path(trial.user_attrs["run_dir"]) / "log.jsonl"
    assert losses(tmp_path / "rerun" / "main" / "log.jsonl") == losses(trial_log)
    # the trial scored its cohort against tuning, the run's report against held_out: the
    # rerun's generated cohort, scored against tuning like the trial's, equals it exactly
    from lossbalance.data import Cohort
    from lossbalance.experiment import CohortCache, score

    data = CohortCache().get(exported)
    again = score(
        Cohort.load(tmp_path / "rerun" / "main" / "generated.npz"),
        data.tuning,
        data.train,
        top_k=exported.evaluation.top_k,
        seed=exported.evaluation.seed,
    ).flat()
    recorded = trial.user_attrs[METRICS_ATTR]
    assert {k: again[k] for k in recorded if recorded[k] is not None} == {
        k: v for k, v in recorded.items() if v is not None
    }
    report = MetricsResult.from_json((tmp_path / "rerun" / "main" / "metrics.json").read_bytes())
    assert report.reference.patients == data.held_out.n_patients  # the report: held_out
    assert f"rerun of trial {trial.number} of study 'tiny': the same settings" in out
    assert f"reproduced trial {trial.number} of study 'tiny' exactly" in out
    env = json.loads((tmp_path / "rerun" / "main" / "environment.json").read_text())
    assert env["threads"] == 1 and env["device"] == "cpu"
