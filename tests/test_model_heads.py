"""The codes-only age/sex heads: no prompt leak, and every term's gradient path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _builders import tiny_cohort, tiny_model
from lossbalance._errors import LossbalanceError
from lossbalance.clinical import SEX_ANY, CodeEdits
from lossbalance.data import Cohort
from lossbalance.model import (
    PRESETS,
    BatchMaker,
    Generator,
    GeneratorConfig,
    Vocabulary,
    encode_cohort,
    forbidden_groups,
    forbidden_mask,
    token_edits,
)
from lossbalance.schedulers import create
from lossbalance.training import Trainer, TrainerConfig

OLD_HEADS = "decoder_states (can read the prompt)"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def sexed_cohort(n: int = 96, seed: int = 0) -> Cohort:
    """Women mostly have codes F0-F3, men M0-M3; everyone has some of S0-S3."""
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        sex = "FM"[i % 2]
        own = [f"{sex}{k}" for k in range(4)]
        visits = []
        for _ in range(int(rng.integers(1, 3))):
            pool = own if rng.random() < 0.8 else [f"S{k}" for k in range(4)]
            visits.append(list(rng.choice(pool, size=int(rng.integers(1, 3)), replace=False)))
        recs.append({"age": float(rng.uniform(0, 90)), "sex": sex, "visits": visits})
    return Cohort.from_records(recs)


def trained(aux_input: str) -> tuple[Trainer, dict[str, torch.Tensor]]:
    config = tiny_model().model_copy(update={"aux_input": aux_input})
    trainer = Trainer.from_cohort(
        sexed_cohort(),
        config,
        TrainerConfig(epochs=12, batch_size=16, lr=5e-3, val_fraction=0.25, device="cpu"),
        [create("fixed", ["age"], {"weight": 1.0}), create("fixed", ["sex"], {"weight": 1.0})],
    )
    trainer.fit()
    trainer.model.eval()
    rows = np.arange(len(trainer.train_batches.encoded))
    return trainer, trainer.train_batches.batch(rows)


def flipped(model: Generator, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The batch with every prompt's sex token flipped (targets and codes unchanged)."""
    out = dict(batch)
    ids = batch["input_ids"].clone()
    off = model.vocab.sex_offset
    ids[:, 1] = off + (1 - (ids[:, 1] - off))
    out["input_ids"] = ids
    return out


def shuffled(batch: dict[str, torch.Tensor], seed: int = 0) -> dict[str, torch.Tensor]:
    """Each code sequence paired with another patient's demographics (prompt and targets)."""
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(batch["sex"])))
    out = dict(batch)
    for k in ("input_ids", "age_group", "sex"):
        out[k] = batch[k][perm]
    return out


@pytest.fixture(scope="module")
def new_heads() -> tuple[Trainer, dict[str, torch.Tensor]]:
    return trained("codes")


@pytest.fixture(scope="module")
def old_heads() -> tuple[Trainer, dict[str, torch.Tensor]]:
    return trained(OLD_HEADS)


def test_prompt_flip_leaves_predictions_unchanged(new_heads, old_heads) -> None:
    trainer, batch = new_heads
    model = trainer.model
    with torch.no_grad():
        age, sex = model.predict_demographics(batch)
        age_f, sex_f = model.predict_demographics(flipped(model, batch))
    assert torch.equal(age, age_f) and torch.equal(sex, sex_f)  # exactly
    # the heads did learn sex from the codes
    assert float((sex.argmax(1) == batch["sex"]).float().mean()) > 0.7
    # the old heads follow the prompt on a share of the patients
    old, obatch = old_heads
    with torch.no_grad():
        _, s0 = old.model.predict_demographics(obatch)
        _, s1 = old.model.predict_demographics(flipped(old.model, obatch))
    assert not torch.equal(s0, s1)


def test_no_prompt_leak_in_the_losses(new_heads) -> None:
    trainer, batch = new_heads
    with torch.no_grad():
        true = trainer.model(batch)
        fake = [trainer.model(shuffled(batch, seed)) for seed in range(3)]
    for term in ("age", "sex"):
        mean_fake = float(np.mean([float(f[term]) for f in fake]))
        assert mean_fake >= float(true[term]) - 0.02, term
    # the real-code classifier itself reads sex from codes, not from the prompt
    with torch.no_grad():
        _, sex = trainer.model.predict_demographics(batch)
        _, sex_fake = trainer.model.predict_demographics(shuffled(batch))
    ce = torch.nn.functional.cross_entropy
    assert float(ce(sex_fake, shuffled(batch)["sex"])) > float(ce(sex, batch["sex"])) + 0.1


def test_aux_term_moves_only_the_code_distribution() -> None:
    """The term's gradient reaches BART through the logits (never the prompt embeddings
    directly), and the classifier learns only from the real codes."""
    cohort = tiny_cohort(n=16)
    vocab = Vocabulary.build(cohort)
    torch.manual_seed(0)
    model = Generator(tiny_model(), vocab)
    batch = BatchMaker(encode_cohort(cohort, vocab, 48), 16).batch(np.arange(16))
    hidden, logits = model.hidden_and_logits(batch)
    loss = model.loss_terms(batch, hidden, logits)["sex"]
    head = list(model.code_head.parameters())
    g_logits, *g_head = torch.autograd.grad(
        loss, [logits, *head], retain_graph=True, allow_unused=True
    )
    assert g_logits is not None and float(g_logits.norm()) > 0
    # the classifier's gradient is that of its cross-entropy on the real bag of codes
    _, sex_real = model.code_head(model.code_bag(batch))
    real = torch.nn.functional.cross_entropy(sex_real, batch["sex"])
    for g, r in zip(g_head, torch.autograd.grad(real, head, allow_unused=True), strict=True):
        assert (g is None) == (r is None)
        assert g is None or torch.allclose(g, r, atol=1e-7)


class ConstantTerm(Generator):
    """A test-only model with a term that has no gradient (a constant)."""

    @property
    def terms(self) -> tuple[str, ...]:
        return (*self.config.terms(), "cooc")

    def loss_terms(self, batch, hidden, logits):
        out = super().loss_terms(batch, hidden, logits)
        out["cooc"] = torch.tensor(1.5)
        return out


def test_check_terms_flags_a_term_without_gradient() -> None:
    cohort = tiny_cohort(n=16)
    vocab = Vocabulary.build(cohort)
    batch = BatchMaker(encode_cohort(cohort, vocab, 48), 8).batch(np.arange(8))
    torch.manual_seed(0)
    for aux in ("codes", OLD_HEADS):
        model = Generator(tiny_model().model_copy(update={"aux_input": aux}), vocab)
        norms = model.check_terms(batch)
        assert set(norms) == {"lm", "age", "sex"}
        assert all(v["shared"] > 0 for v in norms.values())
        assert norms["lm"]["logits"] > 0
        # the old heads never reach the next-code distribution; the new ones do
        assert (norms["sex"]["logits"] > 0) == (aux == "codes")
    bad = ConstantTerm(tiny_model(), vocab)
    with pytest.raises(LossbalanceError, match=r"^check_terms: loss term 'cooc' has no gradient"):
        bad.check_terms(batch)
    # a NaN gradient is named too
    with torch.no_grad():
        bad.code_head.sex.weight.fill_(float("nan"))
    with pytest.raises(LossbalanceError, match="'sex' has a non-finite gradient"):
        Generator.check_terms(bad, batch)


def test_trainer_checks_terms_at_start() -> None:
    cohort = tiny_cohort(n=24)
    config = TrainerConfig(epochs=1, batch_size=8, val_fraction=0.25, device="cpu")
    train, val = cohort.split(0.25, 0)
    torch.manual_seed(0)
    bad = ConstantTerm(tiny_model(), Vocabulary.build(train))
    trainer = Trainer(bad, train, config, validation=val)
    with pytest.raises(LossbalanceError, match="'cooc' has no gradient"):
        trainer.fit()
    assert trainer.state.step == 0
    off = Trainer(bad, train, config.model_copy(update={"check_terms": False}), validation=val)
    off.fit()
    assert off.state.step > 0 and off.state.grad_check == {}


def test_forbidden_mask_once_per_group() -> None:
    cohort = tiny_cohort(n=200, seed=4)
    vocab = Vocabulary.build(cohort)
    n = len(vocab.code_table)
    rng = np.random.default_rng(0)
    edits = CodeEdits(
        rng.integers(0, 30, n).astype(np.int16),
        rng.integers(30, 125, n).astype(np.int16),
        rng.choice([SEX_ANY, 0, 1], n).astype(np.int8),
        np.array([""] * n),
    )
    tok = token_edits(vocab, edits)
    ages = np.concatenate([cohort.age, [17.0, 17.99, 18.0, 200.0]])
    sexes = np.concatenate([cohort.sex, [0, 0, 1, 1]])
    table, group = forbidden_groups(tok, ages, sexes)
    assert np.array_equal(table[group], forbidden_mask(tok, ages, sexes))
    assert len(table) < len(ages) and len(table) <= 2 * 126


def test_presets() -> None:
    assert GeneratorConfig() == GeneratorConfig(preset="tiny")
    base = GeneratorConfig(preset="base")
    assert (base.d_model, base.encoder_layers, base.decoder_layers) == (768, 6, 6)
    assert (base.attention_heads, base.ffn_dim) == (12, 3072)
    small = GeneratorConfig(preset="small", decoder_layers=2)  # explicit fields win
    assert small.d_model == PRESETS["small"]["d_model"] and small.decoder_layers == 2
    with pytest.raises(ValueError, match="preset"):
        GeneratorConfig(preset="huge")
