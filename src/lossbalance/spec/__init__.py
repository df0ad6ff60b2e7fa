"""Experiment specs: pydantic models, YAML with ``extends:``, tiers and fallback plans.

The runner's entry points:

- :func:`load_spec` (YAML file -> :class:`ExperimentSpec`, one-line errors naming
  the file and the field path) and :func:`check_spec_files` (referenced files exist);
- :func:`classify_tier` (metrics -> the outcome tier);
- :func:`resolve_variants` (a fallback plan's variants as complete specs) and
  :func:`apply_override` (any partial override);
- :func:`dump_spec` / :func:`spec_to_yaml` (YAML that loads back to an equal spec),
  :func:`spec_json_schema` (``lossbalance spec schema``).
"""

from lossbalance.spec._check import FileCheck, check_spec_files
from lossbalance.spec._conditions import Condition, Interval
from lossbalance.spec._errors import SpecFieldError, format_loc
from lossbalance.spec._experiment import ExperimentSpec
from lossbalance.spec._io import (
    dump_spec,
    load_schedule_file,
    load_spec,
    parse_spec,
    read_yaml,
    spec_digest,
    spec_to_dict,
    spec_to_yaml,
)
from lossbalance.spec._merge import KIND_KEYS, deep_merge, expand_dotted
from lossbalance.spec._names import LOSS_TERMS, metric_names
from lossbalance.spec._origin import SpecOrigin, metric_differences
from lossbalance.spec._override import (
    ResolvedVariant,
    apply_override,
    plan_for,
    resolve_baseline,
    resolve_variants,
)
from lossbalance.spec._plans import FallbackPlan, StopAt, Variant
from lossbalance.spec._schema import spec_json_schema
from lossbalance.spec._sections import (
    BaselineSpec,
    CohortData,
    EvaluationSpec,
    LossTerm,
    MedsData,
    Mimic3Data,
    Mimic4Data,
    PartialSpec,
    Sampling,
    ScheduleFile,
    SimulatorData,
    TableData,
    provisional_sections,
)
from lossbalance.spec._tiers import NO_TIER, Tier, check_tiers, classify_tier, tier_rank

__all__ = [
    "KIND_KEYS",
    "LOSS_TERMS",
    "NO_TIER",
    "BaselineSpec",
    "CohortData",
    "Condition",
    "EvaluationSpec",
    "ExperimentSpec",
    "FallbackPlan",
    "FileCheck",
    "Interval",
    "LossTerm",
    "MedsData",
    "Mimic3Data",
    "Mimic4Data",
    "PartialSpec",
    "ResolvedVariant",
    "Sampling",
    "ScheduleFile",
    "SimulatorData",
    "SpecFieldError",
    "SpecOrigin",
    "StopAt",
    "TableData",
    "Tier",
    "Variant",
    "apply_override",
    "check_spec_files",
    "check_tiers",
    "classify_tier",
    "deep_merge",
    "dump_spec",
    "expand_dotted",
    "format_loc",
    "load_schedule_file",
    "load_spec",
    "metric_differences",
    "metric_names",
    "parse_spec",
    "plan_for",
    "provisional_sections",
    "read_yaml",
    "resolve_baseline",
    "resolve_variants",
    "spec_digest",
    "spec_json_schema",
    "spec_to_dict",
    "spec_to_yaml",
    "tier_rank",
]
