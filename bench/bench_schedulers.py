"""Benchmark: trainer step time with each weight-schedule family against ``fixed``.

Every family runs the same trainer on the same default-size generator (about 1M
parameters), cohort, seed and batches; a callback stamps the time at each step end and
the median interval between consecutive steps of one epoch is the step time (validation
at the epoch's end is left out). Families are interleaved over ``REPEATS`` rounds so
that noise from a shared machine hits all alike.

Two ratios per family: the wall-clock step time against ``fixed`` (noisy on a shared
machine), and ``fixed``'s step time plus the family's extra time spent inside its own
methods (``weights``, ``observe_gradients`` and the hooks, timed by wrappers) over
``fixed``'s step time: the overhead the family adds, with the noise of the rest of
the step removed. The goals are judged on the second.

Goals: ``gradnorm`` <= 1.15x ``fixed`` (it takes one partial backward per term down
to the last shared layer, ``decoder.layers[-1].fc2``); every other family <= 1.03x.
Beside it, ``gradnorm (full)``: the same GradNorm computed the costly way, a full
``torch.autograd.grad`` per term over every model parameter (as LibMTL does), for
comparison. Both ratios are printed.

The cohort (``N_PATIENTS`` patients, 300 codes, 1-6 visits of 1-10 codes, Zipf-like
code frequencies) is drawn with numpy because the simulator is not written yet.
Threads: ``BENCH_THREADS`` (default 1).

Run: ``python -m pytest bench/bench_schedulers.py -s`` (or ``python bench/bench_schedulers.py``).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from _common import default_generator, set_bench_threads, zipf_cohort
from lossbalance.data import Cohort
from lossbalance.schedulers import GradNormScheduler, WeightScheduler, create
from lossbalance.training import Callback, Trainer, TrainerConfig, TrainState

N_PATIENTS = int(os.environ.get("BENCH_PATIENTS", "520"))
N_CODES = 300
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


class FullGradNorm(GradNormScheduler):
    """GradNorm with norms over every model parameter: one full backward per term."""

    def __init__(self, terms: Sequence[str], model: torch.nn.Module) -> None:
        super().__init__(terms, {"alpha": 1.5})
        self._all = [p for p in model.parameters() if p.requires_grad]

    def gradient_norms(
        self, losses: Mapping[str, torch.Tensor], shared_parameters: Sequence[torch.nn.Parameter]
    ) -> np.ndarray:
        return super().gradient_norms(losses, self._all)


def schedulers_for(family: str, model: torch.nn.Module) -> list[WeightScheduler]:
    aux = ["age", "sex"]
    three = ["lm", "age", "sex"]
    if family == "fixed":
        return [
            create("fixed", ["age"], {"weight": 0.01}),
            create("fixed", ["sex"], {"weight": 0.2}),
        ]
    if family == "gradnorm (full)":
        return [FullGradNorm(three, model)]
    if family in {"gradnorm", "uncertainty", "dwa"}:
        return [create(family, three)]
    from lossbalance.schedulers import get_scheduler_class

    # the family's example (for curriculum: per-term phases, a metric trigger, blending)
    return [create(family, aux, get_scheduler_class(family).example_params)]


FAMILIES = [
    "fixed", "linear", "cosine", "exponential", "step", "warmup", "curriculum",
    "uncertainty", "dwa", "gradnorm", "gradnorm (full)",
]  # fmt: skip


class StepClock(Callback):
    def __init__(self) -> None:
        self.stamps: list[float] = []

    def on_step_end(self, trainer: Any, state: TrainState) -> None:
        self.stamps.append(time.perf_counter())


def _timed(scheduler: WeightScheduler, spent: list[float]) -> WeightScheduler:
    """Wrap the instance's trainer-facing methods to add their time to ``spent[0]``."""
    for name in ("weights", "observe_gradients", "on_step_end", "on_epoch_end", "on_evaluation"):
        method = getattr(scheduler, name)

        def wrapped(*args: Any, _m: Any = method) -> Any:
            t0 = time.perf_counter()
            try:
                return _m(*args)
            finally:
                spent[0] += time.perf_counter() - t0

        setattr(scheduler, name, wrapped)
    return scheduler


def step_times(cohort: Cohort, family: str, config: TrainerConfig) -> tuple[list[float], float]:
    """Intervals between consecutive step ends of one epoch (first 2 dropped as warm-up),
    and the mean seconds per step spent inside the schedulers' methods."""
    train, val, model = default_generator(cohort, config.seed)
    clock = StepClock()
    spent = [0.0]
    scheds = [_timed(s, spent) for s in schedulers_for(family, model)]
    trainer = Trainer(model, train, config, scheds, validation=val, callbacks=[clock])
    trainer.fit()
    return list(np.diff(clock.stamps)[2:]), spent[0] / max(trainer.state.step, 1)


def measure() -> dict[str, Any]:
    set_bench_threads()
    cohort = zipf_cohort(N_PATIENTS, N_CODES)
    config = TrainerConfig(epochs=1, batch_size=32, device="cpu")
    times: dict[str, list[float]] = {f: [] for f in FAMILIES}
    inside: dict[str, list[float]] = {f: [] for f in FAMILIES}
    for _ in range(REPEATS):
        for family in FAMILIES:
            steps, spent = step_times(cohort, family, config)
            times[family].extend(steps)
            inside[family].append(spent)
    med = {f: statistics.median(v) for f, v in times.items()}
    sched_s = {f: statistics.median(v) for f, v in inside.items()}
    base = med["fixed"]
    return {
        "threads": torch.get_num_threads(),
        "steps_per_family": len(times["fixed"]),
        "median_step_s": med,
        "scheduler_s_per_step": sched_s,
        "ratio_vs_fixed": {f: med[f] / base for f in FAMILIES},
        # fixed's step plus the family's extra time inside scheduler code: far less noisy
        "ratio_from_scheduler_time": {
            f: (base + sched_s[f] - sched_s["fixed"]) / base for f in FAMILIES
        },
    }


GOALS = {"gradnorm": 1.15, "gradnorm (full)": None}


def _print(m: dict[str, Any]) -> None:
    print(
        f"\nstep time vs fixed, default generator, {m['steps_per_family']} steps per family, "
        f"{m['threads']} thread(s):"
    )
    print(
        "  family            step (median)  wall ratio   in-scheduler/step  ratio from "
        "scheduler time"
    )
    for f, r in m["ratio_vs_fixed"].items():
        goal = GOALS.get(f, 1.03)
        r2 = m["ratio_from_scheduler_time"][f]
        verdict = (
            "" if goal is None else (f" (goal <= {goal}: {'met' if r2 <= goal else 'MISSED'})")
        )
        print(
            f"  {f:16s} {1000 * m['median_step_s'][f]:9.1f} ms {r:9.3f}x "
            f"{1000 * m['scheduler_s_per_step'][f]:12.3f} ms {r2:12.3f}x{verdict}"
        )


def test_scheduler_overhead(benchmark: Any) -> None:
    """pytest-benchmark suite: all families in one round, fixed measured beside them."""
    m = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update({f"ratio {k}": v for k, v in m["ratio_vs_fixed"].items()})
    _print(m)


if __name__ == "__main__":
    _print(measure())
