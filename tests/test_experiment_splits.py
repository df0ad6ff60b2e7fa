"""Runs and study trials on three splits: what each split feeds, and nothing leaks into training.

DESIGN.md "Evaluation protocol": the trainer gets ``train`` only; study trials select on
``tuning`` (objectives, constraints, pruning values); ``lossbalance run`` reports against
``held_out``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from _builders import tiny_model_doc
from lossbalance import LossbalanceError
from lossbalance.data import SPLITS, Cohort, simulate, simulate_splits
from lossbalance.experiment import RunData, RunDir, score, split_data, train_run
from lossbalance.spec import parse_spec
from lossbalance.study._experiment_trial import _StudyCallback, pruning_scorer
from lossbalance.training import Callback, load_checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _spec(**changes: Any) -> Any:
    doc: dict[str, Any] = {
        "name": "splits",
        "data": {"source": "simulator", "patients": 60, "seed": 4},
        "model": tiny_model_doc(40),
        "training": {
            "epochs": 2,
            "batch_size": 16,
            "device": "cpu",
            "eval_every": 1,
            "eval_patients": 12,
            "monitor": "metric:coherence",
            "monitor_mode": "max",
        },
        "losses": {
            "age": {"schedule": {"family": "fixed", "params": {"weight": 0.1}}},
            "sex": {"schedule": {"family": "fixed", "params": {"weight": 0.1}}},
        },
        "evaluation": {"patients": 15, "reference_patients": 30},
    }
    doc.update(changes)
    return parse_spec(doc, source="spec.yaml")


# ------------------------------------------------------------------- the splits
def test_simulator_draws_fresh_references() -> None:
    data = split_data(_spec())
    assert data.origin == "simulated"
    assert (data.train.n_patients, data.tuning.n_patients, data.held_out.n_patients) == (
        60,
        30,
        30,
    )
    assert data.train.with_splits(None).equals(simulate(60, 4))
    assert data.tuning.equals(simulate_splits(60, 30, 4)["tuning"])
    assert data.reference("tuning") is data.tuning
    assert data.reference("held_out") is data.held_out
    with pytest.raises(LossbalanceError, match="tuning or held_out"):
        data.reference("train")  # type: ignore[arg-type]
    assert data.describe() == (
        "train 60, tuning 30, held_out 30 patients "
        "(tuning and held_out drawn fresh from the simulator)"
    )


def test_cohort_file_is_split_or_keeps_its_splits(tmp_path: Path) -> None:
    cohort = simulate(50, seed=1)
    plain = cohort.save(tmp_path / "plain.npz")
    spec = _spec(
        data={"source": "cohort", "path": str(plain)},
        evaluation={"tuning_fraction": 0.3, "held_out_fraction": 0.1, "split_seed": 2},
    )
    data = split_data(spec)
    assert data.origin == "drawn"
    assert (data.train.n_patients, data.tuning.n_patients, data.held_out.n_patients) == (
        30,
        15,
        5,
    )
    parts = cohort.split_by((0.6, 0.3, 0.1), seed=2)
    assert all(getattr(data, n).equals(parts[n]) for n in SPLITS)

    labels = np.array([0] * 40 + [1] * 6 + [2] * 4, dtype=np.uint8)
    carried = cohort.with_splits(labels).save(tmp_path / "carried.npz")
    data = split_data(
        spec.model_copy(update={"data": spec.data.model_copy(update={"path": carried})})
    )
    assert data.origin == "carried"
    assert (data.train.n_patients, data.tuning.n_patients, data.held_out.n_patients) == (
        40,
        6,
        4,
    )


def test_bad_split_settings_are_one_line(tmp_path: Path) -> None:
    tiny = simulate(2, seed=0).save(tmp_path / "tiny.npz")
    spec = _spec(data={"source": "cohort", "path": str(tiny)})
    with pytest.raises(LossbalanceError) as info:
        split_data(spec)
    assert str(info.value) == (
        "spec.yaml: evaluation: split fraction tuning=0.2 leaves split 'tuning' empty "
        "in a cohort of 2 patients"
    )
    with pytest.raises(LossbalanceError, match="leave no patient for train"):
        _spec(evaluation={"tuning_fraction": 0.5, "held_out_fraction": 0.5})
    with pytest.raises(LossbalanceError, match="reference_patients"):
        _spec(evaluation={"reference_patients": 0})


def test_heldout_fraction_is_a_deprecated_name() -> None:
    with pytest.warns(FutureWarning, match="heldout_fraction is deprecated"):
        spec = _spec(evaluation={"heldout_fraction": 0.3})
    assert spec.evaluation.held_out_fraction == 0.3
    assert spec.evaluation.fractions() == pytest.approx((0.5, 0.2, 0.3))
    assert "heldout_fraction" not in spec.model_dump()["evaluation"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(LossbalanceError, match="give only held_out_fraction"):
            _spec(evaluation={"heldout_fraction": 0.3, "held_out_fraction": 0.3})


# ------------------------------------------------------------------- no leakage
def _shuffled_codes(cohort: Cohort, seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    return replace(cohort, codes=rng.permutation(cohort.codes))


class _Report:
    """A study ``report`` that records what it is given and never prunes."""

    def __init__(self) -> None:
        self.values: list[dict[str, float]] = []

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.values.append(dict(metrics))


def _train_as_a_trial(spec: Any, data: RunData, out: Path) -> tuple[Path, _Report, list[Any]]:
    report = _Report()
    callback = _StudyCallback(report, out, pruning_scorer(spec, data))
    own: list[Any] = []
    trained = train_run(
        spec,
        RunDir(out.parent, out.name),
        data,
        resume=False,
        progress=False,
        extra_callbacks=[callback, _KeepTrainerMetrics(own)],
    )
    return trained.checkpoint, report, own


class _KeepTrainerMetrics(Callback):
    """Keeps the trainer's own per-epoch metrics (what early stopping reads)."""

    def __init__(self, out: list[Any]) -> None:
        self.out = out

    def on_evaluation(self, trainer: Any, state: Any) -> None:
        self.out.append(dict(state.metrics))


def test_training_never_reads_tuning_or_held_out(tmp_path: Path) -> None:
    """Issue 12 item 1: shuffle the codes of tuning and held_out; every trained tensor
    stays bit-identical, though the pruning values (read on tuning) change."""
    spec = _spec()
    data = split_data(spec)
    shuffled = replace(
        data,
        tuning=_shuffled_codes(data.tuning, 1),
        held_out=_shuffled_codes(data.held_out, 2),
    )
    assert not np.array_equal(shuffled.tuning.codes, data.tuning.codes)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ckpt_a, report_a, own_a = _train_as_a_trial(spec, data, tmp_path / "a")
    ckpt_b, report_b, own_b = _train_as_a_trial(spec, shuffled, tmp_path / "b")

    for name in ("best.pt", "last.pt"):
        a = load_checkpoint(tmp_path / "a" / name)["model"]
        b = load_checkpoint(tmp_path / "b" / name)["model"]
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), f"{name}: {key} differs"
    assert ckpt_a.name == ckpt_b.name
    # early stopping and metric-triggered schedules read the trainer's own metrics:
    assert own_a == own_b
    # the pruning values are scored against tuning (and so they differ)
    assert len(report_a.values) == len(report_b.values) == 2
    assert report_a.values != report_b.values
    assert report_a.values[0] != own_a[0]


def test_pruning_values_are_scored_against_tuning(tmp_path: Path) -> None:
    spec = _spec(training={**_spec().training.model_dump(mode="json"), "epochs": 1})
    data = split_data(spec)
    kept: list[Cohort] = []
    scorer = pruning_scorer(spec, data)

    def keeping(generated: Cohort) -> Mapping[str, float]:
        kept.append(generated)
        return scorer(generated)

    report = _Report()
    callback = _StudyCallback(report, tmp_path, keeping)
    train_run(
        spec,
        RunDir(tmp_path.parent, tmp_path.name),
        data,
        resume=False,
        progress=False,
        extra_callbacks=[callback],
    )
    assert len(kept) == 1 and len(report.values) == 1
    expected = score(
        kept[0],
        data.tuning,
        data.train,
        top_k=spec.evaluation.top_k,
        seed=spec.evaluation.seed,
        memorization=False,
    ).flat()
    got = report.values[0]
    assert got.keys() == expected.keys()
    assert all((np.isnan(got[k]) and np.isnan(expected[k])) or got[k] == expected[k] for k in got)
