"""Objectives and conditions of a study: metric names, directions, ``validity>=0.9``.

Metric names and directions come from :mod:`lossbalance.metrics`. Conditions are
the experiment spec's :class:`lossbalance.spec.Condition` (tiers use the same), with
the two readings a study needs: :func:`condition_holds` on a metrics mapping and
:func:`condition_violation` (Optuna's constraint value).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition

Direction = Literal["maximize", "minimize"]


def metric_directions() -> dict[str, Direction]:
    """Every metric name a study may optimise or constrain, with its direction.

    The metrics package's table (:data:`lossbalance.metrics.METRIC_DIRECTIONS`) less
    the metrics best at a value (:data:`lossbalance.metrics.CONSTRAINT_ONLY`), which
    only constraints may name.
    """
    from lossbalance.metrics import CONSTRAINT_ONLY, METRIC_DIRECTIONS

    return {k: v for k, v in METRIC_DIRECTIONS.items() if k not in CONSTRAINT_ONLY}


class Objective(BaseModel):
    """One objective of a study: a metric name and its direction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    direction: Direction

    def __str__(self) -> str:
        return f"{self.name}:{self.direction}"

    @property
    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is to be minimised."""
        return 1.0 if self.direction == "minimize" else -1.0


def _unknown(field: str, name: str, known: Iterable[str]) -> LossbalanceError:
    return LossbalanceError(f"{field}: unknown metric {name!r} (known: {', '.join(sorted(known))})")


def parse_objectives(spec: str | Sequence[str], *, field: str = "--objectives") -> list[Objective]:
    """Parse ``"validity,coherence"`` or ``["js:minimize", "validity"]``.

    A name without a direction takes the metric's own direction. Names are
    checked against :func:`metric_directions`.

    Raises:
        LossbalanceError: empty list, unknown metric, bad direction or a repeat.
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    items = [item.strip() for item in items if item.strip()]
    if not items:
        raise LossbalanceError(f"{field}: no objective given")
    known = metric_directions()
    out: list[Objective] = []
    for item in items:
        name, _, direction = item.partition(":")
        name, direction = name.strip(), direction.strip().lower()
        if name not in known:
            from lossbalance.metrics import metric_direction

            try:
                metric_direction(name)  # a one-line reason for constraint-only names
            except LossbalanceError as exc:
                raise LossbalanceError(f"{field}: {exc}") from None
            raise _unknown(field, name, known)
        if direction in ("", "auto"):
            direction = known[name]
        elif direction in ("max", "maximize"):
            direction = "maximize"
        elif direction in ("min", "minimize"):
            direction = "minimize"
        else:
            raise LossbalanceError(
                f"{field}: direction {direction!r} of {name!r} must be maximize or minimize"
            )
        if any(o.name == name for o in out):
            raise LossbalanceError(f"{field}: objective {name!r} given twice")
        out.append(Objective(name=name, direction=direction))  # type: ignore[arg-type]
    return out


def condition_holds(cond: Condition, metrics: Mapping[str, float]) -> bool:
    """Whether ``cond`` holds on ``metrics``; a missing or NaN metric does not hold."""
    x = metrics.get(cond.metric)
    if x is None or not math.isfinite(float(x)):
        return False
    return cond.holds(float(x))


def condition_violation(cond: Condition, metrics: Mapping[str, float]) -> float:
    """Optuna's constraint value of ``cond``: feasible when ``<= 0``.

    ``value - x`` for ``>=``/``>``, ``x - value`` for ``<=``/``<`` (strict and
    non-strict are the same constraint). A missing or NaN metric raises (the trial
    then fails with that reason).
    """
    x = metrics.get(cond.metric)
    if x is None or not math.isfinite(float(x)):
        raise ValueError(f"constraint {cond}: metric {cond.metric!r} is missing or NaN")
    return cond.value - float(x) if cond.op in (">=", ">") else float(x) - cond.value


def parse_condition(text: str | Condition, *, field: str = "--where") -> Condition:
    """Parse ``"validity>=0.95"`` into the spec's :class:`~lossbalance.spec.Condition`.

    Raises:
        LossbalanceError: ``field: why`` (unreadable text, unknown metric).
    """
    if isinstance(text, Condition):
        return text
    try:
        return Condition.model_validate(text)
    except ValidationError as exc:
        msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise LossbalanceError(f"{field}: {msg}") from None


def parse_conditions(texts: Iterable[str], *, field: str = "--where") -> list[Condition]:
    """Parse several conditions (each ``metric op number``)."""
    return [parse_condition(t, field=field) for t in texts]
