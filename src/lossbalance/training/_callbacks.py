"""Typed training callbacks and the one dispatcher that calls them.

As in Lightning, every hook does nothing by default and a callback carries
``state_dict()`` / ``load_state_dict()`` under a ``state_key`` so that checkpoints
restore it; as in ``transformers``' trainer callbacks, what happened lives in
:class:`~lossbalance.training.TrainState` and what to do next is asked of the trainer
(:meth:`Trainer.request_stop`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance.training._state import TrainState

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from lossbalance.training._trainer import Trainer

Hook = Literal[
    "on_train_begin",
    "on_epoch_begin",
    "on_step_end",
    "on_evaluation",
    "on_epoch_end",
    "on_train_end",
]
HOOKS: tuple[Hook, ...] = get_args(Hook)
"""Every hook name, in the order of :data:`Hook`."""


class Callback:
    """Base of every training callback; each hook receives the trainer and its state."""

    @property
    def state_key(self) -> str:
        """Key of this callback's state in a checkpoint (override to run two of a class)."""
        return type(self).__qualname__

    def on_train_begin(self, trainer: Trainer, state: TrainState) -> None:
        """Before the first epoch of :meth:`Trainer.fit` (also after a resume)."""

    def on_epoch_begin(self, trainer: Trainer, state: TrainState) -> None:
        """Before the first step of epoch ``state.epoch``."""

    def on_step_end(self, trainer: Trainer, state: TrainState) -> None:
        """After each optimiser step (``state.losses``, ``state.weights`` updated)."""

    def on_evaluation(self, trainer: Trainer, state: TrainState) -> None:
        """After a metrics evaluation (``state.metrics`` updated)."""

    def on_epoch_end(self, trainer: Trainer, state: TrainState) -> None:
        """After an epoch: ``state.epoch_losses[-1]`` and ``state.val_losses[-1]`` are new.

        ``state.epoch`` is still the epoch that just ended.
        """

    def on_train_end(self, trainer: Trainer, state: TrainState) -> None:
        """After the last epoch (or an early stop)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""


class CallbackList:
    """Calls every callback's hook, in order: the one place hooks are dispatched from."""

    def __init__(self, callbacks: Sequence[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        keys = [c.state_key for c in self.callbacks]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"two callbacks share the state_key {sorted(dup)[0]!r}")

    def call(self, hook: Hook, trainer: Trainer, state: TrainState) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(trainer, state)

    def state_dict(self) -> dict[str, dict[str, Any]]:
        return {c.state_key: c.state_dict() for c in self.callbacks}

    def load_state_dict(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        for cb in self.callbacks:
            if cb.state_key in states:
                cb.load_state_dict(states[cb.state_key])


def epoch_record(trainer: Trainer, state: TrainState) -> dict[str, Any]:
    """One epoch's log record (what :class:`JsonlLogger` writes)."""
    rec: dict[str, Any] = {
        "epoch": state.epoch,
        "step": state.step,
        "lr": trainer.current_lr(),
        "train": state.epoch_losses[-1] if state.epoch_losses else {},
        "val": state.val_losses[-1] if state.val_losses else {},
        "weights": dict(state.weights),
    }
    if state.epoch_padding and len(state.epoch_padding) == len(state.epoch_losses):
        rec["padding"] = round(state.epoch_padding[-1], 6)
    if state.epoch == 0 and trainer.grad_check_epoch == 0 and state.grad_check:
        rec["grad_check"] = {t: dict(v) for t, v in state.grad_check.items()}
    if state.metrics_history and state.metrics_history[-1].get("epoch") == state.epoch:
        rec["metrics"] = {k: v for k, v in state.metrics_history[-1].items() if k != "epoch"}
    return rec


class JsonlLogger(Callback):
    """Writes one JSON line per epoch (losses per term, weights, lr, metrics).

    The file is rewritten atomically after every epoch, so it never holds half a line;
    its lines travel in checkpoints, so a resumed run continues the same log.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_output_path(path)
        self.lines: list[str] = []
        self._t0 = time.perf_counter()

    def on_epoch_begin(self, trainer: Trainer, state: TrainState) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, state: TrainState) -> None:
        rec = epoch_record(trainer, state)
        rec["seconds"] = round(time.perf_counter() - self._t0, 4)
        self.lines.append(json.dumps(rec, sort_keys=True))
        write_text_atomic(self.path, "\n".join(self.lines) + "\n")

    def state_dict(self) -> dict[str, Any]:
        return {"lines": list(self.lines)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.lines = list(state.get("lines", []))

    @staticmethod
    def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
        """The records of a log file."""
        return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x]


class RichProgress(Callback):
    """Training progress: a rich bar per epoch with each term's latest loss and weight
    on a terminal; one plain line per epoch otherwise (a CI log, a pipe, a file).

    Epochs count from 1 (``epoch 1/5``), as the logs and docs say.

    Args:
        refresh_every: update the bar every this many steps.
        console: where to draw (default: rich's console, standard output).
    """

    def __init__(self, refresh_every: int = 1, console: Console | None = None) -> None:
        self.refresh_every = max(1, refresh_every)
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._plain: Console | None = None
        self._epochs = 0
        self._started = 0.0

    def on_train_begin(self, trainer: Trainer, state: TrainState) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = self.console if self.console is not None else Console()
        self._epochs = trainer.config.epochs
        if not console.is_terminal or console.is_dumb_terminal:
            self._plain = console
            return
        self._progress = Progress(
            TextColumn("epoch {task.fields[epoch]} (pad {task.fields[pad]})"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[terms]}"),
            console=console,
            transient=False,
        )
        self._progress.start()

    def on_epoch_begin(self, trainer: Trainer, state: TrainState) -> None:
        self._started = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(
                "train",
                total=state.steps_per_epoch,
                epoch=f"{state.epoch + 1}/{self._epochs}",
                pad=f"{trainer.current_padding:.0%}",
                terms="",
            )

    def on_step_end(self, trainer: Trainer, state: TrainState) -> None:
        if self._progress is None or self._task is None:
            return
        if state.step % self.refresh_every == 0:
            terms = "  ".join(
                f"{k} {v:.3f} (w {state.weights.get(k, 1.0):g})" for k, v in state.losses.items()
            )
            self._progress.update(self._task, advance=self.refresh_every, terms=terms)

    def on_epoch_end(self, trainer: Trainer, state: TrainState) -> None:
        val = state.val_losses[-1] if state.val_losses else {}
        text = "val " + "  ".join(f"{k} {v:.3f}" for k, v in val.items())
        if self._plain is not None:
            means = state.epoch_losses[-1] if state.epoch_losses else state.losses
            train = "  ".join(
                f"{k} {v:.3f} (w {state.weights.get(k, 1.0):g})" for k, v in means.items()
            )
            self._plain.print(
                f"epoch {state.epoch + 1}/{self._epochs}: {state.steps_per_epoch} steps, "
                f"{time.perf_counter() - self._started:.1f} s, padding "
                f"{trainer.current_padding:.0%}; train {train}; {text}",
                highlight=False,
                soft_wrap=True,
            )
        if self._progress is None or self._task is None:
            return
        self._progress.update(self._task, completed=state.steps_per_epoch, terms=text)

    def on_train_end(self, trainer: Trainer, state: TrainState) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self._plain = None
