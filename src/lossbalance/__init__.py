"""lossbalance: loss-weight schedules, curricula and multi-objective studies for
training PromptEHR-style synthetic-EHR generators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

if TYPE_CHECKING:
    from lossbalance._report import report
    from lossbalance.balancer import Balancer

__version__ = "0.1.0"

__all__ = ["Balancer", "Cohort", "LossbalanceError", "__version__", "report"]


def __getattr__(name: str) -> Any:
    # imported on first use: ``import lossbalance`` stays light (no torch)
    if name == "Balancer":
        from lossbalance.balancer import Balancer

        return Balancer
    if name == "report":
        from lossbalance._report import report

        return report
    raise AttributeError(f"module 'lossbalance' has no attribute {name!r}")
