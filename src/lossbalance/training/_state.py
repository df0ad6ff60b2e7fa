"""The train state: what has happened so far, handed to every hook and scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainState:
    """Progress of one training run.

    Attributes:
        step: optimiser steps taken so far (0 before the first).
        epoch: the current epoch, counted from 0.
        steps_per_epoch: optimiser steps in one epoch.
        losses: the latest raw (unweighted) loss of every term, by name
            (``lm``, ``age``, ``sex``, ``validity``).
        weights: the weights applied to those terms at the latest step.
        epoch_losses: mean raw training loss per term for every finished epoch.
        val_losses: mean raw validation loss per term for every finished epoch.
        metrics: the latest evaluation metrics (``validity``, ``js``, ...), empty
            until the first evaluation.
        metrics_history: every evaluation's metrics, oldest first, with its epoch
            under the key ``"epoch"``.
        epoch_padding: share of padding in each finished epoch's training batches.
        grad_check: the gradient-path check of this ``fit`` (term -> ``shared`` and
            ``logits`` gradient norms; see ``Generator.check_terms``; not saved).
        loss_tensors: this step's raw losses as detached device tensors (not saved):
            what a scheduler reads when the host copy ``losses`` is read back only every
            ``sync_every`` steps.
    """

    step: int = 0
    epoch: int = 0
    steps_per_epoch: int = 1
    losses: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    epoch_losses: list[dict[str, float]] = field(default_factory=list)
    val_losses: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    metrics_history: list[dict[str, float]] = field(default_factory=list)
    epoch_padding: list[float] = field(default_factory=list)
    grad_check: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)
    loss_tensors: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def epoch_progress(self) -> float:
        """Fractional epochs done: ``step / steps_per_epoch``."""
        return self.step / max(self.steps_per_epoch, 1)

    def state_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "steps_per_epoch": self.steps_per_epoch,
            "losses": dict(self.losses),
            "weights": dict(self.weights),
            "epoch_losses": [dict(d) for d in self.epoch_losses],
            "val_losses": [dict(d) for d in self.val_losses],
            "metrics": dict(self.metrics),
            "metrics_history": [dict(d) for d in self.metrics_history],
            "epoch_padding": list(self.epoch_padding),
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, object]) -> TrainState:
        return cls(**state)  # type: ignore[arg-type]
