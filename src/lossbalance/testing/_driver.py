"""A small, real, deterministic training run that drives a scheduler through every hook.

Used by the contract suite: a shared linear layer with one linear head per term,
each term a regression at its own scale (``lm`` large, auxiliaries small), trained
with plain SGD on the scheduler's weights. Losses, epoch means and gradients are
real; the evaluation metrics (every metric name a curriculum may watch) rise
deterministically with the epoch, so metric triggers fire.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from lossbalance.schedulers import WeightScheduler, known_metrics
from lossbalance.training import TrainState

StateHook = Callable[[TrainState], None]


class SyntheticRun:
    """A resumable toy run: call :meth:`run` for some steps, repeatedly.

    Args:
        terms: loss terms; the i-th has targets scaled by ``10 ** (1 - i)``.
        steps_per_epoch: optimiser steps per epoch (an evaluation ends each epoch).
        seed: seeds data and initial parameters (the global RNG is not touched).
    """

    def __init__(self, terms: tuple[str, ...], steps_per_epoch: int = 4, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.terms = terms
        self.x = torch.randn(32, 6, generator=gen)
        self.y = {
            t: (self.x @ torch.randn(6, 1, generator=gen)) * 10.0 ** (1 - i)
            for i, t in enumerate(terms)
        }
        self.shared = torch.nn.Linear(6, 8)
        self.heads = {t: torch.nn.Linear(8, 1) for t in terms}
        with torch.no_grad():
            for layer in (self.shared, *self.heads.values()):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * 0.3)
                layer.bias.zero_()
        self.state = TrainState(steps_per_epoch=steps_per_epoch)
        self._sums = dict.fromkeys(terms, 0.0)

    def parameters(self) -> list[torch.nn.Parameter]:
        return [
            *self.shared.parameters(),
            *(p for h in self.heads.values() for p in h.parameters()),
        ]

    def losses(self) -> dict[str, torch.Tensor]:
        h = torch.tanh(self.shared(self.x))
        return {t: ((self.heads[t](h) - self.y[t]) ** 2).mean() for t in self.terms}

    def run(
        self, scheduler: WeightScheduler, steps: int, lr: float = 1e-3
    ) -> list[dict[str, float]]:
        """Train ``steps`` steps; returns the weights the scheduler gave at each."""
        st = self.state
        out = []
        for _ in range(steps):
            losses = self.losses()
            if scheduler.uses_gradients:
                scheduler.observe_gradients(st, losses, list(self.shared.parameters()))
            w = scheduler.weights(st)
            out.append(dict(w))
            total = torch.stack([w.get(t, 1.0) * losses[t] for t in self.terms]).sum()
            grads = torch.autograd.grad(total, self.parameters())
            with torch.no_grad():
                for p, g in zip(self.parameters(), grads, strict=True):
                    p.sub_(lr * g)
            st.step += 1
            st.losses = {t: float(v.detach()) for t, v in losses.items()}
            st.weights = {t: float(w.get(t, 1.0)) for t in self.terms}
            for t in self.terms:
                self._sums[t] += st.losses[t]
            scheduler.on_step_end(st)
            if st.step % st.steps_per_epoch == 0:
                self._end_epoch(scheduler)
        return out

    def _end_epoch(self, scheduler: WeightScheduler) -> None:
        st = self.state
        n = st.steps_per_epoch
        st.epoch_losses.append({t: s / n for t, s in self._sums.items()})
        with torch.no_grad():
            st.val_losses.append({t: float(v) for t, v in self.losses().items()})
        self._sums = dict.fromkeys(self.terms, 0.0)
        scheduler.on_epoch_end(st)
        st.epoch += 1
        st.metrics = metrics_at(st.epoch)
        st.metrics_history.append({**st.metrics, "epoch": float(st.epoch)})
        scheduler.on_evaluation(st)


def metrics_at(epoch: int) -> dict[str, float]:
    """Deterministic metric values after ``epoch`` epochs: rise from 0.9 toward 1."""
    v = 1.0 - 0.1 * math.exp(-0.5 * epoch)
    return dict.fromkeys(known_metrics(), v)


def copy_state(state: Mapping[str, object]) -> dict[str, object]:
    """A deep copy through pickle, as a checkpoint would make."""
    import pickle

    return dict(pickle.loads(pickle.dumps(dict(state))))
