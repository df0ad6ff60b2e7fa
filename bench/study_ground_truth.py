"""How a study's Pareto trials score against a large fresh draw of the simulated world.

The built-in study selects on ``tuning`` (2,000 simulated patients). This script takes
each Pareto trial's best checkpoint (the path recorded on the trial, so run it on the
machine that ran the trials), generates the trial's evaluation cohort with its own
sampling settings and several generation seeds, and scores it against an independent
draw of ``--patients`` patients from the same simulator (the ground truth), with the
trial's train split for the floor. Fixed before any result: 5,000 patients, simulator
seed 9001 (not a seed any split uses), 3 generation seeds 101-103.

    python bench/study_ground_truth.py --storage lossbalance-study/studies.journal
"""

from __future__ import annotations

import argparse
import statistics

import optuna


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="lossbalance-study/studies.journal")
    parser.add_argument("--study", default="validity-coherence")
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--world-seed", type=int, default=9001)
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    args = parser.parse_args()

    from lossbalance.data import simulate
    from lossbalance.experiment import CohortCache, score
    from lossbalance.model import generate
    from lossbalance.study import load_existing_study, open_storage, trial_spec
    from lossbalance.training import load_generator

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = load_existing_study(open_storage(args.storage), args.study, args.storage)
    front = sorted(study.best_trials, key=lambda t: t.number)
    cache = CohortCache()
    print(
        f"{args.study}: {len(front)} Pareto trials; ground truth: simulate({args.patients}, "
        f"seed={args.world_seed}); generation seeds {args.seeds}"
    )
    header = (
        f"{'trial':>5} {'temp':>6} {'top_p':>6} {'tuning coh':>10} {'truth coh':>16} "
        f"{'floor coh':>9} {'truth validity':>14} {'cpv_ks':>7}"
    )
    print(header)
    for t in front:
        spec = trial_spec(study, t.number)
        data = cache.get(spec)
        world = simulate(args.patients, args.world_seed, spec.data.system)
        model, demographics = load_generator(t.user_attrs["checkpoint"], "cpu")
        ev = spec.evaluation
        runs = []
        for seed in args.seeds:
            g = generate(
                model, ev.patients, reference=demographics, sampling=ev.sampling, seed=seed
            )
            runs.append(score(g, world, data.train, top_k=ev.top_k, seed=seed).flat())
        coh = [r["coherence"] for r in runs]
        print(
            f"{t.number:>5} {ev.sampling.temperature:>6.3f} {ev.sampling.top_p:>6.3f} "
            f"{t.user_attrs['metrics']['coherence']:>10.4f} "
            f"{statistics.mean(coh):>8.4f} ±{statistics.stdev(coh):.4f} "
            f"{statistics.mean(r['floor_coherence'] for r in runs):>9.4f} "
            f"{statistics.mean(r['validity'] for r in runs):>14.4f} "
            f"{statistics.mean(r['codes_per_visit_ks'] for r in runs):>7.3f}"
        )


if __name__ == "__main__":
    main()
