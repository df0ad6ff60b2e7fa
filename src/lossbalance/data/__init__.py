"""Cohorts: the columnar model, loaders for real EHR exports, and the simulator."""

from lossbalance.data._cohort import (
    DEFAULT_FRACTIONS,
    KINDS,
    SEXES,
    SPLITS,
    SYSTEMS,
    CodeTable,
    Cohort,
    concat_ranges,
    kind_index,
    offsets_from_lengths,
    split_counts,
    system_index,
)
from lossbalance.data._describe import CohortSummary, Distribution, TopCode, describe
from lossbalance.data._mimic3 import load_mimic3
from lossbalance.data._mimic4 import load_mimic4
from lossbalance.data._options import AGE_OVER_89, LoadOptions
from lossbalance.data._simulator import reference_seed, simulate, simulate_splits
from lossbalance.data._splits import parse_fractions, save_splits, split_cohort
from lossbalance.data._table import TableColumns, load_table

__all__ = [
    "AGE_OVER_89",
    "DEFAULT_FRACTIONS",
    "KINDS",
    "SEXES",
    "SPLITS",
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
    "parse_fractions",
    "reference_seed",
    "save_splits",
    "simulate",
    "simulate_splits",
    "split_cohort",
    "split_counts",
    "system_index",
]
