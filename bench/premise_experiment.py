"""The premise experiment, rerun on the codes-only heads (issue 14): do the auxiliary
age and sex weights change what the generator writes?

Grid: sex weight 0, 0.2, 2 with age weight 0, and age weight 0.2, 2 with sex weight 0
(fixed weights; ``(0, 0)`` is shared), each with ``--seeds`` training seeds (default 3).
Data: the built-in simulator at the default study size: ``2 x --patients`` simulated
patients (seed 0) split in halves by patient (seeded); the model trains on one half
(its trainer holds 10% of it out for validation) and the other half is the held-out
reference. Model and training are the built-in study's base (``studies/default.yaml``:
d_model 32, one layer each side, 5 epochs, batches of 32, lr 0.002). Generation: the
default sampler (temperature 1, top-p 1, no top-k, no code twice in a visit), as many
patients as the held-out half, demographics drawn from the training half.

Scores: ``sex_valid`` and ``age_valid`` from ``lossbalance.metrics.evaluate`` (generated
against the training half, the held-out half as its ``heldout``); ``code_js``: the
Jensen-Shannon distance (base 2, no smoothing) between the code frequencies of the
generated and the held-out cohorts (``scipy.spatial.distance.jensenshannon`` on code
counts). Each cell: the mean over seeds and its 95% Student-t interval.

``--flip``: the prompt-flip measurement instead: a model of the same size trained with
age and sex weights 0.2, once with the old heads (``decoder_states (can read the
prompt)``) and once with the codes-only heads; on the held-out patients' sequences,
the share of patients whose sex-head prediction follows a flipped prompt sex token
(prediction changes and becomes the flipped sex).

Usage::

    python bench/premise_experiment.py                    # the table (about 15 runs)
    python bench/premise_experiment.py --flip
    python bench/premise_experiment.py --seeds 3 --out premise.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np
import torch
from scipy import stats
from scipy.spatial.distance import jensenshannon

from lossbalance.data import Cohort, simulate
from lossbalance.model import GeneratorConfig, SamplingConfig, encode_cohort, generate
from lossbalance.schedulers import create
from lossbalance.training import Trainer, TrainerConfig

GRID: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.0, 0.2),
    (0.0, 2.0),
    (0.2, 0.0),
    (2.0, 0.0),
)
"""(age weight, sex weight) pairs."""
SHOW = ("sex_valid", "age_valid", "code_js")
STUDY_MODEL = {
    "d_model": 32,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "attention_heads": 2,
    "ffn_dim": 64,
    "max_length": 128,
}
OLD_HEADS = "decoder_states (can read the prompt)"


def code_js(generated: Cohort, reference: Cohort) -> float:
    """JS distance (base 2, no smoothing) between the two cohorts' code frequencies."""
    keys_g = generated.code_table.keys()
    keys_r = reference.code_table.keys()
    union = np.union1d(keys_g, keys_r)
    p = np.zeros(len(union))
    q = np.zeros(len(union))
    np.add.at(p, np.searchsorted(union, keys_g[generated.codes]), 1.0)
    np.add.at(q, np.searchsorted(union, keys_r[reference.codes]), 1.0)
    return float(jensenshannon(p, q, base=2))


def interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval."""
    x = np.asarray(values, dtype=np.float64)
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def train_one(
    train: Cohort, age_w: float, sex_w: float, seed: int, args: argparse.Namespace, aux: str
) -> Trainer:
    config = TrainerConfig(
        epochs=args.epochs, batch_size=32, lr=0.002, seed=seed, device=args.device
    )
    model = GeneratorConfig(**STUDY_MODEL, aux_input=aux)  # type: ignore[arg-type]
    schedulers = [
        create("fixed", ["age"], {"weight": age_w}),
        create("fixed", ["sex"], {"weight": sex_w}),
    ]
    trainer = Trainer.from_cohort(train, model, config, schedulers)
    trainer.fit()
    return trainer


def run_one(
    train: Cohort, held: Cohort, age_w: float, sex_w: float, seed: int, args: argparse.Namespace
) -> dict[str, Any]:
    from lossbalance.metrics import evaluate

    t0 = time.perf_counter()
    trainer = train_one(train, age_w, sex_w, seed, args, "codes")
    seconds = time.perf_counter() - t0
    generated = generate(
        trainer.model, held.n_patients, reference=train, sampling=SamplingConfig(), seed=seed
    )
    flat = evaluate(generated, held, train=train, seed=seed).flat()
    return {
        "age_weight": age_w,
        "sex_weight": sex_w,
        "seed": seed,
        "train_seconds": seconds,
        "val": trainer.state.val_losses[-1],
        "grad_check": trainer.state.grad_check,
        "sex_valid": float(flat["sex_valid"]),
        "age_valid": float(flat["age_valid"]),
        "code_js": code_js(generated, held),
    }


@torch.no_grad()
def flip_share(trainer: Trainer, cohort: Cohort) -> float:
    """Share of ``cohort``'s patients whose sex prediction follows a flipped prompt."""
    from lossbalance.model import BatchMaker

    model = trainer.model.eval()
    maker = BatchMaker(encode_cohort(cohort, model.vocab, model.config.max_length), 256)
    follows = n = 0
    for batch in maker.batches():
        _, sex = model.predict_demographics(batch)
        flipped = dict(batch)
        ids = batch["input_ids"].clone()
        off = model.vocab.sex_offset
        ids[:, 1] = off + (1 - (ids[:, 1] - off))
        flipped["input_ids"] = ids
        _, sex_f = model.predict_demographics(flipped)
        new_sex = 1 - batch["sex"]
        follows += int(((sex_f.argmax(1) == new_sex) & (sex.argmax(1) != new_sex)).sum())
        n += len(new_sex)
    return follows / max(n, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=600, help="training patients")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--flip", action="store_true", help="the prompt-flip measurement")
    parser.add_argument("--out", default=None, help="write all numbers as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cohort = simulate(2 * args.patients, 0)
    train, held = cohort.split(0.5, 0)
    print(
        f"simulator: {train.n_patients} training and {held.n_patients} held-out patients; "
        f"study-base model, {args.epochs} epochs",
        flush=True,
    )
    if args.flip:
        for aux in (OLD_HEADS, "codes"):
            trainer = train_one(train, 0.2, 0.2, 0, args, aux)
            share = flip_share(trainer, held)
            print(f"heads {aux!r}: sex prediction follows the flipped prompt for {share:.1%}")
        return
    rows = []
    for age_w, sex_w in GRID:
        for seed in range(args.seeds):
            row = run_one(train, held, age_w, sex_w, seed, args)
            rows.append(row)
            print(
                f"age {age_w:g} sex {sex_w:g} seed {seed}: "
                + "  ".join(f"{k} {row[k]:.4f}" for k in SHOW)
                + f"  ({row['train_seconds']:.0f} s)",
                flush=True,
            )
    print("\n| age w | sex w | " + " | ".join(SHOW) + " |")
    print("|---|---|" + "---|" * len(SHOW))
    for age_w, sex_w in GRID:
        cells = []
        for k in SHOW:
            vals = [r[k] for r in rows if (r["age_weight"], r["sex_weight"]) == (age_w, sex_w)]
            m, lo, hi = interval(vals)
            cells.append(f"{m:.4f} [{lo:.4f}, {hi:.4f}]")
        print(f"| {age_w:g} | {sex_w:g} | " + " | ".join(cells) + " |")
    if args.out is not None:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({"args": vars(args), "rows": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
