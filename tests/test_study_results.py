"""Results: Pareto trials, pick, hypervolume with its reference point, plots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from lossbalance import LossbalanceError
from lossbalance.study import (
    METRICS_ATTR,
    Objective,
    StudyConfig,
    create_or_load_study,
    parse_conditions,
    parse_objectives,
)
from lossbalance.study._plots import write_study_plots
from lossbalance.study._results import (
    hypervolume,
    hypervolume_history,
    pareto_table,
    pareto_trials,
    pick_trial,
    reference_point,
)

# (validity, coherence), both maximised; trial 3 is infeasible (constraint > 0)
POINTS = [(0.95, 0.40), (0.90, 0.60), (0.80, 0.50), (0.70, 0.80), (0.60, 0.70)]
FEASIBLE = [True, True, True, False, True]


def _study() -> optuna.Study:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(objectives=parse_objectives("validity,coherence"), n_trials=5)
    study = create_or_load_study(storage, "r", config)
    for i, ((v, c), ok) in enumerate(zip(POINTS, FEASIBLE, strict=True)):
        trial = create_trial(
            values=[v, c],
            params={"w": 0.1 * (i + 1)},
            distributions={"w": FloatDistribution(0.0, 1.0)},
            user_attrs={
                METRICS_ATTR: {
                    "validity": v,
                    "coherence": c,
                    "js": 0.5 - c / 2,
                    "floor_validity": 1.0,
                    "floor_coherence": 0.9,
                },
                **({"tier": "good"} if i == 1 else {}),
            },
        )
        trial.set_constraint("validity>=0.65", -1.0 if ok else 0.5)
        study.add_trial(trial)
    study.add_trial(create_trial(state=TrialState.PRUNED))
    return study


def test_pareto_trials_are_feasible_and_non_dominated() -> None:
    study = _study()
    # 2 (0.8, 0.5) is dominated by 1 (0.9, 0.6); 3 is infeasible; 4 (0.6, 0.7) survives.
    # Sorted best first on the first objective.
    assert [t.number for t in pareto_trials(study)] == [0, 1, 4]
    table = pareto_table(study)
    assert table.row_count == 3
    assert [c.header for c in table.columns][:3] == ["trial", "validity (max)", "coherence (max)"]
    assert "tier" in [c.header for c in table.columns]


def test_pick() -> None:
    study = _study()
    assert pick_trial(study, parse_conditions(["validity>=0.85"]), maximize="coherence").number == 1
    assert pick_trial(study, [], maximize="coherence").number == 3  # pick ignores constraints
    assert pick_trial(study, parse_conditions(["coherence>0.45"]), minimize="js").number == 3
    with pytest.raises(
        LossbalanceError, match=r"no completed trial of 'r' meets validity >= 0\.99"
    ):
        pick_trial(study, parse_conditions(["validity>=0.99"]), maximize="coherence")
    with pytest.raises(LossbalanceError, match="exactly one of --maximize or --minimize"):
        pick_trial(study, [])
    with pytest.raises(LossbalanceError, match="--maximize: unknown metric 'nope'"):
        pick_trial(study, [], maximize="nope")


def test_reference_point_and_hypervolume_by_hand() -> None:
    objs = [
        Objective(name="validity", direction="maximize"),
        Objective(name="coherence", direction="maximize"),
    ]
    ref = reference_point(objs, np.array(POINTS))
    np.testing.assert_array_equal(ref, [0.0, 0.0])  # worst possible validity and coherence
    # feasible front {(0.95,0.4), (0.9,0.6), (0.6,0.7)} against (0,0):
    # 0.95*0.4 + 0.9*(0.6-0.4) + 0.6*(0.7-0.6) = 0.38 + 0.18 + 0.06 = 0.62
    front = np.array([POINTS[0], POINTS[1], POINTS[2], POINTS[4]])
    assert hypervolume(front, objs, ref) == pytest.approx(0.62)
    numbers, history, _used = hypervolume_history(_study())
    assert numbers == [0, 1, 2, 3, 4]
    assert history == pytest.approx([0.38, 0.56, 0.56, 0.56, 0.62])
    # an unbounded metric: worst observed + 10% of the range (minimisation form)
    other = [
        Objective(name="cooccurrence", direction="maximize"),
        Objective(name="js", direction="minimize"),
    ]
    ref2 = reference_point(other, np.array([[10.0, 0.2], [20.0, 0.4]]))
    assert ref2 == pytest.approx([-10.0 + 1.0, math.sqrt(math.log(2.0))])


def test_plots_are_written(tmp_path: Path) -> None:
    study = _study()
    written = write_study_plots(study, tmp_path / "plots", parse_conditions(["validity>=0.9"]))
    assert set(written) >= {
        "pareto.json",
        "pareto_front.png",
        "pareto_front.html",
        "hypervolume.png",
        "hypervolume.json",
        "importances.json",
    }
    for key in ("pareto_front.png", "hypervolume.png"):
        assert written[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = written["pareto_front.html"].read_text()
    assert "plotly" in html and "real-data floor" in html and "target validity \\u003e= 0.9" in html
    hv = json.loads(written["hypervolume.json"].read_text())
    assert hv["reference_point"] == [0.0, 0.0]
    assert hv["hypervolume"][-1] == pytest.approx(0.62)
    rows = json.loads(written["pareto.json"].read_text())
    assert [r["trial"] for r in rows] == [0, 1, 4]
    imps = json.loads(written["importances.json"].read_text())
    assert set(imps) == {"validity", "coherence"}
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left


def test_plots_need_completed_trials(tmp_path: Path) -> None:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(objectives=parse_objectives("validity,coherence"), n_trials=5)
    study = create_or_load_study(storage, "empty", config)
    with pytest.raises(LossbalanceError, match="no completed trial to plot yet"):
        write_study_plots(study, tmp_path / "p")
