"""What scoring study trials against a 2,000-patient tuning set costs, per trial.

The built-in study (studies/default.yaml) scores each trial twice over: at every
evaluation epoch (5 epochs, ``training.eval_patients`` 80 generated patients, against
``tuning`` with the floor, no memorization: the pruning values) and once at the end
(``evaluation.patients`` 300 against ``tuning`` with the floor and memorization). This
script times exactly those scoring calls, in one process, for the simulator's tuning
set of ``evaluation.reference_patients`` 2,000 patients and, as the baseline measured
in the same process, a 120-patient reference (the size of the held-out share the old
protocol scored the built-in study's floor with). G is a stand-in: a fresh simulator
draw of the generated sizes (scoring cost depends on sizes, not on who wrote them).

    python bench/bench_trial_reference.py [--repeats 5]

It prints CPU seconds (``time.process_time``, less sensitive than wall time to other
load on the machine) and wall seconds per trial for both, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from lossbalance.data import simulate, simulate_splits
from lossbalance.experiment import score
from lossbalance.study import default_study_spec


def _trial_scoring(reference_patients: int, repeats: int) -> tuple[float, float]:
    """Median CPU and wall seconds of one trial's scoring against a reference of that size."""
    spec = default_study_spec().base_spec()
    ev, tr = spec.evaluation, spec.training
    parts = simulate_splits(spec.data.patients, reference_patients, spec.data.seed)
    train, tuning = parts["train"], parts["tuning"]
    epochs_g = [simulate(tr.eval_patients, seed=1000 + e) for e in range(tr.epochs)]
    final_g = simulate(ev.patients, seed=999)
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        for g in epochs_g:  # the pruning values
            score(g, tuning, train, top_k=ev.top_k, seed=ev.seed, memorization=False)
        score(final_g, tuning, train, top_k=ev.top_k, seed=ev.seed)  # the trial's values
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    base_cpu, base_wall = _trial_scoring(120, args.repeats)
    new_cpu, new_wall = _trial_scoring(2000, args.repeats)
    print(f"scoring per trial, reference  120: cpu {base_cpu:.2f} s, wall {base_wall:.2f} s")
    print(f"scoring per trial, reference 2000: cpu {new_cpu:.2f} s, wall {new_wall:.2f} s")
    print(
        f"extra per trial: cpu {new_cpu - base_cpu:+.2f} s ({new_cpu / base_cpu:.2f}x), "
        f"wall {new_wall - base_wall:+.2f} s ({new_wall / base_wall:.2f}x)"
    )


if __name__ == "__main__":
    main()
