"""Balancer: every family in a plain loop, the built-in trainer's weights, state, errors."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from _builders import tiny_cohort, tiny_model
from lossbalance import Balancer, LossbalanceError
from lossbalance.schedulers import available_schedulers, get_scheduler_class
from lossbalance.training import Callback, Trainer, TrainerConfig, TrainState

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TERMS = ("lm", "age", "sex")
ROOT = Path(__file__).resolve().parents[1]


class Toy(nn.Module):
    """A body, a last shared layer and one regression head per term."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Linear(4, 8)
        self.shared = nn.Linear(8, 8)
        self.heads = nn.ModuleDict({t: nn.Linear(8, 1) for t in TERMS})

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.tanh(self.shared(torch.tanh(self.body(x))))
        scale = {"lm": 3.0, "age": 1.0, "sex": 0.2}
        return {
            t: scale[t] * ((self.heads[t](h).squeeze(-1) - y[:, i]) ** 2).mean()
            for i, t in enumerate(TERMS)
        }


def batches(n: int, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 4, generator=g), torch.randn(16, 3, generator=g)) for _ in range(n)]


SPE = 4
DATA = batches(SPE)


def run(
    balancer: Balancer,
    model: Toy,
    opt: torch.optim.Optimizer,
    epochs: range,
    metrics: Mapping[str, float] | None = None,
    skip_first: int = 0,
) -> list[dict[str, float]]:
    """Train ``epochs``; returns the weights of every step."""
    seen = []
    for e in epochs:
        for i, (x, y) in enumerate(DATA):
            if e == epochs.start and i < skip_first:
                continue
            total, w = balancer(model(x, y), shared=model.shared.parameters())
            opt.zero_grad()
            total.backward()
            opt.step()
            balancer.on_step_end()
            seen.append(w)
        balancer.on_epoch_end(metrics=metrics)
    return seen


def family_spec(family: str) -> dict[str, Any]:
    cls = get_scheduler_class(family)
    terms = [t for t in cls.example_terms if t in TERMS] or ["age"]
    spec = {"family": family, "params": dict(cls.example_params), "terms": terms}
    return {terms[0]: spec}


BUILTIN = [
    f
    for f in available_schedulers()
    if get_scheduler_class(f).__module__.startswith("lossbalance.")
]


@pytest.mark.parametrize("family", BUILTIN)
def test_every_family_in_a_plain_loop_round_trips_mid_run(family: str) -> None:
    bal = Balancer.from_spec(family_spec(family), TERMS, steps_per_epoch=SPE)
    model = Toy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    run(bal, model, opt, range(0, 2))
    # mid-run: checkpoint through JSON (what a user's torch.save of plain data keeps)
    saved = json.loads(json.dumps(bal.state_dict()))
    model_b, opt_b = copy.deepcopy(model), copy.deepcopy(opt)
    opt_b = torch.optim.SGD(model_b.parameters(), lr=0.05)
    opt_b.load_state_dict(opt.state_dict())
    first = run(bal, model, opt, range(2, 4), metrics={"sex_valid": 0.99})
    resumed = Balancer.from_spec(family_spec(family), TERMS, steps_per_epoch=SPE)
    resumed.load_state_dict(saved)
    second = run(resumed, model_b, opt_b, range(2, 4), metrics={"sex_valid": 0.99})
    assert first == second  # bit-identical floats
    assert resumed.state.step == bal.state.step == 4 * SPE
    assert resumed.state_dict() == bal.state_dict()


def test_weights_move_as_documented() -> None:
    def trail(spec: dict[str, Any], epochs: int = 4, **kw: Any) -> list[dict[str, float]]:
        bal = Balancer.from_spec(spec, TERMS, steps_per_epoch=SPE)
        model = Toy()
        return run(bal, model, torch.optim.SGD(model.parameters(), lr=0.05), range(epochs), **kw)

    fixed = trail({"age": 0.3})
    assert all(w == {"lm": 1.0, "age": 0.3, "sex": 1.0} for w in fixed)
    lin = trail({"age": {"family": "linear", "params": {"start": 1.0, "end": 0.0, "duration": 2}}})
    ages = [w["age"] for w in lin]
    assert ages[0] == 1.0 and ages[2 * SPE] == 0.0 and ages == sorted(ages, reverse=True)
    assert ages[SPE] == pytest.approx(0.5)  # unit: epoch, step / steps_per_epoch
    gn = trail({"lm": {"family": "gradnorm", "terms": list(TERMS)}})
    assert all(math.isclose(sum(w.values()), 3.0) for w in gn)
    assert gn[-1] != gn[0]
    unc = trail({"lm": {"family": "uncertainty", "terms": list(TERMS), "params": {"lr": 0.1}}}, 6)
    # the 0.2-scaled term's weight rises above the 3.0-scaled one's (w -> 1 / (2 L))
    assert unc[0] == dict.fromkeys(TERMS, 1.0) and unc[-1]["sex"] > unc[-1]["lm"]
    dwa = trail({"lm": {"family": "dwa", "terms": list(TERMS)}})
    assert all(w == dict.fromkeys(TERMS, 1.0) for w in dwa[: 2 * SPE])
    assert math.isclose(sum(dwa[2 * SPE].values()), 3.0) and dwa[2 * SPE]["lm"] != 1.0


def test_metric_switched_curriculum_through_on_epoch_end() -> None:
    bal = Balancer.from_yaml(ROOT / "schedules" / "metric_triggered.yaml", TERMS, steps_per_epoch=2)
    w0 = bal.weights()
    assert (w0["age"], w0["sex"]) == (0.01, 0.2)
    for _ in range(2):
        for _ in range(2):
            bal({t: torch.tensor(1.0) for t in TERMS})
            bal.on_step_end()
        bal.on_epoch_end(metrics={"sex_valid": 0.97})
    assert bal.state.metrics_history[-1] == {"sex_valid": 0.97, "epoch": 1}
    for _ in range(20):
        bal({t: torch.tensor(1.0) for t in TERMS})
        bal.on_step_end()
    assert bal.weights()["sex"] == pytest.approx(0.001)


class Rec(Callback):
    def __init__(self) -> None:
        self.weights: list[dict[str, float]] = []
        self.losses: list[dict[str, float]] = []

    def on_step_end(self, trainer: Trainer, state: TrainState) -> None:
        self.weights.append(dict(state.weights))
        self.losses.append(dict(state.losses))


@pytest.mark.parametrize(
    "spec",
    [
        {"age": {"family": "cosine", "params": {"start": 0.5, "end": 0.01, "duration": 2}}},
        {"lm": {"family": "uncertainty", "terms": ["lm", "age", "sex"], "params": {"lr": 0.2}}},
        {"lm": {"family": "dwa", "terms": ["lm", "age", "sex"]}},
    ],
    ids=["cosine", "uncertainty", "dwa"],
)
def test_same_weights_as_the_built_in_trainer_step_by_step(spec: dict[str, Any]) -> None:
    rec = Rec()
    config = TrainerConfig(epochs=3, batch_size=8, val_fraction=0.25, device="cpu")
    probe = Balancer.from_spec(spec, ("lm", "age", "sex"))
    trainer = Trainer.from_cohort(
        tiny_cohort(40), tiny_model(), config, probe.schedulers, callbacks=[rec]
    )
    trainer.fit()
    spe = trainer.state.steps_per_epoch
    bal = Balancer.from_spec(spec, trainer.terms, steps_per_epoch=spe)
    got = []
    for e in range(3):
        for i in range(spe):
            _, w = bal({t: torch.tensor(v) for t, v in rec.losses[e * spe + i].items()})
            bal.on_step_end()
            got.append(w)
        bal.on_epoch_end()
    assert got == rec.weights
    assert rec.weights[0] != rec.weights[-1]


def test_from_spec_forms_agree(tmp_path: Path) -> None:
    sched = ROOT / "schedules" / "gradnorm.yaml"
    a = Balancer.from_yaml(sched)
    b = Balancer.from_spec({"sex": {"family": "gradnorm", "terms": ["lm", "age", "sex"]}})
    assert a.terms == ("lm", "age", "sex") and {s.name for s in b.schedulers} == {"gradnorm"}
    cfg = tmp_path / "train.yaml"
    cfg.write_text("losses:\n  age: 0.01\n  sex: {family: fixed, params: {weight: 0.2}}\n")
    c = Balancer.from_yaml(cfg, terms=["lm", "age", "sex"])
    assert c.weights() == {"lm": 1.0, "age": 0.01, "sex": 0.2}
    d = Balancer.from_spec({"lm": 1.0, "aux": {"family": "fixed", "params": {"weight": 0.5}}})
    assert d.terms == ("lm", "aux") and list(d.parameters()) == []


def test_errors_are_one_line_naming_both_lists(tmp_path: Path) -> None:
    bal = Balancer.from_spec({"lm": 1.0, "aux": 0.5})
    with pytest.raises(
        LossbalanceError, match=r"unknown loss term 'oops' \(given: lm, oops; configured: lm, aux\)"
    ):
        bal({"lm": torch.tensor(1.0), "oops": torch.tensor(1.0)})
    with pytest.raises(LossbalanceError, match=r"no loss for 'aux'"):
        bal({"lm": torch.tensor(1.0)})
    gn = Balancer.from_spec({"lm": {"family": "gradnorm", "terms": ["lm", "aux"]}})
    with pytest.raises(LossbalanceError, match="shared="):
        gn({"lm": torch.tensor(1.0), "aux": torch.tensor(1.0)})
    with pytest.raises(LossbalanceError, match=r"aux: .*family"):
        Balancer.from_spec({"aux": {"family": "nope"}})
    with pytest.raises(LossbalanceError, match="already owned"):
        Balancer.from_spec(
            {
                "a": {"family": "dwa", "terms": ["a", "b"]},
                "b": {"family": "dwa", "terms": ["b", "c"]},
            }
        )
    with pytest.raises(LossbalanceError, match="saved state has terms"):
        Balancer.from_spec({"lm": 1.0}).load_state_dict(bal.state_dict())
    bad = tmp_path / "bad.yaml"
    bad.write_text("age: {family: linear, params: {start: -1}}\n")
    with pytest.raises(LossbalanceError, match=r"bad.yaml: age"):
        Balancer.from_yaml(bad)


def test_weighted_total_equals_hand_written_sum() -> None:
    bal = Balancer.from_spec({"lm": 1.0, "age": 0.25, "sex": 4.0})
    losses = {
        t: torch.tensor(v, requires_grad=True) for t, v in zip(TERMS, (2.0, 3.0, 0.5), strict=True)
    }
    total, _ = bal(losses)
    assert float(total.detach()) == 2.0 + 0.25 * 3.0 + 4.0 * 0.5
    bal.on_step_end()
    assert bal.losses == {"lm": 2.0, "age": 3.0, "sex": 0.5}  # host copy on demand
    bal.on_epoch_end()
    assert bal.state.epoch_losses == [{"lm": 2.0, "age": 3.0, "sex": 0.5}]


def test_import_lossbalance_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lossbalance; from lossbalance import report; "
        "print('torch' in sys.modules, 'lossbalance.balancer' in sys.modules); "
        "lossbalance.Balancer; print('lossbalance.balancer' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


TIMED = [
    f for f in BUILTIN if not get_scheduler_class(f).adaptive and f not in ("curriculum", "fixed")
]


@pytest.mark.parametrize("family", TIMED)
def test_time_driven_families_follow_their_curve(family: str) -> None:
    """Through the Balancer, each step's weight is the family's curve at that step."""
    spec = family_spec(family)
    bal = Balancer.from_spec(spec, TERMS, steps_per_epoch=SPE)
    oracle = Balancer.from_spec(spec, TERMS).schedulers[0]
    model = Toy()
    seen = run(bal, model, torch.optim.SGD(model.parameters(), lr=0.05), range(6))
    expected = [
        oracle.weights(TrainState(step=k, epoch=k // SPE, steps_per_epoch=SPE))["age"]
        for k in range(6 * SPE)
    ]
    assert [w["age"] for w in seen] == expected
    assert len(set(expected)) > 1 and all(w["lm"] == 1.0 for w in seen)
