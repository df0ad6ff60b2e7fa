"""Study plots, written atomically under one folder.

* ``pareto_front.png`` (matplotlib) and ``pareto_front.html`` (plotly, self-contained,
  hover shows the trial's parameters and metrics): the first two objectives; Pareto
  trials solid, dominated, infeasible and pruned-free COMPLETE trials faded;
  ``--target`` conditions on those metrics as dashed lines; the real-data floor
  (mean of the trials' ``floor_<metric>`` values, when recorded) as a star; trials
  confirmed on ``held_out`` (``study confirm``) as squares at their held-out mean with
  95% interval error bars, a thin line from their tuning-set point.
* ``hypervolume.png`` and ``hypervolume.json``: hypervolume after each completed
  trial, with the reference point (see :mod:`lossbalance.study._results`).
* ``importances.json`` and ``importances_<objective>.png``: parameter importances
  per objective (Optuna's default PED-ANOVA evaluator, Watanabe et al. 2023).
* ``weights_pareto.png``: the loss weights along training of the Pareto trials
  (from their ``weights`` user attribute; real problem only).
* ``pareto.json``: the Pareto trials (parameters and every metric).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from matplotlib.figure import Figure
from optuna.trial import FrozenTrial, TrialState

from lossbalance._atomic import atomic_path, write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition
from lossbalance.study._objectives import Objective
from lossbalance.study._results import (
    hypervolume_history,
    is_feasible,
    pareto_trials,
    study_objectives,
    trial_metrics,
    trials_frame,
)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _write_json(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(_json_safe(data), indent=2, sort_keys=True) + "\n")


def _floor(trials: Sequence[FrozenTrial], objectives: Sequence[Objective]) -> list[float] | None:
    out = []
    for o in objectives:
        vals = [trial_metrics(t, objectives).get(f"floor_{o.name}", math.nan) for t in trials]
        finite = [v for v in vals if math.isfinite(v)]
        if not finite:
            return None
        out.append(float(np.mean(finite)))
    return out


def _front_data(
    study: optuna.Study,
) -> tuple[list[Objective], list[FrozenTrial], list[FrozenTrial], list[float] | None]:
    objectives = study_objectives(study)
    if len(objectives) < 2:
        raise LossbalanceError(
            f"study {study.study_name!r}: a Pareto front needs two objectives, it has one"
        )
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    front = pareto_trials(study)
    front_ids = {t.number for t in front}
    rest = [t for t in complete if t.number not in front_ids]
    return objectives, front, rest, _floor(complete, objectives[:2])


def plot_pareto_png(study: optuna.Study, path: Path, targets: Sequence[Condition] = ()) -> Path:
    """Write the Pareto-front scatter (first two objectives) as a PNG."""
    objectives, front, rest, floor = _front_data(study)
    x_name, y_name = objectives[0].name, objectives[1].name
    fig = Figure(figsize=(6.4, 4.8), dpi=120)
    ax = fig.add_subplot()
    if rest:
        ax.scatter(
            [t.values[0] for t in rest],
            [t.values[1] for t in rest],
            s=18,
            alpha=0.25,
            color="tab:gray",
            label="dominated or infeasible",
        )
    if front:
        pts = sorted((t.values[0], t.values[1]) for t in front)
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            "-o",
            color="tab:blue",
            ms=5,
            label=f"Pareto trials ({len(front)})",
        )
        for t in front:
            ax.annotate(
                str(t.number),
                (t.values[0], t.values[1]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    _confirmed_png(ax, study, front, rest, objectives)
    for cond in targets:
        if cond.metric == x_name:
            ax.axvline(cond.value, ls="--", color="tab:red", lw=1, label=f"target {cond}")
        elif cond.metric == y_name:
            ax.axhline(cond.value, ls="--", color="tab:orange", lw=1, label=f"target {cond}")
    if floor is not None:
        ax.scatter(
            [floor[0]],
            [floor[1]],
            marker="*",
            s=160,
            color="tab:green",
            label="real-data floor (train sample vs tuning)",
        )
    ax.set_xlabel(f"{x_name} ({objectives[0].direction})")
    ax.set_ylabel(f"{y_name} ({objectives[1].direction})")
    ax.set_title(f"Pareto front of {study.study_name!r}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def _confirmed_png(
    ax: Any,
    study: optuna.Study,
    front: Sequence[FrozenTrial],
    rest: Sequence[FrozenTrial],
    objectives: Sequence[Objective],
) -> None:
    """Held-out means with 95% interval error bars, joined to their tuning points."""
    from lossbalance.study._confirm import confirmed_floor, confirmed_points

    points = confirmed_points(study, [*front, *rest], objectives)
    if not points:
        return
    for p in points:
        ax.plot(*zip(p.tuning, p.mean, strict=True), "-", color="tab:purple", lw=0.6, alpha=0.5)
    n = sorted({p.n for p in points})
    done = sum(1 for t in front if any(p.number == t.number for p in points))
    floor = confirmed_floor(study, objectives)
    if floor is not None:
        ax.scatter(
            [floor[0]],
            [floor[1]],
            marker="*",
            s=160,
            facecolors="none",
            edgecolors="tab:purple",
            label="real-data floor (train sample vs held_out)",
        )
    ax.errorbar(
        [p.mean[0] for p in points],
        [p.mean[1] for p in points],
        xerr=[[p.below[0] for p in points], [p.above[0] for p in points]],
        yerr=[[p.below[1] for p in points], [p.above[1] for p in points]],
        fmt="s",
        ms=4,
        color="tab:purple",
        capsize=2,
        lw=0.8,
        label=(
            f"held_out mean, 95% interval (n={'/'.join(map(str, n))}; "
            f"{done} of {len(front)} Pareto trials confirmed)"
        ),
    )


def _confirmed_html(
    fig: Any, study: optuna.Study, trials: Sequence[FrozenTrial], objectives: Sequence[Objective]
) -> None:
    import plotly.graph_objects as go

    from lossbalance.study._confirm import confirmed_points

    points = confirmed_points(study, trials, objectives)
    if not points:
        return
    fig.add_trace(
        go.Scatter(
            x=[p.mean[0] for p in points],
            y=[p.mean[1] for p in points],
            mode="markers",
            name="confirmed on held_out (95% interval)",
            marker={"symbol": "square", "color": "purple"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [p.above[0] for p in points],
                "arrayminus": [p.below[0] for p in points],
            },
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [p.above[1] for p in points],
                "arrayminus": [p.below[1] for p in points],
            },
            text=[f"trial {p.number}, held_out, n={p.n}" for p in points],
            hoverinfo="text+x+y",
        )
    )


def plot_pareto_html(study: optuna.Study, path: Path, targets: Sequence[Condition] = ()) -> Path:
    """Write the interactive Pareto front (plotly, self-contained HTML)."""
    import plotly.graph_objects as go

    objectives, front, rest, floor = _front_data(study)
    x_name, y_name = objectives[0].name, objectives[1].name

    def hover(t: FrozenTrial) -> str:
        parts = [f"trial {t.number}"]
        parts += [
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items()
        ]
        parts += [
            f"{k}={v:.4g}"
            for k, v in sorted(trial_metrics(t, objectives).items())
            if math.isfinite(v)
        ]
        return "<br>".join(parts)

    fig = go.Figure()
    if rest:
        fig.add_trace(
            go.Scatter(
                x=[t.values[0] for t in rest],
                y=[t.values[1] for t in rest],
                mode="markers",
                name="dominated or infeasible",
                opacity=0.25,
                marker={"color": "gray"},
                text=[hover(t) for t in rest],
                hoverinfo="text",
            )
        )
    if front:
        ordered = sorted(front, key=lambda t: t.values[0])
        fig.add_trace(
            go.Scatter(
                x=[t.values[0] for t in ordered],
                y=[t.values[1] for t in ordered],
                mode="lines+markers",
                name=f"Pareto trials ({len(front)})",
                text=[hover(t) for t in ordered],
                hoverinfo="text",
            )
        )
    _confirmed_html(fig, study, [*front, *rest], objectives)
    for cond in targets:
        if cond.metric == x_name:
            fig.add_vline(
                x=cond.value, line_dash="dash", line_color="red", annotation_text=f"target {cond}"
            )
        elif cond.metric == y_name:
            fig.add_hline(
                y=cond.value,
                line_dash="dash",
                line_color="orange",
                annotation_text=f"target {cond}",
            )
    if floor is not None:
        fig.add_trace(
            go.Scatter(
                x=[floor[0]],
                y=[floor[1]],
                mode="markers",
                name="real-data floor",
                marker={"symbol": "star", "size": 16, "color": "green"},
            )
        )
    fig.update_layout(
        title=f"Pareto front of {study.study_name!r}",
        xaxis_title=f"{x_name} ({objectives[0].direction})",
        yaxis_title=f"{y_name} ({objectives[1].direction})",
        template="plotly_white",
    )
    with atomic_path(path) as tmp:
        fig.write_html(str(tmp), include_plotlyjs=True, full_html=True)
    return path


def plot_hypervolume(study: optuna.Study, png: Path, js: Path) -> tuple[Path, Path]:
    """Write the hypervolume history (PNG and JSON with the reference point)."""
    objectives = study_objectives(study)
    numbers, history, ref = hypervolume_history(study)
    _write_json(
        js,
        {
            "objectives": [str(o) for o in objectives],
            "reference_point_minimization": ref.tolist(),
            "reference_point": [o.sign * r for o, r in zip(objectives, ref, strict=True)],
            "trials": numbers,
            "hypervolume": history,
        },
    )
    fig = Figure(figsize=(6.4, 4.0), dpi=120)
    ax = fig.add_subplot()
    ax.step(numbers, history, where="post", color="tab:blue")
    ref_text = ", ".join(f"{o.name}={o.sign * r:.3g}" for o, r in zip(objectives, ref, strict=True))
    ax.set_title(f"Hypervolume history (reference {ref_text})", fontsize=9)
    ax.set_xlabel("trial number")
    ax.set_ylabel("hypervolume")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png")
    return png, js


def _objective_value(index: int) -> Callable[[FrozenTrial], float]:
    def target(trial: FrozenTrial) -> float:
        return float(trial.values[index])

    return target


def param_importances(study: optuna.Study) -> dict[str, dict[str, float] | str]:
    """Parameter importances per objective, or the reason they could not be computed."""
    objectives = study_objectives(study)
    out: dict[str, dict[str, float] | str] = {}
    for i, o in enumerate(objectives):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                imp = optuna.importance.get_param_importances(study, target=_objective_value(i))
            out[o.name] = {k: float(v) for k, v in imp.items()}
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            out[o.name] = f"not computed: {exc}"
    return out


def plot_importances(study: optuna.Study, out_dir: Path) -> list[Path]:
    """Write ``importances.json`` and one bar chart per objective."""
    imps = param_importances(study)
    written = [_write_json(out_dir / "importances.json", imps)]
    for name, imp in imps.items():
        if not isinstance(imp, dict) or not imp:
            continue
        items = sorted(imp.items(), key=lambda kv: kv[1])
        fig = Figure(figsize=(6.0, 0.4 * len(items) + 1.2), dpi=120)
        ax = fig.add_subplot()
        ax.barh([k for k, _ in items], [v for _, v in items], color="tab:blue")
        ax.set_xlabel("importance (PED-ANOVA, normalised)")
        ax.set_title(f"Parameter importances for {name}")
        fig.tight_layout()
        path = out_dir / f"importances_{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        written.append(path)
    return written


def plot_weight_trajectories(study: optuna.Study, path: Path) -> Path | None:
    """Write the loss weights along training of the Pareto trials (one panel per term).

    Reads each trial's ``weights`` user attribute (written by the experiment trial
    function); returns None when no Pareto trial has one (the toy problem). The
    ``lm`` panel is left out when ``lm`` weighs 1 throughout in every trial.
    """
    from lossbalance.study._experiment_trial import WEIGHTS_ATTR

    front = [t for t in pareto_trials(study) if t.user_attrs.get(WEIGHTS_ATTR)]
    if not front:
        return None
    order = ["lm", "age", "sex", "validity"]
    seen: set[str] = set()
    for t in front:
        seen.update(t.user_attrs[WEIGHTS_ATTR].get("weights", {}))
    terms = [t for t in order if t in seen] + sorted(seen - set(order))
    if "lm" in terms and len(terms) > 1:
        flat = [v for t in front for v in t.user_attrs[WEIGHTS_ATTR]["weights"].get("lm", [1.0])]
        if all(v == 1.0 for v in flat):
            terms.remove("lm")
    fig = Figure(figsize=(4.2 * len(terms), 3.6), dpi=110)
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    cmap = matplotlib_colours(len(front))
    for ax, term in zip(axes, terms, strict=True):
        values: list[float] = []
        for t, colour in zip(front, cmap, strict=True):
            traj = t.user_attrs[WEIGHTS_ATTR]
            w = traj.get("weights", {}).get(term)
            if not w:
                continue
            values.extend(v for v in w if v > 0)
            ax.plot(traj["epoch"], w, color=colour, lw=1.5, label=f"trial {t.number}")
        if values and max(values) / min(values) > 100:
            ax.set_yscale("log")
        ax.set_title(f"{term} weight", fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Loss weights of the Pareto trials of {study.study_name!r}", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def matplotlib_colours(n: int) -> list[Any]:
    """``n`` distinct colours (tab10, then tab20)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def write_study_plots(
    study: optuna.Study, out_dir: str | Path, targets: Sequence[Condition] = ()
) -> dict[str, Path]:
    """Write every plot and table of a study under ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise LossbalanceError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise LossbalanceError(f"study {study.study_name!r}: no completed trial to plot yet")
    written: dict[str, Path] = {}
    front = pareto_trials(study)
    frame = trials_frame(study, front)
    written["pareto.json"] = _write_json(out / "pareto.json", frame.to_dict(orient="records"))
    if len(study.directions) >= 2:
        written["pareto_front.png"] = plot_pareto_png(study, out / "pareto_front.png", targets)
        written["pareto_front.html"] = plot_pareto_html(study, out / "pareto_front.html", targets)
        png, js = plot_hypervolume(study, out / "hypervolume.png", out / "hypervolume.json")
        written["hypervolume.png"], written["hypervolume.json"] = png, js
    weights = plot_weight_trajectories(study, out / "weights_pareto.png")
    if weights is not None:
        written["weights_pareto.png"] = weights
    for path in plot_importances(study, out):
        written[path.name] = path
    return written


__all__ = [
    "is_feasible",
    "param_importances",
    "plot_hypervolume",
    "plot_importances",
    "plot_pareto_html",
    "plot_pareto_png",
    "plot_weight_trajectories",
    "write_study_plots",
]
