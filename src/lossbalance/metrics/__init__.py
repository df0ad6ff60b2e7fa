"""Metrics of a generated cohort against a reference split: medical validity, two-sided
coherence, diversity, memorization and privacy, each beside its floor.

Definitions: DESIGN.md "Evaluation protocol" and "Metric definitions (exact)";
decisions in docs/metrics.md.
"""

from lossbalance.metrics._coherence import JS_MAX, CoherenceMetrics
from lossbalance.metrics._evaluate import evaluate
from lossbalance.metrics._memorization import MemorizationMetrics
from lossbalance.metrics._names import (
    CONSTRAINT_ONLY,
    DEFINITIONS_VERSION,
    METRIC_DIRECTIONS,
    METRIC_GROUPS,
    METRIC_NAMES,
    Direction,
    check_metric,
    check_metric_names,
    is_metric,
    metric_direction,
)
from lossbalance.metrics._result import CohortSize, MetricsResult
from lossbalance.metrics._targets import Target, load_targets, parse_targets
from lossbalance.metrics._validity import CodeCount, ValidityMetrics

__all__ = [
    "CONSTRAINT_ONLY",
    "DEFINITIONS_VERSION",
    "JS_MAX",
    "METRIC_DIRECTIONS",
    "METRIC_GROUPS",
    "METRIC_NAMES",
    "CodeCount",
    "CoherenceMetrics",
    "CohortSize",
    "Direction",
    "MemorizationMetrics",
    "MetricsResult",
    "Target",
    "ValidityMetrics",
    "check_metric",
    "check_metric_names",
    "evaluate",
    "is_metric",
    "load_targets",
    "metric_direction",
    "parse_targets",
]
