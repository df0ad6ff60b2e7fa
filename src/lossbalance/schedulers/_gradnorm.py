"""The ``gradnorm`` family: GradNorm (Chen et al. 2018)."""

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
    import torch

    from lossbalance.training import TrainState


class GradNormParams(SchedulerParams):
    """Parameters of :class:`GradNormScheduler`."""

    alpha: float = Field(
        1.5, ge=0.0, le=10.0, allow_inf_nan=False, description="Asymmetry: pull of training rates."
    )
    lr: float = Field(
        0.025, gt=0.0, le=10.0, allow_inf_nan=False, description="Learning rate of the weights."
    )
    optimizer: OptimizerName = Field("adam", description="Optimiser of the weights.")
    initial: dict[str, float] | None = Field(
        None, description="Starting weights by term (default 1 each), renormalised."
    )
    min_weight: float = Field(
        1e-4, gt=0.0, le=1.0, allow_inf_nan=False, description="Floor before renormalising."
    )
    every: int = Field(1, ge=1, description="Update the weights every k-th step.")


@register_scheduler("gradnorm")
class GradNormScheduler(WeightScheduler):
    """GradNorm: Chen, Badrinarayanan, Lee & Rabinovich 2018, "GradNorm: Gradient
    Normalization for Adaptive Loss Balancing in Deep Multitask Networks", ICML.

    At each (k-th) step, for the terms ``i = 1..T`` it owns, with ``W`` the model's
    last shared layer (only that layer: one partial backward per term, through the
    heads down to ``W``, by ``torch.autograd.grad(L_i, W, retain_graph=True)``)::

        G_i   = w_i * ||dL_i/dW||           (gradient norm of the weighted term)
        G_bar = mean_i G_i
        r_i   = (L_i(t) / L_i(0)) / mean_j (L_j(t) / L_j(0))   (relative inverse rate)
        L_grad = sum_i | G_i - G_bar * r_i ** alpha |

    with the target ``G_bar * r_i ** alpha`` held constant, so
    ``dL_grad/dw_i = sign(G_i - target_i) * ||dL_i/dW||`` exactly, with no second-order
    pass. The weights take one step of their own optimiser (``lr``), are floored at
    ``min_weight`` and renormalised to ``sum_i w_i = T``. ``L_i(0)`` is each term's
    loss at the first observed step. The updated weights apply from the step that
    observed the gradients.
    """

    adaptive: ClassVar[bool] = True
    Params: ClassVar[type[SchedulerParams]] = GradNormParams
    uses_gradients: ClassVar[bool] = True
    min_terms: ClassVar[int] = 2
    max_terms: ClassVar[int | None] = None
    citation: ClassVar[str] = "Chen et al. 2018, GradNorm, ICML"
    example_terms: ClassVar[tuple[str, ...]] = ("lm", "age", "sex")
    example_params: ClassVar[Mapping[str, Any]] = {"alpha": 1.5, "lr": 0.025}
    params: GradNormParams

    def __init__(
        self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None
    ):
        super().__init__(terms, params)
        init = self.params.initial or {}
        unknown = sorted(set(init) - set(self.terms))
        if unknown:
            raise LossbalanceError(
                f"scheduler 'gradnorm' params.initial: {unknown[0]!r} is not one of its terms "
                f"({', '.join(self.terms)})"
            )
        w = np.array([float(init.get(t, 1.0)) for t in self.terms])
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise LossbalanceError("scheduler 'gradnorm' params.initial: weights must be > 0")
        self.w = w * len(w) / w.sum()
        self.initial_losses: np.ndarray | None = None
        self.last_norms: np.ndarray | None = None
        """``||dL_i/dW||`` at the latest update (unweighted), for logging and tests."""
        self._opt = VectorOptimizer(len(self.terms), self.params.lr, self.params.optimizer)

    def weights(self, state: TrainState) -> dict[str, float]:
        return dict(zip(self.terms, self.w.tolist(), strict=True))

    def gradient_norms(
        self, losses: Mapping[str, torch.Tensor], shared_parameters: Sequence[torch.nn.Parameter]
    ) -> np.ndarray:
        """``||dL_i/dW||`` for every owned term, W = ``shared_parameters`` (graph kept)."""
        import torch

        params = [p for p in shared_parameters if p.requires_grad]
        if not params:
            raise LossbalanceError(
                "gradnorm: the model's last shared layer has no trainable parameters"
            )
        norms = []
        for term in self.terms:
            loss = losses.get(term)
            if loss is None:
                raise LossbalanceError(
                    f"gradnorm: no loss for term {term!r} this step (have {', '.join(losses)})"
                )
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
            parts = [g.reshape(-1) for g in grads if g is not None]
            if not parts:
                raise LossbalanceError(
                    f"gradnorm: the {term!r} loss does not depend on the last shared layer"
                )
            norms.append(torch.linalg.vector_norm(torch.cat(parts)))
        return torch.stack(norms).detach().double().cpu().numpy()

    def observe_gradients(
        self,
        state: TrainState,
        losses: Mapping[str, torch.Tensor],
        shared_parameters: Sequence[torch.nn.Parameter],
    ) -> None:
        if state.step % self.params.every:
            return
        import torch

        norms = self.gradient_norms(losses, shared_parameters)
        values = torch.stack([losses[t].detach() for t in self.terms]).double().cpu().numpy()
        self.update(norms, values)

    def update(self, norms: np.ndarray, loss_values: np.ndarray) -> None:
        """One GradNorm step from unweighted gradient norms and raw loss values."""
        if self.initial_losses is None:
            self.initial_losses = np.maximum(loss_values, 1e-12)
        self.last_norms = norms
        ratio = loss_values / self.initial_losses
        r = ratio / max(ratio.mean(), 1e-12)
        g = self.w * norms
        target = g.mean() * r**self.params.alpha
        grad = np.sign(g - target) * norms
        w = np.maximum(self._opt.step(self.w, grad), self.params.min_weight)
        self.w = w * len(w) / w.sum()

    def state_dict(self) -> dict[str, Any]:
        return {
            "w": self.w.tolist(),
            "initial_losses": None if self.initial_losses is None else self.initial_losses.tolist(),
            "optimizer": self._opt.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.w = np.asarray(state["w"], dtype=np.float64)
        init = state["initial_losses"]
        self.initial_losses = None if init is None else np.asarray(init, dtype=np.float64)
        self._opt.load_state_dict(state["optimizer"])
