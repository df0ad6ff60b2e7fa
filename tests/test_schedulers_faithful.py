"""Each family against its formula on hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lossbalance.schedulers import GradNormScheduler, create
from lossbalance.training import TrainState


def at(step: int, spe: int = 1) -> TrainState:
    return TrainState(step=step, steps_per_epoch=spe)


@pytest.mark.parametrize(
    ("family", "params", "step", "spe", "expected"),
    [
        # linear: 0.01 -> 0.001 over 10 epochs, 5 steps per epoch
        ("linear", {"start": 0.01, "end": 0.001, "duration": 10}, 25, 5, 0.0055),
        ("linear", {"start": 0.01, "end": 0.001, "duration": 10}, 60, 5, 0.001),
        ("linear", {"start": 0.2, "slope": -0.02, "duration": 5}, 5, 2, 0.15),
        # warmup 2 epochs from 0, then the same linear decay shifted by 2
        ("linear", {"start": 0.01, "end": 0.001, "duration": 10, "warmup": 2}, 1, 1, 0.005),
        ("linear", {"start": 0.01, "end": 0.001, "duration": 10, "warmup": 2}, 7, 1, 0.0055),
        # cosine 1 -> 0 over 4: (1 + cos(pi/4)) / 2
        ("cosine", {"start": 1.0, "end": 0.0, "duration": 4}, 1, 1, 0.8535533905932737),
        ("cosine", {"start": 1.0, "end": 0.0, "duration": 4}, 2, 1, 0.5),
        ("cosine", {"start": 1.0, "end": 0.2, "duration": 4}, 9, 1, 0.2),
        # exponential: 0.2 -> 0.002 over 2: 0.02 at 1; gamma form with floor
        ("exponential", {"start": 0.2, "end": 0.002, "duration": 2}, 1, 1, 0.02),
        ("exponential", {"start": 0.2, "end": 0.002, "duration": 2}, 3, 1, 0.002),
        ("exponential", {"start": 1.0, "gamma": 0.5, "floor": 0.1}, 2, 1, 0.25),
        ("exponential", {"start": 1.0, "gamma": 0.5, "floor": 0.1}, 4, 1, 0.1),
        # step: milestones at 2 and 4 (epochs), steps_per_epoch 10
        ("step", {"start": 1.0, "milestones": [2, 4], "gamma": 0.1}, 19, 10, 1.0),
        ("step", {"start": 1.0, "milestones": [2, 4], "gamma": 0.1}, 20, 10, 0.1),
        ("step", {"start": 1.0, "milestones": [2, 4], "gamma": 0.1}, 50, 10, 0.01),
        ("step", {"start": 1.0, "milestones": [2, 4], "values": [0.5, 0.25]}, 30, 10, 0.5),
        # warmup over 100 steps
        ("warmup", {"target": 0.2, "duration": 100, "unit": "step"}, 25, 7, 0.05),
        ("warmup", {"target": 0.2, "duration": 100, "unit": "step"}, 150, 7, 0.2),
        ("fixed", {"weight": 0.2}, 999, 7, 0.2),
    ],
)
def test_timed_family_formula(
    family: str, params: dict[str, object], step: int, spe: int, expected: float
) -> None:
    w = create(family, ["age"], params).weights(at(step, spe))
    assert w == {"age": pytest.approx(expected, rel=1e-9, abs=1e-15)}


def test_curriculum_metric_trigger_blend_and_nested_decay() -> None:
    """keep sex 0.2 until sex_valid >= 0.95 on 2 evaluations, then decay to 0.001 over 5."""
    sched = create(
        "curriculum",
        ["sex"],
        {
            "blend": 0.5,
            "phases": [
                {"weight": 0.2, "until": {"metric": "sex_valid", "at_least": 0.95, "for": 2}},
                {
                    "weight": {
                        "family": "linear",
                        "params": {"start": 0.2, "end": 0.001, "duration": 5},
                    }
                },
            ],
        },
    )
    st = TrainState(steps_per_epoch=10)
    # hits: 0, 1, 0 (reset), 1, 2 -> switch at the 5th evaluation, step 50
    for epoch, value in enumerate([0.90, 0.96, 0.90, 0.96, 0.97], start=1):
        st.step = 10 * epoch
        assert sched.weights(st) == {"sex": 0.2}
        st.metrics = {"sex_valid": value}
        sched.on_evaluation(st)
    assert sched.state_dict()["phase"] == 1
    assert sched.state_dict()["phase_start"] == [50.0, 5.0]
    st.step = 52  # 0.2 epochs in: a = 0.4 blend of 0.2 and the decay's 0.2 - 0.199 * 0.04
    assert sched.weights(st)["sex"] == pytest.approx(0.6 * 0.2 + 0.4 * 0.19204)
    st.step = 60
    assert sched.weights(st)["sex"] == pytest.approx(0.1602)
    st.step = 100
    assert sched.weights(st)["sex"] == pytest.approx(0.001)


def test_curriculum_time_phases_per_term() -> None:
    sched = create(
        "curriculum",
        ["age", "sex"],
        {
            "phases": [
                {"weights": {"age": 0.3, "sex": 0.2}, "until": {"epoch": 2}},
                {"weight": 0.001, "until": {"steps": 5}},
                {"weights": {"age": 0.0, "sex": 0.1}},
            ]
        },
    )
    assert sched.weights(at(19, 10)) == {"age": 0.3, "sex": 0.2}
    assert sched.weights(at(20, 10)) == {"age": 0.001, "sex": 0.001}
    assert sched.weights(at(24, 10)) == {"age": 0.001, "sex": 0.001}
    assert sched.weights(at(25, 10)) == {"age": 0.0, "sex": 0.1}


def test_gradnorm_update_matches_hand_computation() -> None:
    gn = GradNormScheduler(["a", "b"], {"alpha": 1.0, "lr": 0.1, "optimizer": "sgd"})
    # step 1: L/L0 = 1, G = [2, 6], target = 4: grad = [-2, +6]; w = [1.2, 0.4] -> x 2/1.6
    gn.update(np.array([2.0, 6.0]), np.array([1.0, 1.0]))
    assert gn.w.tolist() == pytest.approx([1.5, 0.5])
    # step 2: r = [0.5, 1] / 0.75; G = [3, 3]; target = 3 r = [2, 4]; grad = [+2, -6]
    gn.update(np.array([2.0, 6.0]), np.array([0.5, 1.0]))
    assert gn.w.tolist() == pytest.approx([1.3 * 2 / 2.4, 1.1 * 2 / 2.4])
    assert gn.w.sum() == pytest.approx(2.0)


def test_gradnorm_norms_are_of_the_shared_layer_only() -> None:
    shared = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    head = torch.nn.Parameter(torch.tensor([10.0]))
    losses = {"a": (shared * shared).sum() / 2 + head.sum() ** 2, "b": 2 * shared.sum()}
    gn = GradNormScheduler(["a", "b"])
    norms = gn.gradient_norms(losses, [shared])
    assert norms.tolist() == pytest.approx([5.0, 8**0.5])


def _two_task_run(alpha: float, steps: int = 300) -> tuple[list[float], GradNormScheduler]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(128, 8, generator=gen)
    ya = torch.sin(x @ torch.randn(8, 1, generator=gen))
    yb = 10.0 * torch.sin(x @ torch.randn(8, 1, generator=gen))  # 10x the loss scale
    with torch.random.fork_rng():
        torch.manual_seed(0)
        shared, ha, hb = torch.nn.Linear(8, 32), torch.nn.Linear(32, 1), torch.nn.Linear(32, 1)
    params = [*shared.parameters(), *ha.parameters(), *hb.parameters()]
    opt = torch.optim.SGD(params, lr=1e-3)
    gn = GradNormScheduler(["a", "b"], {"alpha": alpha, "lr": 0.025})
    st = TrainState()
    ratios = []
    for _ in range(steps):
        h = torch.tanh(shared(x))
        losses = {"a": ((ha(h) - ya) ** 2).mean(), "b": ((hb(h) - yb) ** 2).mean()}
        gn.observe_gradients(st, losses, list(shared.parameters()))
        w = gn.weights(st)
        weighted = gn.last_norms * np.array([w["a"], w["b"]])  # ||d(w_i L_i)/dW||
        ratios.append(float(weighted.max() / weighted.min()))
        opt.zero_grad()
        (w["a"] * losses["a"] + w["b"] * losses["b"]).backward()
        opt.step()
        st.step += 1
    return ratios, gn


@pytest.mark.parametrize(("alpha", "tol"), [(0.0, 1.1), (1.5, 1.2)])
def test_gradnorm_balances_gradient_norms_on_a_toy(alpha: float, tol: float) -> None:
    ratios, gn = _two_task_run(alpha)
    assert ratios[0] > 10  # the 10x-scale task starts with a ~15x larger gradient
    assert np.mean(ratios[-50:]) < tol  # ... and GradNorm brings the norms together
    assert gn.w.sum() == pytest.approx(2.0)
    assert gn.w[1] < 0.15 < 1.8 < gn.w[0]  # the large-scale task is weighed down


def test_uncertainty_step_and_inverse_loss_scale() -> None:
    sched = create("uncertainty", ["a", "b"], {"lr": 0.01, "optimizer": "sgd"})
    st = TrainState(losses={"a": 10.0, "b": 0.1})
    sched.on_step_end(st)  # d/ds = -L + 1/2 -> s = 0.01 * [9.5, -0.4]
    assert sched.state_dict()["log_variance"] == pytest.approx([0.095, -0.004])
    assert sched.weights(st) == {
        "a": pytest.approx(0.9093729344682314),
        "b": pytest.approx(1.004008010677342),
    }
    adam = create("uncertainty", ["a", "b", "c"], {"lr": 0.05, "regression": ["c"]})
    st = TrainState(losses={"a": 10.0, "b": 0.1, "c": 2.0})
    for _ in range(3000):
        adam.on_step_end(st)
    w = adam.weights(st)  # fixed point w = 1 / (2 L), both forms
    assert w["a"] == pytest.approx(0.05, rel=1e-3)
    assert w["b"] == pytest.approx(5.0, rel=1e-3)
    assert w["c"] == pytest.approx(0.25, rel=1e-3)


def test_dwa_over_three_epochs() -> None:
    sched = create("dwa", ["a", "b"], {"temperature": 2.0})
    st = TrainState()
    assert sched.weights(st) == {"a": 1.0, "b": 1.0}  # epoch 0
    st.epoch_losses.append({"a": 1.0, "b": 2.0})
    assert sched.weights(st) == {"a": 1.0, "b": 1.0}  # epoch 1
    st.epoch_losses.append({"a": 0.5, "b": 1.8})  # r = [0.5, 0.9]
    w = sched.weights(st)
    assert w == {"a": pytest.approx(0.900332005375044), "b": pytest.approx(1.099667994624956)}
    st.epoch_losses.append({"a": 0.4, "b": 0.9})  # r = [0.8, 0.5]
    w = sched.weights(st)
    assert w == {"a": pytest.approx(1.0748596906874992), "b": pytest.approx(0.9251403093125009)}
