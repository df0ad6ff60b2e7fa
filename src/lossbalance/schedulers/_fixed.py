"""The ``fixed`` family: constant weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._registry import register_scheduler

if TYPE_CHECKING:
    from lossbalance.training import TrainState


class FixedParams(SchedulerParams):
    """Parameters of :class:`FixedScheduler`."""

    weight: float = Field(
        1.0, ge=0.0, allow_inf_nan=False, description="The constant weight w >= 0."
    )


@register_scheduler("fixed")
class FixedScheduler(WeightScheduler):
    """Constant weight: ``w(t) = weight`` for every owned term and every step.

    The baseline of every loss-weighting study (e.g. PromptEHR's auxiliary age/sex
    weights, Wang & Sun 2022, "PromptEHR: Conditional Electronic Healthcare Records
    Generation with Prompt Learning", EMNLP).
    """

    Params: ClassVar[type[SchedulerParams]] = FixedParams
    max_terms: ClassVar[int | None] = None
    citation: ClassVar[str] = "constant weight (baseline)"
    example_terms: ClassVar[tuple[str, ...]] = ("age", "sex")
    example_params: ClassVar[Mapping[str, Any]] = {"weight": 0.01}
    params: FixedParams

    def weights(self, state: TrainState) -> dict[str, float]:
        w = self.params.weight
        return dict.fromkeys(self.terms, w)
