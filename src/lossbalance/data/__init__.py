"""Cohorts: the columnar model, loaders for real EHR exports, and the simulator."""

from lossbalance.data._cohort import (
    KINDS,
    SEXES,
    SYSTEMS,
    CodeTable,
    Cohort,
    concat_ranges,
    kind_index,
    offsets_from_lengths,
    system_index,
)
from lossbalance.data._simulator import simulate

__all__ = [
    "KINDS",
    "SEXES",
    "SYSTEMS",
    "CodeTable",
    "Cohort",
    "concat_ranges",
    "kind_index",
    "offsets_from_lengths",
    "simulate",
    "system_index",
]
