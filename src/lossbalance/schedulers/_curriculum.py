"""The ``curriculum`` family: phases of weights, switched by time or by a metric.

A curriculum owns one or more terms and walks through ``phases`` in order. Each
phase gives every owned term a constant weight or a nested time-driven schedule
(``linear``, ``cosine``, ...), whose clock starts when the phase starts. A phase
ends at an absolute time (``until: {epoch: 4}`` / ``{step: 500}``), after a time
spent in it (``until: {epochs: 3}`` / ``{steps: 200}``), or when an evaluation
metric crosses a threshold on ``for`` consecutive evaluations
(``until: {metric: sex_valid, at_least: 0.95, for: 2}``); the next phase may
restate the boundary as ``start:``. With ``blend > 0`` the weight moves linearly
from the old phase's value to the new one's over ``blend`` units after a switch::

    family: curriculum
    terms: [sex]
    params:
      blend: 0.5
      phases:
        - {weight: 0.2, until: {metric: sex_valid, at_least: 0.95, for: 2}}
        - weight: {family: linear, params: {start: 0.2, end: 0.001, duration: 5}}

Curriculum learning in the sense of Bengio et al. 2009, "Curriculum Learning",
ICML: the training signal changes in planned stages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._fixed import FixedScheduler
from lossbalance.schedulers._registry import register_scheduler
from lossbalance.schedulers._spec import ScheduleSpec
from lossbalance.schedulers._timed import TimedScheduler, Unit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lossbalance.training import TrainState

FALLBACK_METRICS: tuple[str, ...] = (
    "age_valid",
    "sex_valid",
    "duplicate_rate",
    "validity",
    "js",
    "top100",
    "cooccurrence",
    "cooccurrence_ratio",
    "coverage",
    "coherence",
)
"""Metric names of DESIGN.md, used while :mod:`lossbalance.metrics` exports none."""


def known_metrics() -> tuple[str, ...]:
    """Names a metric trigger may use: :mod:`lossbalance.metrics`'s, else the fallback."""
    try:
        from lossbalance import metrics as _metrics
    except Exception:  # metrics package absent or broken: keep the documented names
        return FALLBACK_METRICS
    for attr in ("METRIC_NAMES", "metric_names"):
        names = getattr(_metrics, attr, None)
        if callable(names):
            names = names()
        if names:
            return tuple(sorted(set(names) | set(FALLBACK_METRICS)))
    return FALLBACK_METRICS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Until(_Strict):
    """When a phase ends: exactly one of the time forms, or a metric trigger."""

    epoch: float | None = Field(None, ge=0, allow_inf_nan=False, description="At this epoch.")
    step: int | None = Field(None, ge=0, description="At this optimiser step.")
    epochs: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="After N epochs in it."
    )
    steps: int | None = Field(None, gt=0, description="After N steps in the phase.")
    metric: str | None = Field(None, description="Evaluation metric to watch.")
    at_least: float | None = Field(None, allow_inf_nan=False, description="Switch when >= this.")
    at_most: float | None = Field(None, allow_inf_nan=False, description="Switch when <= this.")
    times: int = Field(
        1, ge=1, alias="for", description="Consecutive evaluations the condition must hold."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Until:
        kinds = [
            k
            for k in ("epoch", "step", "epochs", "steps", "metric")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "epoch: give exactly one of epoch, step, epochs, steps, metric"
                + (f" (got {', '.join(kinds)})" if kinds else "")
            )
        if self.metric is not None:
            if (self.at_least is None) == (self.at_most is None):
                raise ValueError(
                    "at_least: a metric trigger needs exactly one of at_least, at_most"
                )
            names = known_metrics()
            if self.metric not in names:
                raise ValueError(
                    f"metric: unknown metric {self.metric!r}; known: {', '.join(names)}"
                )
        elif (
            self.at_least is not None
            or self.at_most is not None
            or "times" in self.model_fields_set
        ):
            raise ValueError("metric: at_least/at_most/for only go with metric")
        return self

    @property
    def absolute(self) -> tuple[Unit, float] | None:
        """``(unit, time)`` for an absolute boundary, else None."""
        if self.epoch is not None:
            return ("epoch", self.epoch)
        if self.step is not None:
            return ("step", float(self.step))
        return None


class Start(_Strict):
    """A phase's start, restating the previous phase's absolute end."""

    epoch: float | None = Field(None, ge=0, allow_inf_nan=False)
    step: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> Start:
        if (self.epoch is None) == (self.step is None):
            raise ValueError("epoch: give exactly one of epoch, step")
        return self

    @property
    def absolute(self) -> tuple[Unit, float]:
        return ("epoch", self.epoch) if self.epoch is not None else ("step", float(self.step or 0))


def _weight_or_schedule(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a weight or a schedule, got {value!r}")
    if isinstance(value, int | float):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError("must be finite and >= 0")
        return float(value)
    spec = value if isinstance(value, ScheduleSpec) else ScheduleSpec.model_validate(value)
    cls = spec.scheduler_class
    if issubclass(cls, FixedScheduler):
        return float(spec.params.get("weight", 1.0))
    if not issubclass(cls, TimedScheduler):
        raise ValueError(
            f"family: a phase's schedule must be time-driven (fixed, linear, cosine, "
            f"exponential, step, warmup), not {spec.family!r}"
        )
    return spec


PhaseWeight = Annotated[float | ScheduleSpec, BeforeValidator(_weight_or_schedule)]


class Phase(_Strict):
    """One phase: a weight (or schedule) for every term, and when it ends."""

    name: str | None = Field(None, description="A label for plots and logs.")
    weight: PhaseWeight | None = Field(None, description="Weight or schedule of every term.")
    weights: dict[str, PhaseWeight] | None = Field(None, description="Per-term weight or schedule.")
    start: Start | None = Field(None, description="Restates the previous phase's absolute end.")
    until: Until | None = Field(None, description="When the phase ends (none on the last).")

    @model_validator(mode="after")
    def _weight_xor_weights(self) -> Phase:
        if (self.weight is None) == (self.weights is None):
            raise ValueError("weight: give exactly one of weight and weights")
        return self

    def for_term(self, term: str) -> float | ScheduleSpec:
        if self.weights is not None:
            return self.weights[term]
        assert self.weight is not None
        return self.weight


class CurriculumParams(SchedulerParams):
    """Parameters of :class:`CurriculumScheduler`."""

    phases: list[Phase] = Field(min_length=1, description="The phases, in order.")
    blend: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="Units of linear blending after a switch."
    )
    blend_unit: Unit = Field("epoch", description="Unit of blend.")

    @model_validator(mode="after")
    def _order(self) -> CurriculumParams:
        ph = self.phases
        last = len(ph) - 1
        if ph[last].until is not None:
            raise ValueError(f"phases.{last}.until: the last phase has no phase after it")
        if ph[0].start is not None and ph[0].start.absolute[1] != 0:
            raise ValueError("phases.0.start: the first phase starts at 0")
        boundaries: list[tuple[str, Unit, float]] = []
        for i in range(last):
            until, nxt = ph[i].until, ph[i + 1].start
            if until is None and nxt is None:
                raise ValueError(f"phases.{i}.until: missing (or give phases.{i + 1}.start)")
            if nxt is not None:
                if until is not None and until.absolute is None:
                    raise ValueError(
                        f"phases.{i + 1}.start: phase {i} ends on a metric or a duration, "
                        "so its end time is not known in advance; remove start"
                    )
                s_unit, s_time = nxt.absolute
                if until is not None and until.absolute is not None:
                    u_unit, u_time = until.absolute
                    if u_unit != s_unit:
                        raise ValueError(
                            f"phases.{i + 1}.start: in {s_unit}s but phases.{i}.until in {u_unit}s"
                        )
                    if s_time < u_time:
                        raise ValueError(
                            f"phases.{i + 1}.start: {s_unit} {s_time:g} is before phases.{i}.until "
                            f"{u_unit} {u_time:g} (phases overlap)"
                        )
                    if s_time > u_time:
                        raise ValueError(
                            f"phases.{i + 1}.start: {s_unit} {s_time:g} leaves a gap after "
                            f"phases.{i}.until {u_unit} {u_time:g}"
                        )
                boundaries.append((f"phases.{i + 1}.start", s_unit, s_time))
            elif until is not None and until.absolute is not None:
                boundaries.append((f"phases.{i}.until", *until.absolute))
        units = {u for _, u, _ in boundaries}
        if len(units) > 1:
            raise ValueError(f"{boundaries[-1][0]}: mixes step and epoch boundaries; use one unit")
        for (_, _, a), (field, unit, b) in itertools.pairwise(boundaries):
            if b <= a:
                raise ValueError(
                    f"{field}: {unit} {b:g} is not after the previous boundary {unit} {a:g} "
                    "(phases out of order)"
                )
        return self


@register_scheduler("curriculum")
class CurriculumScheduler(WeightScheduler):
    """Phased weights (Bengio et al. 2009, "Curriculum Learning", ICML).

    Within phase ``k`` started at time ``t_k`` a term's weight is its constant, or
    its nested schedule at ``t - t_k`` (in that schedule's unit). With blending, for
    ``t`` in ``[t_k, t_k + B)``: ``w = (1 - a) * w_{k-1}(t) + a * w_k(t)``,
    ``a = (t - t_k) / B``. A metric trigger counts consecutive evaluations meeting
    the threshold (any miss resets the count); time boundaries are exact (a phase
    ending at epoch 4 ends at step ``4 * steps_per_epoch``). Every term must be
    given a weight in every phase.
    """

    Params: ClassVar[type[SchedulerParams]] = CurriculumParams
    max_terms: ClassVar[int | None] = None
    citation: ClassVar[str] = "Bengio et al. 2009, Curriculum Learning, ICML"
    example_terms: ClassVar[tuple[str, ...]] = ("age", "sex")
    example_params: ClassVar[Mapping[str, Any]] = {
        "blend": 0.5,
        "phases": [
            {"name": "validity", "weights": {"age": 0.01, "sex": 0.2}, "until": {"epoch": 1}},
            {
                "name": "hold",
                "weight": 0.2,
                "until": {"metric": "sex_valid", "at_least": 0.95, "for": 2},
            },
            {
                "name": "coherence",
                "weight": {
                    "family": "linear",
                    "params": {"start": 0.2, "end": 0.001, "duration": 2},
                },
            },
        ],
    }
    params: CurriculumParams

    def __init__(
        self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None
    ):
        super().__init__(terms, params)
        self._nested: list[dict[str, float | TimedScheduler]] = []
        for i, phase in enumerate(self.params.phases):
            if phase.weights is not None:
                missing = [t for t in self.terms if t not in phase.weights]
                extra = [t for t in phase.weights if t not in self.terms]
                if missing or extra:
                    what = (
                        f"no weight for {missing[0]!r}"
                        if missing
                        else f"{extra[0]!r} is not a term of this curriculum "
                        f"({', '.join(self.terms)})"
                    )
                    raise LossbalanceError(
                        f"scheduler 'curriculum' params.phases.{i}.weights: {what}"
                    )
            row: dict[str, float | TimedScheduler] = {}
            for term in self.terms:
                w = phase.for_term(term)
                built = w.build([term]) if isinstance(w, ScheduleSpec) else w
                assert isinstance(built, float | TimedScheduler)
                row[term] = built
            self._nested.append(row)
        self._reset()

    def _reset(self) -> None:
        self.phase = 0
        self.phase_start = (0.0, 0.0)  # (step, epoch) where the current phase began
        self.previous: tuple[int, tuple[float, float]] | None = None
        self.hits = 0

    @property
    def metric_triggers(self) -> list[str]:
        """The metrics this curriculum's phases wait for (empty: purely time-driven)."""
        return [p.until.metric for p in self.params.phases if p.until and p.until.metric]

    # -- time --------------------------------------------------------------------------

    @staticmethod
    def _at(unit: Unit, time: float, spe: int) -> tuple[float, float]:
        spe = max(spe, 1)
        return (time * spe, time) if unit == "epoch" else (time, time / spe)

    def _boundary(self, state: TrainState) -> tuple[float, float] | None:
        """(step, epoch) at which the current phase ends by time, or None."""
        i = self.phase
        phases = self.params.phases
        if i + 1 >= len(phases):
            return None
        until, nxt = phases[i].until, phases[i + 1].start
        spe = state.steps_per_epoch
        if nxt is not None:
            return self._at(*nxt.absolute, spe)
        assert until is not None
        if until.absolute is not None:
            return self._at(*until.absolute, spe)
        s0, e0 = self.phase_start
        if until.epochs is not None:
            return self._at("epoch", e0 + until.epochs, spe)
        if until.steps is not None:
            return self._at("step", s0 + until.steps, spe)
        return None  # metric

    def _switch(self, at: tuple[float, float]) -> None:
        start = (max(at[0], self.phase_start[0]), max(at[1], self.phase_start[1]))
        self.previous = (self.phase, self.phase_start)
        self.phase += 1
        self.phase_start = start
        self.hits = 0

    def _advance(self, state: TrainState) -> None:
        while True:
            b = self._boundary(state)
            if b is None or state.step < b[0] - 1e-9:
                return
            self._switch(b)

    def _phase_value(
        self, k: int, start: tuple[float, float], term: str, state: TrainState
    ) -> float:
        w = self._nested[k][term]
        if isinstance(w, float):
            return w
        t = state.step - start[0] if w.params.unit == "step" else state.epoch_progress - start[1]
        return w.value(max(t, 0.0))

    # -- contract ----------------------------------------------------------------------

    def weights(self, state: TrainState) -> dict[str, float]:
        self._advance(state)
        out = {t: self._phase_value(self.phase, self.phase_start, t, state) for t in self.terms}
        blend = self.params.blend
        if blend > 0 and self.previous is not None:
            s0, e0 = self.phase_start
            since = (
                state.step - s0 if self.params.blend_unit == "step" else state.epoch_progress - e0
            )
            if since < blend:
                a = max(since, 0.0) / blend
                k, start = self.previous
                for t in self.terms:
                    out[t] = (1 - a) * self._phase_value(k, start, t, state) + a * out[t]
        return out

    def on_step_end(self, state: TrainState) -> None:
        self._advance(state)

    def on_evaluation(self, state: TrainState) -> None:
        self._advance(state)
        phases = self.params.phases
        if self.phase + 1 >= len(phases):
            return
        until = phases[self.phase].until
        if until is None or until.metric is None:
            return
        value = state.metrics.get(until.metric)
        if value is None:
            have = ", ".join(sorted(state.metrics)) or "none"
            raise LossbalanceError(
                f"scheduler 'curriculum' params.phases.{self.phase}.until.metric: {until.metric!r} "
                f"is not among the evaluation's metrics ({have})"
            )
        ok = (
            value >= until.at_least
            if until.at_least is not None
            else value <= (until.at_most or 0.0)
        )
        self.hits = self.hits + 1 if ok else 0
        if self.hits >= until.times:
            self._switch((float(state.step), state.epoch_progress))

    def state_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "phase_start": list(self.phase_start),
            "previous": None
            if self.previous is None
            else [self.previous[0], list(self.previous[1])],
            "hits": self.hits,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.phase = int(state["phase"])
        s, e = state["phase_start"]
        self.phase_start = (float(s), float(e))
        prev = state["previous"]
        self.previous = (
            None if prev is None else (int(prev[0]), (float(prev[1][0]), float(prev[1][1])))
        )
        self.hits = int(state["hits"])
