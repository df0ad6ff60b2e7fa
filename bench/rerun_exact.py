"""Does an exported study trial rerun to the trial's metrics? (issue 19 item 1)

In an empty temporary folder, as a user would: the built-in study with a budget of 2
trials, ``study export --trial 1``, ``run`` of the exported spec; then every final
metric the trial recorded beside the rerun's.

Usage::

    python bench/rerun_exact.py            # about 1 minute on an idle 2-core machine

Prints the main metrics of both and how many of all recorded metrics differ. Before the
fix (``lossbalance run`` trained with every core, the study with 1 thread per worker):
validity 0.98740 / coherence 0.72177 against the trial's 0.98764 / 0.72106, 13 of 30
metrics different; after: all equal.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna

from lossbalance.metrics import MetricsResult
from lossbalance.study import open_storage

SHOWN = ("validity", "coherence", "js", "top100", "age_valid", "sex_valid")


def _cli(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lossbalance", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _cli(folder, "study", "run", "--objectives", "validity,coherence", "--trials", "2")
        _cli(folder, "study", "export", "--trial", "1", "--out", "trial1.yaml")
        said = _cli(folder, "run", "trial1.yaml", "--out", "rerun", "--no-progress")
        storage = open_storage(str(folder / "lossbalance-study" / "studies.journal"))
        study = optuna.load_study(study_name="validity-coherence", storage=storage)
        trial = next(t for t in study.get_trials() if t.number == 1)
        recorded = trial.user_attrs["metrics"]
        rerun = MetricsResult.from_json((folder / "rerun/main/metrics.json").read_bytes()).flat()
    for name in SHOWN:
        same = "equal" if recorded[name] == rerun[name] else "DIFFERENT"
        print(f"{name:10s} trial {recorded[name]!r:22} rerun {rerun[name]!r:22} {same}")
    differ = [
        k
        for k, v in recorded.items()
        if v is not None
        and not math.isnan(v)
        and rerun.get(k) != v
        and not (isinstance(rerun.get(k), float) and math.isnan(rerun[k]) and math.isnan(v))
    ]
    print(f"{len(differ)} of {len(recorded)} recorded metrics differ: {', '.join(differ) or '-'}")
    for line in said.splitlines():
        if line.startswith(("rerun of", "reproduced", "differs from")):
            print(line)


if __name__ == "__main__":
    main()
