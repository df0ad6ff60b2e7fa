"""Benchmark: the Balancer's overhead per training step against a hand-written weighted sum.

Same model (copies of the same initial weights of the default generator, about 1M
parameters), same batches, same AdamW; one loop per variant:

* ``hand``: ``loss = lm + 0.01 age + 0.2 sex`` written out (the baseline);
* ``fixed``: ``Balancer.from_spec({"age": 0.01, "sex": 0.2})``, with ``on_step_end``;
* ``timed``: linear decay for age, cosine for sex (non-adaptive, time-driven);
* ``gradnorm``: GradNorm (Chen et al. 2018) over lm, age and sex on the generator's
  last shared layer, through the Balancer.

Goals (issue 15): ``fixed`` and ``timed`` at most 1.03x ``hand``; ``gradnorm`` at most
1.15x ``hand`` (a fixed-weight step). The variants run interleaved for ``ROUNDS``
rounds, so machine noise hits each alike; the figures are the medians of the
process's CPU time (``time.process_time``: on a shared, loaded machine wall time
mostly measures the other jobs; with one thread CPU time is the loop's own work).
Beside them, the Balancer's own cost per step is timed alone (call and
``on_step_end`` on ready loss tensors, against the hand-written sum on the same
tensors), which noise hardly touches. Threads: ``BENCH_THREADS`` (default 1).

Run: ``python -m pytest bench/bench_balancer.py -s`` (or ``python bench/bench_balancer.py``).
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from _common import default_generator, set_bench_threads, zipf_cohort
from lossbalance import Balancer
from lossbalance.model import BatchMaker, Generator, encode_cohort

N_PATIENTS = 640
STEPS = 16
ROUNDS = 5

SPECS: dict[str, dict[str, Any]] = {
    "fixed": {"age": 0.01, "sex": 0.2},
    "timed": {
        "age": {"family": "linear", "params": {"start": 0.01, "end": 0.001, "duration": 10}},
        "sex": {"family": "cosine", "params": {"start": 0.2, "end": 0.001, "duration": 10}},
    },
    "gradnorm": {"lm": {"family": "gradnorm", "terms": ["lm", "age", "sex"]}},
}


def _loop(
    model: Generator,
    batches: list[dict[str, torch.Tensor]],
    step: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    after: Callable[[], None],
) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    t0 = time.process_time()
    for batch in batches:
        loss = step(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        after()
    return time.process_time() - t0


def run_hand(model: Generator, batches: list[dict[str, torch.Tensor]]) -> float:
    """Seconds for the hand-written weighted sum."""

    def step(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        losses = model(batch)
        return losses["lm"] + 0.01 * losses["age"] + 0.2 * losses["sex"]

    return _loop(model, batches, step, lambda: None)


def run_balancer(
    model: Generator, batches: list[dict[str, torch.Tensor]], spec: dict[str, Any]
) -> float:
    """Seconds for the same loop weighted by a Balancer built from ``spec``."""
    balancer = Balancer.from_spec(spec, model.terms, steps_per_epoch=len(batches))

    def step(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        total, _ = balancer(model(batch), shared=model.shared_parameters)
        return total

    return _loop(model, batches, step, balancer.on_step_end)


def own_cost_us(spec: dict[str, Any], n: int = 3000) -> tuple[float, float]:
    """Microseconds per step of (Balancer call + on_step_end, the hand-written sum) on
    ready scalar loss tensors: the weighting's own cost, without the model."""
    terms = ("lm", "age", "sex")
    losses = {t: torch.tensor(1.0 + i, requires_grad=True) for i, t in enumerate(terms)}
    balancer = Balancer.from_spec(spec, terms, steps_per_epoch=100)
    t0 = time.process_time()
    for _ in range(n):
        balancer(losses)
        balancer.on_step_end()
    mine = time.process_time() - t0
    t0 = time.process_time()
    for _ in range(n):
        _ = losses["lm"] + 0.01 * losses["age"] + 0.2 * losses["sex"]
    hand = time.process_time() - t0
    return 1e6 * mine / n, 1e6 * hand / n


def measure() -> dict[str, float]:
    set_bench_threads()
    cohort = zipf_cohort(N_PATIENTS)
    train, _, model = default_generator(cohort, 0)
    maker = BatchMaker(encode_cohort(train, model.vocab, model.config.max_length), 32, "cpu")
    batches = list(maker.batches(0, 0))[:STEPS]
    times: dict[str, list[float]] = {"hand": [], **{k: [] for k in SPECS}}
    for _ in range(ROUNDS):
        times["hand"].append(run_hand(copy.deepcopy(model), batches))
        for name, spec in SPECS.items():
            times[name].append(run_balancer(copy.deepcopy(model), batches, spec))
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {f"{k}_ms_per_step": 1000 * v / len(batches) for k, v in med.items()}
    out.update({f"{k}_ratio": med[k] / med["hand"] for k in SPECS})
    for k in ("fixed", "timed"):
        mine, hand = own_cost_us(SPECS[k])
        out[f"{k}_own_us"], out["hand_own_us"] = mine, hand
    out["steps"] = float(len(batches))
    out["threads"] = float(torch.get_num_threads())
    return out


def _print(m: dict[str, float]) -> None:
    print(
        f"\nBalancer overhead, default generator, {m['steps']:.0f} steps of 32 patients x "
        f"{ROUNDS} rounds, {m['threads']:.0f} thread(s): hand-written sum "
        f"{m['hand_ms_per_step']:.1f} ms CPU/step; "
        f"fixed {m['fixed_ratio']:.3f}x, timed {m['timed_ratio']:.3f}x (goal <= 1.03); "
        f"gradnorm {m['gradnorm_ratio']:.3f}x (goal <= 1.15)\n"
        f"own cost per step on ready losses: fixed {m['fixed_own_us']:.0f} us, timed "
        f"{m['timed_own_us']:.0f} us, hand-written sum {m['hand_own_us']:.0f} us "
        f"(= {1e-3 * (m['timed_own_us'] - m['hand_own_us']) / m['hand_ms_per_step']:.4f} "
        "of a step)"
    )


def test_balancer_overhead(benchmark: Any) -> None:
    """pytest-benchmark suite: the four loops, interleaved."""
    m = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    _print(m)


if __name__ == "__main__":
    _print(measure())
