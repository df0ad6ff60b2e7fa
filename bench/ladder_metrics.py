"""The oracle ladder on the simulator (mean and range over seeds) and on the MIMIC-IV demo.

Run: ``PYTHONPATH=src python bench/ladder_metrics.py [--seeds 20] [--mimic PATH]``.
Prints two Markdown tables (the ones in docs/metrics.md) and the per-seed checks of
tests/test_metrics_ladder.py. Fixed here, before any result: train 6,000 patients,
reference 2,000, fresh 6,000 (independent draws of the simulator's one world; seeds
``3s``, ``3s + 1``, ``3s + 2``), default ``memorization_sample`` (5,000).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from lossbalance.data import Cohort, simulate
from lossbalance.metrics import evaluate
from lossbalance.testing import oracles

TRAIN, REFERENCE, FRESH = 6000, 2000, 6000
COLUMNS = ("coherence", "coherence_gap", "distinct_ratio", "mia_auc", "copy_gap")
MEMORIZATION = ("fresh", "copy_of")


def score_ladder(
    fresh: Cohort, reference: Cohort, train: Cohort, seed: int
) -> dict[str, dict[str, float]]:
    """Every rung's figures; memorization only where it is asserted (fresh, copy_of)."""
    out: dict[str, dict[str, float]] = {}
    for rung, cohort in oracles.ladder(fresh, train, seed).items():
        flat = evaluate(
            cohort, reference, train, seed=seed, memorization=rung in MEMORIZATION
        ).flat()
        flat["copy_gap"] = flat["copy_rate"] - flat["copy_rate_floor"]
        out[rung] = {c: flat[c] for c in (*COLUMNS, "floor_coherence")}
    return out


def simulator_seed(seed: int) -> dict[str, dict[str, float]]:
    train = simulate(TRAIN, 3 * seed)
    reference = simulate(REFERENCE, 3 * seed + 1)
    fresh = simulate(FRESH, 3 * seed + 2)
    return score_ladder(fresh, reference, train, seed)


def _cell(values: list[float]) -> str:
    v = [x for x in values if not math.isnan(x)]
    if not v:
        return "n/a"
    if len(v) == 1:
        return f"{v[0]:.3f}"
    return f"{np.mean(v):.3f} [{min(v):.3f}, {max(v):.3f}]"


def table(runs: list[dict[str, dict[str, float]]]) -> str:
    lines = ["| rung | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for rung in oracles.RUNGS:
        cells = [_cell([r[rung][c] for r in runs]) for c in COLUMNS]
        lines.append(f"| {rung} | " + " | ".join(cells) + " |")
    floor = [r["fresh"]["floor_coherence"] for r in runs]
    lines.append(f"| (floor S) | {_cell(floor)} |" + " |" * (len(COLUMNS) - 1))
    return "\n".join(lines)


def checks(runs: list[dict[str, dict[str, float]]]) -> str:
    out = []
    for rung in oracles.RUNGS[1:-1]:
        wins = sum(r[rung]["coherence"] < r["fresh"]["coherence"] for r in runs)
        out.append(f"{rung}: coherence below fresh in {wins}/{len(runs)} seeds")
    diff = [r["fresh"]["coherence"] - r["fresh"]["floor_coherence"] for r in runs]
    out.append(
        f"fresh - floor coherence: mean {np.mean(diff):+.4f}, "
        f"largest |diff| {np.max(np.abs(diff)):.4f}"
    )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--mimic", type=Path, default=Path("../shared/data/mimic-iv-demo"))
    args = parser.parse_args()
    start = time.perf_counter()
    runs = [simulator_seed(s) for s in range(args.seeds)]
    print(f"## simulator, {args.seeds} seeds ({time.perf_counter() - start:.0f} s)\n")
    print(table(runs))
    print()
    print(checks(runs))
    if (args.mimic / "hosp").is_dir():
        from lossbalance.data import load_mimic4

        cohort = load_mimic4(args.mimic)
        # a 50 / 25 / 25 split by patient: train, reference, and "fresh" held-out data
        rest, train = cohort.split(0.5, seed=0)
        fresh, reference = rest.split(0.5, seed=1)
        print(
            f"\n## MIMIC-IV demo (train {train.n_patients}, reference "
            f"{reference.n_patients}, fresh {fresh.n_patients} patients)\n"
        )
        print(table([score_ladder(fresh, reference, train, 0)]))
    else:
        print(f"\n(no MIMIC-IV demo at {args.mimic})")


if __name__ == "__main__":
    main()
