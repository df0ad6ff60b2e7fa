"""A straightforward per-visit Python reference of the metric definitions.

It walks patients, visits and codes one by one with dicts, Counters, sets and tuples,
exactly as DESIGN.md ("Metric definitions (exact)") and docs/metrics.md word them,
sharing nothing with :mod:`lossbalance.metrics` except the seeded patient samples (the
floor sample and the memorization query samples: sampling, not a metric). Nearest
neighbours are found by comparing every pair of code sets. It is the baseline of
``bench/bench_metrics.py`` and the cross-check of ``tests/test_metrics_reference.py``
(both must agree to 1e-9).
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations
from typing import Any

from lossbalance.clinical import CodeEdits, RuleSet
from lossbalance.data import Cohort
from lossbalance.metrics._floor import floor_sample
from lossbalance.metrics._memorization import query_samples

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


SQRT_LN2 = math.sqrt(math.log(2))


def _js(a: Counter[Any], b: Counter[Any]) -> float:
    """JS distance, natural log, no smoothing."""
    sa, sb = sum(a.values()), sum(b.values())
    if sa == 0 and sb == 0:
        return NAN
    if sa == 0 or sb == 0:
        return SQRT_LN2
    div = 0.0
    for k in set(a) | set(b):
        x, y = a[k] / sa, b[k] / sb
        m = (x + y) / 2
        if x > 0:
            div += x * math.log(x / m)
        if y > 0:
            div += y * math.log(y / m)
    return min(math.sqrt(max(div / 2, 0.0)), SQRT_LN2)


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


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return -sum(n / total * math.log(n / total) for n in counts.values() if n)


class _Side:
    """Per-visit statistics of one cohort (a visit's codes are its distinct codes)."""

    def __init__(self, c: Cohort) -> None:
        _, _, patients = _visits(c)
        self.counts: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.visit_sets: list[list[str]] = []
        self.codes_per_visit: list[int] = []
        self.visits_per_patient: list[int] = []
        self.histories: list[tuple[tuple[str, ...], ...]] = []
        self.code_sets: list[frozenset[str]] = []
        for visits in patients:
            self.visits_per_patient.append(len(visits))
            history = []
            for visit in visits:
                distinct = sorted(set(visit))
                self.codes_per_visit.append(len(distinct))
                self.counts.update(distinct)
                self.visit_sets.append(distinct)
                self.pairs.update(combinations(distinct, 2))
                history.append(tuple(distinct))
            self.histories.append(tuple(history))
            self.code_sets.append(frozenset(c for v in visits for c in v))


def _cooccurrence(x: _Side, r: _Side) -> float:
    means = []
    for distinct in x.visit_sets:
        if len(distinct) < 2:
            continue
        pairs = list(combinations(distinct, 2))
        means.append(sum(r.pairs.get(p, 0) for p in pairs) / len(pairs))
    return sum(means) / len(means) if means else 0.0


def coherence(x: _Side, r: _Side, top_k: int) -> dict[str, float]:
    code_js = _js(x.counts, r.counts)
    pair_js = NAN if not r.pairs else (SQRT_LN2 if not x.pairs else _js(x.pairs, r.pairs))
    ta, tb = _top(x.counts, top_k), _top(r.counts, top_k)
    top = len(ta & tb) / len(ta | tb)
    cpv = _ks(x.codes_per_visit, r.codes_per_visit)
    vpp = _ks(x.visits_per_patient, r.visits_per_patient)
    parts = [1 - code_js / SQRT_LN2, 1 - pair_js / SQRT_LN2, top, 1 - cpv, 1 - vpp]
    parts = [p for p in parts if not math.isnan(p)]
    return {
        "coherence": sum(parts) / len(parts),
        "code_js": code_js,
        "js": code_js,
        "pair_js": pair_js,
        "top100": top,
        "codes_per_visit_ks": cpv,
        "visits_per_patient_ks": vpp,
        "cooccurrence": _cooccurrence(x, r),
        "coverage": len(set(x.counts) & set(r.counts)) / len(r.counts),
    }


def _distance(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return 0.0 if union == 0 else 1 - len(a & b) / union


def _nearest(queries: list[frozenset[str]], targets: list[frozenset[str]]) -> list[float]:
    return [min((_distance(q, t) for t in targets), default=1.0) for q in queries]


def _nearest_other(sets: list[frozenset[str]]) -> list[float]:
    return [
        min((_distance(q, t) for j, t in enumerate(sets) if j != i), default=1.0)
        for i, q in enumerate(sets)
    ]


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _auc(pos: list[float], neg: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _aa(x: list[frozenset[str]], g: list[frozenset[str]]) -> float:
    own_x, own_g = _nearest_other(x), _nearest_other(g)
    x_g, g_x = _nearest(x, g), _nearest(g, x)
    a = sum(d > o for d, o in zip(x_g, own_x, strict=True)) / len(x)
    b = sum(d > o for d, o in zip(g_x, own_g, strict=True)) / len(g)
    return 0.5 * (a + b)


def memorization(g: _Side, t: _Side, f: _Side, sample: int, seed: int) -> dict[str, float]:
    train = set(t.histories)
    idx = {
        k: v.tolist()
        for k, v in query_samples(
            len(g.histories), len(t.histories), len(f.histories), sample, seed
        ).items()
    }
    dg = _nearest([g.code_sets[i] for i in idx["dcr_g"]], t.code_sets)
    df = _nearest([f.code_sets[i] for i in idx["dcr_f"]], t.code_sets)
    med_f = _median(df)
    members = _nearest([t.code_sets[i] for i in idx["mia_t"]], g.code_sets)
    others = _nearest([f.code_sets[i] for i in idx["mia_f"]], g.code_sets)
    s_g = [g.code_sets[i] for i in idx["aa_g"]]
    if len(s_g) >= 2:
        nnaar = _aa([f.code_sets[i] for i in idx["aa_f"]], s_g) - _aa(
            [t.code_sets[i] for i in idx["aa_t"]], s_g
        )
    else:
        nnaar = NAN
    return {
        "copy_rate": sum(h in train for h in g.histories) / len(g.histories),
        "copy_rate_floor": sum(h in train for h in f.histories) / len(f.histories),
        "dcr_ratio": NAN if med_f == 0 else _median(dg) / med_f,
        "mia_auc": _auc([-d for d in members], [-d for d in others]),
        "nnaar": nnaar,
    }


def reference_evaluate(
    generated: Cohort,
    reference: Cohort,
    train: Cohort | None = None,
    *,
    rules: RuleSet,
    top_k: int = 100,
    floor: bool = True,
    memorization_sample: int = 5000,
    seed: int = 0,
) -> dict[str, float]:
    """The same flat dict as ``evaluate(...).flat()``, computed visit by visit."""
    f = _Side(reference)
    g = _Side(generated)
    out = validity(generated, rules.edits_for(generated.code_table))
    out.update(coherence(g, f, top_k))
    out["unique_patient_rate"] = len(set(g.histories)) / len(g.histories)
    fl: dict[str, float] = {}
    if floor and train is not None:
        sample, _ = floor_sample(train, generated.n_patients, seed)
        s = _Side(sample)
        fl = validity(sample, rules.edits_for(sample.code_table))
        fl.update(coherence(s, f, top_k))
        out["coherence_gap"] = fl["coherence"] - out["coherence"]
        fl["coherence_gap"] = 0.0
        out["cooccurrence_ratio"] = (
            out["cooccurrence"] / fl["cooccurrence"] if fl["cooccurrence"] else NAN
        )
        fl["cooccurrence_ratio"] = 1.0 if fl["cooccurrence"] else NAN
        out["distinct_ratio"] = len(g.counts) / len(s.counts)
        fl["distinct_ratio"] = 1.0
        h_s = _entropy(s.counts)
        out["entropy_ratio"] = _entropy(g.counts) / h_s if h_s else NAN
        fl["entropy_ratio"] = 1.0 if h_s else NAN
        fl["unique_patient_rate"] = len(set(s.histories)) / len(s.histories)
    if train is not None:
        mem = memorization(g, _Side(train), f, memorization_sample, seed)
        out.update(mem)
        fl["copy_rate"] = fl["copy_rate_floor"] = mem["copy_rate_floor"]
        fl.update({"dcr_ratio": 1.0, "mia_auc": 0.5, "nnaar": 0.0})
    from lossbalance.metrics import METRIC_NAMES

    flat = {n: out.get(n, NAN) for n in METRIC_NAMES}
    for name in METRIC_NAMES:
        flat["floor_" + name] = fl.get(name, NAN)
    return flat
