"""Exact next-token sampling done inside a logits processor, for greedy search to emit.

``transformers``' sampling path (``generate(do_sample=True)``) spends most of a small
model's generation on CPU in ``torch.multinomial`` and in the full sort of every step's
scores that its top-p warper makes. :class:`TokenSampler` draws the token itself, from
the same distribution, and returns scores whose only finite entry is the token drawn;
greedy search (``do_sample=False``) then emits exactly that token.

* **Draw**: inverse-CDF sampling, one float64 uniform number per row, in two levels:
  a block of :data:`BLOCK` tokens from the float64 cumulative block sums of
  ``exp((scores - max) / temperature)``, then a token inside the block from its own
  cumulative sum (vocabulary order; the order does not matter to the distribution, so
  nothing is sorted, and no full-width cumulative sum is needed). Banned tokens
  (``-inf``) weigh 0 and are never drawn. The Gumbel-max trick (Gumbel 1954; Maddison,
  Tarlow & Minka 2014), ``argmax(scores / T + G)``, is exact too but needs a uniform
  number and two logarithms per *token*: 2-3x slower than this on one CPU thread
  (``torch.multinomial``: about 7x).
* **Top-p** (nucleus sampling; Holtzman et al. 2020, "The Curious Case of Neural Text
  Degeneration"): the nucleus is the smallest set of most likely tokens whose mass
  reaches ``top_p``, i.e. the tokens ``x`` whose strictly more likely tokens hold less
  than ``top_p`` of the mass (tokens tied at its edge are all kept; the most likely
  token always is). It is sampled by rejection: draw ``x`` from the whole distribution,
  keep it when it is in the nucleus (one masked sum over the row), otherwise draw
  again. A draw from ``p`` kept only inside the nucleus ``N`` is a draw from ``p``
  restricted to ``N`` and renormalised, exactly; each round keeps a row with
  probability ``p(N) >= top_p``. Rows still rejected after ``max_rounds`` rounds take
  their token from the nucleus computed by sorting (:func:`nucleus_mask`), so the
  result is exact and the work bounded.
* **Top-k**: :class:`TopKFilter`, placed before the sampler, leaves the ``k`` largest
  scores (and ties with the k-th) finite; top-p then acts on what is left, as in
  ``transformers``.

Every random number comes from the ``torch.Generator`` given, so a seeded generator
gives the same tokens for the same scores.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import LogitsProcessor

MAX_ROUNDS = 8
BLOCK = 64
LOG_TINY = -80.0


def token_weights(scores: torch.Tensor, temperature: float = 1.0, block: int = 1) -> torch.Tensor:
    """``exp((scores - rowmax) / temperature)``: unnormalised probabilities, 0 where banned.

    Padded with zero weights to a multiple of ``block`` columns. Weights under
    ``exp(-80)`` of the row's largest (a probability below 2e-35) are 0: it keeps
    ``exp`` clear of subnormal floats, several times slower on CPU. Every row needs at
    least one finite score.
    """
    s = scores.float()
    top = s.amax(-1, keepdim=True)
    pad = -s.shape[-1] % block
    x = F.pad(s, (0, pad), value=float("-inf")).sub_(top) if pad else s - top
    if temperature != 1.0:
        x = x.div_(temperature)
    return F.threshold(x, LOG_TINY, float("-inf"), inplace=True).exp_()


def _last_positive(cum: torch.Tensor) -> torch.Tensor:
    """``(n, 1)``: each row's last entry with a positive weight (first to reach the total)."""
    return torch.searchsorted(cum, cum[:, -1:].contiguous())


def _draw(
    w3: torch.Tensor, bcum: torch.Tensor, rows: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """One token for each of ``rows`` by inverse CDF, in two levels: a block of ``w3``
    ``(B, blocks, BLOCK)`` from the float64 cumulative block weights ``bcum``, then a
    token inside it."""
    bc = bcum[rows]
    u = torch.rand(len(rows), 1, dtype=torch.float64, device=bc.device, generator=generator)
    u = u.mul_(bc[:, -1:])
    # first block (then token) whose cumulative weight exceeds u, never past the last
    # positive one (u can round up to the total)
    blk = torch.minimum(torch.searchsorted(bc, u, right=True), _last_positive(bc))
    below = torch.where(blk > 0, bc.gather(1, (blk - 1).clamp_(min=0)), 0.0)
    cum = w3[rows, blk.squeeze(1)].cumsum(-1, dtype=torch.float64)
    tok = torch.minimum(torch.searchsorted(cum, u - below, right=True), _last_positive(cum))
    return (blk * w3.shape[-1] + tok).squeeze(1)


def _block_cumsum(w3: torch.Tensor) -> torch.Tensor:
    return w3.sum(-1, dtype=torch.float64).cumsum_(-1)


def _in_nucleus(
    w: torch.Tensor, tokens: torch.Tensor, rows: torch.Tensor, mass: torch.Tensor, top_p: float
) -> torch.Tensor:
    """Whether each of ``rows``' token has less than ``top_p`` of its row's ``mass`` on
    strictly heavier tokens."""
    wx = w[rows, tokens[rows]].unsqueeze(1)
    sub = w if len(rows) == len(w) else w[rows]
    # sign(w - wx) clamped at 0 is the mask w > wx (several times faster than torch.where)
    above = (sub - wx).sign_().clamp_(min=0.0).mul_(sub).sum(-1, dtype=torch.float64)
    return above < top_p * mass[rows]


def nucleus_mask(w: torch.Tensor, top_p: float) -> torch.Tensor:
    """The top-p nucleus of each row of non-negative weights ``w``, by sorting (exact).

    ``True`` on the tokens whose strictly heavier tokens hold less than ``top_p`` of
    the row's mass: the smallest set of heaviest tokens that reaches ``top_p``, plus any
    token tied with its lightest member. Zero weights are never in it.
    """
    sw, _ = w.sort(-1, descending=True)
    csum = sw.cumsum(-1, dtype=torch.float64)
    before = csum - sw.double()
    keep = before < top_p * csum[:, -1:]
    edge = sw.gather(1, keep.sum(-1, keepdim=True) - 1)  # lightest kept weight (>= 1 kept)
    return (w >= edge) & (w > 0)


def sample_tokens(
    scores: torch.Tensor,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> torch.Tensor:
    """One token per row of ``scores`` ``(B, V)`` from ``softmax(scores / temperature)``
    restricted to its top-p nucleus: a ``(B,)`` long tensor. ``-inf`` is never drawn."""
    w = token_weights(scores, temperature, BLOCK)
    w3 = w.view(len(w), -1, BLOCK)
    bcum = _block_cumsum(w3)
    pending = torch.arange(len(w), device=w.device)
    tokens = _draw(w3, bcum, pending, generator)
    if top_p >= 1.0:
        return tokens
    mass = bcum[:, -1]
    for r in range(max_rounds):
        pending = pending[~_in_nucleus(w, tokens, pending, mass, top_p)]
        if pending.numel() == 0:
            return tokens
        if r + 1 < max_rounds:
            tokens[pending] = _draw(w3, bcum, pending, generator)
    # rare: the rows rejected every round are sampled from the sorted nucleus
    rest = w[pending]
    rest3 = (rest * nucleus_mask(rest, top_p)).view(len(rest), -1, BLOCK)
    everyone = torch.arange(len(rest), device=w.device)
    tokens[pending] = _draw(rest3, _block_cumsum(rest3), everyone, generator)
    return tokens


class TopKFilter(LogitsProcessor):
    """Leaves the ``top_k`` largest scores of each row (and ties with the k-th); the rest
    become ``-inf``."""

    def __init__(self, top_k: int) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        self.top_k = top_k

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        k = min(self.top_k, scores.shape[-1])
        kth = scores.topk(k, dim=-1).values[:, -1:]
        return scores.masked_fill(scores < kth, float("-inf"))  # type: ignore[return-value]


class TokenSampler(LogitsProcessor):
    """Draws each row's next token (:func:`sample_tokens`) and returns scores that are
    ``-inf`` except 0 at that token, so that greedy search emits the sample.

    The last processor of the list; the noise comes from ``generator`` (on the scores'
    device).
    """

    def __init__(self, temperature: float, top_p: float, generator: torch.Generator | None) -> None:
        self.temperature = temperature
        self.top_p = top_p
        self.generator = generator

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        tokens = sample_tokens(scores, self.temperature, self.top_p, self.generator)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, tokens.unsqueeze(1), 0.0)  # type: ignore[return-value]
