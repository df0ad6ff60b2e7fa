"""Loss-weight schedulers: the contract, the built-in families and the registry."""

from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._fixed import FixedParams, FixedScheduler
from lossbalance.schedulers._registry import (
    ENTRY_POINT_GROUP,
    available_schedulers,
    create,
    get_scheduler_class,
    register_scheduler,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FixedParams",
    "FixedScheduler",
    "SchedulerParams",
    "WeightScheduler",
    "available_schedulers",
    "create",
    "get_scheduler_class",
    "register_scheduler",
]
