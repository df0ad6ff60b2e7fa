"""Loss-weight schedulers: the contract, the built-in families and the registry."""

from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._curriculum import (
    CurriculumParams,
    CurriculumScheduler,
    known_metrics,
)
from lossbalance.schedulers._dwa import DWAParams, DWAScheduler
from lossbalance.schedulers._fixed import FixedParams, FixedScheduler
from lossbalance.schedulers._gradnorm import GradNormParams, GradNormScheduler
from lossbalance.schedulers._registry import (
    ENTRY_POINT_GROUP,
    available_schedulers,
    create,
    get_scheduler_class,
    register_scheduler,
)
from lossbalance.schedulers._spec import ScheduleSpec, build_schedulers, load_schedules
from lossbalance.schedulers._timed import (
    CosineScheduler,
    ExponentialScheduler,
    LinearScheduler,
    StepScheduler,
    TimedParams,
    TimedScheduler,
    WarmupScheduler,
)
from lossbalance.schedulers._trajectory import (
    Trajectory,
    plot_trajectory,
    simulate_trajectory,
    trained_trajectory,
    trajectory,
)
from lossbalance.schedulers._uncertainty import UncertaintyParams, UncertaintyScheduler

__all__ = [
    "ENTRY_POINT_GROUP",
    "CosineScheduler",
    "CurriculumParams",
    "CurriculumScheduler",
    "DWAParams",
    "DWAScheduler",
    "ExponentialScheduler",
    "FixedParams",
    "FixedScheduler",
    "GradNormParams",
    "GradNormScheduler",
    "LinearScheduler",
    "ScheduleSpec",
    "SchedulerParams",
    "StepScheduler",
    "TimedParams",
    "TimedScheduler",
    "Trajectory",
    "UncertaintyParams",
    "UncertaintyScheduler",
    "WarmupScheduler",
    "WeightScheduler",
    "available_schedulers",
    "build_schedulers",
    "create",
    "get_scheduler_class",
    "known_metrics",
    "load_schedules",
    "plot_trajectory",
    "register_scheduler",
    "simulate_trajectory",
    "trained_trajectory",
    "trajectory",
]
