"""Length-grouped batches: coverage, seeds, mid-epoch resume, padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _builders import tiny_cohort
from lossbalance.model import BatchMaker, Vocabulary, encode_cohort, padding_share

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def maker() -> BatchMaker:
    cohort = tiny_cohort(n=203, max_visits=6, seed=2)
    vocab = Vocabulary.build(cohort)
    return BatchMaker(encode_cohort(cohort, vocab, 48), batch_size=8, group_batches=4)


def test_every_patient_once_per_epoch(maker: BatchMaker) -> None:
    n = len(maker.encoded)
    for epoch in range(3):
        plan = maker.plan(seed=5, epoch=epoch)
        assert len(plan) == len(maker) == -(-n // 8)
        assert sorted(np.concatenate(plan).tolist()) == list(range(n))
        assert sorted(len(b) for b in plan)[1:] == [8] * (len(plan) - 1)


def test_seeded_and_shuffled(maker: BatchMaker) -> None:
    a = maker.plan(seed=1, epoch=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, maker.plan(1, 0), strict=True))
    assert not np.array_equal(np.concatenate(a), np.concatenate(maker.plan(1, 1)))
    assert not np.array_equal(np.concatenate(a), np.concatenate(maker.plan(2, 0)))
    # batches come in shuffled order, not sorted by length
    widths = [int(maker.encoded.lengths[b].max()) for b in a]
    assert widths != sorted(widths) and widths != sorted(widths, reverse=True)


def test_mid_epoch_resume_is_bit_identical(maker: BatchMaker) -> None:
    full = list(maker.batches(seed=3, epoch=2))
    tail = list(maker.batches(seed=3, epoch=2, start=7))
    assert len(tail) == len(full) - 7
    for x, y in zip(full[7:], tail, strict=True):
        assert x.keys() == y.keys()
        assert all(torch.equal(x[k], y[k]) for k in x)
    # a fresh maker (a resumed process) gives the same batches
    again = BatchMaker(maker.encoded, batch_size=8, group_batches=4)
    for x, y in zip(full, again.batches(seed=3, epoch=2), strict=True):
        assert all(torch.equal(x[k], y[k]) for k in x)


def test_padding_share_is_exact_and_grouping_cuts_it(maker: BatchMaker) -> None:
    plan = maker.plan(0, 0)
    pad = real = 0
    for rows in plan:
        batch = maker.batch(rows)
        real += int((batch["labels"] != -100).sum())
        pad += int((batch["labels"] == -100).sum())
    assert padding_share(maker.encoded.lengths, plan) == pytest.approx(pad / (pad + real))
    random_order = BatchMaker(maker.encoded, batch_size=8, group_by_length=False)
    assert maker.padding_share(0, 0) < 0.5 * random_order.padding_share(0, 0)
    # random order: consecutive slices of the epoch's permutation
    perm = np.random.default_rng([0, 0]).permutation(len(maker.encoded))
    assert np.array_equal(random_order.order(0, 0), perm)
