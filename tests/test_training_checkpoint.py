"""Checkpoints: bit-for-bit resume, best/last, refusal of bad files and other vocabularies."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from _builders import tiny_cohort, tiny_model
from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.model import generate
from lossbalance.schedulers import SchedulerParams, WeightScheduler, create
from lossbalance.training import (
    JsonlLogger,
    Trainer,
    TrainerConfig,
    TrainState,
    load_checkpoint,
    load_generator,
    rng_state,
    save_checkpoint,
    set_rng_state,
)

# dropout on: the resume must restore the torch RNG to match
TINY = tiny_model(dropout=0.1)
FAST = TrainerConfig(epochs=4, batch_size=8, val_fraction=0.25, device="cpu")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class NoParams(SchedulerParams):
    pass


class Wobble(WeightScheduler):
    """A stateful test scheduler: its weight depends on the losses it has seen."""

    name: ClassVar[str] = "wobble"
    Params: ClassVar[type[SchedulerParams]] = NoParams

    def __init__(self, terms: Sequence[str]) -> None:
        super().__init__(terms)
        self.acc = 0.0

    def weights(self, state: TrainState) -> dict[str, float]:
        return {self.terms[0]: 0.1 + (self.acc % 1.0)}

    def on_step_end(self, state: TrainState) -> None:
        self.acc += state.losses[self.terms[0]]

    def state_dict(self) -> dict[str, Any]:
        return {"acc": self.acc}

    def load_state_dict(self, state: Any) -> None:
        self.acc = float(state["acc"])


class WeightLog(JsonlLogger):
    """Records every step's weights (and the log lines) for the comparison."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.steps: list[tuple[int, dict[str, float], dict[str, float]]] = []

    def on_step_end(self, trainer, state):
        self.steps.append((state.step, dict(state.weights), dict(state.losses)))


def make_trainer(out: Path, cohort: Cohort | None = None, log: WeightLog | None = None) -> Trainer:
    return Trainer.from_cohort(
        cohort or tiny_cohort(),
        TINY,
        FAST,
        [Wobble(["age"]), create("fixed", ["sex"], {"weight": 0.2})],
        out_dir=out,
        callbacks=[log] if log else [],
    )


def strip_seconds(path: Path) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in JsonlLogger.read(path)]


def test_resume_is_bit_for_bit(tmp_path: Path) -> None:
    straight_log = WeightLog(tmp_path / "a.jsonl")
    straight = make_trainer(tmp_path / "a", log=straight_log)
    a = straight.fit()

    first_log = WeightLog(tmp_path / "b.jsonl")
    make_trainer(tmp_path / "b", log=first_log).fit(until_epoch=2)
    # something else uses the global RNGs in between
    torch.rand(100)
    np.random.rand(7)
    random.random()
    second_log = WeightLog(tmp_path / "b.jsonl")
    resumed = make_trainer(tmp_path / "b", log=second_log)
    resumed.load_checkpoint(tmp_path / "b" / "last.pt")
    assert resumed.state.epoch == 2
    b = resumed.fit()

    assert a.epoch_losses == b.epoch_losses  # exact float equality
    assert a.val_losses == b.val_losses
    assert straight_log.steps == first_log.steps + second_log.steps  # per-step weights, losses
    assert len({w["age"] for _, w, _ in straight_log.steps}) > 1  # the weights did move
    for (k, p1), p2 in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(p1, p2), k
    assert strip_seconds(tmp_path / "a.jsonl") == strip_seconds(tmp_path / "b.jsonl")


def test_best_and_last(tmp_path: Path) -> None:
    t = make_trainer(tmp_path)
    t.fit(until_epoch=2)
    best = load_checkpoint(tmp_path / "best.pt")
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["train_state"]["epoch"] == 2
    val = [v["lm"] for v in t.state.val_losses]
    assert best["train_state"]["epoch"] == int(np.argmin(val)) + 1
    assert last["vocab"]["fingerprint"] == t.vocab.fingerprint()
    assert last["schedulers"][0]["state"]["acc"] > 0
    assert set(last["rng"]) >= {"torch", "numpy", "python"}


def test_corrupted_and_truncated_checkpoints_refused(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c.pt", {"x": torch.arange(100)})
    assert torch.equal(load_checkpoint(path)["x"], torch.arange(100))
    raw = path.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(LossbalanceError, match=r"trunc\.pt: checkpoint is truncated"):
        load_checkpoint(tmp_path / "trunc.pt")
    flipped = bytearray(raw)
    flipped[-50] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(LossbalanceError, match=r"flip\.pt: checkpoint is corrupted"):
        load_checkpoint(tmp_path / "flip.pt")
    (tmp_path / "other.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(LossbalanceError, match="not a lossbalance checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(LossbalanceError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")
    # the temporary file of the atomic write is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt", "flip.pt", "other.pt", "trunc.pt"]


def test_checkpoint_from_another_vocabulary_refused(tmp_path: Path) -> None:
    t = make_trainer(tmp_path / "a")
    t.fit(until_epoch=1)
    other = make_trainer(tmp_path / "b", cohort=tiny_cohort(n_codes=20, seed=1))
    with pytest.raises(LossbalanceError, match=r"last\.pt: checkpoint was trained on another"):
        other.load_checkpoint(tmp_path / "a" / "last.pt")
    fewer = Trainer.from_cohort(tiny_cohort(), TINY, FAST, [Wobble(["age"])])
    with pytest.raises(LossbalanceError, match="weight schedulers"):
        fewer.load_checkpoint(tmp_path / "a" / "last.pt")


def test_rng_state_round_trip() -> None:
    state = rng_state()
    a = (torch.rand(3), np.random.rand(3), random.random())
    set_rng_state(state)
    b = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_load_generator_and_generate(tmp_path: Path) -> None:
    t = make_trainer(tmp_path)
    t.fit(until_epoch=1)
    model, demo = load_generator(tmp_path / "last.pt", device="cpu")
    assert demo.n_patients == t.train_cohort.n_patients and demo.n_visits == 0
    for (k, p1), p2 in zip(t.model.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(p1, p2), k
    g1 = generate(model, 5, reference=demo, seed=3)
    g2 = generate(t.model, 5, reference=t.train_cohort, seed=3)
    assert g1.equals(g2)
