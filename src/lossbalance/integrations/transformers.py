"""A transformers ``Trainer`` that weights the model's loss terms with a :class:`Balancer`.

The model's forward returns its loss terms as a mapping under ``losses`` (a key of
a dict output or an attribute of a ``ModelOutput``), e.g. ``{"lm": ..., "age": ...}``;
:class:`BalancedTrainer` weights them with the balancer, logs each term's mean raw
loss since the last log (``loss/<term>``) and its current weight (``weight/<term>``)
through the Trainer's own logging, advances the balancer after every optimiser step
and every epoch, and saves and restores the balancer's state with the Trainer's
checkpoints (``checkpoint-N/lossbalance_balancer.json``), so a resumed run continues
the weights exactly::

    balancer = Balancer.from_yaml("schedules/gradnorm.yaml")
    trainer = BalancedTrainer(model=model, args=args, train_dataset=ds,
                              balancer=balancer, shared="model.encoder.layers.1")
    trainer.train()                              # or train(resume_from_checkpoint=True)

``compute_loss`` keeps the current signature (``num_items_in_batch`` included): when
the model's forward takes ``**kwargs`` (transformers' ``model_accepts_loss_kwargs``),
``num_items_in_batch`` is passed to it, so a token-level loss can be normalised over
the whole accumulated batch, exactly as the stock ``Trainer`` does. With gradient
accumulation the balancer is called once per micro-batch and advanced once per
optimiser step. Evaluation (``model.training`` False) weights the terms with the
current weights and leaves the balancer's state alone.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import Trainer, TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, get_last_checkpoint

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.balancer import Balancer

#: File of the balancer's state inside a Trainer checkpoint folder.
BALANCER_FILE = "lossbalance_balancer.json"

SharedSpec = str | Callable[[nn.Module], Iterable[nn.Parameter]] | None
"""The model's last shared layer: a submodule name (``model.encoder.layers.1``), a
function of the model returning parameters, or None (no gradient-based schedule)."""


def loss_terms(outputs: Any) -> Mapping[str, torch.Tensor]:
    """The mapping of loss terms in a model's outputs (``outputs["losses"]`` or
    ``outputs.losses``).

    Raises:
        LossbalanceError: the outputs hold no such mapping.
    """
    losses = None
    if isinstance(outputs, Mapping):
        losses = outputs.get("losses")
    if losses is None:
        losses = getattr(outputs, "losses", None)
    if not isinstance(losses, Mapping):
        raise LossbalanceError(
            "BalancedTrainer: the model's outputs must hold its loss terms as a mapping "
            f"under 'losses' (got {type(outputs).__name__})"
        )
    return losses


class _BalancerCallback(TrainerCallback):
    """Advances the balancer with the Trainer and writes its state into checkpoints."""

    def __init__(self, trainer: BalancedTrainer) -> None:
        self.trainer = trainer

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        loader = kwargs.get("train_dataloader")
        try:
            batches = len(loader) if loader is not None else 0
        except TypeError:  # an iterable dataset
            batches = 0
        if batches:
            spe = max(1, math.ceil(batches / max(args.gradient_accumulation_steps, 1)))
            self.trainer.balancer.state.steps_per_epoch = spe

    def on_step_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        self.trainer.balancer.on_step_end()

    def on_epoch_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        self.trainer.balancer.on_epoch_end()

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        metrics = kwargs.get("metrics") or {}
        flat = {
            k.removeprefix("eval_"): float(v)
            for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        self.trainer.balancer.evaluated(flat)

    def on_save(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        folder = Path(args.output_dir or ".") / f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}"
        if folder.is_dir() and args.should_save:
            self.trainer.save_balancer(folder)


class BalancedTrainer(Trainer):
    """A ``transformers.Trainer`` whose loss is a :class:`Balancer`'s weighted sum.

    Args:
        *args: the ``Trainer``'s positional arguments.
        balancer: weights the model's loss terms.
        shared: the model's last shared layer (:data:`SharedSpec`); needed by
            gradient-based schedules (GradNorm).
        **kwargs: the ``Trainer``'s keyword arguments.
    """

    def __init__(
        self, *args: Any, balancer: Balancer, shared: SharedSpec = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.balancer = balancer
        self.shared = shared
        self._term_sum: torch.Tensor | None = None
        self._term_count = 0
        self.add_callback(_BalancerCallback(self))

    def _shared_parameters(self, model: nn.Module) -> list[nn.Parameter]:
        spec = self.shared
        if spec is None:
            raise LossbalanceError(
                "BalancedTrainer: a gradient-based schedule needs shared= (the name of the "
                "model's last shared layer, or a function returning its parameters)"
            )
        inner = getattr(model, "module", model)  # DataParallel / DDP wrappers
        if callable(spec):
            return list(spec(inner))
        try:
            return list(inner.get_submodule(spec).parameters())
        except AttributeError:
            raise LossbalanceError(
                f"BalancedTrainer: shared: the model has no module {spec!r}"
            ) from None

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor | Any],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """The balancer's weighted sum of the model's loss terms (module docstring)."""
        if self.model_accepts_loss_kwargs and num_items_in_batch is not None:
            inputs = {**inputs, "num_items_in_batch": num_items_in_batch}
        outputs = model(**inputs)
        losses = loss_terms(outputs)
        if model.training:
            total, _ = self.balancer(losses, shared=lambda: self._shared_parameters(model))
            stacked = torch.stack([losses[t].detach().float() for t in self.balancer.terms])
            self._term_sum = stacked if self._term_sum is None else self._term_sum + stacked
            self._term_count += 1
        else:
            self.balancer.check_terms(losses)
            weights = self.balancer.weights()
            total = sum(
                (weights[t] * losses[t] for t in self.balancer.terms),
                start=torch.zeros((), device=losses[self.balancer.terms[0]].device),
            )
        if (
            self.args.average_tokens_across_devices
            and self.model_accepts_loss_kwargs
            and num_items_in_batch is not None
        ):
            # as the stock Trainer: the token count was summed over processes
            total = total * self.accelerator.num_processes
        return (total, outputs) if return_outputs else total

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """The Trainer's log, with ``loss/<term>`` and ``weight/<term>`` added to training logs."""
        if "loss" in logs and self._term_sum is not None:
            means = (self._term_sum / max(self._term_count, 1)).tolist()
            for t, v in zip(self.balancer.terms, means, strict=True):
                logs[f"loss/{t}"] = float(v)
            for t, w in self.balancer.weights().items():
                logs[f"weight/{t}"] = float(w)
            self._term_sum, self._term_count = None, 0
        super().log(logs, start_time)

    def save_balancer(self, folder: str | os.PathLike[str]) -> Path:
        """Write the balancer's state to ``folder/lossbalance_balancer.json`` (atomically)."""
        path = Path(folder) / BALANCER_FILE
        write_text_atomic(path, json.dumps(self.balancer.state_dict()))
        return path

    def load_balancer(self, folder: str | os.PathLike[str]) -> None:
        """Restore the balancer's state from a checkpoint folder.

        Raises:
            LossbalanceError: the folder has no balancer state, or another balancer's.
        """
        path = Path(folder) / BALANCER_FILE
        if not path.is_file():
            raise LossbalanceError(f"{path}: no balancer state in this checkpoint")
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LossbalanceError(f"{path}: unreadable balancer state ({exc})") from None
        try:
            self.balancer.load_state_dict(state)
        except LossbalanceError as exc:
            raise LossbalanceError(f"{path}: {exc}") from None

    def train(
        self,
        resume_from_checkpoint: str | bool | None = None,
        trial: Any = None,
        ignore_keys_for_eval: list[str] | None = None,
    ) -> Any:
        """``Trainer.train``, restoring the balancer first when resuming."""
        folder: str | None = None
        if isinstance(resume_from_checkpoint, bool) and resume_from_checkpoint:
            folder = get_last_checkpoint(self.args.output_dir)
        elif isinstance(resume_from_checkpoint, str):
            folder = resume_from_checkpoint
        if folder is not None:
            self.load_balancer(folder)
        return super().train(
            resume_from_checkpoint=resume_from_checkpoint,
            trial=trial,
            ignore_keys_for_eval=ignore_keys_for_eval,
        )


__all__ = ["BALANCER_FILE", "BalancedTrainer", "SharedSpec", "loss_terms"]
