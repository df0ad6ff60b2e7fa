"""The weight-scheduler contract.

A scheduler owns the weight of one or more loss terms over training. The trainer,
at every optimiser step:

1. runs the forward pass and gets each term's loss tensor;
2. for every scheduler with ``uses_gradients = True`` calls
   :meth:`WeightScheduler.observe_gradients` with those tensors and the model's last
   shared layer's parameters (GradNorm-style schedulers adapt here);
3. asks every scheduler for :meth:`WeightScheduler.weights` of the terms it owns
   (terms no scheduler owns weigh 1.0), combines ``sum(w * loss)``, and does the
   backward pass and the optimiser step itself;
4. updates :class:`~lossbalance.training.TrainState` (``losses``, ``weights``,
   ``step``) and calls :meth:`WeightScheduler.on_step_end`.

It also calls :meth:`on_epoch_end` after each epoch (``state.epoch_losses`` and
``state.val_losses`` updated) and :meth:`on_evaluation` after each metrics evaluation
(``state.metrics`` updated). Schedulers never call backward on the model's loss.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import torch

    from lossbalance.training import TrainState


class SchedulerParams(BaseModel):
    """Base of every scheduler's parameter model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightScheduler(abc.ABC):
    """Returns the weights of the loss terms it owns, from the train state.

    Subclasses set ``name`` (the registry key), ``Params`` (a
    :class:`SchedulerParams` subclass validating their parameters, bounds included)
    and implement :meth:`weights`. Hooks do nothing by default.
    """

    name: ClassVar[str]
    Params: ClassVar[type[SchedulerParams]]
    uses_gradients: ClassVar[bool] = False
    """True when the scheduler needs :meth:`observe_gradients` every step."""
    min_terms: ClassVar[int] = 1
    max_terms: ClassVar[int | None] = 1

    def __init__(self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None):
        self.terms: tuple[str, ...] = tuple(terms)
        self.params = params if isinstance(params, SchedulerParams) else self.Params(**(params or {}))

    @abc.abstractmethod
    def weights(self, state: TrainState) -> dict[str, float]:
        """The weight of every owned term for the coming step."""

    def observe_gradients(
        self,
        state: TrainState,
        losses: Mapping[str, torch.Tensor],
        shared_parameters: Sequence[torch.nn.Parameter],
    ) -> None:
        """See this step's loss tensors (graph attached) before the backward pass."""

    def on_step_end(self, state: TrainState) -> None:
        """After the optimiser step; ``state.losses`` holds this step's raw losses."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After an epoch; ``state.epoch_losses[-1]`` holds its mean losses."""

    def on_evaluation(self, state: TrainState) -> None:
        """After a metrics evaluation; ``state.metrics`` holds the new values."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-for-bit after :meth:`load_state_dict`."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
