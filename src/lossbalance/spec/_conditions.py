"""Outcome-tier conditions (``validity >= 0.95``) and the regions they carve out.

A condition compares one metric with a number. A tier is the conjunction of its
conditions, so the set of metric vectors that satisfy it is an axis-aligned box:
one interval per metric, the metric's whole domain where the tier says nothing.
Boxes make the tier checks exact: a tier is *contradictory* when its box is empty,
and *shadowed* when the boxes of the tiers listed before it cover its box (every
metric vector that reaches it reaches an earlier tier first). Covering is decided
by box subtraction, the standard construction for unions of orthogonal boxes
(e.g. de Berg et al., *Computational Geometry*, 3rd ed., 2008, ch. 10).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_serializer, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from lossbalance.spec._names import metric_domain, metric_names

Operator = Literal[">=", ">", "<=", "<"]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
CONDITION_PATTERN = rf"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*({_NUMBER})\s*$"
"""What a condition string looks like: ``metric op number`` (``js < 0.3``)."""
_CONDITION = re.compile(CONDITION_PATTERN)


@dataclass(frozen=True)
class Interval:
    """A set of reals between ``lo`` and ``hi``; each end open or closed."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = False
    hi_closed: bool = False

    @property
    def empty(self) -> bool:
        """True when no real number lies in the interval."""
        if self.lo > self.hi:
            return True
        if self.lo == self.hi:
            return not (self.lo_closed and self.hi_closed) or math.isinf(self.lo)
        return False

    def intersect(self, other: Interval) -> Interval:
        """The interval of numbers in both."""
        if self.lo > other.lo:
            lo, lo_closed = self.lo, self.lo_closed
        elif other.lo > self.lo:
            lo, lo_closed = other.lo, other.lo_closed
        else:
            lo, lo_closed = self.lo, self.lo_closed and other.lo_closed
        if self.hi < other.hi:
            hi, hi_closed = self.hi, self.hi_closed
        elif other.hi < self.hi:
            hi, hi_closed = other.hi, other.hi_closed
        else:
            hi, hi_closed = self.hi, self.hi_closed and other.hi_closed
        return Interval(lo, hi, lo_closed, hi_closed)

    def minus(self, other: Interval) -> list[Interval]:
        """The parts of this interval outside ``other`` (at most two, none empty)."""
        if self.intersect(other).empty:
            return [] if self.empty else [self]
        below = self.intersect(Interval(-math.inf, other.lo, False, not other.lo_closed))
        above = self.intersect(Interval(other.hi, math.inf, not other.hi_closed, False))
        return [part for part in (below, above) if not part.empty]

    def __str__(self) -> str:
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{left}{self.lo:g}, {self.hi:g}{right}"


Box = dict[str, Interval]
"""One interval per constrained metric; a metric not in the box spans its domain."""


def _domain(metric: str) -> Interval:
    lo, hi = metric_domain(metric)
    return Interval(lo, hi, not math.isinf(lo), not math.isinf(hi))


def box_empty(box: Mapping[str, Interval]) -> bool:
    """True when no metric vector lies in ``box``."""
    return any(interval.empty for interval in box.values())


def box_minus(a: Mapping[str, Interval], b: Mapping[str, Interval]) -> list[Box]:
    """``a`` without ``b``, as disjoint non-empty boxes.

    Peels ``a`` one dimension of ``b`` at a time: the slabs of ``a`` outside ``b``'s
    interval on that metric are kept, and ``a`` is narrowed to the inside before the
    next metric.
    """
    rest: Box = dict(a)
    overlap = {m: rest.get(m, _domain(m)).intersect(iv) for m, iv in b.items()}
    if box_empty(rest) or box_empty(overlap):
        return [] if box_empty(rest) else [rest]
    pieces: list[Box] = []
    for metric, interval in b.items():
        current = rest.get(metric, _domain(metric))
        pieces.extend({**rest, metric: part} for part in current.minus(interval))
        rest[metric] = current.intersect(interval)
    return pieces


def uncovered(box: Mapping[str, Interval], covers: Iterable[Mapping[str, Interval]]) -> list[Box]:
    """The parts of ``box`` outside every box of ``covers`` (empty list: fully covered)."""
    remaining: list[Box] = [] if box_empty(box) else [dict(box)]
    for cover in covers:
        remaining = [piece for part in remaining for piece in box_minus(part, cover)]
        if not remaining:
            break
    return remaining


class Condition(BaseModel):
    """``metric op value``: one requirement of an outcome tier.

    Written in YAML as a string, ``"validity >= 0.95"`` (or as a mapping with
    ``metric``, ``op`` and ``value``); dumped back as the string. ``metric`` is any
    metric the evaluation produces (:data:`lossbalance.spec.METRIC_NAMES`).
    A metric whose value is NaN fails every condition on it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    op: Operator
    value: float

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _CONDITION.match(data)
            if match is None:
                raise ValueError(
                    f"condition {data!r} is not 'metric op number' with op one of >=, >, <=, <"
                    " (e.g. 'validity >= 0.95')"
                )
            return {"metric": match[1], "op": match[2], "value": float(match[3])}
        return data

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if not math.isfinite(self.value):
            raise ValueError(f"condition on {self.metric!r}: the threshold must be finite")
        known = metric_names()
        if self.metric not in known:
            raise ValueError(
                f"unknown metric {self.metric!r}; known metrics: {', '.join(sorted(known))}"
            )
        return self

    @model_serializer(mode="plain")
    def _to_string(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        names = "|".join(sorted(metric_names(), key=lambda n: (-len(n), n)))
        return {
            "type": "string",
            "pattern": rf"^\s*({names})\s*(>=|<=|>|<)\s*({_NUMBER})\s*$",
            "description": "metric op number, e.g. 'validity >= 0.95' (op: >=, >, <=, <)",
            "examples": ["validity >= 0.95", "js < 0.3"],
        }

    def __str__(self) -> str:
        value = self.value
        shown = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return f"{self.metric} {self.op} {shown}"

    def holds(self, value: float) -> bool:
        """Whether a metric value satisfies the condition (NaN never does)."""
        if self.op == ">=":
            return value >= self.value
        if self.op == ">":
            return value > self.value
        if self.op == "<=":
            return value <= self.value
        return value < self.value

    def interval(self) -> Interval:
        """The values of the metric that satisfy the condition, within its domain."""
        if self.op in (">=", ">"):
            own = Interval(self.value, math.inf, self.op == ">=", False)
        else:
            own = Interval(-math.inf, self.value, False, self.op == "<=")
        return _domain(self.metric).intersect(own)


def conditions_box(conditions: Sequence[Condition]) -> Box:
    """The box of metric vectors satisfying every condition."""
    box: Box = {}
    for condition in conditions:
        current = box.get(condition.metric, _domain(condition.metric))
        box[condition.metric] = current.intersect(condition.interval())
    return box


def contradiction(conditions: Sequence[Condition]) -> str | None:
    """Why ``conditions`` can never hold together, or None when they can.

    Names the conditions on the first metric whose interval is empty, or the one
    condition that lies outside its metric's domain (``top100 > 1``).
    """
    by_metric: dict[str, list[Condition]] = {}
    for condition in conditions:
        by_metric.setdefault(condition.metric, []).append(condition)
    for metric, group in by_metric.items():
        interval = _domain(metric)
        for condition in group:
            interval = interval.intersect(condition.interval())
        if interval.empty:
            if len(group) == 1:
                return f"'{group[0]}' is outside the range of {metric}, {_domain(metric)}"
            listed = " and ".join(f"'{c}'" for c in group)
            return f"{listed} contradict each other"
    return None
