"""Cohort -> padded token tensors, training batches and per-patient forbidden-code masks.

Everything here is vectorised over the columnar cohort (no loop per patient, visit or
code).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import AGE_MAX, AGE_MIN, SEX_ANY, CodeEdits
from lossbalance.data import Cohort
from lossbalance.model._vocab import BOS, EOS, PAD, SEP, Vocabulary, age_groups

IGNORE_INDEX = -100
"""Label value that the language-modelling loss skips (padding)."""


@dataclass(frozen=True, eq=False)
class EncodedCohort:
    """A cohort as token matrices.

    Attributes:
        prompt: ``(N, 2)`` encoder ids ``[<age:g>, <sex:s>]``.
        tokens: ``(N, L)`` decoder sequences ``<bos> ... <eos>`` padded with ``<pad>``.
        lengths: ``(N,)`` tokens per sequence (``<bos>`` and ``<eos>`` included).
        age: ``(N,)`` ages in years; ``age_group``: ``(N,)``; ``sex``: ``(N,)`` 0 = F, 1 = M.
    """

    prompt: npt.NDArray[np.int64]
    tokens: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    age: npt.NDArray[np.float64]
    age_group: npt.NDArray[np.int64]
    sex: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def n_tokens(self) -> int:
        """Predicted tokens (labels) over all patients: ``sum(lengths - 1)``."""
        return int((self.lengths - 1).sum())


def encode_cohort(cohort: Cohort, vocab: Vocabulary, max_length: int) -> EncodedCohort:
    """Write every patient as ``<bos> visit </v> visit </v> ... <eos>``, at most ``max_length``.

    Empty visits are dropped. A patient longer than ``max_length`` keeps its first whole
    visits that fit; a single visit longer than ``max_length - 3`` keeps its first codes.
    """
    if max_length < 4:
        raise LossbalanceError(f"max_length: must be at least 4, got {max_length}")
    n = cohort.n_patients
    cap = max_length - 3
    cpv = cohort.codes_per_visit()
    idx_in_visit = np.arange(cohort.n_codes, dtype=np.int64) - np.repeat(
        cohort.code_offsets[:-1], cpv
    )
    kept_codes = np.minimum(cpv, cap)
    vlen = np.where(cpv > 0, kept_codes + 1, 0)
    # end of each visit within its patient (cumulative over the patient's visits)
    csum0 = np.concatenate([[0], np.cumsum(vlen)])
    cum_end = csum0[1:] - np.repeat(csum0[cohort.visit_offsets[:-1]], cohort.visits_per_patient())
    keep_visit = (cpv > 0) & (cum_end <= max_length - 2)
    vstart = cum_end - vlen
    visit_patient = cohort.visit_patient()

    code_visit = cohort.code_visit()
    keep_code = keep_visit[code_visit] & (idx_in_visit < cap)
    kv = code_visit[keep_code]
    tok_of_row = vocab.token_of_row(cohort.code_table)

    plen = 2 + np.bincount(visit_patient[keep_visit], weights=vlen[keep_visit], minlength=n).astype(
        np.int64
    )
    width = int(plen.max()) if n else 2
    tokens = np.full((n, width), PAD, dtype=np.int64)
    tokens[:, 0] = BOS
    tokens[visit_patient[kv], 1 + vstart[kv] + idx_in_visit[keep_code]] = tok_of_row[
        cohort.codes[keep_code]
    ]
    sv = np.flatnonzero(keep_visit)
    tokens[visit_patient[sv], vstart[sv] + vlen[sv]] = SEP
    tokens[np.arange(n), plen - 1] = EOS
    return EncodedCohort(
        prompt=vocab.prompt(cohort.age, cohort.sex),
        tokens=tokens,
        lengths=plen,
        age=cohort.age.copy(),
        age_group=age_groups(cohort.age, vocab.age_bounds),
        sex=cohort.sex.astype(np.int64),
    )


def token_edits(vocab: Vocabulary, edits: CodeEdits) -> CodeEdits:
    """The edits of every token id (specials and prompt tokens carry none).

    ``edits`` holds one row per row of ``vocab.code_table`` (what
    ``RuleSet.edits_for(vocab.code_table)`` returns).
    """
    if len(edits.min_age) != len(vocab.code_table):
        raise LossbalanceError(
            f"edits: {len(edits.min_age)} rows for a code table of {len(vocab.code_table)}"
        )
    v, off, rows = len(vocab), vocab.code_offset, vocab.code_rows
    min_age = np.full(v, AGE_MIN, dtype=np.int16)
    max_age = np.full(v, AGE_MAX, dtype=np.int16)
    sex_only = np.full(v, SEX_ANY, dtype=np.int8)
    edit_type = np.full(v, "", dtype=edits.edit_type.dtype if len(edits.edit_type) else np.str_)
    min_age[off:] = edits.min_age[rows]
    max_age[off:] = edits.max_age[rows]
    sex_only[off:] = edits.sex_only[rows]
    if len(edits.edit_type):
        edit_type[off:] = edits.edit_type[rows]
    return CodeEdits(min_age, max_age, sex_only, edit_type)


def forbidden_mask(
    tok_edits: CodeEdits, ages: npt.ArrayLike, sexes: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """``(N, V)``: True where token ``v`` conflicts with patient ``n``'s age or sex."""
    a = np.asarray(ages, dtype=np.float64)[:, None]
    s = np.asarray(sexes, dtype=np.int64)[:, None]
    rows = np.arange(len(tok_edits.min_age))[None, :]
    return tok_edits.age_conflict(rows, a) | tok_edits.sex_conflict(rows, s)


def forbidden_groups(
    tok_edits: CodeEdits, ages: npt.ArrayLike, sexes: npt.ArrayLike
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The forbidden-code mask once per demographic group: ``(table (G, V), group (N,))``.

    A code's age edit compares the whole years of the age (capped at ``AGE_MAX``), so
    patients with the same whole years and sex share their mask:
    ``table[group] == forbidden_mask(tok_edits, ages, sexes)``, with ``G`` at most
    ``2 * (AGE_MAX + 1)`` rows instead of one per patient.
    """
    a = np.asarray(ages, dtype=np.float64)
    s = np.asarray(sexes, dtype=np.int64)
    whole = np.minimum(np.floor(a), AGE_MAX).astype(np.int64)
    key = whole * 2 + s
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    table = forbidden_mask(tok_edits, a[first], s[first])
    return table, group.astype(np.int64).reshape(-1)


def padding_share(lengths: npt.NDArray[np.int64], batches: list[npt.NDArray[np.int64]]) -> float:
    """Share of the label positions of ``batches`` that are padding (0 = none).

    A batch of patients ``rows`` is trimmed to its longest sequence: it has
    ``len(rows) * (max length - 1)`` label positions, ``sum(length - 1)`` of them real.
    """
    if not batches:
        return 0.0
    sizes = np.array([len(b) for b in batches], dtype=np.int64)
    flat = np.concatenate(batches)
    lens = lengths[flat] - 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    widths = np.maximum.reduceat(lens, starts)
    total = int((sizes * widths).sum())
    return 1.0 - int(lens.sum()) / total if total else 0.0


Batch = dict[str, torch.Tensor]


class BatchMaker:
    """Training batches from an :class:`EncodedCohort`, on a device, in a seeded order.

    **Order.** With ``group_by_length`` (the default), epoch ``e`` draws
    ``rng = default_rng([seed, e])``, a permutation of the patients, cuts it into
    windows of ``group_batches * batch_size`` patients, sorts each window by token
    length (a stable sort: ties keep their random order), cuts it into batches and
    shuffles the batches (``rng.permutation``). Every patient is in exactly one batch;
    patients of a batch have similar lengths, so little of it is padding (the idea of
    ``transformers``' ``LengthGroupedSampler`` and fairseq's length buckets, with the
    randomness of a window and of the batch order kept). Without it, the batches are
    consecutive slices of ``rng.permutation(N)``. The order depends on nothing but the
    seed and the epoch, so a resumed run, also one resumed mid-epoch
    (``batches(seed, epoch, start=k)``), sees the same batches.

    **Transfers.** On CUDA the host tensors of a batch are pinned and copied with
    ``non_blocking=True``; the forbidden-code mask is one row per demographic group
    (:func:`forbidden_groups`), kept on the device, indexed by the batch's groups.
    """

    def __init__(
        self,
        encoded: EncodedCohort,
        batch_size: int,
        device: torch.device | str = "cpu",
        tok_edits: CodeEdits | None = None,
        *,
        group_by_length: bool = True,
        group_batches: int = 64,
    ) -> None:
        if batch_size < 1:
            raise LossbalanceError(f"batch_size: must be at least 1, got {batch_size}")
        if group_batches < 1:
            raise LossbalanceError(f"group_batches: must be at least 1, got {group_batches}")
        self.encoded = encoded
        self.batch_size = batch_size
        self.group_by_length = group_by_length
        self.group_batches = group_batches
        self.device = torch.device(device)
        self._pin = self.device.type == "cuda"
        self._prompt = torch.from_numpy(encoded.prompt)
        self._tokens = torch.from_numpy(encoded.tokens)
        self._lengths = torch.from_numpy(encoded.lengths)
        self._age_group = torch.from_numpy(encoded.age_group)
        self._sex = torch.from_numpy(encoded.sex)
        self._forbidden_table: torch.Tensor | None = None
        self._group: torch.Tensor | None = None
        if tok_edits is not None:
            table, group = forbidden_groups(tok_edits, encoded.age, encoded.sex)
            self._forbidden_table = torch.from_numpy(table).to(self.device)
            self._group = torch.from_numpy(group)

    def __len__(self) -> int:
        return -(-len(self.encoded) // self.batch_size)

    def order(self, seed: int, epoch: int | None) -> npt.NDArray[np.int64]:
        """Patient order of an epoch, the batches one after another (``epoch=None``:
        the validation order, by length when grouping, else as stored)."""
        plan = self.plan(seed, epoch)
        return np.concatenate(plan) if plan else np.zeros(0, dtype=np.int64)

    def plan(self, seed: int, epoch: int | None) -> list[npt.NDArray[np.int64]]:
        """The patients of every batch of an epoch, in the order they are trained on."""
        n, bs = len(self.encoded), self.batch_size
        lengths = self.encoded.lengths
        if epoch is None:
            order = (
                np.argsort(lengths, kind="stable").astype(np.int64)
                if self.group_by_length
                else np.arange(n, dtype=np.int64)
            )
            return [order[i : i + bs] for i in range(0, n, bs)]
        rng = np.random.default_rng([seed, epoch])
        perm = rng.permutation(n).astype(np.int64)
        if not self.group_by_length:
            return [perm[i : i + bs] for i in range(0, n, bs)]
        window = np.arange(n, dtype=np.int64) // (bs * self.group_batches)
        grouped = perm[np.lexsort((lengths[perm], window))]
        batches = [grouped[i : i + bs] for i in range(0, n, bs)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def padding_share(self, seed: int, epoch: int | None) -> float:
        """Share of an epoch's label positions that are padding."""
        return padding_share(self.encoded.lengths, self.plan(seed, epoch))

    def batch(self, rows: npt.NDArray[np.int64]) -> Batch:
        """The batch of patients ``rows`` (trimmed to its longest sequence)."""
        idx = torch.from_numpy(np.ascontiguousarray(rows))
        width = int(self._lengths[idx].max())
        seq = self._tokens[idx, :width]
        labels = seq[:, 1:].clone()
        labels[labels == PAD] = IGNORE_INDEX
        out: Batch = {
            "input_ids": self._prompt[idx],
            "decoder_input_ids": seq[:, :-1],
            "labels": labels,
            "age_group": self._age_group[idx],
            "sex": self._sex[idx],
        }
        if self._group is not None:
            out["forbidden_group"] = self._group[idx]
        if self._pin:
            out = {k: v.contiguous().pin_memory() for k, v in out.items()}
        nb = self.device.type != "cpu"
        moved = {k: v.to(self.device, non_blocking=nb) for k, v in out.items()}
        if self._forbidden_table is not None:
            moved["forbidden_table"] = self._forbidden_table
        return moved

    def batches(self, seed: int = 0, epoch: int | None = None, start: int = 0) -> Iterator[Batch]:
        """The batches of an epoch from batch ``start`` on (a mid-epoch resume)."""
        for rows in self.plan(seed, epoch)[start:]:
            yield self.batch(rows)
