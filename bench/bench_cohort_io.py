"""Benchmark: saving and loading a 100,000-patient cohort (goal: load well under 1 s).

Two baselines, measured in the same process on the same data:

- a pickle of the raw numpy arrays (no validation, no format checks): the fastest a
  Python-side store can be; ``Cohort.load / pickle`` says what the npz format and the
  cohort's validation cost on top;
- the long table a row-oriented export would keep (one row per code occurrence:
  patient, visit, code string), written and read with pandas/pyarrow Parquet.

Run: ``python -m pytest bench/bench_cohort_io.py -s`` (or ``python bench/bench_cohort_io.py``).
"""

from __future__ import annotations

import pickle
import statistics
import tempfile
import timeit
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lossbalance.data import CodeTable, Cohort, offsets_from_lengths

N_PATIENTS = 100_000
N_DISTINCT = 5_000


def make_cohort(n_patients: int = N_PATIENTS, seed: int = 0) -> Cohort:
    """A cohort drawn with vectorised numpy draws (independent of the simulator).

    Visits per patient: 1 + geometric (about half the patients have one visit);
    codes per visit: 1 + Poisson(11); codes: a Zipf-like law over 5,000 ICD-10 codes.
    """
    rng = np.random.default_rng(seed)
    vpp = np.minimum(rng.geometric(0.55, n_patients), 40)
    n_visits = int(vpp.sum())
    cpv = 1 + rng.poisson(11, n_visits)
    n_codes = int(cpv.sum())
    weights = 1.0 / np.arange(1, N_DISTINCT + 1) ** 1.1
    codes = rng.choice(N_DISTINCT, size=n_codes, p=weights / weights.sum()).astype(np.int32)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))[np.arange(N_DISTINCT) % 26]
    names = np.char.add(letters, np.char.zfill((np.arange(N_DISTINCT) // 26).astype(str), 3))
    table = CodeTable(names, np.ones(N_DISTINCT, np.uint8), np.zeros(N_DISTINCT, np.uint8))
    return Cohort(
        age=rng.uniform(0, 95, n_patients),
        sex=rng.integers(0, 2, n_patients, dtype=np.uint8),
        visit_offsets=offsets_from_lengths(vpp),
        code_offsets=offsets_from_lengths(cpv),
        codes=codes,
        code_table=table,
        patient_ids=np.arange(n_patients).astype(str),
    )


def _arrays(cohort: Cohort) -> dict[str, Any]:
    return {
        "age": cohort.age,
        "sex": cohort.sex,
        "visit_offsets": cohort.visit_offsets,
        "code_offsets": cohort.code_offsets,
        "codes": cohort.codes,
        "patient_ids": cohort.patient_ids,
        "names": cohort.code_table.names,
        "systems": cohort.code_table.systems,
        "kinds": cohort.code_table.kinds,
    }


def _pickle_save(arrays: dict[str, Any], path: Path) -> None:
    with open(path, "wb") as fh:
        pickle.dump(arrays, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _pickle_load(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        out: dict[str, Any] = pickle.load(fh)
    return out


def _long_table(cohort: Cohort) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient": cohort.code_patient(),
            "visit": cohort.code_visit(),
            "code": cohort.code_table.names[cohort.codes],
        }
    )


def _median(fn: Any, repeat: int = 7) -> float:
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeat))


def measure(folder: Path, cohort: Cohort) -> dict[str, float]:
    """Median seconds of save/load for Cohort (npz) and the pickle baseline."""
    npz, pkl, pq = folder / "cohort.npz", folder / "cohort.pkl", folder / "codes.parquet"
    arrays = _arrays(cohort)
    long = _long_table(cohort)
    out = {
        "cohort_save_s": _median(lambda: cohort.save(npz)),
        "pickle_save_s": _median(lambda: _pickle_save(arrays, pkl)),
        "parquet_save_s": _median(lambda: long.to_parquet(pq), repeat=3),
        "cohort_load_s": _median(lambda: Cohort.load(npz)),
        "pickle_load_s": _median(lambda: _pickle_load(pkl)),
        "parquet_load_s": _median(lambda: pd.read_parquet(pq), repeat=3),
    }
    _ratios(out)
    out["file_mb"] = npz.stat().st_size / 1e6
    return out


def _ratios(m: dict[str, float]) -> None:
    for op in ("load", "save"):
        m[f"{op}_ratio_vs_pickle"] = m[f"cohort_{op}_s"] / m[f"pickle_{op}_s"]
        m[f"{op}_ratio_vs_parquet"] = m[f"cohort_{op}_s"] / m[f"parquet_{op}_s"]


def _print(c: Cohort, m: dict[str, float]) -> None:
    print(
        f"\ncohort: {c.n_patients:,} patients, {c.n_visits:,} visits, {c.n_codes:,} codes, "
        f"npz {m['file_mb']:.1f} MB\n"
        + "\n".join(
            f"{op}: Cohort.{op} median {m[f'cohort_{op}_s']:.3f} s; "
            f"pickle of the arrays {m[f'pickle_{op}_s']:.3f} s "
            f"(ratio {m[f'{op}_ratio_vs_pickle']:.2f}); "
            f"long-table Parquet {m[f'parquet_{op}_s']:.3f} s "
            f"(ratio {m[f'{op}_ratio_vs_parquet']:.3f})"
            for op in ("load", "save")
        )
    )


def test_cohort_load(benchmark: Any, tmp_path: Path) -> None:
    """pytest-benchmark suite: Cohort.load at 100k patients, with the pickle baseline."""
    cohort = make_cohort()
    path = cohort.save(tmp_path / "cohort.npz")
    loaded = benchmark(Cohort.load, path)
    assert loaded.equals(cohort)
    m = measure(tmp_path, cohort)
    m["cohort_load_s"] = benchmark.stats.stats.median
    _ratios(m)
    benchmark.extra_info.update(m)
    _print(cohort, m)


if __name__ == "__main__":
    c = make_cohort()
    with tempfile.TemporaryDirectory() as d:
        _print(c, measure(Path(d), c))
