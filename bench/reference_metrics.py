"""A straightforward per-visit Python reference of the metric definitions.

It walks patients, visits and codes one by one with dicts and Counters, exactly as
DESIGN.md ("Metric definitions (exact)") and docs/metrics.md word them, sharing nothing
with :mod:`lossbalance.metrics` except the floor's patient selection (which is sampling,
not a metric). It is the baseline of ``bench/bench_metrics.py`` and the cross-check of
``tests/test_metrics_reference.py`` (both must agree to 1e-9).
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations
from typing import Any

from lossbalance.clinical import CodeEdits, RuleSet
from lossbalance.data import Cohort
from lossbalance.metrics._floor import size_like, split_real

NAN = float("nan")


def _visits(c: Cohort) -> tuple[list[float], list[int], list[list[list[str]]]]:
    """Ages, sexes and, per patient, the visits as lists of code keys."""
    keys = c.code_table.keys().tolist()
    codes = c.codes.tolist()
    co, vo = c.code_offsets.tolist(), c.visit_offsets.tolist()
    patients = []
    for p in range(c.n_patients):
        patients.append(
            [[keys[codes[i]] for i in range(co[v], co[v + 1])] for v in range(vo[p], vo[p + 1])]
        )
    return c.age.tolist(), c.sex.tolist(), patients


def validity(c: Cohort, edits: CodeEdits) -> dict[str, float]:
    keys = c.code_table.keys().tolist()
    kinds = c.code_table.kinds.tolist()
    lo, hi = edits.min_age.tolist(), edits.max_age.tolist()
    only = edits.sex_only.tolist()
    ruled = [e != "" for e in edits.edit_type.tolist()]
    codes = c.codes.tolist()
    co, vo = c.code_offsets.tolist(), c.visit_offsets.tolist()
    n = age_bad = sex_bad = dups = covered = 0
    for p in range(c.n_patients):
        age = min(math.floor(float(c.age[p])), 124)
        sex = int(c.sex[p])
        for v in range(vo[p], vo[p + 1]):
            seen: Counter[str] = Counter()
            for i in range(co[v], co[v + 1]):
                row = codes[i]
                if kinds[row] != 0:  # diagnoses only
                    continue
                n += 1
                covered += ruled[row]
                if age < lo[row] or age > hi[row]:
                    age_bad += 1
                if only[row] != -1 and only[row] != sex:
                    sex_bad += 1
                seen[keys[row]] += 1
            dups += sum(k - 1 for k in seen.values())
    if n == 0:
        return dict.fromkeys(
            ("age_valid", "sex_valid", "duplicate_rate", "validity", "rule_coverage"), NAN
        )
    age_valid, sex_valid, dup = 1 - age_bad / n, 1 - sex_bad / n, dups / n
    return {
        "age_valid": age_valid,
        "sex_valid": sex_valid,
        "duplicate_rate": dup,
        "validity": (age_valid + sex_valid) / 2 * (1 - dup),
        "rule_coverage": covered / n,
    }


def _js(a: Counter[str], b: Counter[str]) -> float:
    union = sorted(set(a) | set(b))
    pa = [a[k] + 1.0 for k in union]
    pb = [b[k] + 1.0 for k in union]
    sa, sb = sum(pa), sum(pb)
    div = 0.0
    for x, y in zip(pa, pb, strict=True):
        x, y = x / sa, y / sb
        m = (x + y) / 2
        div += x * math.log(x / m) + y * math.log(y / m)
    return math.sqrt(max(div / 2, 0.0))


def _top(counts: Counter[str], k: int) -> set[str]:
    return set(sorted(counts, key=lambda c: (-counts[c], c))[:k])


def _ks(a: list[int], b: list[int]) -> float:
    ca, cb = Counter(a), Counter(b)
    fa = fb = 0.0
    best = 0.0
    for v in sorted(set(a) | set(b)):
        fa += ca[v] / len(a)
        fb += cb[v] / len(b)
        best = max(best, abs(fa - fb))
    return best


def _r2(pred: dict[Any, float], true: dict[Any, float]) -> float:
    union = set(pred) | set(true)
    if not union:
        return NAN
    mean = sum(true.get(u, 0.0) for u in union) / len(union)
    ss_res = sum((pred.get(u, 0.0) - true.get(u, 0.0)) ** 2 for u in union)
    ss_tot = sum((true.get(u, 0.0) - mean) ** 2 for u in union)
    if ss_tot > 0:
        return 1 - ss_res / ss_tot
    return 1.0 if ss_res == 0 else 0.0


class _Side:
    """Per-visit statistics of one cohort."""

    def __init__(self, c: Cohort) -> None:
        _, _, patients = _visits(c)
        self.counts: Counter[str] = Counter()
        self.unigram: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.visit_sets: list[list[str]] = []
        self.codes_per_visit: list[int] = []
        self.visits_per_patient: list[int] = []
        for visits in patients:
            self.visits_per_patient.append(len(visits))
            for visit in visits:
                self.codes_per_visit.append(len(visit))
                self.counts.update(visit)
                distinct = sorted(set(visit))
                self.visit_sets.append(distinct)
                self.unigram.update(distinct)
                self.pairs.update(combinations(distinct, 2))
        self.n_visits = len(self.codes_per_visit)
        self.n_codes = sum(self.codes_per_visit)


def _cooccurrence(x: _Side, r: _Side) -> float:
    means = []
    for distinct in x.visit_sets:
        if len(distinct) < 2:
            continue
        pairs = list(combinations(distinct, 2))
        means.append(sum(r.pairs.get(p, 0) for p in pairs) / len(pairs))
    return sum(means) / len(means) if means else 0.0


def coherence(x: _Side, r: _Side, top_k: int, floor_cooc: float | None) -> dict[str, float]:
    js = _js(x.counts, r.counts)
    ta, tb = _top(x.counts, top_k), _top(r.counts, top_k)
    top = len(ta & tb) / len(ta | tb)
    cooc = _cooccurrence(x, r)
    ratio = NAN if not floor_cooc else cooc / floor_cooc
    coh = (
        NAN
        if math.isnan(ratio)
        else ((1 - js / math.sqrt(math.log(2))) + top + min(1.0, ratio)) / 3
    )
    unknown = sum(n for k, n in x.counts.items() if k not in r.counts)
    nv_x, nv_r = max(x.n_visits, 1), max(r.n_visits, 1)
    return {
        "js": js,
        "top100": top,
        "cooccurrence": cooc,
        "cooccurrence_ratio": ratio,
        "coverage": len(set(x.counts) & set(r.counts)) / len(r.counts),
        "coherence": coh,
        "unknown_rate": unknown / x.n_codes,
        "ks_codes_per_visit": _ks(x.codes_per_visit, r.codes_per_visit),
        "ks_visits_per_patient": _ks(x.visits_per_patient, r.visits_per_patient),
        "r2_unigram": _r2(
            {k: v / nv_x for k, v in x.unigram.items()}, {k: v / nv_r for k, v in r.unigram.items()}
        ),
        "r2_pair": _r2(
            {k: v / nv_x for k, v in x.pairs.items()}, {k: v / nv_r for k, v in r.pairs.items()}
        ),
    }


def reference_evaluate(
    generated: Cohort,
    real: Cohort,
    heldout: Cohort | None = None,
    *,
    rules: RuleSet,
    top_k: int = 100,
    floor: bool = True,
    seed: int = 0,
) -> dict[str, float]:
    """The same flat dict as ``evaluate(...).flat()``, computed visit by visit."""
    if floor and heldout is None:
        real, heldout = split_real(real, seed)
    if floor and heldout is not None:
        heldout, _ = size_like(heldout, generated.n_patients, seed)
    r = _Side(real)
    g = _Side(generated)
    out: dict[str, float] = {}
    floor_out: dict[str, float] = {}
    cooc_h = None
    if floor and heldout is not None:
        h = _Side(heldout)
        cooc_h = _cooccurrence(h, r)
        floor_out = validity(heldout, rules.edits_for(heldout.code_table))
        floor_out.update(coherence(h, r, top_k, cooc_h))
    out.update(validity(generated, rules.edits_for(generated.code_table)))
    out.update(coherence(g, r, top_k, cooc_h))
    for name in list(out):
        out["floor_" + name] = floor_out.get(name, NAN)
    return out
