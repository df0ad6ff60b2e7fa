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
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from lossbalance._errors import LossbalanceError

_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): ")

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
    adaptive: ClassVar[bool] = False
    """True when the weights depend on the run's losses or gradients (so a trajectory
    can only come from a real training run)."""
    min_terms: ClassVar[int] = 1
    max_terms: ClassVar[int | None] = 1
    citation: ClassVar[str] = ""
    """The paper or formula the family follows (shown by ``schedulers show``)."""
    example_terms: ClassVar[tuple[str, ...]] = ("age",)
    example_params: ClassVar[Mapping[str, Any]] = {}
    """A valid parameter set: documentation, ``schedulers show`` and the contract tests."""

    def __init__(
        self, terms: Sequence[str], params: SchedulerParams | Mapping[str, Any] | None = None
    ):
        self.terms: tuple[str, ...] = check_terms(type(self), terms)
        self.params = params_from_mapping(type(self), params)

    @property
    def state_key(self) -> str:
        """Key of this instance's state in a checkpoint: family and terms.

        Two schedulers of one family owning different terms get different keys (as
        Lightning's ``Callback.state_key``), so their states never mix.
        """
        return f"{self.name}[{','.join(self.terms)}]"

    def __repr__(self) -> str:
        shown = self.params.model_dump(exclude_defaults=True)
        return f"{type(self).__name__}(terms={list(self.terms)!r}, params={shown!r})"

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


def format_validation_error(exc: ValidationError, prefix: str = "params") -> str:
    """One line naming every bad field of a pydantic error: ``params.weight: msg (got x)``.

    A model-level validator names its field by starting its message with ``"field: "``.
    """
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        got = ""
        m = _FIELD_PREFIX.match(msg)
        if m:
            loc, msg = [*loc, m.group(1)], msg[m.end() :]
        elif loc and err["type"] != "missing" and "input" in err:
            got = f" (got {_short(err['input'])})"
        where = ".".join(p for p in (prefix, *loc) if p)
        parts.append(f"{where}: {msg}{got}" if where else f"{msg}{got}")
    return "; ".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def params_from_mapping(
    cls: type[WeightScheduler], params: SchedulerParams | Mapping[str, Any] | None, where: str = ""
) -> SchedulerParams:
    """Validate ``params`` with ``cls.Params``; a bad value is a one-line LossbalanceError.

    Args:
        cls: the scheduler family.
        params: parameter values, an already built ``cls.Params``, or None (defaults).
        where: prefix naming the source for messages, e.g. ``"schedules/a.yaml: "``.
    """
    family = getattr(cls, "name", cls.__name__)
    if isinstance(params, cls.Params):
        return params
    if isinstance(params, SchedulerParams):
        raise LossbalanceError(
            f"{where}scheduler {family!r} takes {cls.Params.__name__}, not {type(params).__name__}"
        )
    if params is not None and not isinstance(params, Mapping):
        raise LossbalanceError(
            f"{where}scheduler {family!r} params must be a mapping, got {params!r}"
        )
    try:
        return cls.Params(**dict(params or {}))
    except ValidationError as exc:
        raise LossbalanceError(
            f"{where}scheduler {family!r} {format_validation_error(exc)}"
        ) from None


def check_terms(
    cls: type[WeightScheduler], terms: Sequence[str], where: str = ""
) -> tuple[str, ...]:
    """The terms as a tuple, after checking their count against the family's limits."""
    family = getattr(cls, "name", cls.__name__)
    if isinstance(terms, str):
        terms = (terms,)
    out = tuple(str(t) for t in terms)
    if len(set(out)) != len(out):
        raise LossbalanceError(
            f"{where}scheduler {family!r} terms: a term is listed twice in {list(out)}"
        )
    if len(out) < cls.min_terms or (cls.max_terms is not None and len(out) > cls.max_terms):
        want = (
            f"at least {cls.min_terms}"
            if cls.max_terms is None
            else (
                f"exactly {cls.min_terms}"
                if cls.min_terms == cls.max_terms
                else f"{cls.min_terms} to {cls.max_terms}"
            )
        )
        raise LossbalanceError(
            f"{where}scheduler {family!r} terms: owns {want} term(s), "
            f"got {len(out)} ({', '.join(out) or 'none'})"
        )
    return out
