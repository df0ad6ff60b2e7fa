"""Benchmarks of training: length-grouped batches, and the trainer against a bare loop.

**Length-grouped batches** (``measure_grouping``). The default simulator run
(``lossbalance train`` with ``data: {simulate: {patients: 3000}}``: 3,000 simulated
patients, 10% held out, the default ``tiny`` generator, batches of 32, loss
``lm + 0.01 age + 0.2 sex``) trains one epoch with ``group_by_length: true`` and one
with ``false``, alternating, in the same process, from the same initial weights. The
time is that of the epoch's optimiser steps (validation excluded); the padding share
is that of the epoch's training batches. Goals: random/grouped >= 3x, padding of the
grouped epoch <= 15%.

**Trainer overhead** (``measure``). Same model (a copy of the same initial weights),
same batches (the trainer's own length-grouped plan, built beforehand for the bare
loop), same AdamW, learning-rate schedule and clipping, same loss. The bare loop
iterates over prebuilt batches (a stricter baseline than the trainer, which builds each
batch from the encoded cohort on the fly, validates after the epoch and asks two
``fixed`` schedulers for weights at every step). The trainer's one-batch gradient check
(``check_terms``, once per run) is timed apart and reported in seconds. Goal:
trainer/bare >= 0.97 (steps/s, medians of 3 interleaved runs).

The overhead cohort (1,000 patients, 300 codes, 1-6 visits of 1-10 codes) is drawn
with numpy. Threads: ``BENCH_THREADS`` (default 1, so that a shared machine's other
jobs do not stall the measurement).

Run: ``python -m pytest bench/bench_trainer.py -s`` (or ``python bench/bench_trainer.py``;
``python bench/bench_trainer.py grouping`` or ``overhead`` for one of the two).
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from typing import Any

import torch
from transformers import get_scheduler

from _common import default_generator, set_bench_threads, zipf_cohort
from lossbalance.data import Cohort
from lossbalance.model import GeneratorConfig
from lossbalance.schedulers import create
from lossbalance.training import Callback, Trainer, TrainerConfig, TrainState, build_generator

N_PATIENTS = 1000
N_CODES = 300
REPEATS = 3
SIM_PATIENTS = 3000


def _schedulers() -> list[Any]:
    return [
        create("fixed", ["age"], {"weight": 0.01}),
        create("fixed", ["sex"], {"weight": 0.2}),
    ]


def make_trainer(cohort: Cohort, config: TrainerConfig) -> Trainer:
    train, val, model = default_generator(cohort, config.seed)
    return Trainer(model, train, config, _schedulers(), validation=val)


class StepTimer(Callback):
    """Seconds from an epoch's start to its last optimiser step (validation excluded)."""

    def __init__(self) -> None:
        self.t0 = 0.0
        self.seconds: list[float] = []
        self._last = 0.0

    def on_epoch_begin(self, trainer: Trainer, state: TrainState) -> None:
        self.t0 = time.perf_counter()

    def on_step_end(self, trainer: Trainer, state: TrainState) -> None:
        self._last = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, state: TrainState) -> None:
        self.seconds.append(self._last - self.t0)


def bare_epoch(
    model: torch.nn.Module,
    batches: list[dict[str, torch.Tensor]],
    config: TrainerConfig,
) -> float:
    """Seconds for one epoch of the plain PyTorch loop."""
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    total = len(batches) * config.epochs
    sched = get_scheduler(
        "linear",
        opt,
        num_warmup_steps=int(config.warmup_fraction * total),
        num_training_steps=total,
    )
    model.train()
    t0 = time.perf_counter()
    for batch in batches:
        losses = model(batch)
        loss = losses["lm"] + 0.01 * losses["age"] + 0.2 * losses["sex"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    return time.perf_counter() - t0


def measure() -> dict[str, float]:
    """Trainer vs bare loop on the same batches (see the module docstring)."""
    set_bench_threads()
    cohort = zipf_cohort(N_PATIENTS, N_CODES)
    config = TrainerConfig(epochs=1, batch_size=32, device="cpu", check_terms=False)
    trainer_s, bare_s, check_s = [], [], []
    tokens = steps = 0
    for _ in range(REPEATS):  # interleaved, so that machine noise hits both alike
        trainer = make_trainer(cohort, config)
        initial = copy.deepcopy(trainer.model)
        batches = list(trainer.train_batches.batches(config.seed, 0))
        t0 = time.perf_counter()
        trainer.check_terms()
        check_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        trainer.fit()
        trainer_s.append(time.perf_counter() - t0)
        bare_s.append(bare_epoch(initial, batches, config))
        steps = trainer.state.step
        tokens = trainer.train_batches.encoded.n_tokens
    t, b = statistics.median(trainer_s), statistics.median(bare_s)
    return {
        "parameters": float(trainer.model.num_parameters()),
        "steps": float(steps),
        "trainer_steps_per_s": steps / t,
        "bare_steps_per_s": steps / b,
        "ratio": b / t,
        "check_terms_s": statistics.median(check_s),
        "trainer_tokens_per_s": tokens / t,
        "threads": float(torch.get_num_threads()),
    }


def measure_grouping() -> dict[str, float]:
    """One epoch of the default simulator run, length-grouped vs random order."""
    from lossbalance.data import simulate

    set_bench_threads()
    cohort = simulate(SIM_PATIENTS, 0)
    base = TrainerConfig(epochs=1, batch_size=32, device="cpu", check_terms=False)
    train, val = cohort.split(base.val_fraction, base.seed)
    initial = build_generator(train, GeneratorConfig(), base.seed)
    seconds: dict[bool, list[float]] = {True: [], False: []}
    padding: dict[bool, float] = {}
    tokens = 0
    for grouped in (True, False):  # one epoch each; alternate order would double the cost
        timer = StepTimer()
        config = base.model_copy(update={"group_by_length": grouped})
        trainer = Trainer(
            copy.deepcopy(initial),
            train,
            config,
            _schedulers(),
            validation=val,
            callbacks=[timer],
        )
        trainer.fit()
        seconds[grouped] = timer.seconds
        padding[grouped] = trainer.state.epoch_padding[-1]
        tokens = trainer.train_batches.encoded.n_tokens
    g, r = seconds[True][0], seconds[False][0]
    return {
        "patients": float(train.n_patients),
        "tokens": float(tokens),
        "grouped_s": g,
        "random_s": r,
        "speedup": r / g,
        "grouped_padding": padding[True],
        "random_padding": padding[False],
        "threads": float(torch.get_num_threads()),
    }


def _print(m: dict[str, float]) -> None:
    print(
        f"\ndefault generator ({m['parameters']:,.0f} parameters), {m['steps']:.0f} steps of 32 "
        f"patients, {m['threads']:.0f} thread(s): trainer {m['trainer_steps_per_s']:.2f} steps/s "
        f"(epoch incl. validation), bare loop {m['bare_steps_per_s']:.2f} steps/s; "
        f"ratio {m['ratio']:.3f} (goal >= 0.97); check_terms once per run "
        f"{m['check_terms_s']:.3f} s; training {m['trainer_tokens_per_s']:,.0f} tokens/s"
    )


def _print_grouping(m: dict[str, float]) -> None:
    print(
        f"\ndefault simulator run ({m['patients']:.0f} training patients, {m['tokens']:,.0f} "
        f"tokens), one epoch, {m['threads']:.0f} thread(s): length-grouped {m['grouped_s']:.2f} s "
        f"(padding {m['grouped_padding']:.1%}), random order {m['random_s']:.2f} s "
        f"(padding {m['random_padding']:.1%}); speed-up {m['speedup']:.2f}x "
        f"(goals >= 3x, padding <= 15%)"
    )


def test_trainer_overhead(benchmark: Any) -> None:
    """pytest-benchmark suite: one training epoch, with the bare loop measured beside it."""
    m = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    _print(m)


def test_length_grouping(benchmark: Any) -> None:
    """pytest-benchmark suite: an epoch of the default simulator run, grouped vs random."""
    m = benchmark.pedantic(measure_grouping, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    _print_grouping(m)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("all", "grouping"):
        _print_grouping(measure_grouping())
    if which in ("all", "overhead"):
        _print(measure())
