"""Objectives and conditions of a study: metric names, directions, ``validity>=0.9``.

Metric names and directions come from :mod:`lossbalance.metrics`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from lossbalance._errors import LossbalanceError

Direction = Literal["maximize", "minimize"]


def metric_directions() -> dict[str, Direction]:
    """Every metric name a study may optimise or constrain, with its direction.

    The metrics package's table (:data:`lossbalance.metrics.METRIC_DIRECTIONS`).
    """
    from lossbalance.metrics import METRIC_DIRECTIONS

    return dict(METRIC_DIRECTIONS)


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


_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")


class Condition(BaseModel):
    """A condition on one metric, such as ``validity >= 0.95``.

    Strict and non-strict comparisons hold as written; as an Optuna constraint
    both become the same non-strict inequality (see :meth:`violation`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    op: Literal[">=", ">", "<=", "<"]
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    @classmethod
    def parse(cls, text: str, *, field: str = "--where") -> Condition:
        """Parse ``"validity>=0.95"``; the metric name must be known."""
        match = _CONDITION.match(text)
        if match is None:
            raise LossbalanceError(
                f"{field}: cannot read condition {text!r} (expected e.g. 'validity>=0.95')"
            )
        metric, op, raw = match.groups()
        known = metric_directions()
        if metric not in known:
            raise _unknown(field, metric, known)
        try:
            value = float(raw)
        except ValueError:
            raise LossbalanceError(f"{field}: {raw!r} in {text!r} is not a number") from None
        return cls(metric=metric, op=op, value=value)  # type: ignore[arg-type]

    def holds(self, metrics: Mapping[str, float]) -> bool:
        """Whether the condition holds; a missing or NaN metric does not hold."""
        x = metrics.get(self.metric)
        if x is None or not math.isfinite(float(x)):
            return False
        x = float(x)
        if self.op == ">=":
            return x >= self.value
        if self.op == ">":
            return x > self.value
        if self.op == "<=":
            return x <= self.value
        return x < self.value

    def violation(self, metrics: Mapping[str, float]) -> float:
        """Optuna's constraint value: feasible when ``<= 0``.

        ``value - x`` for ``>=``/``>``, ``x - value`` for ``<=``/``<``. A missing or
        NaN metric raises (the trial then fails with that reason).
        """
        x = metrics.get(self.metric)
        if x is None or not math.isfinite(float(x)):
            raise ValueError(f"constraint {self}: metric {self.metric!r} is missing or NaN")
        return self.value - float(x) if self.op in (">=", ">") else float(x) - self.value


def parse_conditions(texts: Iterable[str], *, field: str = "--where") -> list[Condition]:
    """Parse several conditions (each ``metric op number``)."""
    return [Condition.parse(t, field=field) for t in texts]
