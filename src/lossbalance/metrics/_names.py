"""The metric names, their directions, and the version of their definitions."""

from __future__ import annotations

import math
from typing import Literal

from lossbalance._errors import LossbalanceError

Direction = Literal["maximize", "minimize"]

DEFINITIONS_VERSION = "lossbalance-metrics/1"
"""Version of the metric definitions (DESIGN.md "Metric definitions (exact)" plus the
decisions written down in docs/metrics.md). Bump it whenever a number could change."""

METRIC_DIRECTIONS: dict[str, Direction] = dict(
    {
        # medical validity (generated diagnosis codes only)
        "validity": "maximize",
        "age_valid": "maximize",
        "sex_valid": "maximize",
        "duplicate_rate": "minimize",
        "rule_coverage": "maximize",  # a report figure: how much validity judged
        # semantic coherence
        "coherence": "maximize",
        "js": "minimize",
        "top100": "maximize",
        "cooccurrence": "maximize",
        "cooccurrence_ratio": "maximize",
        "coverage": "maximize",
        "unknown_rate": "minimize",
        # distribution checks
        "ks_codes_per_visit": "minimize",
        "ks_visits_per_patient": "minimize",
        "r2_unigram": "maximize",
        "r2_pair": "maximize",
    }
)
"""Every metric :meth:`MetricsResult.flat` reports, with the direction that is better.

``MetricsResult.flat()`` also holds ``floor_<name>`` for each of these (the same metric
for the held-out real cohort against R, same direction). A plain ``dict`` so that other
packages can test it with ``isinstance(..., dict)``; treat it as read-only."""

METRIC_NAMES: tuple[str, ...] = tuple(METRIC_DIRECTIONS)
"""The metric names, in report order."""

FLOOR_PREFIX = "floor_"


def metric_direction(name: str) -> Direction:
    """The direction of metric ``name`` (a name of :data:`METRIC_DIRECTIONS` or
    ``floor_<name>``); an unknown name is a :class:`LossbalanceError`."""
    base = name[len(FLOOR_PREFIX) :] if name.startswith(FLOOR_PREFIX) else name
    try:
        return METRIC_DIRECTIONS[base]
    except KeyError:
        raise LossbalanceError(
            f"unknown metric {name!r}: expected one of {', '.join(METRIC_NAMES)} (or floor_<name>)"
        ) from None


def check_metric_names(names: object, source: str = "objectives") -> list[str]:
    """Check that every name in ``names`` is a metric name; return them as a list.

    Raises:
        LossbalanceError: one line naming ``source`` and the first unknown name.
    """
    if isinstance(names, str):
        names = [names]
    out = [str(n) for n in names]  # type: ignore[attr-defined]
    for n in out:
        try:
            metric_direction(n)
        except LossbalanceError as exc:
            raise LossbalanceError(f"{source}: {exc}") from None
    return out


def oriented(value: float, direction: Direction) -> float:
    """``value`` turned so that larger is better; NaN counts as the worst value."""
    if math.isnan(value):
        return -math.inf
    return value if direction == "maximize" else -value
