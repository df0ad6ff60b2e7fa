"""The trainer's settings (a pydantic model: unknown keys and out-of-range values fail)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lossbalance.model import SamplingConfig


class TrainerConfig(BaseModel):
    """How to train the generator.

    Attributes:
        epochs: passes over the training patients.
        batch_size: patients per optimiser step.
        lr: peak learning rate of AdamW (Loshchilov & Hutter 2019).
        weight_decay: AdamW's decoupled weight decay.
        warmup_fraction: share of all steps spent ramping the learning rate up linearly.
        lr_decay: ``linear`` or ``cosine`` decay to 0 after the warm-up, or ``constant``.
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        val_fraction: share of the cohort held out for the per-epoch validation loss
            (when no validation cohort is given).
        seed: seeds the split, the model's initialisation, the batch order and dropout.
        monitor: what early stopping and the ``best`` checkpoint watch:
            ``val:<term>`` (a validation loss, e.g. ``val:lm``) or ``metric:<name>``
            (an evaluation metric, e.g. ``metric:validity``).
        monitor_mode: ``min`` or ``max``: whether smaller or larger is better.
        patience: stop after this many epochs without improvement (None: never).
        min_delta: the least change that counts as an improvement.
        eval_every: generate and score patients every this many epochs (0: never).
        eval_patients: patients generated for each evaluation.
        sampling: sampling settings of the evaluations.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        group_by_length: batches of patients of similar token length (seeded windows
            of ``group_batches`` batches, sorted by length, batch order shuffled; see
            :class:`~lossbalance.model.BatchMaker`); off: random-order batches.
        group_batches: batches per length-sorting window.
        precision: ``auto`` (bf16 autocast on CUDA, fp32 on CPU), ``fp32`` or ``bf16``
            (autocast to bfloat16 on either device; the loss terms stay float32).
        tf32: let CUDA matrix products in fp32 use TensorFloat-32 (``precision: fp32``).
        sync_every: read the losses back to the host every this many steps (None:
            every step on CPU, where it costs nothing, every 50 on CUDA, where each
            read waits for the device). Between reads ``state.losses`` keeps the last
            values read and ``state.loss_tensors`` holds this step's device tensors;
            schedulers that adapt to the losses (``adaptive``) still get every step's
            values. A non-finite loss is found at the next read.
        check_terms: run :meth:`~lossbalance.model.Generator.check_terms` on one batch
            when training starts (fails on a term with no gradient) and log the norms.
        threads: torch's intra-op threads while training and generating (None: the
            process's setting). The thread count changes the last bits of every loss,
            so a rerun reproduces a run's metrics exactly only with the same count (a
            study trial records the count it ran with).
        deterministic: run with ``torch.use_deterministic_algorithms(True)`` (and
            ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless set, as torch's docs ask on CUDA).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(default=10, ge=1, le=100_000)
    batch_size: int = Field(default=32, ge=1, le=65_536)
    lr: float = Field(default=1e-3, gt=0.0, le=1.0)
    weight_decay: float = Field(default=0.01, ge=0.0, le=1.0)
    warmup_fraction: float = Field(default=0.05, ge=0.0, lt=1.0)
    lr_decay: Literal["linear", "cosine", "constant"] = "linear"
    grad_clip: float | None = Field(default=1.0, gt=0.0)
    val_fraction: float = Field(default=0.1, gt=0.0, lt=1.0)
    seed: int = Field(default=0, ge=0)
    monitor: str = "val:lm"
    monitor_mode: Literal["min", "max"] = "min"
    patience: int | None = Field(default=None, ge=1)
    min_delta: float = Field(default=0.0, ge=0.0)
    eval_every: int = Field(default=0, ge=0)
    eval_patients: int = Field(default=200, ge=1)
    sampling: SamplingConfig = Field(default_factory=lambda: SamplingConfig())
    device: Literal["auto", "cpu", "cuda"] = "auto"
    group_by_length: bool = True
    group_batches: int = Field(default=64, ge=1, le=100_000)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    tf32: bool = True
    sync_every: int | None = Field(default=None, ge=1, le=100_000)
    check_terms: bool = True
    threads: int | None = Field(default=None, ge=1, le=1024)
    deterministic: bool = False

    @field_validator("monitor")
    @classmethod
    def _monitor_form(cls, v: str) -> str:
        kind, _, name = v.partition(":")
        if kind not in ("val", "metric") or not name:
            raise ValueError("must be 'val:<term>' or 'metric:<name>'")
        return v
