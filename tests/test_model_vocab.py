"""Vocabulary, cohort encoding, batches and forbidden-code masks."""

from __future__ import annotations

import numpy as np
import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import SEX_ANY, CodeEdits
from lossbalance.data import Cohort
from lossbalance.model import (
    BOS,
    EOS,
    IGNORE_INDEX,
    PAD,
    SEP,
    UNK,
    BatchMaker,
    Vocabulary,
    age_group_labels,
    age_groups,
    encode_cohort,
    forbidden_mask,
    token_edits,
)

RECORDS = [
    {"age": 30.0, "sex": "F", "visits": [["A", "B"], ["A"]]},
    {"age": 1.5, "sex": "M", "visits": [["B", "C"], [], ["A", "D"]]},
    {"age": 70.0, "sex": "F", "visits": [["A"]]},
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def cohort() -> Cohort:
    return Cohort.from_records(RECORDS)


def test_token_layout_and_frequency_order(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    toks = vocab.tokens()
    assert toks[:5] == ["<pad>", "<bos>", "<eos>", "<unk>", "</v>"]
    assert toks[5:11] == [f"<age:{g}>" for g in ("0-2", "2-12", "12-18", "18-40", "40-65", "65+")]
    assert toks[11:13] == ["<sex:F>", "<sex:M>"]
    # A: 4, B: 2, C: 1, D: 1 (ties by key)
    assert toks[13:] == ["icd10:dx:A", "icd10:dx:B", "icd10:dx:C", "icd10:dx:D"]
    assert len(vocab) == 17 and vocab.code_offset == 13


def test_min_count_maps_rare_codes_to_unk(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort, min_count=2)
    assert vocab.tokens()[13:] == ["icd10:dx:A", "icd10:dx:B"]
    tok = vocab.token_of_row()
    names = cohort.code_table.names.tolist()
    assert tok[names.index("C")] == UNK and tok[names.index("A")] == 13
    # the whole training code table stays, so generated cohorts share its keys
    assert len(vocab.code_table) == 4


def test_fingerprint_and_round_trip(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    again = Vocabulary.from_dict(vocab.to_dict())
    assert again.fingerprint() == vocab.fingerprint()
    assert again.tokens() == vocab.tokens()
    assert Vocabulary.build(cohort, min_count=2).fingerprint() != vocab.fingerprint()
    bad = vocab.to_dict() | {"code_rows": [0, 1, 3, 2]}
    with pytest.raises(LossbalanceError, match="fingerprint"):
        Vocabulary.from_dict(bad)


def test_age_groups_boundaries() -> None:
    bounds = (2.0, 12.0, 18.0, 40.0, 65.0)
    got = age_groups([0.0, 1.99, 2.0, 11.9, 12.0, 17.5, 18.0, 64.9, 65.0, 120.0], bounds)
    assert got.tolist() == [0, 0, 1, 1, 2, 2, 3, 4, 5, 5]
    assert age_group_labels((5.0, 50.0)) == ["0-5", "5-50", "50+"]


def test_bad_vocabulary_settings(cohort: Cohort) -> None:
    with pytest.raises(LossbalanceError, match="min_count"):
        Vocabulary.build(cohort, min_count=0)
    with pytest.raises(LossbalanceError, match="age_groups"):
        Vocabulary.build(cohort, age_bounds=(10.0, 5.0))
    with pytest.raises(LossbalanceError, match="no code occurs"):
        Vocabulary.build(cohort, min_count=100)


def test_encode_exact_tokens(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    a, b, c, d = 13, 14, 15, 16
    enc = encode_cohort(cohort, vocab, max_length=32)
    assert enc.tokens.tolist() == [
        [BOS, a, b, SEP, a, SEP, EOS, PAD],
        [BOS, b, c, SEP, a, d, SEP, EOS],  # the empty visit is dropped
        [BOS, a, SEP, EOS, PAD, PAD, PAD, PAD],
    ]
    assert enc.lengths.tolist() == [7, 8, 4]
    assert enc.prompt.tolist() == [[5 + 3, 11], [5 + 0, 12], [5 + 5, 11]]
    assert enc.age_group.tolist() == [3, 0, 5] and enc.sex.tolist() == [0, 1, 0]
    assert enc.n_tokens == 6 + 7 + 3


def test_encode_truncates_whole_visits_and_long_visits(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    enc = encode_cohort(cohort, vocab, max_length=6)
    # patient 0: <bos> A B </v> (A </v> would not fit) <eos>
    assert enc.tokens[0].tolist()[:5] == [BOS, 13, 14, SEP, EOS]
    long = Cohort.from_records([{"age": 5, "sex": "F", "visits": [list("ABCDEFGH")]}])
    enc = encode_cohort(long, Vocabulary.build(long), max_length=5)
    assert enc.lengths.tolist() == [5]
    assert enc.tokens[0, 3:].tolist() == [SEP, EOS]
    with pytest.raises(LossbalanceError, match="max_length"):
        encode_cohort(long, Vocabulary.build(long), max_length=3)


def test_encode_other_code_table_maps_by_key(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    other = Cohort.from_records([{"age": 40, "sex": "M", "visits": [["D", "Z", "A"]]}])
    enc = encode_cohort(other, vocab, 16)
    assert enc.tokens[0].tolist() == [BOS, 16, UNK, 13, SEP, EOS]


def test_batches_shift_and_mask(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    bm = BatchMaker(encode_cohort(cohort, vocab, 32), batch_size=2)
    assert len(bm) == 2
    batch = bm.batch(np.array([2, 0]))
    assert batch["decoder_input_ids"].tolist() == [
        [BOS, 13, SEP, EOS, PAD, PAD],
        [BOS, 13, 14, SEP, 13, SEP],
    ]
    assert batch["labels"].tolist() == [
        [13, SEP, EOS] + [IGNORE_INDEX] * 3,
        [13, 14, SEP, 13, SEP, EOS],
    ]
    # the order of an epoch depends only on (seed, epoch)
    assert bm.order(3, 1).tolist() == bm.order(3, 1).tolist()
    assert sorted(bm.order(3, 1).tolist()) == [0, 1, 2]


def test_token_edits_and_forbidden_mask(cohort: Cohort) -> None:
    vocab = Vocabulary.build(cohort)
    names = cohort.code_table.names.tolist()
    n = len(names)
    min_age = np.zeros(n, np.int16)
    max_age = np.full(n, 124, np.int16)
    sex_only = np.full(n, SEX_ANY, np.int8)
    max_age[names.index("C")] = 0  # newborn only
    sex_only[names.index("D")] = 0  # female only
    edits = CodeEdits(min_age, max_age, sex_only, np.array([""] * n))
    tok = token_edits(vocab, edits)
    mask = forbidden_mask(tok, [0.5, 30.0, 30.0], [1, 0, 1])
    assert mask.shape == (3, len(vocab))
    assert np.flatnonzero(mask[0]).tolist() == [16]  # a baby boy: D (female only)
    assert np.flatnonzero(mask[1]).tolist() == [15]  # a woman of 30: C (newborn)
    assert np.flatnonzero(mask[2]).tolist() == [15, 16]
    with pytest.raises(LossbalanceError, match="rows"):
        token_edits(vocab, CodeEdits(min_age[:2], max_age[:2], sex_only[:2], np.array(["", ""])))
