"""Benchmark: the simulator's patients written as MEDS and read back (issue 16).

Goals (fixed before any result): for 1,000,000 simulated patients, ``load_meds`` takes at
most 30 s on 2 cores, within 3x of ``Cohort.load`` of the same cohort (lossbalance's own
``.npz`` format), and its peak memory stays under 4 GiB.

Each read runs in a fresh child process so that its peak resident memory
(``ru_maxrss``, which includes the interpreter and its imports) is its own; the child
times ``load_meds`` and then, in the same process, ``Cohort.load`` of the same cohort,
and prints the ratio. The parent simulates, saves and writes (timed, not goals).

Run: ``python bench/bench_meds.py [N_PATIENTS]`` (default 1,000,000), or
``python -m pytest bench/bench_meds.py -s`` (100,000 patients, the same figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_PATIENTS = 1_000_000
READ_GOAL_S = 30.0
RATIO_GOAL = 3.0
MEMORY_GOAL_GIB = 4.0

_CHILD = r"""
import json, resource, sys, time
from lossbalance.data import Cohort, load_meds
meds_dir, npz = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
cohort = load_meds(meds_dir)
meds_s = time.perf_counter() - t
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
del cohort
t = time.perf_counter()
again = Cohort.load(npz)
npz_s = time.perf_counter() - t
print(json.dumps({"meds_read_s": meds_s, "npz_load_s": npz_s, "peak_kib": peak_kib,
                  "imports_kib": base, "patients": again.n_patients, "codes": again.n_codes}))
"""


def _read_in_child(meds_dir: Path, npz: Path) -> dict[str, Any]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(meds_dir), str(npz)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(n_patients: int, folder: Path) -> dict[str, Any]:
    """Simulate, save, write MEDS (timed), then read both back in a child process."""
    from lossbalance.data import simulate, write_meds

    t = time.perf_counter()
    cohort = simulate(n_patients, seed=0)
    simulate_s = time.perf_counter() - t
    npz = cohort.save(folder / "cohort.npz")
    t = time.perf_counter()
    meds_dir = write_meds(cohort, folder / "meds", generator={"name": "simulator", "seed": 0})
    write_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in (meds_dir / "data").rglob("*.parquet"))
    m = _read_in_child(meds_dir, npz)
    m.update(
        simulate_s=simulate_s,
        write_s=write_s,
        meds_mb=size / 1e6,
        events=cohort.n_codes + 2 * cohort.n_patients,
        ratio=m["meds_read_s"] / m["npz_load_s"],
        peak_gib=m["peak_kib"] / 2**20,
    )
    return m


def report(n_patients: int, m: dict[str, Any]) -> str:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    return (
        f"\n{n_patients:,} simulated patients, {m['codes']:,} codes, {m['events']:,} MEDS "
        f"events ({m['meds_mb']:.0f} MB of Parquet); simulate {m['simulate_s']:.1f} s, "
        f"write_meds {m['write_s']:.1f} s\n"
        f"load_meds {m['meds_read_s']:.2f} s (goal <= {READ_GOAL_S:.0f} s: "
        f"{mark(m['meds_read_s'] <= READ_GOAL_S)}); Cohort.load {m['npz_load_s']:.2f} s; "
        f"ratio {m['ratio']:.1f}x (goal <= {RATIO_GOAL:.0f}x: {mark(m['ratio'] <= RATIO_GOAL)}); "
        f"peak memory {m['peak_gib']:.2f} GiB (goal < {MEMORY_GOAL_GIB:.0f} GiB: "
        f"{mark(m['peak_gib'] < MEMORY_GOAL_GIB)}; imports alone "
        f"{m['imports_kib'] / 2**20:.2f} GiB)"
    )


def test_meds_read() -> None:
    """pytest entry: 100,000 patients (the 1M run is the script's default)."""
    n = 100_000
    with tempfile.TemporaryDirectory() as d:
        m = measure(n, Path(d))
    print(report(n, m))
    assert m["patients"] == n


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_PATIENTS
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
        print(report(n, measure(n, Path(d))))
