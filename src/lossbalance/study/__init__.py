"""Multi-objective studies: search spaces, pruning, storages, workers and results.

See docs/studies.md for the rules (pruning, budget, sampler choice, reference point).
"""

from lossbalance.spec import Condition
from lossbalance.study._config import (
    CONFIG_ATTR,
    StudyConfig,
    create_or_load_study,
    load_existing_study,
    read_config,
)
from lossbalance.study._experiment_trial import (
    ExperimentTrialFunction,
    export_trial_spec,
    resolve_trial_spec,
    trial_spec,
)
from lossbalance.study._objectives import (
    Objective,
    condition_holds,
    condition_violation,
    metric_directions,
    parse_condition,
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
from lossbalance.study._storage import DEFAULT_STORAGE, mask_url, open_storage, resolve_url
from lossbalance.study._study_spec import (
    DEFAULT_FOLDER,
    Budget,
    PrunerSettings,
    SamplerSettings,
    StudySpec,
    default_base_spec,
    default_study_space,
    default_study_spec,
    load_study_spec,
    parse_study_spec,
)
from lossbalance.study._toy import TOY_SPACE, ToyTrialFunction, toy_final_metrics
from lossbalance.study._trial_function import ReportFn, TrialFailed, TrialFunction
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
    "DEFAULT_FOLDER",
    "DEFAULT_STORAGE",
    "FAIL_ATTR",
    "HISTORY_ATTR",
    "METRICS_ATTR",
    "PRUNED_AT_ATTR",
    "SAMPLERS",
    "TOY_SPACE",
    "WORKER_ATTR",
    "Budget",
    "Choice",
    "ChoiceSpec",
    "Condition",
    "DominancePruner",
    "ExperimentTrialFunction",
    "FloatRange",
    "IntRange",
    "Objective",
    "Problem",
    "PrunerSettings",
    "RangeSpec",
    "ReportFn",
    "ResolvedPoint",
    "SamplerSettings",
    "ScheduleSearchSpace",
    "SearchSpace",
    "StudyConfig",
    "StudyObjective",
    "StudySpec",
    "TermSearch",
    "ToyTrialFunction",
    "TrialCounts",
    "TrialFailed",
    "TrialFunction",
    "available_problems",
    "build_problem",
    "choose_sampler",
    "condition_holds",
    "condition_violation",
    "create_or_load_study",
    "default_base_spec",
    "default_schedule_space",
    "default_study_space",
    "default_study_spec",
    "dominated_count",
    "export_trial_spec",
    "fail_dead_local_trials",
    "fail_stale_trials",
    "load_existing_study",
    "load_study_spec",
    "make_sampler",
    "mask_url",
    "metric_directions",
    "open_storage",
    "parse_condition",
    "parse_conditions",
    "parse_objectives",
    "parse_study_spec",
    "read_config",
    "register_problem",
    "resolve_trial_spec",
    "resolve_url",
    "run_study",
    "run_worker",
    "to_minimization",
    "toy_final_metrics",
    "trial_counts",
    "trial_spec",
]
