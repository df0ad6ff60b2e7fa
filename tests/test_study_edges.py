"""Search spaces that do not bind: the default ranges and the range-edge warning."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from lossbalance.cli import main
from lossbalance.study import StudyConfig, create_or_load_study, open_storage, parse_objectives
from lossbalance.study._schedule_space import default_schedule_space, edge_warnings
from lossbalance.study._study_spec import default_study_space

DISTS = {
    "sampling.temperature": FloatDistribution(0.3, 1.5),
    "sampling.top_p": FloatDistribution(0.5, 1.0),
    "age.fixed.weight": FloatDistribution(1e-5, 10.0, log=True),
    "layers": IntDistribution(1, 21),
    "age.family": CategoricalDistribution(["fixed", "linear"]),
}


def _trial(values: list[float], **params: object) -> optuna.trial.FrozenTrial:
    full = {"sampling.temperature": 0.9, "sampling.top_p": 0.8, "age.fixed.weight": 0.01}
    full.update({"layers": 11, "age.family": "fixed"})
    full.update(params)  # type: ignore[arg-type]
    return optuna.trial.create_trial(values=values, params=full, distributions=DISTS)


def test_default_ranges_are_wide() -> None:
    for space in (default_schedule_space().model_dump(mode="json"), default_study_space()):
        sampling = space["sampling"]
        assert sampling["temperature"]["low"] <= 0.3 and sampling["temperature"]["high"] >= 1.5
        assert sampling["top_p"]["low"] <= 0.5 and sampling["top_p"]["high"] == 1.0
        fixed = space["terms"]["age"]["families"]["fixed"]["weight"]
        assert fixed["low"] <= 1e-5 and fixed["high"] >= 10.0


def test_edge_warnings_by_hand() -> None:
    inside = _trial([0.9, 0.5])
    assert edge_warnings([inside]) == []
    hot = _trial([0.9, 0.5], **{"sampling.temperature": 1.47})  # 97.5% of the way
    (line,) = edge_warnings([hot])
    assert "sampling.temperature=1.47" in line and "upper edge" in line and "[0.3, 1.5]" in line
    # log scale: 1.5e-5 is 3% of the way from 1e-5 to 10 in log space
    (line,) = edge_warnings([_trial([0.9, 0.5], **{"age.fixed.weight": 1.5e-5})])
    assert "age.fixed.weight" in line and "lower edge" in line
    assert edge_warnings([_trial([0.9, 0.5], layers=1)])[0].startswith("trial -1: layers=1 ")
    # top-p 1 is a hard bound, not a range to widen
    assert edge_warnings([_trial([0.9, 0.5], **{"sampling.top_p": 1.0})]) == []


def test_pareto_warns_on_a_hand_built_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.journal"
    config = StudyConfig(objectives=parse_objectives("validity,coherence"), n_trials=3)
    study = create_or_load_study(open_storage(path), "edges", config)
    study.add_trial(_trial([0.95, 0.5], **{"sampling.temperature": 0.31}))  # Pareto, at edge
    study.add_trial(_trial([0.90, 0.6]))  # Pareto, inside
    study.add_trial(_trial([0.80, 0.4], **{"sampling.temperature": 1.5}))  # dominated
    assert main(["study", "pareto", "--storage", str(path), "--study", "edges"]) == 0
    out = capsys.readouterr().out
    warnings = [x for x in out.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1
    assert "trial 0: sampling.temperature=0.31" in warnings[0] and "lower edge" in warnings[0]
