"""The trainer: weighted terms, hook order, validation, evaluation, early stopping, bad input."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch

from _builders import tiny_cohort, tiny_model
from lossbalance._errors import LossbalanceError
from lossbalance.clinical import SEX_ANY, CodeEdits
from lossbalance.data import Cohort
from lossbalance.schedulers import SchedulerParams, WeightScheduler, create
from lossbalance.training import (
    Callback,
    JsonlLogger,
    Trainer,
    TrainerConfig,
    TrainState,
    load_checkpoint,
)

TINY = tiny_model()
FAST = TrainerConfig(epochs=2, batch_size=8, val_fraction=0.25, device="cpu")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Recorder(Callback):
    """Records every hook call with the step and epoch it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def _rec(self, name: str, state: TrainState) -> None:
        self.calls.append((name, state.step, state.epoch))

    def on_train_begin(self, trainer, state):
        self._rec("train_begin", state)

    def on_epoch_begin(self, trainer, state):
        self._rec("epoch_begin", state)

    def on_step_end(self, trainer, state):
        self._rec("step_end", state)

    def on_evaluation(self, trainer, state):
        self._rec("evaluation", state)

    def on_epoch_end(self, trainer, state):
        self._rec("epoch_end", state)

    def on_train_end(self, trainer, state):
        self._rec("train_end", state)


class SpyParams(SchedulerParams):
    pass


class Spy(WeightScheduler):
    """A gradient-using scheduler that records what the trainer hands it."""

    name: ClassVar[str] = "spy"
    Params: ClassVar[type[SchedulerParams]] = SpyParams
    uses_gradients: ClassVar[bool] = True
    max_terms: ClassVar[int | None] = None

    def __init__(self, terms: Sequence[str]) -> None:
        super().__init__(terms)
        self.log: list[tuple[str, int]] = []
        self.grad_norms: list[float] = []

    def weights(self, state: TrainState) -> dict[str, float]:
        self.log.append(("weights", state.step))
        return dict.fromkeys(self.terms, 0.5)

    def observe_gradients(
        self,
        state: TrainState,
        losses: Mapping[str, torch.Tensor],
        shared_parameters: Sequence[torch.nn.Parameter],
    ) -> None:
        self.log.append(("observe", state.step))
        g = torch.autograd.grad(losses[self.terms[0]], shared_parameters, retain_graph=True)
        self.grad_norms.append(float(g[0].norm()))

    def on_step_end(self, state: TrainState) -> None:
        self.log.append(("step_end", state.step))

    def on_epoch_end(self, state: TrainState) -> None:
        self.log.append(("epoch_end", state.step))

    def on_evaluation(self, state: TrainState) -> None:
        self.log.append(("evaluation", state.step))


def fixed(term: str, w: float) -> WeightScheduler:
    return create("fixed", [term], {"weight": w})


def test_weights_logged_and_unowned_terms_weigh_one() -> None:
    t = Trainer.from_cohort(tiny_cohort(), TINY, FAST, [fixed("age", 0.01)])
    state = t.fit()
    assert state.weights == {"lm": 1.0, "age": 0.01, "sex": 1.0}
    assert state.step == 2 * t.state.steps_per_epoch == 2 * 4  # 30 training patients / 8
    assert len(state.epoch_losses) == len(state.val_losses) == 2
    assert set(state.losses) == {"lm", "age", "sex"}


def test_step_equals_manual_weighted_step() -> None:
    """One trainer step == AdamW on lm + 0.3 age + 0.2 sex, computed by hand."""
    cfg = FAST.model_copy(update={"grad_clip": None, "warmup_fraction": 0.0})
    t = Trainer.from_cohort(tiny_cohort(), TINY, cfg, [fixed("age", 0.3), fixed("sex", 0.2)])
    manual = copy.deepcopy(t.model)
    opt = torch.optim.AdamW(manual.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    batch = next(t.train_batches.batches(cfg.seed, 0))
    losses = manual(batch)
    (losses["lm"] + 0.3 * losses["age"] + 0.2 * losses["sex"]).backward()
    opt.step()
    t._step(batch)
    for (name, p1), p2 in zip(manual.named_parameters(), t.model.parameters(), strict=True):
        assert torch.allclose(p1, p2, atol=1e-7), name
    assert t.state.losses["age"] == pytest.approx(float(losses["age"].detach()), abs=1e-6)
    assert t.state.weights == {"lm": 1.0, "age": 0.3, "sex": 0.2} and t.state.step == 1


def test_hook_order_and_gradient_schedulers() -> None:
    rec = Recorder()
    spy = Spy(["age", "sex"])
    cfg = FAST.model_copy(update={"eval_every": 2, "eval_patients": 4})
    t = Trainer.from_cohort(
        tiny_cohort(),
        TINY,
        cfg,
        [spy],
        callbacks=[rec],
        evaluator=lambda g: {"validity": 0.5 + g.n_patients / 100},
    )
    state = t.fit()
    names = [c[0] for c in rec.calls]
    spe = state.steps_per_epoch
    assert names == (
        [
            "train_begin",
            "epoch_begin",
            *["step_end"] * spe,
            "epoch_end",
            "epoch_begin",
            *["step_end"] * spe,
            "evaluation",
            "epoch_end",
            "train_end",
        ]
    )
    assert rec.calls[2] == ("step_end", 1, 0)  # the state was updated before the hook
    assert rec.calls[-2] == ("epoch_end", 2 * spe, 1)  # epoch still the finished one
    # per step: observe (graph attached) -> weights -> step_end, with the pre-step counter
    assert spy.log[:3] == [("observe", 0), ("weights", 0), ("step_end", 1)]
    assert all(g > 0 for g in spy.grad_norms)
    assert ("evaluation", 2 * spe) in spy.log and spy.log[-1] == ("epoch_end", 2 * spe)
    assert state.metrics == {"validity": 0.54}
    assert state.metrics_history == [{"validity": 0.54, "epoch": 1}]
    assert state.weights == {"lm": 1.0, "age": 0.5, "sex": 0.5}


def test_validation_loss_matches_manual_mean() -> None:
    t = Trainer.from_cohort(tiny_cohort(), TINY, FAST)
    vals = t.validation_losses()
    t.model.eval()
    assert len(t.val_batches.encoded) == 10  # 25% of 40, in batches of 8 and 2
    sums = dict.fromkeys(vals, 0.0)
    with torch.no_grad():
        plan = t.val_batches.plan(0, None)  # grouped by length: sorted by it
        assert [len(r) for r in plan] == [8, 2]
        for rows in plan:
            out = t.model(t.val_batches.batch(rows))
            for k in sums:
                sums[k] += float(out[k]) * len(rows)
    for k in sums:
        assert vals[k] == pytest.approx(sums[k] / 10, abs=1e-6)


def test_early_stopping_on_plateau(tmp_path: Path) -> None:
    cfg = FAST.model_copy(update={"epochs": 6, "patience": 2, "min_delta": 100.0})
    t = Trainer.from_cohort(tiny_cohort(), TINY, cfg, out_dir=tmp_path)
    state = t.fit()
    # epoch 0 sets the best; epochs 1 and 2 do not beat it by 100: stop after 3 epochs
    assert state.epoch == 3 and t.best_epoch == 0
    assert t.stop_reason is not None and "val:lm" in t.stop_reason
    best = load_checkpoint(tmp_path / "best.pt")
    last = load_checkpoint(tmp_path / "last.pt")
    assert best["train_state"]["epoch"] == 1 and last["train_state"]["epoch"] == 3


def test_monitor_on_a_metric() -> None:
    values = iter([0.5, 0.7, 0.6])
    cfg = FAST.model_copy(
        update={
            "epochs": 3,
            "eval_every": 1,
            "eval_patients": 2,
            "monitor": "metric:validity",
            "monitor_mode": "max",
        }
    )
    t = Trainer.from_cohort(
        tiny_cohort(), TINY, cfg, evaluator=lambda g: {"validity": next(values)}
    )
    t.fit()
    assert t.best_epoch == 1 and t.best_value == 0.7 and t.bad_epochs == 1


def test_validity_term_with_hand_made_edits() -> None:
    cohort = tiny_cohort()
    n = len(cohort.code_table)
    min_age = np.zeros(n, np.int16)
    max_age = np.full(n, 124, np.int16)
    sex_only = np.full(n, SEX_ANY, np.int8)
    sex_only[:3] = 0
    edits = CodeEdits(min_age, max_age, sex_only, np.array([""] * n))
    cfg_model = TINY.model_copy(update={"validity": True})
    t = Trainer.from_cohort(
        cohort,
        cfg_model,
        FAST.model_copy(update={"epochs": 1}),
        [fixed("validity", 2.0)],
        edits=edits,
    )
    state = t.fit()
    assert set(state.losses) == {"lm", "age", "sex", "validity"}
    assert state.weights["validity"] == 2.0
    assert 0.0 < state.val_losses[-1]["validity"] < 1.0


def test_non_finite_loss_stops_and_keeps_last_checkpoint(tmp_path: Path) -> None:
    class Poison(Callback):
        def on_epoch_begin(self, trainer, state):
            if state.epoch == 1:
                with torch.no_grad():
                    trainer.model.code_head.sex.weight.fill_(float("nan"))

    t = Trainer.from_cohort(tiny_cohort(), TINY, FAST, out_dir=tmp_path, callbacks=[Poison()])
    spe = t.state.steps_per_epoch
    with pytest.raises(LossbalanceError, match=rf"loss term 'sex' is nan at step {spe + 1} "):
        t.fit()
    kept = load_checkpoint(tmp_path / "last.pt")
    assert kept["train_state"]["epoch"] == 1 and kept["train_state"]["step"] == spe
    assert torch.isfinite(kept["model"]["code_head.sex.weight"]).all()


def test_bad_input() -> None:
    tiny = tiny_cohort(n=1)
    with pytest.raises(LossbalanceError, match="too small to split"):
        Trainer.from_cohort(tiny, TINY, FAST)
    cohort = tiny_cohort()
    with pytest.raises(LossbalanceError, match=r"losses\.validity: the model has no loss term"):
        Trainer.from_cohort(cohort, TINY, FAST, [fixed("validity", 1.0)])
    with pytest.raises(LossbalanceError, match="owned by two schedulers"):
        Trainer.from_cohort(cohort, TINY, FAST, [fixed("age", 1.0), fixed("age", 2.0)])
    with pytest.raises(LossbalanceError, match="monitor: no validation loss 'x'"):
        Trainer.from_cohort(cohort, TINY, FAST.model_copy(update={"monitor": "val:x"})).fit()
    with pytest.raises(ValueError, match="monitor"):
        TrainerConfig(monitor="lm")
    with pytest.raises(ValueError, match="extra"):
        TrainerConfig(epoch=3)


def test_jsonl_log(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    t = Trainer.from_cohort(
        tiny_cohort(), TINY, FAST, [fixed("sex", 0.2)], callbacks=[JsonlLogger(log)]
    )
    state = t.fit()
    recs = JsonlLogger.read(log)
    assert [r["epoch"] for r in recs] == [0, 1]
    assert recs[-1]["train"] == state.epoch_losses[-1]
    assert recs[-1]["val"] == state.val_losses[-1]
    assert recs[-1]["weights"] == {"lm": 1.0, "age": 1.0, "sex": 0.2}
    assert recs[-1]["step"] == state.step


def test_gradnorm_and_default_rules_plug_in() -> None:
    """A registered gradient-based scheduler and the package's clinical rules, end to end."""
    recs = [
        {"age": 30.0, "sex": "F", "visits": [["O800", "I10"], ["E119"]]},
        {"age": 0.0, "sex": "M", "visits": [["P0730", "I10"]]},
        {"age": 70.0, "sex": "M", "visits": [["N400", "E119"], ["I10"]]},
        {"age": 45.0, "sex": "F", "visits": [["I10"], ["E119", "J45909"]]},
    ] * 5
    cohort = Cohort.from_records(recs, system="icd10")
    cfg_model = TINY.model_copy(update={"validity": True})
    gradnorm = create("gradnorm", ["lm", "age", "sex"], {"alpha": 1.5, "lr": 0.025})
    t = Trainer.from_cohort(
        cohort,
        cfg_model,
        FAST.model_copy(update={"batch_size": 4}),
        [gradnorm, fixed("validity", 1.0)],
    )
    forbidden = t.train_batches._forbidden_table
    assert forbidden is not None and bool(forbidden.any())  # O800 for men, P0730 for adults
    state = t.fit()
    w = state.weights
    assert sum(w[k] for k in ("lm", "age", "sex")) == pytest.approx(3.0, abs=1e-4)
    assert len({round(w[k], 6) for k in ("lm", "age", "sex")}) > 1  # it did adapt
    assert np.isfinite(state.val_losses[-1]["validity"])


def test_log_has_padding_and_gradient_check(tmp_path: Path) -> None:
    t = Trainer.from_cohort(
        tiny_cohort(), TINY, FAST, callbacks=[JsonlLogger(tmp_path / "log.jsonl")]
    )
    state = t.fit()
    recs = JsonlLogger.read(tmp_path / "log.jsonl")
    assert [r["padding"] for r in recs] == pytest.approx(state.epoch_padding, abs=1e-6)
    assert all(0.0 <= p < 0.6 for p in state.epoch_padding)
    assert set(recs[0]["grad_check"]) == {"lm", "age", "sex"}
    assert all(v["shared"] > 0 and v["logits"] > 0 for v in recs[0]["grad_check"].values())
    assert "grad_check" not in recs[1]


def test_deferred_host_reads_give_the_same_run() -> None:
    """``sync_every`` only changes when losses reach the host, not the training."""
    runs = []
    for every in (1, 3):
        cfg = FAST.model_copy(update={"sync_every": every})
        t = Trainer.from_cohort(tiny_cohort(), TINY, cfg, [fixed("age", 0.5)])
        runs.append(t.fit())
    a, b = runs
    assert a.epoch_losses == b.epoch_losses
    assert a.val_losses == b.val_losses and a.losses == b.losses
    assert set(b.loss_tensors) == {"lm", "age", "sex"}


def test_bf16_autocast_runs_on_cpu() -> None:
    cfg = FAST.model_copy(update={"precision": "bf16", "epochs": 1})
    t = Trainer.from_cohort(tiny_cohort(), TINY, cfg)
    assert t.bf16
    state = t.fit()
    assert all(np.isfinite(v) for v in state.val_losses[-1].values())
    assert not Trainer.from_cohort(tiny_cohort(), TINY, FAST).bf16  # fp32 on CPU by default
