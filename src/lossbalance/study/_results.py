"""Study results: the Pareto trials, a user's pick, hypervolume.

Hypervolume (Zitzler & Thiele 1998) is computed with Optuna's exact WFG helper
(While et al. 2012) over feasible COMPLETE trials, objectives flipped to
minimisation. Reference point, per objective (:func:`reference_point`): the
metric's worst possible value when it is bounded (0 for validity, coherence,
age_valid, sex_valid, top100, coverage; 1 for duplicate_rate and the KS
statistics; sqrt(ln 2) for js), otherwise the worst observed value pushed out by
10% of the observed range (Ishibuchi et al. 2018 recommend a point slightly
worse than the nadir).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna._hypervolume import compute_hypervolume  # no public hypervolume in Optuna 5
from optuna.trial import FrozenTrial, TrialState
from rich.table import Table

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition
from lossbalance.study._config import read_config
from lossbalance.study._objectives import Objective, condition_holds, metric_directions
from lossbalance.study._pruner import to_minimization
from lossbalance.study._workers import METRICS_ATTR

#: Worst possible value of the bounded metrics (in their own direction).
WORST_VALUE: dict[str, float] = {
    "validity": 0.0,
    "age_valid": 0.0,
    "sex_valid": 0.0,
    "top100": 0.0,
    "coverage": 0.0,
    "coherence": 0.0,
    "duplicate_rate": 1.0,
    "codes_per_visit_ks": 1.0,
    "visits_per_patient_ks": 1.0,
    "copy_rate": 1.0,
    "mia_auc": 1.0,
    "js": math.sqrt(math.log(2.0)),
    "code_js": math.sqrt(math.log(2.0)),
    "pair_js": math.sqrt(math.log(2.0)),
}


#: The metrics the Pareto table shows beside the objectives when a trial records many
#: (the real problem records about 30; ``study pareto --json`` writes them all).
TABLE_METRICS: tuple[str, ...] = (
    "validity",
    "coherence",
    "js",
    "top100",
    "cooccurrence",
    "age_valid",
    "sex_valid",
)


def study_objectives(study: optuna.Study) -> list[Objective]:
    """The study's objectives (stored config, else metric names and directions)."""
    try:
        return list(read_config(study).objectives)
    except LossbalanceError:
        names = study.metric_names or [f"objective{i}" for i in range(len(study.directions))]
        return [
            Objective(
                name=n,
                direction="maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize",
            )
            for n, d in zip(names, study.directions, strict=True)
        ]


def trial_metrics(trial: FrozenTrial, objectives: Sequence[Objective]) -> dict[str, float]:
    """Every metric recorded on a trial (NaN for missing), objectives included."""
    out = {
        k: (math.nan if v is None else float(v))
        for k, v in trial.user_attrs.get(METRICS_ATTR, {}).items()
    }
    if trial.values is not None:
        for o, v in zip(objectives, trial.values, strict=True):
            out.setdefault(o.name, float(v))
    return out


#: Trial user attributes :func:`trial_record` passes through: what the experiment
#: trial function and the objective record (the storage holds them, so any machine
#: reads them; see :mod:`lossbalance.study._experiment_trial`).
RECORD_ATTRS: tuple[str, ...] = (
    "tier",
    "spec",
    "log_tail",
    "weights",
    "objective_history",
    "run_dir",
    "lossbalance:worker",
    "fail_reason",
    "pruned_at",
)


def trial_record(trial: FrozenTrial, objectives: Sequence[Objective]) -> dict[str, Any]:
    """Everything the storage holds about one trial, as a JSON-ready mapping: number,
    state, parameters, every metric and the :data:`RECORD_ATTRS` it recorded."""
    out: dict[str, Any] = {
        "trial": trial.number,
        "state": trial.state.name,
        "feasible": is_feasible(trial),
        "params": dict(trial.params),
        "metrics": trial_metrics(trial, objectives),
    }
    out.update({k: trial.user_attrs[k] for k in RECORD_ATTRS if k in trial.user_attrs})
    return out


def log_summary(trial: FrozenTrial) -> str | None:
    """One line from the last record of the trial's stored log tail (epoch counted from
    1, training and validation losses per term), or None when it recorded none."""
    tail = trial.user_attrs.get("log_tail") or []  # _experiment_trial.LOG_TAIL_ATTR
    if not tail or not isinstance(tail[-1], dict):
        return None
    last = tail[-1]

    def losses(key: str) -> str:
        values = last.get(key) or {}
        return ", ".join(f"{t}={_fmt(v)}" for t, v in sorted(values.items()))

    epoch = last.get("epoch")
    parts = [f"epoch {epoch + 1}" if isinstance(epoch, int) else "epoch ?"]  # log.jsonl: 0-based
    parts += [f"{name} {losses(key)}" for key, name in (("train", "train"), ("val", "val"))]
    if isinstance(last.get("seconds"), float | int):
        parts.append(f"{last['seconds']:.3g} s")
    return f"trial {trial.number}, last logged epoch (from the storage): " + "; ".join(parts)


def is_feasible(trial: FrozenTrial) -> bool:
    """All Optuna constraints of the trial are met (``<= 0``)."""
    return all(v <= 0.0 for v in trial.constraints.values())


def pareto_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Feasible COMPLETE trials no other feasible trial dominates, by first objective."""
    objectives = study_objectives(study)
    front = list(study.best_trials)
    return sorted(front, key=lambda t: (objectives[0].sign * t.values[0], t.number))


def trials_frame(study: optuna.Study, trials: Sequence[FrozenTrial] | None = None) -> pd.DataFrame:
    """One row per trial: number, state, feasibility, tier, parameters, all metrics."""
    objectives = study_objectives(study)
    chosen = list(study.get_trials(deepcopy=False)) if trials is None else list(trials)
    rows: list[dict[str, Any]] = []
    for t in chosen:
        row: dict[str, Any] = {
            "trial": t.number,
            "state": t.state.name,
            "feasible": is_feasible(t),
            "tier": t.user_attrs.get("tier"),
        }
        row.update({f"param:{k}": v for k, v in t.params.items()})
        row.update(trial_metrics(t, objectives))
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return "-" if value is None else str(value)


def _param_lines(params: Mapping[str, Any]) -> list[str]:
    """``name=value`` per parameter, names shortened where nothing is lost:
    ``age.family=cosine`` -> ``age=cosine``, then ``age.cosine.start`` -> ``age.start``;
    ``sampling.temperature`` -> ``temperature``."""
    lines = []
    for key, value in params.items():
        parts = key.split(".")
        if len(parts) == 2 and parts[1] == "family":
            name = parts[0]
        elif len(parts) == 3 and params.get(f"{parts[0]}.family") == parts[1]:
            name = f"{parts[0]}.{parts[2]}"
        elif len(parts) == 2 and parts[0] == "sampling":
            name = parts[1]
        else:
            name = key
        lines.append(f"{name}={_fmt(value)}")
    return lines


def pareto_table(study: optuna.Study) -> Table:
    """A rich table of the Pareto trials: objectives, other metrics, parameters, tier.

    Objectives get a column each; the other metrics (``floor_*`` values, the same
    for every trial, left out; only :data:`TABLE_METRICS` when there are more) and
    the parameters are ``name=value`` lines (names shortened by :func:`_param_lines`),
    so that the table stays readable in an 80-column terminal.
    """
    objectives = study_objectives(study)
    front = pareto_trials(study)
    table = Table(title=f"Pareto trials of {study.study_name!r} ({len(front)})")
    if not front:
        table.add_column("no feasible completed trial yet")
        return table
    names = [o.name for o in objectives]
    has_tier = any(t.user_attrs.get("tier") is not None for t in front)
    table.add_column("trial", justify="right")
    for o in objectives:
        table.add_column(
            f"{o.name} ({o.direction[:3]})", justify="right", style="bold", max_width=12
        )
    table.add_column("other metrics", overflow="fold", min_width=18)
    table.add_column("parameters", overflow="fold", min_width=20)
    if has_tier:
        table.add_column("tier")
    for t in front:
        metrics = trial_metrics(t, objectives)
        shown = [k for k in sorted(metrics) if k not in names and not k.startswith("floor_")]
        if len(shown) > len(TABLE_METRICS):
            shown = [k for k in TABLE_METRICS if k in metrics and k not in names]
        others = "\n".join(f"{k}={_fmt(metrics[k])}" for k in shown)
        params = "\n".join(_param_lines(t.params))
        row = [str(t.number), *(_fmt(metrics.get(n, math.nan)) for n in names), others, params]
        if has_tier:
            row.append(_fmt(t.user_attrs.get("tier")))
        table.add_row(*row)
    return table


def pick_target(maximize: str | None, minimize: str | None) -> str:
    """The one metric ``study pick`` ranks by.

    Raises:
        LossbalanceError: neither or both given, or an unknown metric.
    """
    if (maximize is None) == (minimize is None):
        raise LossbalanceError("pick: give exactly one of --maximize or --minimize")
    target = maximize if maximize is not None else minimize
    assert target is not None
    known = metric_directions()
    if target not in known:
        raise LossbalanceError(
            f"--{'maximize' if maximize else 'minimize'}: unknown metric {target!r} "
            f"(known: {', '.join(sorted(known))})"
        )
    return target


def pick_trial(
    study: optuna.Study,
    where: Sequence[Condition] = (),
    *,
    maximize: str | None = None,
    minimize: str | None = None,
) -> FrozenTrial:
    """The COMPLETE trial a user would choose: meets ``where``, best on one metric.

    Ties go to the lower trial number.

    Raises:
        LossbalanceError: no or two targets, unknown metric, or no trial meets ``where``.
    """
    target = pick_target(maximize, minimize)
    objectives = study_objectives(study)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    ok: list[tuple[float, int, FrozenTrial]] = []
    for t in complete:
        metrics = trial_metrics(t, objectives)
        value = metrics.get(target, math.nan)
        if all(condition_holds(c, metrics) for c in where) and math.isfinite(value):
            ok.append(((-value if maximize else value), t.number, t))
    if not ok:
        conds = " and ".join(str(c) for c in where) or "(no condition)"
        raise LossbalanceError(
            f"pick: no completed trial of {study.study_name!r} meets {conds} "
            f"with a value for {target} ({len(complete)} completed)"
        )
    return min(ok, key=lambda x: (x[0], x[1]))[2]


def reference_point(objectives: Sequence[Objective], values: np.ndarray) -> np.ndarray:
    """The hypervolume reference point in minimisation form (see the module docstring).

    Args:
        objectives: the study's objectives.
        values: observed objective values, shape ``(n, m)``, in their own directions.
    """
    signs = [o.sign for o in objectives]
    vals = np.asarray(values, dtype=np.float64).reshape(-1, len(objectives))
    ref = np.empty(len(objectives))
    for j, o in enumerate(objectives):
        if o.name in WORST_VALUE and o.direction == metric_directions().get(o.name):
            ref[j] = signs[j] * WORST_VALUE[o.name]
            continue
        col = to_minimization(vals[:, j : j + 1], [signs[j]])[:, 0]
        col = col[np.isfinite(col)]
        if col.size == 0:
            ref[j] = 1.0
            continue
        span = float(col.max() - col.min())
        ref[j] = float(col.max()) + (0.1 * span if span > 0 else max(abs(col.max()) * 0.1, 1e-9))
    return ref


def hypervolume(values: np.ndarray, objectives: Sequence[Objective], ref: np.ndarray) -> float:
    """Hypervolume dominated by ``values`` (own directions) up to ``ref`` (minimisation)."""
    pts = to_minimization(
        np.asarray(values, dtype=np.float64).reshape(-1, len(objectives)),
        [o.sign for o in objectives],
    )
    pts = pts[np.all(pts <= ref, axis=1)]
    if pts.shape[0] == 0:
        return 0.0
    return float(compute_hypervolume(pts, np.asarray(ref, dtype=np.float64)))


def hypervolume_history(
    study: optuna.Study, ref: np.ndarray | None = None
) -> tuple[list[int], list[float], np.ndarray]:
    """Hypervolume after each COMPLETE trial (feasible ones count), and the reference.

    Returns:
        trial numbers, hypervolume after each, and the reference point used.
    """
    objectives = study_objectives(study)
    complete = sorted(
        study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number
    )
    all_values = np.array([t.values for t in complete], dtype=np.float64).reshape(
        -1, len(objectives)
    )
    if ref is None:
        ref = reference_point(objectives, all_values)
    numbers: list[int] = []
    history: list[float] = []
    kept: list[Sequence[float]] = []
    for t in complete:
        if is_feasible(t):
            kept.append(t.values)
        numbers.append(t.number)
        history.append(hypervolume(np.array(kept), objectives, ref) if kept else 0.0)
    return numbers, history, ref
