"""The metric names, their groups and directions, and the version of their definitions."""

from __future__ import annotations

import math
from typing import Literal

from lossbalance._errors import LossbalanceError

Direction = Literal["maximize", "minimize"]

DEFINITIONS_VERSION = "lossbalance-metrics/2"
"""Version of the metric definitions (DESIGN.md "Metric definitions (exact)" plus the
decisions written down in docs/metrics.md). Bump it whenever a number could change.

``/2``: two-sided coherence without smoothing against a reference split, diversity and
memorization metrics, the floor as a sample of train (``/1``: add-one smoothed ``js``
against the training pool, halves of it as the floor)."""

METRIC_GROUPS: dict[str, tuple[str, ...]] = {
    "validity": ("validity", "age_valid", "sex_valid", "duplicate_rate", "rule_coverage"),
    "coherence": (
        "coherence",
        "code_js",
        "js",
        "pair_js",
        "top100",
        "codes_per_visit_ks",
        "visits_per_patient_ks",
        "coherence_gap",
        "cooccurrence",
        "cooccurrence_ratio",
        "coverage",
    ),
    "diversity": ("distinct_ratio", "entropy_ratio", "unique_patient_rate"),
    "memorization": ("copy_rate", "copy_rate_floor", "dcr_ratio", "mia_auc", "nnaar"),
}
"""The metric names by group, in report order (the table's sections)."""

CONSTRAINT_ONLY: dict[str, float] = {"distinct_ratio": 1.0, "entropy_ratio": 1.0, "dcr_ratio": 1.0}
"""Metrics best at a value (here 1) rather than at one end: they serve in constraints
(``distinct_ratio>=0.8``), never as objectives. Their entry in :data:`METRIC_DIRECTIONS`
is nominal ("maximize": their usual failure is to fall below 1); :func:`metric_direction`
refuses them."""

METRIC_DIRECTIONS: dict[str, Direction] = dict(
    {
        # medical validity (generated diagnosis codes)
        "validity": "maximize",
        "age_valid": "maximize",
        "sex_valid": "maximize",
        "duplicate_rate": "minimize",
        "rule_coverage": "maximize",  # a report figure: how much validity judged
        # coherence, G against the reference F
        "coherence": "maximize",
        "code_js": "minimize",
        "js": "minimize",
        "pair_js": "minimize",
        "top100": "maximize",
        "codes_per_visit_ks": "minimize",
        "visits_per_patient_ks": "minimize",
        "coherence_gap": "minimize",
        "cooccurrence": "maximize",
        "cooccurrence_ratio": "maximize",
        "coverage": "maximize",
        # diversity, G against the floor sample S
        "distinct_ratio": "maximize",
        "entropy_ratio": "maximize",
        "unique_patient_rate": "maximize",
        # memorization and privacy, G against train T (F the non-member control)
        "copy_rate": "minimize",
        "copy_rate_floor": "minimize",
        "dcr_ratio": "maximize",
        "mia_auc": "minimize",
        "nnaar": "minimize",
    }
)
"""Every metric :meth:`MetricsResult.flat` reports, with the direction that is better
(nominal for :data:`CONSTRAINT_ONLY`).

``MetricsResult.flat()`` also holds ``floor_<name>`` for each of these (the same metric
of the floor sample S, same direction). A plain ``dict`` so that other packages can test
it with ``isinstance(..., dict)``; treat it as read-only."""

METRIC_NAMES: tuple[str, ...] = tuple(n for names in METRIC_GROUPS.values() for n in names)
"""The metric names, in report order."""

RENAMED: dict[str, str] = {
    "ks_codes_per_visit": "codes_per_visit_ks",
    "ks_visits_per_patient": "visits_per_patient_ks",
    "unknown_rate": "",
    "r2_unigram": "",
    "r2_pair": "",
}
"""Names of ``lossbalance-metrics/1`` that are gone: their new name, or "" (dropped)."""

FLOOR_PREFIX = "floor_"

assert set(METRIC_NAMES) == set(METRIC_DIRECTIONS), "groups and directions disagree"


def _base(name: str) -> str:
    return name[len(FLOOR_PREFIX) :] if name.startswith(FLOOR_PREFIX) else name


def unknown_metric(name: str) -> LossbalanceError:
    """The one-line error for an unknown metric name (old names say what became of them)."""
    base = _base(name)
    if base in RENAMED:
        new = RENAMED[base]
        why = f"renamed {new!r}" if new else "dropped"
        return LossbalanceError(
            f"unknown metric {name!r}: {why} in {DEFINITIONS_VERSION} (see docs/metrics.md)"
        )
    return LossbalanceError(
        f"unknown metric {name!r}: expected one of {', '.join(METRIC_NAMES)} (or floor_<name>)"
    )


def is_metric(name: str) -> bool:
    """Whether ``name`` is a metric name or ``floor_<name>``."""
    return _base(name) in METRIC_DIRECTIONS


def check_metric(name: str) -> str:
    """``name`` if it is a metric (or ``floor_<name>``), else the one-line error."""
    if not is_metric(name):
        raise unknown_metric(name)
    return name


def metric_direction(name: str) -> Direction:
    """The direction of metric ``name`` (a name of :data:`METRIC_DIRECTIONS` or
    ``floor_<name>``), for use as an objective.

    Raises:
        LossbalanceError: an unknown name, or a :data:`CONSTRAINT_ONLY` metric.
    """
    base = _base(check_metric(name))
    if base in CONSTRAINT_ONLY:
        best = CONSTRAINT_ONLY[base]
        raise LossbalanceError(
            f"metric {name!r} is best at {best:g}, not at one end: use it in a constraint "
            f"(e.g. '{base}>=0.8'), not as an objective"
        )
    return METRIC_DIRECTIONS[base]


def check_metric_names(names: object, source: str = "objectives") -> list[str]:
    """Check that every name in ``names`` can be an objective; return them as a list.

    Raises:
        LossbalanceError: one line naming ``source`` and the first unknown or
            constraint-only name.
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
