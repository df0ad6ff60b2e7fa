"""The trainer: weighted multi-term loss, hooks, validation, evaluation, checkpoints.

At every optimiser step (the order fixed by :mod:`lossbalance.schedulers._base`):
forward pass -> every loss term checked finite -> ``observe_gradients`` of the
schedulers that use gradients (on :meth:`Generator.shared_parameters`) -> weights
from every scheduler (terms no scheduler owns weigh 1.0) -> ``sum(w * loss)`` ->
backward, gradient clipping, AdamW (Loshchilov & Hutter 2019), learning-rate warm-up
and decay -> :class:`TrainState` updated -> ``on_step_end`` of schedulers, then of
callbacks. After each epoch: validation loss per term, an optional metrics evaluation
(every ``eval_every`` epochs), ``on_epoch_end`` hooks, early stopping, and the
``last`` (and, on improvement, ``best``) checkpoint.

Before the first epoch of every :meth:`Trainer.fit`, :meth:`Trainer.check_terms` runs
``Generator.check_terms`` on one batch (every term must have a gradient) and logs the
norms. Batches are grouped by length (:class:`~lossbalance.model.BatchMaker`). On CUDA
the forward pass runs under bf16 autocast (``precision``), fp32 products may use TF32,
and the losses are read back to the host only every ``sync_every`` steps.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import get_scheduler

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import CodeEdits
from lossbalance.data import Cohort
from lossbalance.model import (
    BatchMaker,
    Generator,
    GeneratorConfig,
    Vocabulary,
    encode_cohort,
    generate,
    padding_share,
    token_edits,
)
from lossbalance.schedulers import WeightScheduler
from lossbalance.training._callbacks import Callback, CallbackList, Hook
from lossbalance.training._checkpoint import (
    checkpoint_bytes,
    load_checkpoint,
    rng_state,
    set_rng_state,
    write_checkpoint,
)
from lossbalance.training._config import TrainerConfig
from lossbalance.training._state import TrainState

Evaluator = Callable[[Cohort], Mapping[str, float]]
"""Scores a generated cohort: returns flat metrics (``validity``, ``js``, ...)."""

LAST = "last.pt"
BEST = "best.pt"
CUDA_SYNC_EVERY = 50
"""Steps between host reads of the losses on CUDA (``sync_every: null``)."""

log = logging.getLogger("lossbalance.training")


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LossbalanceError("device: cuda requested but no CUDA device is available")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy's global generator and python's ``random``."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def build_generator(train: Cohort, config: GeneratorConfig, seed: int = 0) -> Generator:
    """A freshly initialised generator on the vocabulary of ``train`` (seeded)."""
    vocab = Vocabulary.build(train, config.min_count, config.age_groups)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Generator(config, vocab)


def clinical_edits(vocab: Vocabulary) -> CodeEdits:
    """The package's default clinical edits for the vocabulary's code table."""
    from lossbalance.clinical import default_rules

    return default_rules().edits_for(vocab.code_table)


def default_evaluator(train: Cohort, heldout: Cohort | None) -> Evaluator:
    """Scores with :func:`lossbalance.metrics.evaluate` against the training cohort."""

    def evaluate(generated: Cohort) -> Mapping[str, float]:
        from lossbalance import metrics

        fn = metrics.evaluate
        kwargs: dict[str, Any] = {}
        params = inspect.signature(fn).parameters
        for name in ("heldout", "held_out"):
            if name in params and heldout is not None:
                kwargs[name] = heldout
        return dict(fn(generated, train, **kwargs).flat())

    return evaluate


class Trainer:
    """Trains a :class:`Generator` on a cohort with scheduled loss weights.

    Args:
        model: the generator (its vocabulary encodes the cohorts).
        train: the training cohort.
        config: optimiser, schedule, validation, evaluation and early-stopping settings.
        schedulers: weight providers; each owns the terms in its ``terms`` (one term
            each, or several shared). Terms no scheduler owns weigh 1.0.
        validation: the validation cohort (default: ``config.val_fraction`` of
            ``train``, split off by seed: use :meth:`from_cohort` for that).
        edits: clinical edits of ``model.vocab.code_table`` rows, for the ``validity``
            term (default: the package's rules).
        callbacks: typed hooks (:class:`Callback`), called in order.
        out_dir: where ``last.pt`` and ``best.pt`` go (None: no checkpoints).
        evaluator: scores generated patients (default: :func:`lossbalance.metrics.evaluate`
            against ``train``).
    """

    def __init__(
        self,
        model: Generator,
        train: Cohort,
        config: TrainerConfig,
        schedulers: Sequence[WeightScheduler] = (),
        *,
        validation: Cohort,
        edits: CodeEdits | None = None,
        callbacks: Sequence[Callback] = (),
        out_dir: str | os.PathLike[str] | None = None,
        evaluator: Evaluator | None = None,
    ) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        self.model = model.to(self.device)
        self.vocab = model.vocab
        self.train_cohort = train
        self.val_cohort = validation
        if train.n_patients == 0 or validation.n_patients == 0:
            raise LossbalanceError(
                f"cohort too small: {train.n_patients} training and "
                f"{validation.n_patients} validation patients"
            )
        self.terms = model.terms
        self.schedulers = list(schedulers)
        self._check_schedulers()
        self._setup_device()
        tok_edits = None
        if model.config.validity:
            chosen = edits if edits is not None else clinical_edits(self.vocab)
            tok_edits = token_edits(self.vocab, chosen)
        max_len = model.config.max_length
        grouping: dict[str, Any] = {
            "group_by_length": config.group_by_length,
            "group_batches": config.group_batches,
        }
        self.train_batches = BatchMaker(
            encode_cohort(train, self.vocab, max_len),
            config.batch_size,
            self.device,
            tok_edits,
            **grouping,
        )
        self.val_batches = BatchMaker(
            encode_cohort(validation, self.vocab, max_len),
            config.batch_size,
            self.device,
            tok_edits,
            **grouping,
        )
        self.callbacks = CallbackList(callbacks)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.evaluator = evaluator or default_evaluator(train, validation)

        steps_per_epoch = len(self.train_batches)
        self.state = TrainState(steps_per_epoch=steps_per_epoch)
        from lossbalance.balancer import Balancer  # below training; imported late: no cycle

        self.balancer = Balancer(self.schedulers, self.terms, state=self.state)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        total = steps_per_epoch * config.epochs
        name = {"linear": "linear", "cosine": "cosine", "constant": "constant_with_warmup"}
        self.lr_scheduler = get_scheduler(
            name[config.lr_decay],
            self.optimizer,
            num_warmup_steps=int(config.warmup_fraction * total),
            num_training_steps=total,
        )
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.stop_reason: str | None = None
        self._demographics = (train.age.copy(), train.sex.copy())
        self._pending: list[tuple[int, torch.Tensor]] = []
        self._epoch_sums: dict[str, float] = dict.fromkeys(self.terms, 0.0)
        self._epoch_steps = 0
        self.current_padding = 0.0
        self.grad_check_epoch: int | None = None

    def _setup_device(self) -> None:
        """Precision, TF32 and the host-read interval for the trainer's device."""
        cfg = self.config
        cuda = self.device.type == "cuda"
        self.bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and cuda)
        if cuda:
            torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
            torch.backends.cudnn.allow_tf32 = cfg.tf32
        self.sync_every = cfg.sync_every or (CUDA_SYNC_EVERY if cuda else 1)
        # schedulers that adapt to the losses read them after every step
        self._adaptive = any(getattr(s, "adaptive", False) for s in self.schedulers)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The forward pass's autocast context (bf16 when ``precision`` says so)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    # ------------------------------------------------------------ building
    @classmethod
    def from_cohort(
        cls,
        cohort: Cohort,
        model_config: GeneratorConfig,
        config: TrainerConfig,
        schedulers: Sequence[WeightScheduler] = (),
        **kwargs: Any,
    ) -> Trainer:
        """Split ``cohort`` (``config.val_fraction``, seeded), build the vocabulary and model."""
        train, val = cohort.split(config.val_fraction, config.seed)
        model = build_generator(train, model_config, config.seed)
        return cls(model, train, config, schedulers, validation=val, **kwargs)

    def _check_schedulers(self) -> None:
        owner: dict[str, str] = {}
        for s in self.schedulers:
            for t in s.terms:
                if t not in self.terms:
                    raise LossbalanceError(
                        f"losses.{t}: the model has no loss term {t!r} "
                        f"(terms: {', '.join(self.terms)})"
                    )
                if t in owner:
                    raise LossbalanceError(
                        f"losses.{t}: owned by two schedulers ({owner[t]} and {s.name})"
                    )
                owner[t] = s.name

    # ------------------------------------------------------------ control
    def request_stop(self, reason: str) -> None:
        """Stop after the current epoch (callbacks may call this)."""
        self.stop_reason = reason

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _dispatch(self, hook: Hook) -> None:
        self.callbacks.call(hook, self, self.state)

    # ------------------------------------------------------------ steps
    def weights(self) -> dict[str, float]:
        """The weight of every term for the coming step."""
        return self.balancer.weights()

    def _read_back(self) -> list[float] | None:
        """Copy the losses of the steps not yet read to the host (one device sync),
        check them finite, add them to the epoch's sums; the latest step's values."""
        if not self._pending:
            return None
        steps = [k for k, _ in self._pending]
        rows = torch.stack([v for _, v in self._pending]).tolist()
        self._pending.clear()
        for k, values in zip(steps, rows, strict=True):
            for t, v in zip(self.terms, values, strict=True):
                if not math.isfinite(v):
                    raise LossbalanceError(
                        f"loss term {t!r} is {v} at step {k} (epoch {self.state.epoch}); "
                        f"training stopped, the last good checkpoint is kept"
                        + (f" in {self.out_dir}" if self.out_dir is not None else "")
                    )
                self._epoch_sums[t] += v
            self._epoch_steps += 1
        return list(rows[-1])

    def _step(self, batch: dict[str, torch.Tensor]) -> None:
        state = self.state
        with self.autocast():
            losses = self.model(batch)
        raw = torch.stack([losses[t].detach().float() for t in self.terms])
        self._pending.append((state.step + 1, raw))
        due = self.sync_every == 1 or self._adaptive or (state.step + 1) % self.sync_every == 0
        values = self._read_back() if due else None
        total, _ = self.balancer(losses, shared=self.model.shared_parameters)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.lr_scheduler.step()
        state.loss_tensors = dict(zip(self.terms, raw.unbind(), strict=True))
        self.balancer.on_step_end(
            None if values is None else dict(zip(self.terms, values, strict=True))
        )
        self._dispatch("on_step_end")

    @torch.no_grad()
    def validation_losses(self) -> dict[str, float]:
        """Mean raw loss per term over the validation cohort (batches weighted by size)."""
        was = self.model.training
        self.model.eval()
        sums = torch.zeros(len(self.terms), dtype=torch.float64, device=self.device)
        n = 0
        try:
            for batch in self.val_batches.batches():
                size = int(batch["input_ids"].shape[0])
                with self.autocast():
                    losses = self.model(batch)
                sums += torch.stack([losses[t].float() for t in self.terms]).double() * size
                n += size
        finally:
            self.model.train(was)
        return {t: s / max(n, 1) for t, s in zip(self.terms, sums.tolist(), strict=True)}

    def check_terms(self) -> dict[str, dict[str, float]]:
        """Gradient norms of every term on the epoch's first batch (``Generator.check_terms``).

        In eval mode (no dropout), so the run's random state is untouched; the norms go
        to ``state.grad_check``, the log and the first epoch record of this ``fit``.

        Raises:
            LossbalanceError: a term has a zero or non-finite gradient (one line).
        """
        plan = self.train_batches.plan(self.config.seed, self.state.epoch)
        batch = self.train_batches.batch(plan[0])
        was = self.model.training
        self.model.eval()
        try:
            with self.autocast():
                norms = self.model.check_terms(batch)
        finally:
            self.model.train(was)
        self.state.grad_check = norms
        self.grad_check_epoch = self.state.epoch
        log.info(
            "gradient check: %s",
            "; ".join(
                f"{t} shared {v['shared']:.3g} logits {v['logits']:.3g}" for t, v in norms.items()
            ),
        )
        return norms

    def evaluate(self) -> dict[str, float]:
        """Generate ``eval_patients`` patients and score them (seeded by seed and epoch)."""
        generated = generate(
            self.model,
            self.config.eval_patients,
            reference=self.train_cohort,
            sampling=self.config.sampling,
            seed=self.config.seed * 100_003 + self.state.epoch,
        )
        return {k: float(v) for k, v in self.evaluator(generated).items()}

    # ------------------------------------------------------------ epochs
    def fit(self, until_epoch: int | None = None) -> TrainState:
        """Train until ``config.epochs`` (or ``until_epoch``, to stop early on purpose).

        Raises:
            LossbalanceError: a loss term became NaN or infinite (the message names the
                term and step; checkpoints already written are kept).
        """
        end = self.config.epochs if until_epoch is None else min(until_epoch, self.config.epochs)
        state = self.state
        if state.step == 0 and state.epoch == 0:  # a fresh run: seed dropout & co.
            seed_everything(self.config.seed)
        if self.config.check_terms and state.epoch < end:
            self.check_terms()
        self.model.train()
        self._dispatch("on_train_begin")
        try:
            while state.epoch < end and self.stop_reason is None:
                self._run_epoch()
        finally:
            self._dispatch("on_train_end")
        return state

    def _run_epoch(self) -> None:
        state = self.state
        cfg = self.config
        plan = self.train_batches.plan(cfg.seed, state.epoch)
        self.current_padding = padding_share(self.train_batches.encoded.lengths, plan)
        self._dispatch("on_epoch_begin")
        self._epoch_sums = dict.fromkeys(self.terms, 0.0)
        self._epoch_steps = 0
        for rows in plan:
            self._step(self.train_batches.batch(rows))
        last = self._read_back()
        if last is not None:
            state.losses = dict(zip(self.terms, last, strict=True))
        steps = self._epoch_steps
        state.epoch_losses.append({t: s / max(steps, 1) for t, s in self._epoch_sums.items()})
        state.epoch_padding.append(self.current_padding)
        state.val_losses.append(self.validation_losses())
        if cfg.eval_every and (state.epoch + 1) % cfg.eval_every == 0:
            state.metrics = self.evaluate()
            state.metrics_history.append({**state.metrics, "epoch": state.epoch})
            self.balancer.evaluated()
            self._dispatch("on_evaluation")
        self.balancer.epoch_ended()
        self._dispatch("on_epoch_end")
        improved = self._update_early_stopping()
        state.epoch += 1
        self._save(improved)

    def _monitored(self) -> float | None:
        kind, _, name = self.config.monitor.partition(":")
        state = self.state
        if kind == "val":
            if name not in state.val_losses[-1]:
                raise LossbalanceError(
                    f"monitor: no validation loss {name!r} (terms: {', '.join(self.terms)})"
                )
            return state.val_losses[-1][name]
        if state.metrics_history and state.metrics_history[-1].get("epoch") == state.epoch:
            if name not in state.metrics:
                raise LossbalanceError(f"monitor: the evaluation has no metric {name!r}")
            return state.metrics[name]
        return None

    def _update_early_stopping(self) -> bool:
        value = self._monitored()
        if value is None:
            return False
        sign = 1.0 if self.config.monitor_mode == "min" else -1.0
        best = self.best_value
        improved = best is None or sign * (best - value) > self.config.min_delta
        if improved:
            self.best_value, self.best_epoch, self.bad_epochs = value, self.state.epoch, 0
        else:
            self.bad_epochs += 1
            if self.config.patience is not None and self.bad_epochs >= self.config.patience:
                self.request_stop(
                    f"early stop: {self.config.monitor} did not improve "
                    f"for {self.bad_epochs} epochs"
                )
        return improved

    # ------------------------------------------------------------ checkpoints
    def checkpoint_payload(self) -> dict[str, Any]:
        """Everything a bit-for-bit resume (and a later ``generate``) needs."""
        return {
            "model": self.model.state_dict(),
            "model_config": self.model.config.model_dump(mode="json"),
            "vocab": self.vocab.to_dict(),
            "trainer_config": self.config.model_dump(mode="json"),
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(),
            "schedulers": [
                {"key": _key(s), "name": s.name, "terms": list(s.terms), "state": s.state_dict()}
                for s in self.schedulers
            ],
            "callbacks": self.callbacks.state_dict(),
            "rng": rng_state(),
            "train_state": self.state.state_dict(),
            "early_stopping": {
                "best_value": self.best_value,
                "best_epoch": self.best_epoch,
                "bad_epochs": self.bad_epochs,
                "stop_reason": self.stop_reason,
            },
            "demographics": {
                "age": torch.from_numpy(self._demographics[0]),
                "sex": torch.from_numpy(self._demographics[1].astype(np.int64)),
            },
        }

    def _save(self, improved: bool) -> None:
        if self.out_dir is None:
            return
        blob = checkpoint_bytes(self.checkpoint_payload())
        write_checkpoint(self.out_dir / LAST, blob)
        if improved:
            write_checkpoint(self.out_dir / BEST, blob)

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write the current state to ``path`` (atomically)."""
        return write_checkpoint(path, checkpoint_bytes(self.checkpoint_payload()))

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Restore model, optimiser, schedules, RNG and train state from ``path``.

        Raises:
            LossbalanceError: the file is missing, truncated or corrupted, or it comes
                from another vocabulary, model size or set of weight schedulers.
        """
        ckpt = load_checkpoint(path)
        vocab = Vocabulary.from_dict(ckpt["vocab"])
        if vocab.fingerprint() != self.vocab.fingerprint():
            raise LossbalanceError(
                f"{path}: checkpoint was trained on another vocabulary "
                f"({len(vocab)} tokens, fingerprint {vocab.fingerprint()[:12]}; "
                f"this run has {len(self.vocab)} tokens, {self.vocab.fingerprint()[:12]})"
            )
        if ckpt["model_config"] != self.model.config.model_dump(mode="json"):
            raise LossbalanceError(f"{path}: checkpoint has another model configuration")
        saved = [d["key"] for d in ckpt["schedulers"]]
        mine = [_key(s) for s in self.schedulers]
        if saved != mine:
            raise LossbalanceError(
                f"{path}: checkpoint has weight schedulers {saved}, this run has {mine}"
            )
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.lr_scheduler.load_state_dict(ckpt["lr_scheduler"])
        for s, d in zip(self.schedulers, ckpt["schedulers"], strict=True):
            s.load_state_dict(d["state"])
        self.callbacks.load_state_dict(ckpt["callbacks"])
        self.state = self.balancer.state = TrainState.from_state_dict(ckpt["train_state"])
        es = ckpt["early_stopping"]
        self.best_value, self.best_epoch = es["best_value"], es["best_epoch"]
        self.bad_epochs, self.stop_reason = es["bad_epochs"], es["stop_reason"]
        set_rng_state(ckpt["rng"])


def _key(s: WeightScheduler) -> str:
    """A scheduler's checkpoint key (its ``state_key`` where it has one)."""
    return str(getattr(s, "state_key", f"{s.name}[{','.join(s.terms)}]"))


def load_generator(path: str | os.PathLike[str], device: str = "auto") -> tuple[Generator, Cohort]:
    """The generator of a checkpoint and its training demographics (a patient-only cohort).

    The returned cohort has the training patients' ages and sexes and no visits: pass it
    as ``reference=`` to :func:`lossbalance.model.generate` to draw demographics from the
    training cohort's joint distribution.
    """
    ckpt = load_checkpoint(path)
    try:
        config = GeneratorConfig.model_validate(ckpt["model_config"])
        vocab = Vocabulary.from_dict(ckpt["vocab"])
        model = Generator(config, vocab)
        model.load_state_dict(ckpt["model"])
        ages = ckpt["demographics"]["age"].numpy()
        sexes = ckpt["demographics"]["sex"].numpy().astype(np.uint8)
    except (KeyError, ValueError, RuntimeError) as exc:
        raise LossbalanceError(f"{path}: checkpoint does not hold a generator ({exc})") from None
    model.to(resolve_device(device)).eval()
    n = len(ages)
    demo = Cohort(
        ages,
        sexes,
        np.zeros(n + 1, np.int64),
        np.zeros(1, np.int64),
        np.zeros(0, np.int32),
        vocab.code_table,
    )
    return model, demo
