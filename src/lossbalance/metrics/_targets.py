"""Metric targets (``{"validity": ">=0.95", "js": "<0.3"}``) and their pass/fail check."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from lossbalance._errors import LossbalanceError
from lossbalance.metrics._names import METRIC_DIRECTIONS, METRIC_NAMES

Op = Literal[">=", ">", "<=", "<", "=="]
_TARGET = re.compile(r"^\s*(>=|<=|==|>|<)?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class Target(BaseModel):
    """A threshold on one metric: ``value <op> threshold`` passes (NaN never does)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    op: Op
    threshold: float

    def passed(self, value: float) -> bool:
        if math.isnan(value):
            return False
        t = self.threshold
        return {
            ">=": value >= t,
            ">": value > t,
            "<=": value <= t,
            "<": value < t,
            "==": value == t,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.op}{self.threshold:g}"


def parse_target(metric: str, spec: object, source: str = "targets") -> Target:
    """One target from ``"<op><number>"`` or a bare number.

    A bare number means "at least" for a metric to maximize and "at most" for one to
    minimize. Unknown metrics and malformed thresholds are one-line errors naming
    ``source`` and the metric.
    """
    if metric not in METRIC_DIRECTIONS:
        raise LossbalanceError(
            f"{source}: unknown metric {metric!r} (known: {', '.join(METRIC_NAMES)})"
        )
    if isinstance(spec, bool) or not isinstance(spec, int | float | str):
        raise LossbalanceError(
            f"{source}: target of {metric!r} must be like '>=0.95', got {spec!r}"
        )
    if isinstance(spec, int | float):
        op: Op = ">=" if METRIC_DIRECTIONS[metric] == "maximize" else "<="
        return Target(metric=metric, op=op, threshold=float(spec))
    match = _TARGET.match(spec)
    if match is None:
        raise LossbalanceError(
            f"{source}: target of {metric!r} must be like '>=0.95', got {spec!r}"
        )
    sign, number = match.groups()
    if sign is None:
        return parse_target(metric, float(number), source)
    return Target.model_validate({"metric": metric, "op": sign, "threshold": float(number)})


def parse_targets(targets: Mapping[str, object], source: str = "targets") -> list[Target]:
    """Targets from a mapping ``{metric: "<op><number>" | number}``."""
    if not isinstance(targets, Mapping):
        raise LossbalanceError(f"{source}: targets must be a mapping of metric to threshold")
    return [parse_target(str(name), spec, source) for name, spec in targets.items()]


def load_targets(path: str | os.PathLike[str]) -> list[Target]:
    """Targets from a YAML or JSON file (a mapping ``metric: threshold``)."""
    src = Path(path)
    if not src.is_file():
        raise LossbalanceError(f"{src}: targets file not found")
    text = src.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if src.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LossbalanceError(
            f"{src}: not valid {src.suffix.lstrip('.') or 'YAML'}: {first}"
        ) from None
    if data is None:
        return []
    return parse_targets(data, str(src))
