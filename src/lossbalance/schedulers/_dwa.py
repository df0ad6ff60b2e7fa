"""The ``dwa`` family: Dynamic Weight Average (Liu et al. 2019)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._registry import register_scheduler

if TYPE_CHECKING:
    from lossbalance.training import TrainState


class DWAParams(SchedulerParams):
    """Parameters of :class:`DWAScheduler`."""

    temperature: float = Field(
        2.0, gt=0.0, le=1000.0, allow_inf_nan=False, description="Softmax temperature T."
    )


@register_scheduler("dwa")
class DWAScheduler(WeightScheduler):
    """Dynamic Weight Average: Liu, Johns & Davison 2019, "End-to-End Multi-Task
    Learning with Attention", CVPR.

    With ``L_k(e)`` the mean training loss of term ``k`` over epoch ``e``
    (``state.epoch_losses``) and ``K`` terms, the weights during epoch ``t`` are::

        r_k = L_k(t-1) / L_k(t-2)
        w_k = K * exp(r_k / T) / sum_i exp(r_i / T)

    and ``w_k = 1`` for the first two epochs (fewer than two finished). Weights sum
    to ``K``; a larger ``T`` flattens them toward 1. Stateless: everything comes from
    the train state.
    """

    adaptive: ClassVar[bool] = True
    Params: ClassVar[type[SchedulerParams]] = DWAParams
    min_terms: ClassVar[int] = 2
    max_terms: ClassVar[int | None] = None
    citation: ClassVar[str] = "Liu et al. 2019, End-to-End Multi-Task Learning with Attention, CVPR"
    example_terms: ClassVar[tuple[str, ...]] = ("lm", "age", "sex")
    example_params: ClassVar[Mapping[str, Any]] = {"temperature": 2.0}
    params: DWAParams

    def __init__(
        self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None
    ):
        super().__init__(terms, params)
        self._cache: tuple[int, dict[str, float]] | None = None

    def weights(self, state: TrainState) -> dict[str, float]:
        n = len(state.epoch_losses)
        if n < 2:
            return dict.fromkeys(self.terms, 1.0)
        if self._cache is not None and self._cache[0] == n:
            return dict(self._cache[1])
        last, before = state.epoch_losses[-1], state.epoch_losses[-2]
        for t in self.terms:
            if t not in last or t not in before:
                raise LossbalanceError(
                    f"dwa: no epoch-mean loss for term {t!r} in state.epoch_losses"
                )
        r = [last[t] / max(before[t], 1e-12) for t in self.terms]
        temp = self.params.temperature
        top = max(r)
        e = [math.exp((x - top) / temp) for x in r]
        k = len(self.terms)
        out = {t: k * x / sum(e) for t, x in zip(self.terms, e, strict=True)}
        self._cache = (n, out)
        return dict(out)
