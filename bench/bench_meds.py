"""Benchmark: the simulator's patients written as MEDS and read back (issue 16).

Goals (fixed before any result): for 1,000,000 simulated patients, ``load_meds`` takes at
most 30 s on 2 cores, within 3x of ``Cohort.load`` of the same cohort (lossbalance's own
``.npz`` format), and its peak memory stays under 4 GiB.

Each format is read in a fresh child process (so that first-touch page faults count
for both, and the peak resident memory, ``VmHWM``, which includes the interpreter and
its imports, is the read's own), wall-clock and CPU time, then read a second time in
the same process (warm). The ratio is the fresh reads' wall times; the CPU ratio is
printed beside it because a shared, loaded machine stretches wall time. The parent
simulates, saves and writes (timed, not goals).

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
import json, sys, time
from lossbalance.data import Cohort, load_meds

def hwm_kib():  # this process's peak resident memory (reset by exec, unlike ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c

which, path = sys.argv[1], sys.argv[2]
base = hwm_kib()
if which == "meds":
    cohort, wall, cpu = timed(load_meds, path)
else:
    cohort, wall, cpu = timed(Cohort.load, path)
peak = hwm_kib()
_, wall2, cpu2 = timed(load_meds if which == "meds" else Cohort.load, path)  # warm: 2nd read
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "warm_wall_s": wall2, "warm_cpu_s": cpu2,
                  "peak_kib": peak, "imports_kib": base, "patients": cohort.n_patients,
                  "codes": cohort.n_codes}))
"""


def _read_in_child(which: str, path: Path) -> dict[str, Any]:
    """Read ``path`` (``which``: ``meds`` or ``npz``) twice in a fresh process."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, which, str(path)],
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
    meds_m = _read_in_child("meds", meds_dir)
    npz_m = _read_in_child("npz", npz)
    assert meds_m["codes"] == npz_m["codes"] == cohort.n_codes
    return {
        "patients": cohort.n_patients,
        "codes": cohort.n_codes,
        "events": cohort.n_codes + 2 * cohort.n_patients,
        "meds_mb": size / 1e6,
        "simulate_s": simulate_s,
        "write_s": write_s,
        "meds": meds_m,
        "npz": npz_m,
        "ratio": meds_m["wall_s"] / npz_m["wall_s"],
        "cpu_ratio": meds_m["cpu_s"] / npz_m["cpu_s"],
        "peak_gib": meds_m["peak_kib"] / 2**20,
        "read_gib": (meds_m["peak_kib"] - meds_m["imports_kib"]) / 2**20,
    }


def report(n_patients: int, m: dict[str, Any]) -> str:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    md, nz = m["meds"], m["npz"]
    return (
        f"\n{n_patients:,} simulated patients, {m['codes']:,} codes, {m['events']:,} MEDS "
        f"events ({m['meds_mb']:.0f} MB of Parquet); simulate {m['simulate_s']:.1f} s, "
        f"write_meds {m['write_s']:.1f} s\n"
        f"load_meds (fresh process) {md['wall_s']:.2f} s wall, {md['cpu_s']:.2f} s CPU "
        f"(goal <= {READ_GOAL_S:.0f} s: {mark(md['wall_s'] <= READ_GOAL_S)}); "
        f"second read {md['warm_wall_s']:.2f} s wall, {md['warm_cpu_s']:.2f} s CPU\n"
        f"Cohort.load (fresh process) {nz['wall_s']:.2f} s wall, {nz['cpu_s']:.2f} s CPU; "
        f"second {nz['warm_wall_s']:.2f} s\n"
        f"ratio load_meds / Cohort.load {m['ratio']:.1f}x wall, {m['cpu_ratio']:.1f}x CPU "
        f"(goal <= {RATIO_GOAL:.0f}x: {mark(m['ratio'] <= RATIO_GOAL)})\n"
        f"peak memory of the load_meds process {m['peak_gib']:.2f} GiB (goal < "
        f"{MEMORY_GOAL_GIB:.0f} GiB: {mark(m['peak_gib'] < MEMORY_GOAL_GIB)}; after imports "
        f"{md['imports_kib'] / 2**20:.2f} GiB, so the read itself {m['read_gib']:.2f} GiB)"
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
