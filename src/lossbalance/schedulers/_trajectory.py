"""Weight trajectories of schedules: from their formulas, or from a short real run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers._base import WeightScheduler
from lossbalance.schedulers._curriculum import CurriculumScheduler
from lossbalance.schedulers._spec import ScheduleSpec, build_schedulers
from lossbalance.training._state import TrainState

if TYPE_CHECKING:
    import os

    from lossbalance.data import Cohort


@dataclass
class Trajectory:
    """Weights of every scheduled term at each optimiser step.

    Attributes:
        weights: term -> weight at steps ``0..n-1``.
        steps_per_epoch: to draw epoch ticks.
        source: ``formula`` (simulated clock) or ``training run``.
        losses: term -> raw loss per step (training runs only).
        switches: ``(step, label)`` marks, e.g. curriculum phase changes.
    """

    weights: dict[str, np.ndarray]
    steps_per_epoch: int
    source: str
    losses: dict[str, np.ndarray] = field(default_factory=dict)
    switches: list[tuple[int, str]] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return len(next(iter(self.weights.values()))) if self.weights else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "source": self.source,
            "steps_per_epoch": self.steps_per_epoch,
            "weights": {t: w.tolist() for t, w in self.weights.items()},
            "losses": {t: v.tolist() for t, v in self.losses.items()},
            "switches": [list(s) for s in self.switches],
        }


def _schedulers(specs: Sequence[ScheduleSpec | WeightScheduler]) -> list[WeightScheduler]:
    built = [s for s in specs if isinstance(s, WeightScheduler)]
    pending = [s for s in specs if isinstance(s, ScheduleSpec)]
    if len(pending) == 1 and pending[0].terms is None:  # a single-term file: name it "weight"
        return [*built, pending[0].build(("weight",))]
    return built + build_schedulers(pending)


def needs_training(
    scheduler: WeightScheduler, metrics: Mapping[str, Any] | None = None
) -> str | None:
    """Why ``scheduler``'s trajectory needs a real run (None when a formula suffices)."""
    if scheduler.adaptive:
        return f"{scheduler.name!r} adapts to the run's losses/gradients"
    if isinstance(scheduler, CurriculumScheduler):
        missing = [m for m in scheduler.metric_triggers if m not in (metrics or {})]
        if missing:
            return f"the curriculum waits for metric {missing[0]!r}"
    return None


def simulate_trajectory(
    specs: Sequence[ScheduleSpec | WeightScheduler],
    steps: int,
    steps_per_epoch: int = 100,
    metrics: Mapping[str, Sequence[float]] | None = None,
    eval_every: int = 1,
) -> Trajectory:
    """Drive non-adaptive schedules through ``steps`` steps of a simulated clock.

    Hooks are called as the trainer calls them (step end, epoch end, an evaluation
    every ``eval_every`` epochs). ``metrics`` gives each watched metric's value at
    successive evaluations (the last one repeats), so metric-triggered curricula can
    be drawn without training.

    Raises:
        LossbalanceError: an adaptive family (use :func:`trained_trajectory`) or a
            curriculum metric without values.
    """
    if steps < 1 or steps_per_epoch < 1 or eval_every < 1:
        raise LossbalanceError("steps, steps_per_epoch and eval_every must be >= 1")
    scheds = _schedulers(specs)
    for s in scheds:
        why = needs_training(s, metrics)
        if why:
            hint = (
                "its trajectory needs a training run"
                if s.adaptive
                else "give the metric's values at successive evaluations (--metric NAME=V1,V2,...)"
            )
            raise LossbalanceError(f"schedule {s.name!r}: {why}; {hint}")
    terms = [t for s in scheds for t in s.terms]
    out = {t: np.empty(steps) for t in terms}
    st = TrainState(steps_per_epoch=steps_per_epoch)
    switches: list[tuple[int, str]] = []
    phases = {id(s): _phase(s) for s in scheds}
    evals = 0
    for i in range(steps):
        for s in scheds:
            for t, w in s.weights(st).items():
                out[t][i] = w
            now = _phase(s)
            if now != phases[id(s)]:
                switches.append((i, f"{s.name}: {now}"))
                phases[id(s)] = now
        st.weights = {t: float(out[t][i]) for t in terms}
        st.step += 1
        for s in scheds:
            s.on_step_end(st)
        if st.step % steps_per_epoch == 0:
            for s in scheds:
                s.on_epoch_end(st)
            st.epoch += 1
            if metrics and st.epoch % eval_every == 0:
                st.metrics = {m: float(v[min(evals, len(v) - 1)]) for m, v in metrics.items()}
                evals += 1
                for s in scheds:
                    s.on_evaluation(st)
    return Trajectory(out, steps_per_epoch, "formula", switches=switches)


def _phase(s: WeightScheduler) -> str | None:
    if not isinstance(s, CurriculumScheduler):
        return None
    phase = s.params.phases[s.phase]
    return phase.name or f"phase {s.phase}"


def trained_trajectory(
    specs: Sequence[ScheduleSpec | WeightScheduler],
    steps: int,
    patients: int = 400,
    seed: int = 0,
    batch_size: int = 32,
    eval_every: int = 0,
    cohort: Cohort | None = None,
) -> Trajectory:
    """Weights (and raw losses) of a short real run of the default generator.

    Trains :func:`lossbalance.training.build_generator`'s default-size model on the
    simulator's default cohort of ``patients`` patients (or on ``cohort``) for
    ``ceil(steps / steps_per_epoch)`` epochs and records every step's weights and raw
    losses, truncated to ``steps``.
    """
    scheds = _schedulers(specs)
    try:
        from lossbalance.data import simulate
        from lossbalance.model import GeneratorConfig
        from lossbalance.training import Callback, Trainer, TrainerConfig

        if cohort is None:
            cohort = simulate(patients, seed=seed)
    except (ImportError, NotImplementedError) as exc:  # trainer or simulator not there yet
        detail = str(exc) or "not implemented"
        raise LossbalanceError(
            "adaptive schedule plots need a short training run on the simulator's cohort, "
            f"which is not available yet ({type(exc).__name__}: {detail}); pass a cohort "
            "file (--cohort)"
        ) from None
    model_config = GeneratorConfig(validity="validity" in {t for s in scheds for t in s.terms})
    spe_probe = math.ceil(round(cohort.n_patients * 0.9) / batch_size)
    epochs = max(1, math.ceil(steps / max(spe_probe, 1)))
    config = TrainerConfig(
        epochs=epochs, batch_size=batch_size, seed=seed, device="cpu", eval_every=eval_every
    )

    rows: list[tuple[dict[str, float], dict[str, float]]] = []

    class _Record(Callback):
        def on_step_end(self, trainer: Any, state: TrainState) -> None:
            rows.append((dict(state.weights), dict(state.losses)))

    trainer = Trainer.from_cohort(cohort, model_config, config, scheds, callbacks=[_Record()])
    trainer.fit()
    rows = rows[:steps]
    terms = [t for s in scheds for t in s.terms]
    weights = {t: np.array([r[0][t] for r in rows]) for t in terms}
    losses = {t: np.array([r[1].get(t, np.nan) for r in rows]) for t in rows[0][1]} if rows else {}
    return Trajectory(weights, trainer.state.steps_per_epoch, "training run", losses=losses)


def trajectory(
    specs: Sequence[ScheduleSpec | WeightScheduler],
    steps: int,
    steps_per_epoch: int = 100,
    metrics: Mapping[str, Sequence[float]] | None = None,
    eval_every: int = 1,
    patients: int = 400,
    seed: int = 0,
    cohort: Cohort | None = None,
) -> Trajectory:
    """The formula trajectory when every schedule allows it, else a short real run."""
    scheds = _schedulers(specs)
    if any(s.adaptive for s in scheds):
        return trained_trajectory(scheds, steps, patients=patients, seed=seed, cohort=cohort)
    return simulate_trajectory(scheds, steps, steps_per_epoch, metrics, eval_every)


def plot_trajectory(traj: Trajectory, out: str | os.PathLike[str], title: str = "") -> None:
    """Draw the weights (log scale when they span > 2 decades) to a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lossbalance._atomic import atomic_path

    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    x = np.arange(traj.n_steps) / traj.steps_per_epoch
    for term, w in traj.weights.items():
        ax.plot(x, w, label=term, linewidth=1.6)
    values = np.concatenate([w[w > 0] for w in traj.weights.values()] or [np.ones(1)])
    if values.size and values.max() / max(values.min(), 1e-300) > 100:
        has_zero = any(bool(np.any(w <= 0)) for w in traj.weights.values())
        if has_zero:  # zeros stay visible: linear below the smallest positive weight
            ax.set_yscale("symlog", linthresh=float(values.min()))
        else:
            ax.set_yscale("log")
    for step, label in traj.switches:
        ax.axvline(step / traj.steps_per_epoch, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            label,
            (step / traj.steps_per_epoch, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            rotation=90,
            va="top",
            ha="right",
            color="grey",
        )
    ax.set_xlabel(f"epoch ({traj.steps_per_epoch} steps each)")
    ax.set_ylabel("loss weight")
    ax.set_title(title or f"weight trajectory ({traj.source})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    try:
        with atomic_path(out, suffix=".png") as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
