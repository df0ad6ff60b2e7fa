"""``Balancer``: weight a mapping of loss terms with any schedule, in any PyTorch loop.

The one object that turns per-term losses into the weighted total. The built-in
trainer uses it too (one code path): it hands the balancer the loss tensors of a
step, the balancer asks the schedulers for their weights (after letting the
gradient-based ones see the step's gradients on the shared parameters) and
returns ``sum_t w_t * L_t`` and the weights it used::

    balancer = Balancer.from_spec({"lm": 1.0, "aux": {"family": "linear",
                                   "params": {"start": 1.0, "end": 0.1, "duration": 100}}})
    for batch in loader:
        losses = model(batch)                      # {"lm": tensor, "aux": tensor}
        total, weights = balancer(losses, shared=model.shared.parameters())
        optimizer.zero_grad(); total.backward(); optimizer.step()
        balancer.on_step_end()
    balancer.on_epoch_end(metrics={"validity": 0.97})

Order of one step (the contract of :mod:`lossbalance.schedulers._base`): loss terms
checked against the configured ones -> ``observe_gradients`` of the schedulers that
use gradients (GradNorm, Chen et al. 2018) -> weights of every scheduler (terms no
scheduler owns weigh 1.0) -> the weighted sum. :meth:`Balancer.on_step_end` then
records the step's raw losses and weights in the train state, advances the step and
calls the schedulers' ``on_step_end`` (uncertainty weighting, Kendall et al. 2018,
learns its log-variances there). :meth:`Balancer.on_epoch_end` appends the epoch's
mean losses (DWA, Liu et al. 2019, reads them), records evaluation metrics (metric-
switched curricula, Bengio et al. 2009) and advances the epoch.

Host synchronisation: the weights are host floats that depend only on the train
state, so the weighted sum never waits for the device. Raw loss values are copied
to the host at every step only when a scheduler reads them (the adaptive families);
otherwise they are summed on the device and copied once per epoch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from lossbalance._errors import LossbalanceError
from lossbalance._yaml import read_yaml_file
from lossbalance.schedulers import ScheduleSpec, WeightScheduler, load_schedules

# TrainState is the state every scheduler reads; it lives in training today (issue 17
# moves it beside the schedulers' base). Only this line names its home.
from lossbalance.training._state import TrainState

if TYPE_CHECKING:
    from torch import Tensor

SharedParameters = Iterable[torch.nn.Parameter] | Callable[[], Iterable[torch.nn.Parameter]]
"""The last shared layer's parameters, or a function returning them (called only when a
gradient-based scheduler needs them)."""

_FORM_KEYS = ("family", "schedules")


def _key(s: WeightScheduler) -> str:
    return str(getattr(s, "state_key", f"{s.name}[{','.join(s.terms)}]"))


class Balancer:
    """Weights loss terms with weight schedulers; keeps their train state.

    Args:
        schedulers: built schedulers, each owning its ``terms`` (no term owned twice).
        terms: every loss term the loop will hand over, in order (default: the terms the
            schedulers own). Terms no scheduler owns weigh 1.0.
        steps_per_epoch: optimiser steps per epoch (``len(loader)``): schedules in
            ``unit: epoch`` read ``step / steps_per_epoch``.
        state: a train state to share (the built-in trainer passes its own); default
            a fresh one.

    Raises:
        LossbalanceError: a term owned by two schedulers, or a scheduler owning a term
            outside ``terms``.
    """

    def __init__(
        self,
        schedulers: Sequence[WeightScheduler] = (),
        terms: Sequence[str] | None = None,
        *,
        steps_per_epoch: int = 1,
        state: TrainState | None = None,
    ) -> None:
        self.schedulers: list[WeightScheduler] = list(schedulers)
        owner: dict[str, str] = {}
        for s in self.schedulers:
            for t in s.terms:
                if t in owner:
                    raise LossbalanceError(
                        f"balancer: term {t!r} is owned by two schedules ({owner[t]} and {_key(s)})"
                    )
                owner[t] = _key(s)
        chosen = tuple(owner) if terms is None else tuple(str(t) for t in terms)
        if len(set(chosen)) != len(chosen):
            raise LossbalanceError(f"balancer: a term is listed twice in {list(chosen)}")
        stray = [t for t in owner if t not in chosen]
        if stray:
            raise LossbalanceError(
                f"balancer: schedule term {stray[0]!r} is not a loss term "
                f"(terms: {', '.join(chosen)})"
            )
        if not chosen:
            raise LossbalanceError("balancer: no loss terms configured")
        if steps_per_epoch < 1:
            raise LossbalanceError(f"balancer: steps_per_epoch must be >= 1, got {steps_per_epoch}")
        self.terms: tuple[str, ...] = chosen
        self._term_set = frozenset(chosen)
        self.state = state if state is not None else TrainState(steps_per_epoch=steps_per_epoch)
        self._grad = [s for s in self.schedulers if s.uses_gradients]
        self._eager = any(s.adaptive or s.uses_gradients for s in self.schedulers)
        self._last: Mapping[str, Tensor] | None = None
        self._last_stacked: Tensor | None = None
        self._last_weights: dict[str, float] = {}
        self._epoch_sum: Tensor | list[float] | None = None
        self._epoch_steps = 0

    # ------------------------------------------------------------ building
    @classmethod
    def from_spec(
        cls,
        spec: Mapping[str, Any],
        terms: Sequence[str] | None = None,
        *,
        steps_per_epoch: int = 1,
        source: str = "",
    ) -> Balancer:
        """A balancer from schedules in the trainer-config or schedule-file form.

        ``spec`` is either keyed by term (``{"lm": 1.0, "aux": {"family": "linear",
        "params": {...}}}``: a number means ``fixed``, a string a family with default
        parameters; a schedule with its own ``terms`` owns all of them, as
        ``{"age": {"family": "gradnorm", "terms": ["lm", "age", "sex"]}}``), a trainer
        config's ``{"losses": {...}}``, or a schedule file's content (one spec with
        ``family`` and ``terms``, or ``schedules: [...]``).

        Args:
            spec: the schedules.
            terms: every loss term the loop hands over (default: the terms named).
            steps_per_epoch: see :class:`Balancer`.
            source: file name prefixed to error messages.
        """
        where = f"{source}: " if source else ""
        if not isinstance(spec, Mapping):
            raise LossbalanceError(
                f"{where}schedules must be a mapping of term to schedule, got {type(spec).__name__}"
            )
        if "losses" in spec and not any(k in spec for k in _FORM_KEYS):
            inner = spec["losses"]
            if not isinstance(inner, Mapping):
                raise LossbalanceError(f"{where}losses: must be a mapping of term to schedule")
            return cls._from_terms(inner, terms, steps_per_epoch, f"{where}losses.")
        if any(k in spec for k in _FORM_KEYS):
            specs = _file_specs(spec, source)
            built = []
            for i, s in enumerate(specs):
                if s.terms is None:
                    raise LossbalanceError(f"{where}terms: a schedule file must name its terms")
                try:
                    built.append(s.build())
                except LossbalanceError as exc:
                    raise LossbalanceError(f"{where}schedules.{i}: {exc}") from None
            return cls(built, terms, steps_per_epoch=steps_per_epoch)
        return cls._from_terms(spec, terms, steps_per_epoch, where)

    @classmethod
    def _from_terms(
        cls,
        spec: Mapping[str, Any],
        terms: Sequence[str] | None,
        steps_per_epoch: int,
        where: str,
    ) -> Balancer:
        built: list[WeightScheduler] = []
        seen: dict[str, str] = {}
        specs: dict[str, ScheduleSpec] = {}
        named: list[str] = []
        for term, value in spec.items():
            term = str(term)
            s = ScheduleSpec.from_mapping(value, f"{where}{term}")
            owned = s.terms or (term,)
            if term not in owned:
                raise LossbalanceError(
                    f"{where}{term}.terms: the schedule under {term!r} must own it "
                    f"(owns {', '.join(owned)})"
                )
            if term in seen and specs[seen[term]] == s:
                continue  # the joint schedule already built for this term, restated
            for t in owned:
                if t in seen:
                    raise LossbalanceError(
                        f"{where}{term}.terms: {t!r} is already owned by the schedule under "
                        f"{seen[t]!r}"
                    )
                seen[t] = term
                named.append(t)
            specs[term] = s
            try:
                built.append(s.build(owned))
            except LossbalanceError as exc:
                raise LossbalanceError(f"{where}{term}: {exc}") from None
        return cls(built, named if terms is None else terms, steps_per_epoch=steps_per_epoch)

    @classmethod
    def from_yaml(
        cls,
        path: str | os.PathLike[str],
        terms: Sequence[str] | None = None,
        *,
        steps_per_epoch: int = 1,
    ) -> Balancer:
        """A balancer from a YAML file in any form :meth:`from_spec` takes.

        ``schedules/*.yaml`` files, a trainer config (its ``losses:``), or a mapping of
        term to schedule (what a study's command trial writes).
        """
        data = read_yaml_file(path, "schedule")
        if isinstance(data, Mapping) and any(k in data for k in _FORM_KEYS):
            specs = load_schedules(path)
            if any(s.terms is None for s in specs):
                raise LossbalanceError(f"{path}: terms: a schedule file must name its terms")
            return cls([s.build() for s in specs], terms, steps_per_epoch=steps_per_epoch)
        if not isinstance(data, Mapping):
            raise LossbalanceError(f"{path}: must be a mapping of term to schedule")
        return cls.from_spec(data, terms, steps_per_epoch=steps_per_epoch, source=str(path))

    # ------------------------------------------------------------ one step
    def weights(self) -> dict[str, float]:
        """The weight of every term for the coming step (unowned terms: 1.0).

        Raises:
            LossbalanceError: a scheduler returned a negative or non-finite weight.
        """
        state = self.state
        out: dict[str, float] = {}
        for s in self.schedulers:
            got = s.weights(state)
            for t in s.terms:
                w = float(got[t])
                if not (math.isfinite(w) and w >= 0.0):
                    raise LossbalanceError(
                        f"scheduler {s.name}: weight of {t!r} is {w} at step {state.step + 1}"
                    )
                out[t] = w
        return {t: out.get(t, 1.0) for t in self.terms}

    def check_terms(self, given: Iterable[str]) -> None:
        """Refuse loss terms other than the configured ones, naming both lists."""
        names = list(given)
        if len(names) == len(self.terms) and self._term_set.issuperset(names):
            return
        unknown = [t for t in names if t not in self._term_set]
        missing = [t for t in self.terms if t not in names]
        what = f"unknown loss term {unknown[0]!r}" if unknown else f"no loss for {missing[0]!r}"
        raise LossbalanceError(
            f"balancer: {what} (given: {', '.join(names) or 'none'}; "
            f"configured: {', '.join(self.terms)})"
        )

    def __call__(
        self, losses: Mapping[str, Tensor], shared: SharedParameters | None = None
    ) -> tuple[Tensor, dict[str, float]]:
        """The weighted total of this step's losses and the weights used.

        Args:
            losses: one scalar loss tensor per configured term (graph attached).
            shared: the parameters of the model's last shared layer (or a function
                returning them); required when a scheduler uses gradients (GradNorm).

        Returns:
            ``(sum_t w_t * losses[t], {term: w_t})``.

        Raises:
            LossbalanceError: a term is unknown or missing, or ``shared`` is needed
                and not given.
        """
        self.check_terms(losses)
        if self._grad:
            if shared is None:
                raise LossbalanceError(
                    f"balancer: schedule {_key(self._grad[0])} needs the shared layer's "
                    f"parameters: call balancer(losses, shared=model.<layer>.parameters())"
                )
            params = list(shared() if callable(shared) else shared)
            for s in self._grad:
                s.observe_gradients(self.state, losses, params)
        weights = self.weights()
        total: Tensor | None = None
        for t in self.terms:
            w, loss = weights[t], losses[t]
            term = loss if w == 1.0 else w * loss
            total = term if total is None else total + term
        assert total is not None
        self._last = losses
        self._last_weights = weights
        return total, weights

    def on_step_end(self, losses: Mapping[str, float] | None = None) -> None:
        """After the optimiser step: record the step, advance it, run the schedulers' hooks.

        Args:
            losses: this step's raw loss values as host floats, when the caller already
                has them (the built-in trainer does); default: taken from the tensors
                of the latest call.
        """
        state = self.state
        self._last_stacked = None
        if losses is not None:
            values = {t: float(losses[t]) for t in self.terms}
            self._add_floats(values)
            state.losses = values
        elif self._last is not None:
            stacked = torch.stack([self._last[t].detach() for t in self.terms])
            if self._eager:
                floats = stacked.tolist()
                state.losses = dict(zip(self.terms, floats, strict=True))
                self._add_floats(state.losses)
            else:
                self._add_tensor(stacked)
                self._last_stacked = stacked
        self._last = None
        state.weights = dict(self._last_weights)
        state.step += 1
        for s in self.schedulers:
            s.on_step_end(state)

    def _add_floats(self, values: Mapping[str, float]) -> None:
        acc = self._epoch_sum
        if not isinstance(acc, list):
            acc = [0.0] * len(self.terms) if acc is None else acc.tolist()
        self._epoch_sum = [a + values[t] for a, t in zip(acc, self.terms, strict=True)]
        self._epoch_steps += 1

    def _add_tensor(self, stacked: Tensor) -> None:
        acc = self._epoch_sum
        value = stacked.to(torch.float64)
        if acc is None:
            self._epoch_sum = value
        elif isinstance(acc, list):
            self._epoch_sum = torch.tensor(acc, dtype=torch.float64, device=value.device) + value
        else:
            self._epoch_sum = acc + value
        self._epoch_steps += 1

    @property
    def losses(self) -> dict[str, float]:
        """The raw loss of every term at the latest finished step (copied to the host
        on demand when no scheduler needed it at the step)."""
        if self._last_stacked is not None:
            vals = self._last_stacked.tolist()
            self.state.losses = dict(zip(self.terms, vals, strict=True))
            self._last_stacked = None
        return dict(self.state.losses)

    # ------------------------------------------------------------ epochs
    def evaluated(self, metrics: Mapping[str, float] | None = None) -> None:
        """Record an evaluation's metrics (if given) and run the schedulers' ``on_evaluation``."""
        state = self.state
        if metrics is not None:
            state.metrics = {str(k): float(v) for k, v in metrics.items()}
            state.metrics_history.append({**state.metrics, "epoch": state.epoch})
        for s in self.schedulers:
            s.on_evaluation(state)

    def epoch_ended(self) -> None:
        """Run the schedulers' ``on_epoch_end`` (the train state already updated)."""
        for s in self.schedulers:
            s.on_epoch_end(self.state)

    def on_epoch_end(
        self,
        metrics: Mapping[str, float] | None = None,
        val_losses: Mapping[str, float] | None = None,
    ) -> None:
        """After an epoch: its mean losses, optional metrics and validation losses, hooks.

        Args:
            metrics: evaluation metrics of this epoch (``validity``, ``sex_valid``, ...):
                curricula switched by a metric read them.
            val_losses: mean validation loss per term, if the loop computes them.
        """
        state = self.state
        acc, n = self._epoch_sum, max(self._epoch_steps, 1)
        if acc is not None:
            sums = acc if isinstance(acc, list) else acc.tolist()
            state.epoch_losses.append({t: v / n for t, v in zip(self.terms, sums, strict=True)})
        self._epoch_sum, self._epoch_steps = None, 0
        if val_losses is not None:
            state.val_losses.append({t: float(v) for t, v in val_losses.items()})
        if metrics is not None:
            self.evaluated(metrics)
        self.epoch_ended()
        state.epoch += 1

    # ------------------------------------------------------------ state
    def parameters(self) -> Iterator[torch.nn.Parameter]:
        """Learnable tensors of the schedules, for the user's optimiser.

        The built-in adaptive families learn their few numbers with their own optimiser
        (uncertainty weighting updates its log-variances from the detached losses,
        which is exactly the gradient a joint optimiser would take: see
        :class:`~lossbalance.schedulers.UncertaintyScheduler`), so for them this is
        empty; a third-party scheduler with a ``parameters()`` method contributes its
        own. Adding it to the optimiser is always safe.
        """
        for s in self.schedulers:
            fn = getattr(s, "parameters", None)
            if callable(fn):
                yield from fn()

    def state_dict(self) -> dict[str, Any]:
        """Schedulers' states, the train state and the running epoch sums (plain data)."""
        acc = self._epoch_sum
        return {
            "terms": list(self.terms),
            "schedulers": [
                {"key": _key(s), "name": s.name, "terms": list(s.terms), "state": s.state_dict()}
                for s in self.schedulers
            ],
            "train_state": self.state.state_dict(),
            "epoch_sum": None if acc is None else (acc if isinstance(acc, list) else acc.tolist()),
            "epoch_steps": self._epoch_steps,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; a resumed loop continues bit-for-bit.

        Raises:
            LossbalanceError: the state comes from other terms or other schedules.
        """
        saved = [str(d["key"]) for d in state["schedulers"]]
        mine = [_key(s) for s in self.schedulers]
        if list(state["terms"]) != list(self.terms) or saved != mine:
            raise LossbalanceError(
                f"balancer: saved state has terms {list(state['terms'])} and schedules {saved}; "
                f"this balancer has terms {list(self.terms)} and schedules {mine}"
            )
        for s, d in zip(self.schedulers, state["schedulers"], strict=True):
            s.load_state_dict(d["state"])
        self.state = TrainState.from_state_dict(dict(state["train_state"]))
        acc = state["epoch_sum"]
        self._epoch_sum = None if acc is None else [float(v) for v in acc]
        self._epoch_steps = int(state["epoch_steps"])
        self._last = None
        self._last_stacked = None

    def __repr__(self) -> str:
        return f"Balancer(terms={list(self.terms)!r}, schedulers={self.schedulers!r})"


def _file_specs(data: Mapping[str, Any], source: str) -> list[ScheduleSpec]:
    """Specs of a schedule file's content given as a mapping (one, or ``schedules:``)."""
    where = f"{source}: " if source else ""
    if "schedules" not in data:
        return [ScheduleSpec.from_mapping(data, source)]
    extra = sorted(set(data) - {"schedules"})
    if extra:
        raise LossbalanceError(f"{where}{extra[0]}: unknown top-level key (only schedules:)")
    items = data["schedules"]
    if not isinstance(items, list) or not items:
        raise LossbalanceError(f"{where}schedules: must be a non-empty list of schedules")
    return [ScheduleSpec.from_mapping(x, f"{where}schedules.{i}") for i, x in enumerate(items)]
