"""Multi-objective studies: search spaces, pruning, storages, workers and results.

See docs/studies.md for the rules (pruning, budget, sampler choice, reference point).
"""

from lossbalance.study._config import (
    CONFIG_ATTR,
    StudyConfig,
    create_or_load_study,
    load_existing_study,
    read_config,
)
from lossbalance.study._objectives import (
    Condition,
    Objective,
    metric_directions,
    parse_conditions,
    parse_objectives,
)
from lossbalance.study._problems import Problem, available_problems, build_problem, register_problem
from lossbalance.study._pruner import DominancePruner, dominated_count, to_minimization
from lossbalance.study._sampler import SAMPLERS, choose_sampler, make_sampler
from lossbalance.study._schedule_space import (
    ChoiceSpec,
    RangeSpec,
    ResolvedPoint,
    ScheduleSearchSpace,
    TermSearch,
    default_schedule_space,
)
from lossbalance.study._space import Choice, FloatRange, IntRange, SearchSpace
from lossbalance.study._storage import DEFAULT_STORAGE, mask_url, open_storage
from lossbalance.study._toy import TOY_SPACE, ToyTrialFunction, toy_final_metrics
from lossbalance.study._trial_function import ReportFn, TrialFunction
from lossbalance.study._workers import (
    FAIL_ATTR,
    HISTORY_ATTR,
    METRICS_ATTR,
    PRUNED_AT_ATTR,
    WORKER_ATTR,
    StudyObjective,
    TrialCounts,
    fail_dead_local_trials,
    fail_stale_trials,
    run_study,
    run_worker,
    trial_counts,
)

__all__ = [
    "CONFIG_ATTR",
    "DEFAULT_STORAGE",
    "FAIL_ATTR",
    "HISTORY_ATTR",
    "METRICS_ATTR",
    "PRUNED_AT_ATTR",
    "SAMPLERS",
    "TOY_SPACE",
    "WORKER_ATTR",
    "Choice",
    "ChoiceSpec",
    "Condition",
    "DominancePruner",
    "FloatRange",
    "IntRange",
    "Objective",
    "Problem",
    "RangeSpec",
    "ReportFn",
    "ResolvedPoint",
    "ScheduleSearchSpace",
    "SearchSpace",
    "StudyConfig",
    "StudyObjective",
    "TermSearch",
    "ToyTrialFunction",
    "TrialCounts",
    "TrialFunction",
    "available_problems",
    "build_problem",
    "choose_sampler",
    "create_or_load_study",
    "default_schedule_space",
    "dominated_count",
    "fail_dead_local_trials",
    "fail_stale_trials",
    "load_existing_study",
    "make_sampler",
    "mask_url",
    "metric_directions",
    "open_storage",
    "parse_conditions",
    "parse_objectives",
    "read_config",
    "register_problem",
    "run_study",
    "run_worker",
    "to_minimization",
    "toy_final_metrics",
    "trial_counts",
]
