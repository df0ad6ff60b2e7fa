"""The generator's loss terms, shared layer, size, and sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _builders import tiny_cohort, tiny_model
from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.model import (
    BOS,
    EOS,
    PAD,
    SEP,
    UNK,
    BatchMaker,
    Generator,
    GeneratorConfig,
    SamplingConfig,
    VisitRules,
    Vocabulary,
    encode_cohort,
    generate,
    sequences_to_cohort,
)

TINY = tiny_model()
OLD_HEADS = "decoder_states (can read the prompt)"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def setup() -> tuple[Cohort, Vocabulary, Generator]:
    cohort = tiny_cohort(n=24)
    vocab = Vocabulary.build(cohort)
    torch.manual_seed(0)
    return cohort, vocab, Generator(TINY, vocab)


def first_batch(cohort: Cohort, vocab: Vocabulary, forbidden: bool = False) -> dict:
    bm = BatchMaker(encode_cohort(cohort, vocab, TINY.max_length), batch_size=8)
    batch = bm.batch(np.arange(8))
    if forbidden:
        mask = torch.zeros(8, len(vocab), dtype=torch.bool)
        mask[:, vocab.code_offset] = True
        mask[::2, vocab.code_offset + 1] = True
        batch["forbidden"] = mask
    return batch


def test_forward_returns_each_term(setup) -> None:
    cohort, vocab, model = setup
    batch = first_batch(cohort, vocab)
    with torch.no_grad():
        losses = model(batch)
    assert set(losses) == {"lm", "age", "sex"} == set(model.terms)
    # lm is exactly BART's own label cross-entropy
    with torch.no_grad():
        ref = model.bart(
            input_ids=batch["input_ids"],
            decoder_input_ids=batch["decoder_input_ids"],
            labels=batch["labels"],
        ).loss
    assert torch.allclose(losses["lm"], ref, atol=1e-6)
    # the codes-only heads: the classifier on the expected bag of codes
    with torch.no_grad():
        _, logits = model.hidden_and_logits(batch)
        valid = (batch["labels"] != -100).float()
        probs = logits.softmax(-1)[..., vocab.code_offset :]
        expected = (probs * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True)
        age = F.cross_entropy(model.code_head(expected)[0], batch["age_group"])
    assert torch.allclose(losses["age"], age, atol=1e-6)
    # the old heads: the mean decoder hidden state over real positions
    old = Generator(TINY.model_copy(update={"aux_input": OLD_HEADS}), vocab)
    with torch.no_grad():
        hidden, _ = old.hidden_and_logits(batch)
        pooled = (hidden * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True)
        age = F.cross_entropy(old.age_head(pooled), batch["age_group"])
        assert torch.allclose(old(batch)["age"], age, atol=1e-6)
    # untrained heads on 6 and 2 classes start near ln 6 and ln 2
    assert abs(float(losses["age"]) - np.log(6)) < 0.5
    assert abs(float(losses["sex"]) - np.log(2)) < 0.3


def test_validity_term_is_forbidden_probability_mass(setup) -> None:
    cohort, vocab, _ = setup
    torch.manual_seed(1)
    model = Generator(TINY.model_copy(update={"validity": True}), vocab)
    batch = first_batch(cohort, vocab, forbidden=True)
    losses = model(batch)
    assert set(losses) == {"lm", "age", "sex", "validity"}
    _, logits = model.hidden_and_logits(batch)
    probs = logits.softmax(-1)
    valid = batch["labels"] != -100
    expected = []
    for i in range(8):
        codes = [vocab.code_offset] + ([vocab.code_offset + 1] if i % 2 == 0 else [])
        expected.append(probs[i][valid[i]][:, codes].sum(-1))
    value = torch.cat(expected).mean()
    assert torch.allclose(losses["validity"], value, atol=1e-6)
    assert 0.0 < float(value.detach()) < 1.0
    with pytest.raises(ValueError, match="forbidden"):
        model(first_batch(cohort, vocab))


def test_token_pooling(setup) -> None:
    cohort, vocab, _ = setup
    model = Generator(
        TINY.model_copy(update={"aux_pooling": "token", "aux_input": OLD_HEADS}), vocab
    )
    batch = first_batch(cohort, vocab)
    hidden, _ = model.hidden_and_logits(batch)
    valid = batch["labels"] != -100
    rows = valid.nonzero()[:, 0]
    expected = F.cross_entropy(model.sex_head(hidden[valid]), batch["sex"][rows])
    assert torch.allclose(model(batch)["sex"], expected, atol=1e-6)


def test_shared_parameters_reach_every_term(setup) -> None:
    cohort, vocab, model = setup
    shared = model.shared_parameters()
    fc2 = model.bart.model.decoder.layers[-1].fc2
    assert shared == [fc2.weight, fc2.bias]
    losses = model(first_batch(cohort, vocab))
    for term, loss in losses.items():
        grads = torch.autograd.grad(loss, shared, retain_graph=True)
        assert float(grads[0].norm()) > 0.0, term


def test_default_size_is_about_one_million() -> None:
    cohort = tiny_cohort(n=300, n_codes=300, seed=3)
    vocab = Vocabulary.build(cohort)
    n = Generator(GeneratorConfig(), vocab).num_parameters()
    assert 700_000 < n < 1_300_000


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="attention_heads"):
        GeneratorConfig(d_model=30, attention_heads=4)
    with pytest.raises(ValueError, match="strictly increasing"):
        GeneratorConfig(age_groups=(10.0, 5.0))
    with pytest.raises(ValueError, match="extra"):
        GeneratorConfig(layers=3)


def test_visit_rules_ban_exactly() -> None:
    cohort = tiny_cohort(n=24)
    vocab = Vocabulary.build(cohort)
    a, b = vocab.code_offset, vocab.code_offset + 1
    rules = VisitRules(vocab, forbid_duplicates=True, max_visits=2, max_codes_per_visit=2)
    ids = torch.tensor(
        [
            [BOS, a, PAD, PAD, PAD],  # (first two) visit open with a: a banned, </v> ok, no <eos>
            [BOS, a, SEP, b, a],  # two codes in visit 2: every code banned
            [BOS, a, SEP, b, SEP],  # two visits done: only <eos>
        ]
    )
    scores = rules(ids[:, :2].clone(), torch.zeros(3, len(vocab)))
    banned0 = torch.isinf(scores[0])
    assert bool(banned0[a]) and not bool(banned0[SEP]) and bool(banned0[EOS])
    assert not bool(banned0[b]) and bool(banned0[PAD]) and bool(banned0[BOS])
    assert bool(banned0[vocab.age_offset : vocab.code_offset].all())
    scores = rules(ids, torch.zeros(3, len(vocab)))
    assert bool(torch.isinf(scores[1, vocab.code_offset :]).all()) and not bool(scores[1, SEP])
    assert torch.isinf(scores[2]).sum() == len(vocab) - 1 and scores[2, EOS] == 0
    # right at the start: no empty visit, no empty patient
    start = rules(torch.tensor([[BOS]]), torch.zeros(1, len(vocab)))
    assert bool(torch.isinf(start[0, SEP])) and bool(torch.isinf(start[0, EOS]))


def reference_bans(
    ids: list[int],
    vocab: Vocabulary,
    duplicates: bool,
    max_visits: int | None,
    max_codes: int | None,
    max_length: int | None,
) -> set[int]:
    """VisitRules' bans for one decoder prefix, written out plainly (the specification)."""
    v, code = len(vocab), vocab.code_offset
    ban = {PAD, BOS, UNK, *range(vocab.age_offset, code)}
    last = max(p for p, tok in enumerate(ids) if tok == SEP or p == 0)
    current = [tok for tok in ids[last + 1 :] if tok >= code]
    n_vis = ids.count(SEP)
    if duplicates:
        ban |= set(current)
    if not current:
        ban.add(SEP)
    if current or n_vis == 0:
        ban.add(EOS)
    if max_codes is not None and len(current) >= max_codes:
        ban |= set(range(code, v))
    if (max_visits is not None and n_vis >= max_visits) or (
        max_length is not None and len(ids) >= max_length - 1
    ):
        ban = set(range(v)) - {EOS}
    return ban


@pytest.mark.parametrize("seed", range(4))
def test_visit_rules_match_the_plain_reference(seed: int) -> None:
    """Random prefixes (codes, </v>, trailing <pad> of finished rows) and random limits."""
    vocab = Vocabulary.build(tiny_cohort(n=24))
    rng = np.random.default_rng(seed)
    b, t, v = 40, int(rng.integers(1, 9)), len(vocab)
    ids = rng.choice(np.arange(vocab.code_offset, v), size=(b, t))
    ids[rng.random((b, t)) < 0.3] = SEP
    ids[rng.random((b, t)) < 0.1] = PAD
    ids[:, 0] = BOS
    scores = torch.from_numpy(rng.normal(size=(b, v)).astype(np.float32))
    scores[:4] = float("-inf")  # another processor banned everything: <eos> gets 0
    for duplicates in (True, False):
        for max_visits, max_codes in ((None, None), (2, 2), (1, 3)):
            for max_length in (None, t + 1, t + 3):
                rules = VisitRules(vocab, duplicates, max_visits, max_codes, max_length)
                out = rules(torch.from_numpy(ids), scores)
                for r in range(b):
                    ban = reference_bans(
                        ids[r].tolist(), vocab, duplicates, max_visits, max_codes, max_length
                    )
                    want = scores[r].clone()
                    want[sorted(ban)] = float("-inf")
                    if bool(torch.isneginf(want).all()):
                        want[EOS] = 0.0
                    assert torch.equal(out[r], want), (r, ids[r])


def test_sequences_to_cohort_exact() -> None:
    cohort = tiny_cohort(n=24)
    vocab = Vocabulary.build(cohort)
    a, b, c = (vocab.code_offset + i for i in range(3))
    seqs = np.array(
        [
            [BOS, a, b, SEP, c, SEP, EOS, a, SEP],  # after <eos>: ignored
            [BOS, c, SEP, a, b, PAD, PAD, PAD, PAD],  # cut at the limit: last visit kept
            [BOS, EOS, PAD, PAD, PAD, PAD, PAD, PAD, PAD],
        ]
    )
    out = sequences_to_cohort(seqs, vocab, [1.0, 50.0, 80.0], [0, 1, 0])
    keys = vocab.code_table.keys()
    rows = vocab.code_rows
    expected = [[[a, b], [c]], [[c], [a, b]], []]
    for p, visits in enumerate(out.to_records()):
        want = [[keys[rows[t - vocab.code_offset]] for t in v] for v in expected[p]]
        got = [[f"{s}:{k}:{n}" for n, s, k in v] for v in visits["visits"]]
        assert got == want
    assert out.age.tolist() == [1.0, 50.0, 80.0] and out.sex.tolist() == [0, 1, 0]


def test_generate_is_seeded_and_well_formed(setup) -> None:
    cohort, _vocab, model = setup
    sampling = SamplingConfig(max_visits=3, max_codes_per_visit=4, batch_size=7)
    g1 = generate(model, 20, reference=cohort, sampling=sampling, seed=5)
    g2 = generate(model, 20, reference=cohort, sampling=sampling, seed=5)
    g3 = generate(model, 20, reference=cohort, sampling=sampling, seed=6)
    assert g1.equals(g2) and not g1.equals(g3)
    assert g1.n_patients == 20
    assert g1.visits_per_patient().max() <= 3 and g1.visits_per_patient().min() >= 1
    assert g1.codes_per_visit().max() <= 4 and g1.codes_per_visit().min() >= 1
    # no code twice in a visit
    visit = g1.code_visit()
    pairs = visit.astype(np.int64) * len(g1.code_table) + g1.codes
    assert np.unique(pairs).size == pairs.size
    # same code-table keys as the training data; demographics from its joint distribution
    assert np.array_equal(g1.code_table.keys(), cohort.code_table.keys())
    pairs_real = set(zip(cohort.age.tolist(), cohort.sex.tolist(), strict=True))
    assert set(zip(g1.age.tolist(), g1.sex.tolist(), strict=True)) <= pairs_real


def test_generate_explicit_demographics_and_duplicates(setup) -> None:
    cohort, _vocab, model = setup
    ages, sexes = [3.0, 40.0, 70.0], [1, 0, 1]
    g = generate(
        model,
        3,
        demographics=(ages, sexes),
        seed=0,
        sampling=SamplingConfig(top_k=5, top_p=0.9, temperature=0.7),
    )
    assert g.age.tolist() == ages and g.sex.tolist() == sexes
    with pytest.raises(LossbalanceError, match="demographics"):
        generate(model, 4, demographics=(ages, sexes))
    with pytest.raises(LossbalanceError, match="reference"):
        generate(model, 4)
    # with the ban off and a 12-code vocabulary, long visits must repeat codes
    loose = SamplingConfig(forbid_duplicates=False, max_visits=1, max_length=40)
    g = generate(model, 30, reference=cohort, sampling=loose, seed=1)
    tight = SamplingConfig(forbid_duplicates=True, max_visits=1, max_length=40)
    assert (
        generate(model, 30, reference=cohort, sampling=tight, seed=1).codes_per_visit().max() <= 12
    )
    pairs = g.code_visit().astype(np.int64) * len(g.code_table) + g.codes
    assert g.codes_per_visit().max() > 12 or np.unique(pairs).size < pairs.size


def test_generate_without_cache_gives_valid_patients(setup) -> None:
    cohort, _, model = setup
    g = generate(
        model, 6, reference=cohort, seed=2, sampling=SamplingConfig(use_cache=False, max_length=24)
    )
    assert g.n_patients == 6 and g.n_codes > 0
