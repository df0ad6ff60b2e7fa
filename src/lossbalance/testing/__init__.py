"""Reusable test suites: the scheduler contract (as Optuna's ``optuna.testing``).

Imports torch; meant for tests, not for production code paths.
"""

from lossbalance.testing._contract import (
    SchedulerContract,
    check_params_reject_out_of_range,
    check_separate_state,
    check_state_round_trip,
    check_weights_valid,
    make,
    out_of_range_values,
)
from lossbalance.testing._driver import SyntheticRun, metrics_at

__all__ = [
    "SchedulerContract",
    "SyntheticRun",
    "check_params_reject_out_of_range",
    "check_separate_state",
    "check_state_round_trip",
    "check_weights_valid",
    "make",
    "metrics_at",
    "out_of_range_values",
]
