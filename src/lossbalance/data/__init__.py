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
    system_name,
    vocabularies,
    vocabulary_name,
)
from lossbalance.data._describe import CohortSummary, Distribution, TopCode, describe
from lossbalance.data._mimic3 import load_mimic3
from lossbalance.data._mimic4 import load_mimic4
from lossbalance.data._options import AGE_OVER_89, LoadOptions
from lossbalance.data._simulator import simulate
from lossbalance.data._table import TableColumns, load_table

__all__ = [
    "AGE_OVER_89",
    "KINDS",
    "SEXES",
    "SYSTEMS",
    "CodeTable",
    "Cohort",
    "CohortSummary",
    "Distribution",
    "LoadOptions",
    "TableColumns",
    "TopCode",
    "concat_ranges",
    "describe",
    "kind_index",
    "load_mimic3",
    "load_mimic4",
    "load_table",
    "offsets_from_lengths",
    "simulate",
    "system_index",
    "system_name",
    "vocabularies",
    "vocabulary_name",
]
