"""Sampling synthetic patients from a trained generator.

Batched ancestral sampling with the key/value cache (``transformers``'
``GenerationMixin.generate`` in greedy mode), temperature, top-k and nucleus (top-p;
Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration") filtering. The
logits processors, in order: :class:`VisitRules` keeps the output well formed (no
empty visit, a patient ends only after a closed visit, optional limits on visits and
codes per visit, and, on by default, no code twice in one visit);
:class:`~lossbalance.model._sampling.TopKFilter` when ``top_k`` is set; then
:class:`~lossbalance.model._sampling.TokenSampler` draws each patient's next token
exactly from the filtered distribution (inverse CDF, top-p by rejection, noise from a
``torch.Generator`` seeded with ``seed``) and leaves only that token finite, so the
greedy argmax emits the sample. This is several times faster than ``transformers``'
own sampling (``torch.multinomial`` and a full sort per step for top-p); see
``bench/bench_generation.py``. The result is a :class:`~lossbalance.data.Cohort` on
the training cohort's code table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort, offsets_from_lengths
from lossbalance.model._generator import Generator
from lossbalance.model._sampling import TokenSampler, TopKFilter
from lossbalance.model._vocab import BOS, EOS, PAD, SEP, UNK, Vocabulary


class SamplingConfig(BaseModel):
    """How to sample patients.

    Attributes:
        temperature: softmax temperature (1 = the model's distribution).
        top_k: keep the k most likely tokens (0 = off).
        top_p: nucleus sampling mass (1 = off).
        forbid_duplicates: never write a code twice in one visit.
        max_visits: most visits per patient (None: as many as ``max_length`` allows).
        max_codes_per_visit: most codes per visit (None: no limit).
        max_length: longest decoder sequence (None: the model's ``max_length``).
        batch_size: patients sampled together.
        use_cache: reuse past keys/values (off only to measure its speed-up).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(default=1.0, gt=0.0, le=100.0)
    top_k: int = Field(default=0, ge=0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    forbid_duplicates: bool = True
    max_visits: int | None = Field(default=None, ge=1)
    max_codes_per_visit: int | None = Field(default=None, ge=1)
    max_length: int | None = Field(default=None, ge=4)
    batch_size: int = Field(default=256, ge=1)
    use_cache: bool = True


class VisitRules(LogitsProcessor):
    """Bans tokens that would make a malformed patient (a ``transformers`` logits processor).

    Always banned: ``<pad>``, ``<bos>``, ``<unk>`` and the prompt tokens. ``</v>`` is
    banned while the current visit is empty; ``<eos>`` is banned except right after a
    ``</v>``. With ``forbid_duplicates``, codes already in the current visit are banned;
    at ``max_codes_per_visit`` codes every code is; after ``max_visits`` visits only
    ``<eos>`` remains, as it does at the last position of ``max_length``.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        forbid_duplicates: bool = True,
        max_visits: int | None = None,
        max_codes_per_visit: int | None = None,
        max_length: int | None = None,
    ) -> None:
        self.max_length = max_length
        self.code_offset = vocab.code_offset
        self.vocab_size = len(vocab)
        self.forbid_duplicates = forbid_duplicates
        self.max_visits = max_visits
        self.max_codes = max_codes_per_visit
        self._always = torch.tensor(
            [PAD, BOS, UNK, *range(vocab.age_offset, vocab.code_offset)], dtype=torch.long
        )

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        # Writes -inf straight into a copy of the scores (a few columns, the current
        # visit's codes, whole rows only where a limit is reached): no (B, V) ban mask.
        b, t = input_ids.shape
        dev = input_ids.device
        neg = float("-inf")
        pos = torch.arange(t, device=dev)
        is_sep = input_ids == SEP
        # last visit boundary (the <bos> at position 0 opens the first visit)
        last = torch.where(is_sep | (pos == 0), pos, -1).amax(dim=1)
        in_visit = (pos.unsqueeze(0) > last.unsqueeze(1)) & (input_ids >= self.code_offset)
        n_cur = in_visit.sum(1)
        n_vis = is_sep.sum(1)
        empty = n_cur == 0
        out = scores.clone()
        eos = scores[:, EOS]
        self._always = self._always.to(dev)
        out.index_fill_(1, self._always, neg)
        if self.forbid_duplicates:  # the visit's codes; other positions point at <pad>
            out.scatter_(1, torch.where(in_visit, input_ids, PAD), neg)
        out[:, SEP].masked_fill_(empty, neg)
        out[:, EOS] = torch.where(empty & (n_vis > 0), eos, neg)
        if self.max_codes is not None:
            out[:, self.code_offset :].masked_fill_((n_cur >= self.max_codes).unsqueeze(1), neg)
        only_eos = None
        if self.max_visits is not None:
            only_eos = n_vis >= self.max_visits
        if self.max_length is not None and t >= self.max_length - 1:
            only_eos = torch.ones(b, dtype=torch.bool, device=dev)
        if only_eos is not None:
            out.masked_fill_(only_eos.unsqueeze(1), neg)
            out[:, EOS] = torch.where(only_eos, eos, out[:, EOS])
        # another processor banned all we allow: end the patient
        stuck = out.amax(1) == neg
        out[:, EOS] = torch.where(stuck, 0.0, out[:, EOS])
        return out  # type: ignore[return-value]


def sample_demographics(
    ages: npt.ArrayLike, sexes: npt.ArrayLike, n: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8]]:
    """Draw ``n`` (age, sex) pairs with replacement from the empirical joint distribution."""
    a = np.asarray(ages, dtype=np.float64)
    s = np.asarray(sexes, dtype=np.uint8)
    if a.size == 0:
        raise LossbalanceError("demographics: the reference cohort has no patients")
    pick = np.random.default_rng(seed).integers(0, a.size, size=n)
    return a[pick], s[pick]


def sequences_to_cohort(
    sequences: npt.NDArray[np.int64],
    vocab: Vocabulary,
    ages: npt.ArrayLike,
    sexes: npt.ArrayLike,
) -> Cohort:
    """Turn decoder outputs ``(N, T)`` (``<bos>`` first) into a cohort, vectorised.

    Tokens after the first ``<eos>`` are ignored; codes after the last ``</v>`` (a
    patient cut at the length limit) form a last visit.
    """
    seq = np.asarray(sequences, dtype=np.int64)
    n, t = seq.shape
    col = np.arange(t)
    is_eos = seq == EOS
    end = np.where(is_eos.any(1), is_eos.argmax(1), t)
    live = (col[None, :] < end[:, None]) & (col[None, :] > 0)
    is_sep = live & (seq == SEP)
    is_code = live & (seq >= vocab.code_offset)
    vloc = np.cumsum(is_sep, axis=1) - is_sep
    rows, cols = np.nonzero(is_code)  # row-major: patients, then positions, in order
    visit_key = rows * (t + 1) + vloc[rows, cols]
    keys, codes_per_visit = np.unique(visit_key, return_counts=True)
    visits_per_patient = np.bincount(keys // (t + 1), minlength=n)
    codes = vocab.code_rows[seq[rows, cols] - vocab.code_offset].astype(np.int32)
    return Cohort(
        age=np.asarray(ages, dtype=np.float64),
        sex=np.asarray(sexes, dtype=np.uint8),
        visit_offsets=offsets_from_lengths(visits_per_patient),
        code_offsets=offsets_from_lengths(codes_per_visit),
        codes=codes,
        code_table=vocab.code_table,
        patient_ids=np.char.add("syn", np.arange(n).astype(np.str_)),
    )


@torch.no_grad()
def generate_sequences(
    model: Generator,
    ages: npt.ArrayLike,
    sexes: npt.ArrayLike,
    sampling: SamplingConfig,
    seed: int,
) -> npt.NDArray[np.int64]:
    """Sample decoder sequences ``(N, T)`` for the given demographics (padded with ``<pad>``)."""
    vocab = model.vocab
    a = np.asarray(ages, dtype=np.float64)
    s = np.asarray(sexes, dtype=np.int64)
    if a.shape != s.shape:
        raise LossbalanceError("demographics: ages and sexes differ in length")
    prompt = torch.from_numpy(vocab.prompt(a, s))
    max_length = min(sampling.max_length or model.config.max_length, model.config.max_length)
    rules = VisitRules(
        vocab,
        sampling.forbid_duplicates,
        sampling.max_visits,
        sampling.max_codes_per_visit,
        max_length,
    )
    dev = model.device
    generator = torch.Generator(device=dev)
    generator.manual_seed(seed)
    processors: list[LogitsProcessor] = [rules]
    if sampling.top_k:
        processors.append(TopKFilter(sampling.top_k))
    processors.append(TokenSampler(sampling.temperature, sampling.top_p, generator))
    # greedy search emits the token TokenSampler drew (see _sampling.py)
    gen_config = GenerationConfig(
        do_sample=False,
        max_length=max_length,
        num_beams=1,
        use_cache=sampling.use_cache,
        pad_token_id=PAD,
        bos_token_id=BOS,
        eos_token_id=EOS,
        decoder_start_token_id=BOS,
    )
    was_training = model.training
    model.eval()
    chunks: list[npt.NDArray[np.int64]] = []
    try:
        for start in range(0, len(a), sampling.batch_size):
            ids = prompt[start : start + sampling.batch_size].to(dev)
            out = model.bart.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                generation_config=gen_config,
                logits_processor=LogitsProcessorList(processors),
            )
            chunks.append(out.cpu().numpy())
    finally:
        model.train(was_training)
    width = max((c.shape[1] for c in chunks), default=1)
    return (
        np.concatenate(
            [np.pad(c, ((0, 0), (0, width - c.shape[1])), constant_values=PAD) for c in chunks]
        )
        if chunks
        else np.zeros((0, 1), dtype=np.int64)
    )


def generate(
    model: Generator,
    n_patients: int,
    *,
    reference: Cohort | None = None,
    demographics: tuple[Sequence[float] | npt.ArrayLike, Sequence[int] | npt.ArrayLike]
    | None = None,
    sampling: SamplingConfig | None = None,
    seed: int = 0,
) -> Cohort:
    """Sample ``n_patients`` synthetic patients as a cohort.

    Demographics come from ``demographics`` (ages, sexes: given explicitly, one per
    patient) or are drawn with replacement from ``reference``'s joint (age, sex)
    distribution (usually the training cohort). The same model, settings and seed give
    the same cohort on CPU.
    """
    if n_patients < 0:
        raise LossbalanceError(f"patients: must be non-negative, got {n_patients}")
    sampling = sampling or SamplingConfig()
    if demographics is not None:
        ages = np.asarray(demographics[0], dtype=np.float64)
        sexes = np.asarray(demographics[1], dtype=np.uint8)
        if len(ages) != n_patients or len(sexes) != n_patients:
            raise LossbalanceError(
                f"demographics: {len(ages)} ages and {len(sexes)} sexes for {n_patients} patients"
            )
    elif reference is not None:
        ages, sexes = sample_demographics(reference.age, reference.sex, n_patients, seed)
    else:
        raise LossbalanceError(
            "generate: give demographics or a reference cohort to draw them from"
        )
    seqs = generate_sequences(model, ages, sexes, sampling, seed)
    return sequences_to_cohort(seqs, model.vocab, ages, sexes)
