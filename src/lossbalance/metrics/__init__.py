"""Metrics of a generated cohort against real data: medical validity, semantic
coherence, distribution checks, and the real-vs-real floor.

Definitions: DESIGN.md "Metric definitions (exact)"; decisions in docs/metrics.md.
"""

from lossbalance.metrics._coherence import JS_MAX, CoherenceMetrics
from lossbalance.metrics._distributions import DistributionMetrics
from lossbalance.metrics._evaluate import evaluate
from lossbalance.metrics._floor import SPLIT_FRACTION
from lossbalance.metrics._names import (
    DEFINITIONS_VERSION,
    METRIC_DIRECTIONS,
    METRIC_NAMES,
    Direction,
    check_metric_names,
    metric_direction,
)
from lossbalance.metrics._result import CohortSize, MetricsResult, SideMetrics
from lossbalance.metrics._targets import Target, load_targets, parse_targets
from lossbalance.metrics._validity import CodeCount, ValidityMetrics

__all__ = [
    "DEFINITIONS_VERSION",
    "JS_MAX",
    "METRIC_DIRECTIONS",
    "METRIC_NAMES",
    "SPLIT_FRACTION",
    "CodeCount",
    "CoherenceMetrics",
    "CohortSize",
    "Direction",
    "DistributionMetrics",
    "MetricsResult",
    "SideMetrics",
    "Target",
    "ValidityMetrics",
    "check_metric_names",
    "evaluate",
    "load_targets",
    "metric_direction",
    "parse_targets",
]
