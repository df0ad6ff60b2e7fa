"""The ``uncertainty`` family: homoscedastic uncertainty weighting (Kendall et al. 2018)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers._base import SchedulerParams, WeightScheduler
from lossbalance.schedulers._optim import OptimizerName, VectorOptimizer
from lossbalance.schedulers._registry import register_scheduler

if TYPE_CHECKING:
    from lossbalance.training import TrainState

_S_LIMIT = 30.0


class UncertaintyParams(SchedulerParams):
    """Parameters of :class:`UncertaintyScheduler`."""

    lr: float = Field(
        0.01, gt=0.0, le=10.0, allow_inf_nan=False, description="Learning rate of log-variances."
    )
    optimizer: OptimizerName = Field("adam", description="Optimiser of the log-variances.")
    init_log_variance: float = Field(
        0.0, ge=-_S_LIMIT, le=_S_LIMIT, allow_inf_nan=False, description="Initial s = log sigma^2."
    )
    regression: list[str] = Field(
        default_factory=list,
        description="Terms in the regression form 1/(2 sigma^2); others: classification form.",
    )


@register_scheduler("uncertainty")
class UncertaintyScheduler(WeightScheduler):
    """Uncertainty weighting: Kendall, Gal & Cipolla 2018, "Multi-Task Learning Using
    Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR.

    Each term ``i`` has a learned log-variance ``s_i = log sigma_i^2`` and the joint
    objective ``sum_i c_i * exp(-s_i) * L_i + s_i / 2``, with ``c_i = 1`` for the
    classification form (softmax likelihood: ``L / sigma^2 + log sigma``; the default
    for every term, as ``lm``, ``age`` and ``sex`` are all cross-entropies) and
    ``c_i = 1/2`` for the regression form (``L / (2 sigma^2) + log sigma``). The weight
    handed to the trainer is ``w_i = c_i * exp(-s_i)``; the ``s_i / 2`` regulariser
    does not depend on the model, so the trainer never needs it.

    The ``s_i`` are updated by this scheduler's own optimiser in :meth:`on_step_end`
    from the detached loss values, ``d/ds_i = -c_i * exp(-s_i) * L_i + 1/2``. This is
    equivalent to optimising them jointly with the model, because that derivative
    depends on the model only through the value of ``L_i``. At the fixed point
    ``w_i = 1 / (2 L_i)`` in both forms: each weight tends to the inverse of its
    term's loss scale.
    """

    adaptive: ClassVar[bool] = True
    Params: ClassVar[type[SchedulerParams]] = UncertaintyParams
    max_terms: ClassVar[int | None] = None
    citation: ClassVar[str] = "Kendall et al. 2018, Multi-Task Learning Using Uncertainty, CVPR"
    example_terms: ClassVar[tuple[str, ...]] = ("lm", "age", "sex")
    example_params: ClassVar[Mapping[str, Any]] = {"lr": 0.01}
    params: UncertaintyParams

    def __init__(
        self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None
    ):
        super().__init__(terms, params)
        unknown = sorted(set(self.params.regression) - set(self.terms))
        if unknown:
            raise LossbalanceError(
                f"scheduler 'uncertainty' params.regression: {unknown[0]!r} is not one of its "
                f"terms ({', '.join(self.terms)})"
            )
        self.c = np.array([0.5 if t in self.params.regression else 1.0 for t in self.terms])
        self.s = np.full(len(self.terms), self.params.init_log_variance)
        self._opt = VectorOptimizer(len(self.terms), self.params.lr, self.params.optimizer)

    def weights(self, state: TrainState) -> dict[str, float]:
        return dict(zip(self.terms, (self.c * np.exp(-self.s)).tolist(), strict=True))

    def on_step_end(self, state: TrainState) -> None:
        missing = [t for t in self.terms if t not in state.losses]
        if missing:
            raise LossbalanceError(
                f"uncertainty: no loss for term {missing[0]!r} at step {state.step}"
            )
        loss = np.array([state.losses[t] for t in self.terms], dtype=np.float64)
        self.update(loss)

    def update(self, loss_values: np.ndarray) -> None:
        """One step on the log-variances from raw loss values."""
        grad = -self.c * np.exp(-self.s) * loss_values + 0.5
        self.s = np.clip(self._opt.step(self.s, grad), -_S_LIMIT, _S_LIMIT)

    def state_dict(self) -> dict[str, Any]:
        return {"log_variance": self.s.tolist(), "optimizer": self._opt.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.s = np.asarray(state["log_variance"], dtype=np.float64)
        self._opt.load_state_dict(state["optimizer"])
