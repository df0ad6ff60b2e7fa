"""Names a spec may use: metrics (with the range of their values) and loss terms.

Metric names come from :data:`lossbalance.metrics.METRIC_DIRECTIONS` (plus
``floor_<name>``). The ranges below (from DESIGN.md "Metric definitions (exact)")
let tier checks see that ``top100 > 1`` can never hold; a metric without a known
range spans the real line. If :mod:`lossbalance.metrics` cannot be imported, the
names of this table stand in (PROVISIONAL, reported by ``spec validate``).
"""

from __future__ import annotations

import functools
import math

LOSS_TERMS: tuple[str, ...] = ("lm", "age", "sex", "validity")
"""Loss terms the generator's forward pass can return (issue 4)."""

_SQRT_LN2 = math.sqrt(math.log(2.0))
_UNIT = (0.0, 1.0)
_NONNEG = (0.0, math.inf)

_BASE_DOMAINS: dict[str, tuple[float, float]] = {
    "validity": _UNIT,
    "age_valid": _UNIT,
    "sex_valid": _UNIT,
    "duplicate_rate": _UNIT,
    "coherence": _UNIT,
    "code_js": (0.0, _SQRT_LN2),
    "js": (0.0, _SQRT_LN2),
    "pair_js": (0.0, _SQRT_LN2),
    "top100": _UNIT,
    "codes_per_visit_ks": _UNIT,
    "visits_per_patient_ks": _UNIT,
    "coherence_gap": (-1.0, 1.0),
    "cooccurrence": _NONNEG,
    "cooccurrence_ratio": _NONNEG,
    "coverage": _NONNEG,
    "distinct_ratio": _NONNEG,
    "entropy_ratio": _NONNEG,
    "unique_patient_rate": _UNIT,
    "copy_rate": _UNIT,
    "copy_rate_floor": _UNIT,
    "dcr_ratio": _NONNEG,
    "mia_auc": _UNIT,
    "nnaar": (-1.0, 1.0),
}


@functools.cache
def _domains() -> dict[str, tuple[float, float]]:
    domains = dict(_BASE_DOMAINS)
    for name in _metrics_module_names():
        domains.setdefault(name, (-math.inf, math.inf))
    for name, bounds in list(domains.items()):
        if not name.startswith("floor_"):
            domains.setdefault(f"floor_{name}", bounds)
    return domains


def metrics_module_available() -> bool:
    """Whether :mod:`lossbalance.metrics` publishes its metric table."""
    return bool(_metrics_module_names())


@functools.cache
def _metrics_module_names() -> tuple[str, ...]:
    """Metric names published by :mod:`lossbalance.metrics`, when it has landed."""
    try:
        from lossbalance import metrics
    except Exception:  # not written yet, or failing to import: fall back to our list
        return ()
    table = getattr(metrics, "METRIC_DIRECTIONS", None)
    if isinstance(table, dict):
        return tuple(str(k) for k in table)
    return ()


def metric_names() -> frozenset[str]:
    """Every metric a tier condition may name (``floor_<name>`` included)."""
    return frozenset(_domains())


def metric_domain(name: str) -> tuple[float, float]:
    """The range of values metric ``name`` can take (the real line when unknown)."""
    return _domains().get(name, (-math.inf, math.inf))
