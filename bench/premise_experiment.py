"""The premise experiment (issue 4): do fixed auxiliary (age, sex) weights move validity
and coherence?

Trains the default generator with fixed weights (0, 0), (0.001, 0.001), (0.005, 0.005),
(0.01, 0.2), (0.3, 0.2): same cohort, split, seed, initial weights and budget; then
samples patients (demographics drawn from the training cohort) and scores them with
``lossbalance.metrics.evaluate`` against the training cohort (held-out split as floor).

Usage::

    python bench/premise_experiment.py                       # simulator, 3000 patients
    python bench/premise_experiment.py --data PATH/mimic-iv-demo --epochs 30
    python bench/premise_experiment.py --data cohort.npz --epochs 12 --out premise.json

Prints one row per weight pair and writes all numbers as JSON with ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from lossbalance.data import Cohort
from lossbalance.model import GeneratorConfig, SamplingConfig, generate
from lossbalance.schedulers import create
from lossbalance.training import Trainer, TrainerConfig

WEIGHTS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.001, 0.001),
    (0.005, 0.005),
    (0.01, 0.2),
    (0.3, 0.2),
)
SHOW = (
    "validity",
    "age_valid",
    "sex_valid",
    "duplicate_rate",
    "coherence",
    "js",
    "top100",
    "coverage",
    "cooccurrence_ratio",
)


def load_data(spec: str, patients: int, seed: int) -> Cohort:
    if spec == "simulate":
        from lossbalance.data import simulate

        return simulate(patients, seed)
    path = Path(spec)
    if path.suffix == ".npz":
        return Cohort.load(path)
    if (path / "hosp").is_dir():
        from lossbalance.data import load_mimic4

        return load_mimic4(path)
    from lossbalance.data import load_mimic3

    return load_mimic3(path)


def run_one(cohort: Cohort, age_w: float, sex_w: float, args: argparse.Namespace) -> dict[str, Any]:
    config = TrainerConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
    )
    schedulers = [
        create("fixed", ["age"], {"weight": age_w}),
        create("fixed", ["sex"], {"weight": sex_w}),
    ]
    trainer = Trainer.from_cohort(cohort, GeneratorConfig(), config, schedulers)
    t0 = time.perf_counter()
    state = trainer.fit()
    seconds = time.perf_counter() - t0
    sampling = SamplingConfig(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    generated = generate(
        trainer.model,
        args.eval_patients,
        reference=trainer.train_cohort,
        sampling=sampling,
        seed=args.seed,
    )
    from lossbalance.metrics import evaluate

    metrics = evaluate(
        generated, trainer.val_cohort, train=trainer.train_cohort, seed=args.seed
    ).flat()
    return {
        "age_weight": age_w,
        "sex_weight": sex_w,
        "train_seconds": seconds,
        "val": state.val_losses[-1],
        "metrics": metrics,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="simulate", help="simulate, a cohort .npz, a MIMIC dir")
    parser.add_argument("--patients", type=int, default=3000, help="simulated patients")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-patients", type=int, default=1000)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--out", type=Path, default=None, help="write all numbers as JSON")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cohort = load_data(args.data, args.patients, args.seed)
    print(
        f"cohort: {cohort.n_patients} patients, {cohort.n_visits} visits, "
        f"{cohort.n_codes} codes, {cohort.distinct_codes()} distinct; "
        f"{args.epochs} epochs, seed {args.seed}"
    )
    print("age_w  sex_w  " + "  ".join(f"{k:>10}" for k in SHOW) + "  val_age  val_sex  val_lm")
    rows = []
    for age_w, sex_w in WEIGHTS:
        row = run_one(cohort, age_w, sex_w, args)
        rows.append(row)
        m, v = row["metrics"], row["val"]
        print(
            f"{age_w:<6g} {sex_w:<6g} "
            + "  ".join(f"{m.get(k, float('nan')):>10.4f}" for k in SHOW)
            + f"  {v['age']:7.4f}  {v['sex']:7.4f}  {v['lm']:6.4f}",
            flush=True,
        )
    if args.out is not None:
        args.out.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()
