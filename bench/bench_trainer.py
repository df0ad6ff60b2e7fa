"""Benchmark: trainer steps/s against a bare PyTorch loop, and training tokens/s.

Same model (a copy of the same initial weights), same batches, same AdamW, learning-rate
schedule and clipping, same loss ``lm + 0.01 age + 0.2 sex``. The bare loop iterates
over batches built beforehand (a stricter baseline than the trainer, which builds each
batch from the encoded cohort on the fly, validates after the epoch and asks two
``fixed`` schedulers for weights at every step). Goal: trainer/bare >= 0.9.

The cohort (1,000 patients, 300 codes, 1-6 visits of 1-10 codes) is drawn with numpy;
the model has the default size (about 1M parameters). Threads: ``BENCH_THREADS``
(default 1, so that a shared machine's other jobs do not stall the measurement).

Run: ``python -m pytest bench/bench_trainer.py -s`` (or ``python bench/bench_trainer.py``).
"""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

import torch
from transformers import get_scheduler

from _common import default_generator, set_bench_threads, zipf_cohort
from lossbalance.data import Cohort
from lossbalance.schedulers import create
from lossbalance.training import Trainer, TrainerConfig

N_PATIENTS = 1000
N_CODES = 300
REPEATS = 3


def make_trainer(cohort: Cohort, config: TrainerConfig) -> Trainer:
    train, val, model = default_generator(cohort, config.seed)
    schedulers = [
        create("fixed", ["age"], {"weight": 0.01}),
        create("fixed", ["sex"], {"weight": 0.2}),
    ]
    return Trainer(model, train, config, schedulers, validation=val)


def bare_epoch(
    trainer: Trainer,
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
    set_bench_threads()
    cohort = zipf_cohort(N_PATIENTS, N_CODES)
    config = TrainerConfig(epochs=1, batch_size=32, device="cpu")
    trainer_s, bare_s = [], []
    tokens = steps = 0
    for _ in range(REPEATS):  # interleaved, so that machine noise hits both alike
        trainer = make_trainer(cohort, config)
        initial = copy.deepcopy(trainer.model)
        batches = list(trainer.train_batches.batches(config.seed, 0))
        t0 = time.perf_counter()
        trainer.fit()
        trainer_s.append(time.perf_counter() - t0)
        bare_s.append(bare_epoch(trainer, initial, batches, config))
        steps = trainer.state.step
        tokens = trainer.train_batches.encoded.n_tokens
    t, b = statistics.median(trainer_s), statistics.median(bare_s)
    return {
        "parameters": float(trainer.model.num_parameters()),
        "steps": float(steps),
        "trainer_steps_per_s": steps / t,
        "bare_steps_per_s": steps / b,
        "ratio": b / t,
        "trainer_tokens_per_s": tokens / t,
        "threads": float(torch.get_num_threads()),
    }


def _print(m: dict[str, float]) -> None:
    print(
        f"\ndefault generator ({m['parameters']:,.0f} parameters), {m['steps']:.0f} steps of 32 "
        f"patients, {m['threads']:.0f} thread(s): trainer {m['trainer_steps_per_s']:.2f} steps/s "
        f"(epoch incl. validation), bare loop {m['bare_steps_per_s']:.2f} steps/s; "
        f"ratio {m['ratio']:.3f} (goal >= 0.9); training {m['trainer_tokens_per_s']:,.0f} tokens/s"
    )


def test_trainer_overhead(benchmark: Any) -> None:
    """pytest-benchmark suite: one training epoch, with the bare loop measured beside it."""
    m = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    _print(m)


if __name__ == "__main__":
    _print(measure())
