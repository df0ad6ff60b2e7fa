"""The cohort's split field: train / tuning / held_out by patient, kept through select and files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbalance import LossbalanceError
from lossbalance.data import DEFAULT_FRACTIONS, SPLITS, Cohort, split_counts

FIXTURES = Path(__file__).parent / "fixtures"


def _cohort(n: int) -> Cohort:
    return Cohort.from_records(
        {"id": f"p{i}", "age": float(i % 90), "sex": "FM"[i % 2], "visits": [[f"A{i % 7}"]]}
        for i in range(n)
    )


def test_splits_constant_and_default_fractions() -> None:
    assert SPLITS == ("train", "tuning", "held_out")
    assert DEFAULT_FRACTIONS == (0.6, 0.2, 0.2)
    assert _cohort(3).splits is None


def test_with_splits_accepts_names_or_indices() -> None:
    c = _cohort(4)
    by_name = c.with_splits(["train", "held_out", "tuning", "train"])
    by_index = c.with_splits(np.array([0, 2, 1, 0]))
    assert by_name.splits is not None and by_name.splits.dtype == np.uint8
    assert by_name.splits.tolist() == [0, 2, 1, 0]
    assert by_name.equals(by_index)
    assert not by_name.equals(c)  # one carries splits, the other does not
    assert by_name.with_splits(None).splits is None


@pytest.mark.parametrize(
    ("splits", "match"),
    [
        (["train", "test", "tuning"], r"unknown split 'test'"),
        ([0, 3, 1], r"split indices must be integers 0\.\.2"),
        ([0, 1], r"one entry per patient \(3\)"),
        ([0.5, 1, 0], r"split indices must be integers"),
    ],
)
def test_with_splits_rejects_bad_values(splits: list[object], match: str) -> None:
    with pytest.raises(LossbalanceError, match=match):
        _cohort(3).with_splits(splits)


def test_split_by_draws_seeded_disjoint_complete_splits() -> None:
    c = _cohort(50)
    parts = c.split_by(seed=3)
    assert list(parts) == list(SPLITS)
    assert [p.n_patients for p in parts.values()] == [30, 10, 10]
    ids = [set(p.patient_ids.tolist()) for p in parts.values()]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert ids[0] | ids[1] | ids[2] == set(c.patient_ids.tolist())
    # each sub-cohort keeps the original patient order and says which split it is
    for i, part in enumerate(parts.values()):
        order = [int(pid[1:]) for pid in part.patient_ids.tolist()]
        assert order == sorted(order)
        assert part.splits is not None and set(part.splits.tolist()) == {i}
    again = c.split_by(seed=3)
    assert all(again[k].equals(parts[k]) for k in SPLITS)
    assert not c.split_by(seed=4)["tuning"].equals(parts["tuning"])
    # patients keep their own data
    held = parts["held_out"]
    assert held.age.tolist() == [float(int(p[1:]) % 90) for p in held.patient_ids.tolist()]


def test_split_by_keeps_the_splits_the_cohort_carries() -> None:
    c = _cohort(5).with_splits(["held_out", "train", "tuning", "train", "train"])
    parts = c.split_by((0.34, 0.33, 0.33), seed=0)
    assert parts["train"].patient_ids.tolist() == ["p1", "p3", "p4"]
    assert parts["tuning"].patient_ids.tolist() == ["p2"]
    assert parts["held_out"].patient_ids.tolist() == ["p0"]
    assert c.splits_of()["train"].equals(parts["train"])


def test_splits_of_needs_carried_non_empty_splits() -> None:
    with pytest.raises(LossbalanceError, match="carries no splits"):
        _cohort(3).splits_of()
    with pytest.raises(LossbalanceError, match=r"split 'tuning' has no patient"):
        _cohort(3).with_splits(["train", "held_out", "train"]).splits_of()


def test_assign_splits_replaces_and_counts() -> None:
    c = _cohort(10).assign_splits((0.5, 0.3, 0.2), seed=1)
    assert c.splits is not None
    assert np.bincount(c.splits, minlength=3).tolist() == [5, 3, 2]


@pytest.mark.parametrize(
    ("n", "fractions", "match"),
    [
        (2, (0.6, 0.2, 0.2), r"split fraction tuning=0\.2 leaves split 'tuning' empty"),
        (2, (0.1, 0.45, 0.45), r"split fraction train=0\.1 leaves split 'train' empty"),
        (100, (0.6, 0.4, 0.0), r"split fraction held_out=0: must lie strictly between 0 and 1"),
        (100, (0.6, 0.2, 0.3), r"split fractions 0\.6,0\.2,0\.3: must sum to 1"),
        (100, (0.5, 0.5), r"expected 3 \(train, tuning, held_out\), got 2"),
        (100, (float("nan"), 0.5, 0.5), r"split fraction train=nan"),
    ],
)
def test_bad_fractions_name_the_fraction(n: int, fractions: tuple[float, ...], match: str) -> None:
    with pytest.raises(LossbalanceError, match=match) as info:
        _cohort(n).split_by(fractions, seed=0)
    assert "\n" not in str(info.value)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 500),
    tuning=st.floats(0.05, 0.45),
    held=st.floats(0.05, 0.45),
)
def test_split_counts_sum_to_n(n: int, tuning: float, held: float) -> None:
    fractions = (1.0 - tuning - held, tuning, held)
    try:
        counts = split_counts(n, fractions)
    except LossbalanceError as exc:
        assert "empty" in str(exc)
        return
    assert counts.sum() == n and (counts > 0).all()
    assert counts[1] == round(n * tuning) and counts[2] == round(n * held)


def test_select_compact_recode_keep_splits() -> None:
    c = _cohort(6).with_splits([0, 1, 2, 0, 1, 2])
    sub = c.select([5, 0, 4])
    assert sub.splits is not None and sub.splits.tolist() == [2, 0, 1]
    assert c.select(np.array([True, False, True, False, False, False])).splits.tolist() == [0, 2]
    assert np.array_equal(c.compact().splits, c.splits)
    assert np.array_equal(c.recode(c.code_table).splits, c.splits)


def test_save_load_keeps_splits(tmp_path: Path) -> None:
    c = _cohort(6).assign_splits(seed=2)
    back = Cohort.load(c.save(tmp_path / "c.npz"))
    assert back.equals(c)
    assert back.splits is not None and np.array_equal(back.splits, c.splits)
    plain = Cohort.load(_cohort(6).save(tmp_path / "plain.npz"))
    assert plain.splits is None
    with np.load(tmp_path / "plain.npz") as z:
        assert "splits" not in z.files


def test_file_written_by_the_previous_release_loads() -> None:
    """``cohort_v1_no_splits.npz`` was written by main's code before the split field existed."""
    old = Cohort.load(FIXTURES / "cohort_v1_no_splits.npz")
    assert old.splits is None
    assert old.patient_ids.tolist() == ["a", "b", "c", "d"]
    assert old.visits_per_patient().tolist() == [2, 1, 2, 0]
    parts = old.split_by((0.5, 0.25, 0.25), seed=0)
    assert [p.n_patients for p in parts.values()] == [2, 1, 1]


def _tables(tmp_path: Path, split_rows: list[str], header: str = "split") -> tuple[Path, Path]:
    codes, patients = tmp_path / "codes.csv", tmp_path / "patients.csv"
    codes.write_text(
        "patient_id,visit_id,code\np1,v1,I10\np2,v1,J45\np3,v1,E119\np4,v1,O80\n",
        encoding="utf-8",
    )
    rows = "".join(f"p{i + 1},F,40,{s}\n" for i, s in enumerate(split_rows))
    patients.write_text(f"patient_id,sex,age,{header}\n{rows}", encoding="utf-8")
    return codes, patients


def test_table_split_column_is_carried(tmp_path: Path) -> None:
    from lossbalance.data import TableColumns, load_table

    codes, patients = _tables(tmp_path, ["train", "Held_Out", "tuning", "train", "tuning"])
    cols = TableColumns(fixed_system="icd10")
    c = load_table(codes, patients, cols)
    assert c.patient_ids.tolist() == ["p1", "p2", "p3", "p4"]  # p5 has no codes: dropped
    assert c.splits is not None and c.splits.tolist() == [0, 2, 1, 0]
    parts = c.split_by(seed=9)
    assert parts["held_out"].patient_ids.tolist() == ["p2"]
    plain = load_table(codes, patients, TableColumns(fixed_system="icd10", split=None))
    assert plain.splits is None


def test_table_split_column_renamed_and_bad_value(tmp_path: Path) -> None:
    from lossbalance.data import TableColumns, load_table

    codes, patients = _tables(tmp_path, ["train", "test", "tuning", "train"], header="fold")
    with pytest.raises(LossbalanceError) as info:
        load_table(codes, patients, TableColumns(fixed_system="icd10", split="fold"))
    assert str(info.value) == (
        f"{patients}: column 'fold': split 'test' is not one of train, tuning, held_out "
        "(data row 2)"
    )
    # without the column named, it is ignored
    assert load_table(codes, patients, TableColumns(fixed_system="icd10")).splits is None


def test_simulate_splits_draws_independent_references() -> None:
    from lossbalance.data import reference_seed, simulate, simulate_splits

    parts = simulate_splits(40, reference_patients=25, seed=5)
    assert list(parts) == list(SPLITS)
    assert parts["train"].with_splits(None).equals(simulate(40, 5))
    assert [p.n_patients for p in parts.values()] == [40, 25, 25]
    for i, (name, part) in enumerate(parts.items()):
        assert part.splits is not None and set(part.splits.tolist()) == {i}
        if name != "train":
            assert part.patient_ids[0] == f"{name}-0"
            again = simulate(25, reference_seed(5, name))
            assert np.array_equal(part.code_keys(), again.code_keys())
    seeds = {5, reference_seed(5, "tuning"), reference_seed(5, "held_out")}
    assert len(seeds) == 3 and reference_seed(6, "tuning") not in seeds
    assert not np.array_equal(parts["tuning"].age, parts["held_out"].age)
    assert simulate_splits(40, 25, seed=5)["tuning"].equals(parts["tuning"])
    with pytest.raises(LossbalanceError, match="reference_patients: must be at least 1"):
        simulate_splits(40, reference_patients=0)
