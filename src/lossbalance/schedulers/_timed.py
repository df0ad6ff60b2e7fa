"""Time-driven families: ``linear``, ``cosine``, ``exponential``, ``step``, ``warmup``.

Each is a function ``f(t)`` of training time ``t``, counted in optimiser steps
(``unit: step``, ``t = state.step``) or in fractional epochs (``unit: epoch``,
``t = state.epoch_progress``). Every family composes with a linear warmup: with
``warmup = W > 0`` the weight ramps linearly from ``warmup_start`` to ``f(0)`` over
``t in [0, W)`` and then follows ``f(t - W)``. Weights never go below zero: a
parameter set that would drive one there is refused when the scheduler is built.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._registry import register_scheduler

if TYPE_CHECKING:
    from lossbalance.training import TrainState

Unit = Literal["step", "epoch"]


class TimedParams(SchedulerParams):
    """Parameters every time-driven family shares."""

    unit: Unit = Field("epoch", description="Time unit: optimiser steps or (fractional) epochs.")
    warmup: float = Field(
        0.0, ge=0.0, allow_inf_nan=False, description="Length of a linear warmup ramp, in units."
    )
    warmup_start: float = Field(
        0.0, ge=0.0, allow_inf_nan=False, description="Weight at t = 0 when warmup > 0."
    )


class TimedScheduler(WeightScheduler):
    """A weight that is a pure function of training time (no state of its own).

    Subclasses implement :meth:`curve` (the schedule before the warmup shift);
    :meth:`value` adds the warmup. Every owned term gets the same weight.
    """

    max_terms: ClassVar[int | None] = None
    params: TimedParams

    def curve(self, t: float) -> float:  # pragma: no cover - abstract in spirit
        raise NotImplementedError

    def time(self, state: TrainState) -> float:
        """Training time of ``state`` in this schedule's unit."""
        return float(state.step) if self.params.unit == "step" else state.epoch_progress

    def value(self, t: float) -> float:
        """The weight at time ``t`` (in units since the schedule started), warmup included."""
        w = self.params.warmup
        if t < w:
            start = self.params.warmup_start
            return start + (self.curve(0.0) - start) * (t / w)
        return self.curve(t - w)

    def weights(self, state: TrainState) -> dict[str, float]:
        v = self.value(self.time(state))
        return dict.fromkeys(self.terms, v)


def _below_zero(field: str, start: float, end: float, how: str) -> ValueError:
    return ValueError(
        f"{field}: a decay {how} drives the weight from {start:g} to {end:g}, below zero"
    )


class LinearParams(TimedParams):
    """Parameters of :class:`LinearScheduler`: give ``end`` or ``slope``, not both."""

    start: float = Field(ge=0.0, allow_inf_nan=False, description="Weight at t = 0.")
    end: float | None = Field(None, allow_inf_nan=False, description="Weight from t = duration on.")
    slope: float | None = Field(
        None, allow_inf_nan=False, description="Change per unit (instead of end)."
    )
    duration: float = Field(gt=0.0, allow_inf_nan=False, description="Units from start to end.")

    @model_validator(mode="after")
    def _end_or_slope(self) -> LinearParams:
        if (self.end is None) == (self.slope is None):
            raise ValueError("end: give exactly one of end and slope")
        end = self.final
        if end < 0:
            how = (
                f"of slope {self.slope:g} per {self.unit} over {self.duration:g} {self.unit}s"
                if self.slope is not None
                else f"to end={end:g}"
            )
            raise _below_zero("slope" if self.slope is not None else "end", self.start, end, how)
        return self

    @property
    def final(self) -> float:
        """The weight the decay reaches at ``t = duration``."""
        if self.end is not None:
            return self.end
        assert self.slope is not None
        return self.start + self.slope * self.duration


@register_scheduler("linear")
class LinearScheduler(TimedScheduler):
    """Linear interpolation, then hold: ``w(t) = s + (e - s) * min(t / T, 1)``.

    ``s = start``, ``e = end`` (or ``start + slope * T``), ``T = duration``. The
    schedule of the seed's plan, "decay 0.01/0.2 to 0.001/0.001", and of linear
    loss-weight annealing in general (e.g. KL annealing, Bowman et al. 2016,
    "Generating Sentences from a Continuous Space", CoNLL).
    """

    Params: ClassVar[type[SchedulerParams]] = LinearParams
    citation: ClassVar[str] = "linear annealing (Bowman et al. 2016, CoNLL)"
    example_params: ClassVar[Mapping[str, Any]] = {
        "start": 0.2,
        "end": 0.001,
        "duration": 5,
        "unit": "epoch",
    }
    params: LinearParams

    def curve(self, t: float) -> float:
        p = self.params
        return p.start + (p.final - p.start) * min(max(t / p.duration, 0.0), 1.0)


class CosineParams(TimedParams):
    """Parameters of :class:`CosineScheduler`."""

    start: float = Field(ge=0.0, allow_inf_nan=False, description="Weight at t = 0.")
    end: float = Field(ge=0.0, allow_inf_nan=False, description="Weight from t = duration on.")
    duration: float = Field(gt=0.0, allow_inf_nan=False, description="Units from start to end.")


@register_scheduler("cosine")
class CosineScheduler(TimedScheduler):
    """Half-cosine annealing, then hold.

    ``w(t) = e + (s - e) * (1 + cos(pi * min(t / T, 1))) / 2``; the learning-rate
    schedule of Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR (one cycle, no restart), applied to a loss weight.
    """

    Params: ClassVar[type[SchedulerParams]] = CosineParams
    citation: ClassVar[str] = "Loshchilov & Hutter 2017, SGDR, ICLR"
    example_params: ClassVar[Mapping[str, Any]] = {
        "start": 0.2,
        "end": 0.001,
        "duration": 5,
        "warmup": 1,
    }
    params: CosineParams

    def curve(self, t: float) -> float:
        p = self.params
        x = min(max(t / p.duration, 0.0), 1.0)
        return p.end + (p.start - p.end) * 0.5 * (1.0 + math.cos(math.pi * x))


class ExponentialParams(TimedParams):
    """Parameters of :class:`ExponentialScheduler`: ``end`` and ``duration``, or ``gamma``."""

    start: float = Field(gt=0.0, allow_inf_nan=False, description="Weight at t = 0 (> 0).")
    end: float | None = Field(
        None, gt=0.0, allow_inf_nan=False, description="Weight reached at t = duration (> 0)."
    )
    duration: float | None = Field(
        None, gt=0.0, allow_inf_nan=False, description="Units from start to end."
    )
    gamma: float | None = Field(
        None, gt=0.0, allow_inf_nan=False, description="Factor per unit (instead of end/duration)."
    )
    floor: float = Field(
        0.0, ge=0.0, allow_inf_nan=False, description="With gamma: the weight never decays below."
    )

    @model_validator(mode="after")
    def _one_form(self) -> ExponentialParams:
        by_end = self.end is not None or self.duration is not None
        if by_end == (self.gamma is not None):
            raise ValueError("gamma: give either end and duration, or gamma")
        if by_end and (self.end is None or self.duration is None):
            raise ValueError("duration: end and duration go together")
        return self


@register_scheduler("exponential")
class ExponentialScheduler(TimedScheduler):
    """Exponential (geometric) decay.

    With ``end``/``duration``: ``w(t) = s * (e / s) ** min(t / T, 1)``, a straight line
    in log-weight that holds at ``e``. With ``gamma``: ``w(t) = max(s * gamma ** t,
    floor)``, the form of PyTorch's ``ExponentialLR`` (any ``gamma > 0``; ``gamma > 1``
    grows). Never below zero.
    """

    Params: ClassVar[type[SchedulerParams]] = ExponentialParams
    citation: ClassVar[str] = "exponential decay (torch.optim.lr_scheduler.ExponentialLR form)"
    example_params: ClassVar[Mapping[str, Any]] = {"start": 0.2, "end": 0.001, "duration": 5}
    params: ExponentialParams

    def curve(self, t: float) -> float:
        p = self.params
        if p.gamma is not None:
            return max(p.start * p.gamma**t, p.floor)
        assert p.end is not None and p.duration is not None
        x = min(max(t / p.duration, 0.0), 1.0)
        return p.start * (p.end / p.start) ** x


class StepParams(TimedParams):
    """Parameters of :class:`StepScheduler`."""

    start: float = Field(
        ge=0.0, allow_inf_nan=False, description="Weight before the first milestone."
    )
    milestones: list[float] = Field(
        min_length=1, description="Strictly increasing times (units) at which the weight changes."
    )
    gamma: float | None = Field(
        None, gt=0.0, allow_inf_nan=False, description="Factor applied at every milestone."
    )
    values: list[float] | None = Field(
        None, description="Weight after each milestone (instead of gamma), one per milestone."
    )

    @model_validator(mode="after")
    def _check(self) -> StepParams:
        ms = self.milestones
        if any(not math.isfinite(m) or m < 0 for m in ms):
            raise ValueError(f"milestones: must be finite and >= 0, got {ms}")
        if any(b <= a for a, b in itertools.pairwise(ms)):
            raise ValueError(f"milestones: must be strictly increasing, got {ms}")
        if (self.gamma is None) == (self.values is None):
            raise ValueError("gamma: give exactly one of gamma and values")
        if self.values is not None:
            if len(self.values) != len(ms):
                raise ValueError(
                    f"values: needs one weight per milestone ({len(ms)}), got {len(self.values)}"
                )
            bad = [v for v in self.values if not (math.isfinite(v) and v >= 0)]
            if bad:
                raise ValueError(f"values: must be finite and >= 0, got {bad[0]:g}")
        return self


@register_scheduler("step")
class StepScheduler(TimedScheduler):
    """Piecewise-constant weight changing at milestones.

    ``w(t) = s * gamma ** k(t)`` with ``k(t)`` the number of milestones ``<= t`` (PyTorch's
    ``MultiStepLR`` form), or ``w(t) = values[k(t) - 1]`` (``s`` before the first one).
    """

    Params: ClassVar[type[SchedulerParams]] = StepParams
    citation: ClassVar[str] = "step decay (torch.optim.lr_scheduler.MultiStepLR form)"
    example_params: ClassVar[Mapping[str, Any]] = {"start": 0.2, "milestones": [2, 4], "gamma": 0.1}
    params: StepParams

    def curve(self, t: float) -> float:
        p = self.params
        k = bisect.bisect_right(p.milestones, t)
        if p.values is not None:
            return p.start if k == 0 else p.values[k - 1]
        assert p.gamma is not None
        return p.start * p.gamma**k


class WarmupParams(TimedParams):
    """Parameters of :class:`WarmupScheduler`."""

    target: float = Field(ge=0.0, allow_inf_nan=False, description="Weight held after the ramp.")
    duration: float = Field(gt=0.0, allow_inf_nan=False, description="Units of the ramp.")
    start: float = Field(0.0, ge=0.0, allow_inf_nan=False, description="Weight at t = 0.")


@register_scheduler("warmup")
class WarmupScheduler(TimedScheduler):
    """Ramp up linearly, then hold: ``w(t) = s + (target - s) * min(t / T, 1)``.

    Linear warmup as in Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training
    ImageNet in 1 Hour" (there for the learning rate); for an auxiliary loss it lets the
    main objective settle before the auxiliary pull arrives.
    """

    Params: ClassVar[type[SchedulerParams]] = WarmupParams
    citation: ClassVar[str] = "linear warmup (Goyal et al. 2017, arXiv:1706.02677)"
    example_params: ClassVar[Mapping[str, Any]] = {"target": 0.2, "duration": 100, "unit": "step"}
    params: WarmupParams

    def curve(self, t: float) -> float:
        p = self.params
        return p.start + (p.target - p.start) * min(max(t / p.duration, 0.0), 1.0)
