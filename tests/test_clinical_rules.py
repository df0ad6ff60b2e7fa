"""Clinical age/sex rules: the built-in tables against the CMS MCE lists, the MIMIC
demos, hand-made boundary cases, truncated categories and the MCE-format loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import (
    AGE_MAX,
    SEX_ANY,
    RuleSet,
    cohort_conflicts,
    default_rules,
    load_mce_rules,
)
from lossbalance.clinical._rules import EDIT_TYPES, MCE_COLUMNS, _leaves
from lossbalance.data import CodeTable, Cohort, LoadOptions, load_mimic3, load_mimic4

MCE_FILES = {"icd9": "mce_v32_age_sex_edits.tsv", "icd10": "mce_v37_age_sex_edits.tsv"}


def _table(codes: list[str] | np.ndarray, system: int, kind: int) -> CodeTable:
    arr = np.asarray(codes, dtype=np.str_)
    return CodeTable(arr, np.full(len(arr), system), np.full(len(arr), kind))


def _edit_sets(mce: pd.DataFrame) -> dict[tuple[int, str], set[str]]:
    """Per (kind index, code) -> the set of edits the MCE file gives the code."""
    out: dict[tuple[int, str], set[str]] = {}
    for edit, ctype, code in zip(mce.MCE_Edit_Type, mce.ICD_Code_Type, mce.ICD_Code, strict=True):
        out.setdefault((0 if ctype == "D" else 1, code), set()).add(edit)
    return out


def _whole_category(heads: np.ndarray, universe: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Whether every code of sorted ``universe`` under each header is in ``listed``."""
    lo = np.searchsorted(universe, heads, side="left")
    hi = np.searchsorted(universe, np.char.add(heads, "\uffff"), side="left")
    cum = np.concatenate([[0], np.cumsum(np.isin(universe, listed))])
    return (cum[hi] - cum[lo]) == (hi - lo)


@pytest.fixture(scope="module")
def mce(mce_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        system: pd.read_csv(mce_dir / name, sep="\t", dtype=str, keep_default_na=False)
        for system, name in MCE_FILES.items()
    }


# ------------------------------------------------------------------ agreement with the MCE
def test_default_rules_agree_with_mce_per_edit_type(mce: dict[str, pd.DataFrame]) -> None:
    """Each listed code gets exactly the MCE's verdict: the same set of edits."""
    rules = default_rules()
    lines = ["system edit           type  listed  same verdict"]
    worst = 1.0
    for system_name, frame in mce.items():
        system = 0 if system_name == "icd9" else 1
        sets = _edit_sets(frame)
        for kind in (0, 1):
            codes = sorted(c for k, c in sets if k == kind)
            masks = rules.edit_masks(_table(codes, system, kind))
            ours = [{e for e in EDIT_TYPES if masks[e][i]} for i in range(len(codes))]
            same = np.array([ours[i] == sets[(kind, c)] for i, c in enumerate(codes)])
            for edit in EDIT_TYPES:
                listed = np.array([edit in sets[(kind, c)] for c in codes], dtype=bool)
                if not listed.any():
                    continue
                share = float(same[listed].mean())
                worst = min(worst, share)
                lines.append(
                    f"{system_name:6} {edit:15} {'DP'[kind]:4} {int(listed.sum()):7d}  {share:.4f}"
                )
    print("\n" + "\n".join(lines))
    # Measured: 1.0000 for all 16 (version, edit type, code type) groups.
    assert worst == 1.0


@pytest.fixture(scope="module")
def dictionaries(mimic3_dir: Path, mimic4_dir: Path) -> list[tuple[str, np.ndarray, int, int]]:
    d3 = pd.read_csv(mimic3_dir / "D_ICD_DIAGNOSES.csv", dtype=str)
    p3 = pd.read_csv(mimic3_dir / "D_ICD_PROCEDURES.csv", dtype=str)
    d4 = pd.read_csv(mimic4_dir / "hosp" / "d_icd_diagnoses.csv.gz", dtype=str)
    d4["icd_code"] = d4["icd_code"].str.strip()
    return [
        ("mimic3 dx icd9", d3["icd9_code"].to_numpy(str), 0, 0),
        ("mimic3 px icd9", p3["icd9_code"].to_numpy(str), 0, 1),
        ("mimic4 dx icd9", d4.loc[d4.icd_version == "9", "icd_code"].to_numpy(str), 0, 0),
        ("mimic4 dx icd10", d4.loc[d4.icd_version == "10", "icd_code"].to_numpy(str), 1, 0),
    ]


def test_false_positives_on_unlisted_dictionary_codes(
    mce: dict[str, pd.DataFrame], dictionaries: list[tuple[str, np.ndarray, int, int]]
) -> None:
    """Dictionary codes the MCE does not list: how many get an edit anyway?

    Complete (leaf) codes must get none. Category headers (codes that are a proper
    prefix of another dictionary code, e.g. ``O300`` or ``Z38``) get an edit exactly
    when every leaf below them is listed with it (the whole-category rule).
    """
    rules = default_rules()
    lines = ["dictionary       edit            unlisted leaves  FP   headers  wrong"]
    total_fp = total_wrong = 0
    for name, raw, system, kind in dictionaries:
        sets = _edit_sets(mce["icd9" if system == 0 else "icd10"])
        codes = np.unique(raw)
        leaves = _leaves(codes)
        heads = np.setdiff1d(codes, leaves)
        leaf_masks = rules.edit_masks(_table(leaves, system, kind))
        head_masks = rules.edit_masks(_table(heads, system, kind))
        for edit in EDIT_TYPES:
            listed = np.array(sorted(c for (k, c), es in sets.items() if k == kind and edit in es))
            unlisted = ~np.isin(leaves, listed)
            fp = int((leaf_masks[edit] & unlisted).sum())
            whole = _whole_category(heads, _leaves(np.union1d(leaves, listed)), listed)
            wrong = int((head_masks[edit] != whole).sum())
            total_fp += fp
            total_wrong += wrong
            lines.append(
                f"{name:16} {edit:15} {int(unlisted.sum()):15d} {fp:3d} {len(heads):8d} {wrong:6d}"
            )
    print("\n" + "\n".join(lines))
    assert total_fp == 0
    assert total_wrong == 0


@pytest.mark.parametrize("truncate", [False, True])
@pytest.mark.parametrize("procedures", [False, True])
def test_mimic_demos_show_no_conflict(
    mimic3_dir: Path, mimic4_dir: Path, truncate: bool, procedures: bool
) -> None:
    rules = default_rules()
    options = LoadOptions(include_procedures=procedures, truncate=truncate)
    for cohort in (load_mimic3(mimic3_dir, options), load_mimic4(mimic4_dir, options)):
        edits = rules.edits_for(cohort.code_table)
        conflicts = cohort_conflicts(cohort, edits)
        assert int(conflicts.age.sum()) == 0
        assert int(conflicts.sex.sum()) == 0
        # The demos do carry edited codes (maternity, male-only, adult...), so the
        # check is not vacuous.
        assert int((edits.edit_type != "").sum()) > 0


def test_mce_loader_reads_both_files(mce_dir: Path) -> None:
    rules = load_mce_rules(mce_dir / MCE_FILES["icd10"])
    edits = rules.edits_for(_table(["O80", "Z3800", "N401", "C61", "I10"], 1, 0))
    assert edits.edit_type.tolist() == [
        "Maternity_Only+Female_Only",
        "Newborn_Only",
        "Adult_Only+Male_Only",
        "Male_Only",
        "",
    ]


# ------------------------------------------------------------------ hand-written cases
def _conflicts(code: str, ages: list[float], sex: str, system: str = "icd10", kind: str = "dx"):
    records = [{"age": a, "sex": sex, "visits": [[code]]} for a in ages]
    cohort = Cohort.from_records(records, system=system, kind=kind)
    c = cohort_conflicts(cohort, default_rules().edits_for(cohort.code_table))
    return c.age.tolist(), c.sex.tolist()


@pytest.mark.parametrize(
    ("code", "system", "ages", "expected"),
    [
        # Newborn: whole years, age 0 only (0.9 is still 0).
        ("Z3800", "icd10", [0.0, 0.9, 1.0, 45.0], [False, False, True, True]),
        ("V3000", "icd9", [0.0, 0.9, 1.0], [False, False, True]),
        ("7700", "icd9", [0.5, 2.0], [False, True]),
        # Pediatric: 0-17.
        ("Z0012", "icd10", [0.0, 17.0, 17.9, 18.0], [False, False, False, True]),
        ("V202", "icd9", [17.5, 18.0], [False, True]),
        # Maternity: 12-55.
        (
            "O80",
            "icd10",
            [11.0, 11.99, 12.0, 55.0, 55.5, 56.0],
            [True, True, False, False, False, True],
        ),
        ("650", "icd9", [11.0, 12.0, 55.0, 56.0], [True, False, False, True]),
        # Adult: 15-124; ages above 124 count as 124.
        ("N400", "icd10", [14.0, 14.9, 15.0, 124.0, 130.0], [True, True, False, False, False]),
        ("6000", "icd9", [14.0, 15.0], [True, False]),
        # No edit.
        ("I10", "icd10", [0.0, 60.0, 124.0], [False, False, False]),
    ],
)
def test_age_boundaries(code: str, system: str, ages: list[float], expected: list[bool]) -> None:
    sex = "M" if code in {"N400", "6000"} else "F"
    age, sex_conf = _conflicts(code, ages, sex, system)
    assert age == expected
    assert not any(sex_conf)


@pytest.mark.parametrize(
    ("code", "system", "kind", "female_ok", "male_ok"),
    [
        ("C61", "icd10", "dx", False, True),  # prostate cancer
        ("N952", "icd10", "dx", True, False),  # atrophic vaginitis
        ("O80", "icd10", "dx", True, False),  # maternity is female too
        ("185", "icd9", "dx", False, True),
        ("2331", "icd9", "dx", True, False),
        ("0VT00ZZ", "icd10", "px", False, True),  # prostatectomy
        ("0UT90ZZ", "icd10", "px", True, False),  # hysterectomy
        ("0WQN0ZZ", "icd10", "px", True, False),  # repair of the female perineum
        ("0WQM0ZZ", "icd10", "px", False, True),  # repair of the male perineum
        ("605", "icd9", "px", False, True),  # radical prostatectomy (60.5)
        ("684", "icd9", "px", True, False),  # total abdominal hysterectomy (68.4)
        ("I10", "icd10", "dx", True, True),
    ],
)
def test_sex_edits(code: str, system: str, kind: str, female_ok: bool, male_ok: bool) -> None:
    for sex, ok in (("F", female_ok), ("M", male_ok)):
        _, conf = _conflicts(code, [40.0], sex, system, kind)
        assert conf == [not ok]


def test_age_and_sex_edit_at_once() -> None:
    edits = default_rules().edits_for(_table(["O80", "V2385", "N400"], 1, 0))
    assert edits.edit_type.tolist()[0] == "Maternity_Only+Female_Only"
    assert (int(edits.min_age[0]), int(edits.max_age[0]), int(edits.sex_only[0])) == (12, 55, 0)
    # ICD-9-CM V23.85 (pregnancy from assisted reproduction) is Maternity and Adult: 15-55.
    e9 = default_rules().edits_for(_table(["V2385"], 0, 0))
    assert e9.edit_type.tolist() == ["Maternity_Only+Adult_Only+Female_Only"]
    assert (int(e9.min_age[0]), int(e9.max_age[0])) == (15, 55)
    assert (int(edits.min_age[2]), int(edits.max_age[2]), int(edits.sex_only[2])) == (
        15,
        AGE_MAX,
        1,
    )


def test_dotted_and_lower_case_codes_match() -> None:
    edits = default_rules().edits_for(_table(["o80", "C61", " Z38.00 ", "E11.9"], 1, 0))
    assert edits.sex_only.tolist() == [0, 1, SEX_ANY, SEX_ANY]
    assert edits.max_age.tolist() == [55, AGE_MAX, 0, AGE_MAX]


def test_truncated_categories_get_an_edit_only_when_it_holds_for_the_whole_category() -> None:
    rules = default_rules()
    # ICD-10-CM: O30 (multiple gestation) is maternity throughout; N47 is male-only
    # throughout, but only N47.0 is newborn-only; Z00 mixes adult, pediatric, newborn.
    e10 = rules.edits_for(_table(["O30", "N47", "N470", "Z00", "Z001", "Z0011"], 1, 0))
    assert e10.edit_type.tolist() == [
        "Maternity_Only+Female_Only",
        "Male_Only",
        "Newborn_Only+Male_Only",
        "",
        "",
        "Newborn_Only",
    ]
    # ICD-9-CM: 779 holds 779.7 (periventricular leukomalacia), which is not newborn-only,
    # so category 779 gets no edit; 650 is a whole category; 770 holds 770.7.
    e9 = rules.edits_for(_table(["779", "7791", "650", "770", "7707", "V29"], 0, 0))
    assert e9.edit_type.tolist() == [
        "",
        "Newborn_Only",
        "Maternity_Only+Female_Only",
        "",
        "",
        "Newborn_Only",
    ]
    # ICD-9-CM procedures truncated to two digits: 68 (hysterectomy etc.) female-only,
    # 70 (vagina and cul-de-sac) is not: the MCE leaves 70.63-70.64 (vaginal construction
    # and reconstruction with graft) unedited.
    p9 = rules.edits_for(_table(["68", "70", "60"], 0, 1))
    assert p9.sex_only.tolist() == [0, SEX_ANY, 1]


def test_kinds_and_systems_do_not_leak() -> None:
    rules = default_rules()
    # "650" is an ICD-9-CM maternity diagnosis; as an ICD-9-CM procedure (65.0,
    # oophorotomy) it is female-only but not maternity; "C61" as ICD-9 means nothing.
    t = CodeTable(np.array(["650", "650", "C61"]), np.array([0, 0, 0]), np.array([0, 1, 0]))
    e = rules.edits_for(t)
    assert e.edit_type.tolist() == ["Maternity_Only+Female_Only", "Female_Only", ""]


# ------------------------------------------------------------------ MCE-format loader
def _write_mce(path: Path, rows: list[tuple[str, ...]], columns=MCE_COLUMNS) -> Path:
    lines = ["\t".join(columns)] + ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_mce_file_replaces_the_tables(tmp_path: Path) -> None:
    f = _write_mce(
        tmp_path / "mce.tsv",
        [
            ("37", "10", "4", "C", "Maternity_Only", "D", "O80", "Delivery"),
            ("37", "10", "5", "A", "Female_Only", "D", "O80", "Delivery"),
            ("37", "10", "5", "C", "Male_Only", "D", "C61", "Prostate"),
            ("37", "10", "5", "C", "Male_Only", "P", "0VT00ZZ", "Prostatectomy"),
            ("37", "10", "3", "A", "Some_Other_Edit", "D", "I10", "ignored"),
            ("32", "9", "4", "A", "Newborn_Only", "D", "V30.00", "dotted"),
        ],
    )
    rules = load_mce_rules(f)
    assert isinstance(rules, RuleSet)
    t = CodeTable(
        np.array(["O80", "C61", "0VT00ZZ", "I10", "N952", "V3000", "Z3800"]),
        np.array([1, 1, 1, 1, 1, 0, 1]),
        np.array([0, 0, 1, 0, 0, 0, 0]),
    )
    e = rules.edits_for(t)
    # N95.2 and Z38.00 are edited by the built-in tables but not by this file.
    assert e.edit_type.tolist() == [
        "Maternity_Only+Female_Only",
        "Male_Only",
        "Male_Only",
        "",
        "",
        "Newborn_Only",
        "",
    ]


def test_mce_file_folds_whole_categories_with_a_dictionary(tmp_path: Path) -> None:
    f = _write_mce(
        tmp_path / "mce.tsv",
        [
            ("37", "10", "5", "C", "Male_Only", "D", "N470", ""),
            ("37", "10", "5", "C", "Male_Only", "D", "N471", ""),
            ("37", "10", "4", "A", "Newborn_Only", "D", "N470", ""),
        ],
    )
    dictionary = _table(["N47", "N470", "N471", "N48", "N481"], 1, 0)
    query = _table(["N47", "N470", "N48"], 1, 0)
    # Without a dictionary a category code gets only what the file lists for it.
    assert load_mce_rules(f).edits_for(query).edit_type.tolist() == [
        "",
        "Newborn_Only+Male_Only",
        "",
    ]
    # With one, N47 is male-only as a whole (both leaves listed) but not newborn-only.
    assert load_mce_rules(f, dictionary).edits_for(query).edit_type.tolist() == [
        "Male_Only",
        "Newborn_Only+Male_Only",
        "",
    ]


@pytest.mark.parametrize("missing", ["ICD_Code", "MCE_Edit_Type", "ICD_Code_Type", "ICD_Version"])
def test_mce_missing_column_is_one_line(tmp_path: Path, missing: str) -> None:
    cols = tuple(c for c in MCE_COLUMNS if c != missing)
    f = _write_mce(tmp_path / "bad.tsv", [tuple("x" for _ in cols)], cols)
    with pytest.raises(LossbalanceError) as info:
        load_mce_rules(f)
    msg = str(info.value)
    assert "\n" not in msg and str(f) in msg and missing in msg


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (("37", "11", "4", "C", "Maternity_Only", "D", "O80", ""), "ICD_Version"),
        (("37", "10", "4", "C", "Maternity_Only", "X", "O80", ""), "ICD_Code_Type"),
        (("37", "10", "4", "C", "Maternity_Only", "D", "", ""), "ICD_Code"),
    ],
)
def test_mce_bad_values_name_the_column(tmp_path: Path, row: tuple[str, ...], column: str) -> None:
    f = _write_mce(tmp_path / "bad.tsv", [row])
    with pytest.raises(LossbalanceError, match=column):
        load_mce_rules(f)


def test_mce_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match="not found"):
        load_mce_rules(tmp_path / "nope.tsv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\nicd10 dx Maternity_Only O80\n", "line 2"),
        ("icd10 dx Elderly_Only: Z00\n", "unknown edit type"),
        ("icd/11 dx Male_Only: C61\n", "unknown code system"),
        ("icd10 dx Male_Only: C63-C60\n", "backwards"),
    ],
)
def test_rule_text_errors(text: str, message: str) -> None:
    with pytest.raises(LossbalanceError, match=message):
        RuleSet.from_text(text)


def test_empty_table() -> None:
    e = default_rules().edits_for(CodeTable.empty())
    assert len(e.min_age) == len(e.edit_type) == 0
