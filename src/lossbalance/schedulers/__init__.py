"""Loss-weight schedulers: the contract, the built-in families and the registry."""

from lossbalance.schedulers._base import SchedulerParams, WeightScheduler

__all__ = ["SchedulerParams", "WeightScheduler"]
