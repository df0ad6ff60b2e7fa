"""lossbalance: loss-weight schedules, curricula and multi-objective studies for
training PromptEHR-style synthetic-EHR generators."""

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

__version__ = "0.1.0"

__all__ = ["Cohort", "LossbalanceError", "__version__"]
