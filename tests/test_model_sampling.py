"""The exact next-token sampler (``lossbalance.model._sampling``) and its use in generation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from _builders import tiny_cohort, tiny_model
from lossbalance.model import EOS, Generator, SamplingConfig, Vocabulary, generate
from lossbalance.model._sampling import (
    TokenSampler,
    TopKFilter,
    nucleus_mask,
    sample_tokens,
    token_weights,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

INF = float("-inf")
N_DRAWS = 20_000
DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
    ),
]


def draws(
    logits: list[float],
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
    device: str = "cpu",
    **kwargs: int,
) -> np.ndarray:
    """Token counts of ``N_DRAWS`` draws from one logits row (as many rows of a batch)."""
    scores = torch.tensor([logits], device=device).expand(N_DRAWS, -1).contiguous()
    g = torch.Generator(device=device).manual_seed(seed)
    tokens = sample_tokens(scores, temperature, top_p, g, **kwargs)
    return np.bincount(tokens.cpu().numpy(), minlength=len(logits))


def target(logits: list[float], temperature: float, keep: list[int] | None = None) -> np.ndarray:
    """softmax(logits / T), restricted to ``keep`` and renormalised (exact, float64)."""
    p = np.exp(np.array(logits, dtype=np.float64) / temperature)
    if keep is not None:
        p[[i for i in range(len(p)) if i not in keep]] = 0.0
    return p / p.sum()


def assert_matches(counts: np.ndarray, p: np.ndarray) -> None:
    """Nothing outside p's support, and a chi-square test that does not reject p."""
    assert counts[p == 0].sum() == 0
    obs, exp = counts[p > 0], p[p > 0] * counts.sum()
    if len(obs) == 1:
        return
    assert exp.min() >= 5  # the chi-square approximation holds
    pvalue = stats.chisquare(obs, exp).pvalue
    assert pvalue > 1e-3, (obs, exp.round(1), pvalue)


LOGITS = [1.2, 0.3, INF, -0.5, 2.0, -1.5, INF, 0.0]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("temperature", [1.0, 0.7, 1.6])
def test_frequencies_match_softmax(temperature: float, device: str) -> None:
    assert_matches(draws(LOGITS, temperature, device=device), target(LOGITS, temperature))


# probabilities 0.4, 0.3, 0.15, 0.1, 0.05 (shuffled): the nucleus grows with top_p
PROBS = [0.1, 0.4, 0.05, 0.3, 0.15]
NUCLEI = [(0.3, [1]), (0.65, [1, 3]), (0.72, [1, 3, 4]), (0.9, [1, 3, 4, 0]), (1.0, None)]


@pytest.mark.parametrize(("top_p", "keep"), NUCLEI)
def test_top_p_keeps_exactly_the_nucleus(top_p: float, keep: list[int] | None) -> None:
    logits = [math.log(p) for p in PROBS]
    w = token_weights(torch.tensor([logits]))
    expected = torch.tensor([keep is None or i in keep for i in range(5)])
    assert torch.equal(nucleus_mask(w, top_p)[0], expected)
    assert_matches(draws(logits, top_p=top_p), target(logits, 1.0, keep))


def test_top_p_with_temperature_ties_and_bans() -> None:
    # T = 0.5 squares the probabilities: 16:9:4:1:1 of 31, then two banned tokens
    logits = [math.log(p) for p in (4.0, 3.0, 2.0, 1.0, 1.0)] + [INF, INF]
    w = token_weights(torch.tensor([logits]), 0.5)
    # 16/31 = 0.52 alone; 25/31 = 0.81 with the second; 29/31 = 0.94 with the third;
    # past that the two tied last tokens go in together
    assert nucleus_mask(w, 0.5)[0].tolist() == [True] + [False] * 6
    assert nucleus_mask(w, 0.8)[0].tolist() == [True, True] + [False] * 5
    assert nucleus_mask(w, 0.95)[0].tolist() == [True] * 5 + [False] * 2
    assert_matches(draws(logits, 0.5, 0.8), target(logits, 0.5, [0, 1]))
    assert_matches(draws(logits, 0.5, 0.95), target(logits, 0.5, [0, 1, 2, 3, 4]))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("max_rounds", [0, 1, 8])
def test_rejection_and_sorted_fallback_agree(max_rounds: int, device: str) -> None:
    """Rows rejected in every round fall back to the sorted nucleus: same distribution."""
    logits = [math.log(p) for p in PROBS]
    counts = draws(logits, top_p=0.72, device=device, max_rounds=max_rounds)
    assert_matches(counts, target(logits, 1.0, [1, 3, 4]))


def test_top_k_filter_keeps_the_k_largest_and_ties() -> None:
    scores = torch.tensor([[0.5, 3.0, INF, 2.0, 1.0, 2.0], [1.0, 0.0, -1.0, -2.0, -3.0, -4.0]])
    out = TopKFilter(2)(torch.zeros(2, 1, dtype=torch.long), scores)
    assert torch.isfinite(out).tolist() == [
        [False, True, False, True, False, True],  # 3.0, and 2.0 twice (tied with the 2nd)
        [True, True, False, False, False, False],
    ]
    assert torch.equal(out[torch.isfinite(out)], scores[torch.isfinite(out)])
    assert torch.isfinite(TopKFilter(50)(torch.zeros(2, 1, dtype=torch.long), scores)).sum() == 11
    with pytest.raises(ValueError, match="top_k"):
        TopKFilter(0)
    # top-k then top-p on what is left (as transformers orders them)
    logits = [math.log(p) for p in PROBS]
    kept = TopKFilter(3)(torch.zeros(1, 1, dtype=torch.long), torch.tensor([logits]))
    counts = draws(kept[0].tolist(), top_p=0.75)  # 0.4, 0.3 of the 0.85 left: 0.47, 0.35
    assert_matches(counts, target(logits, 1.0, [1, 3]))


@pytest.mark.parametrize("device", DEVICES)
def test_banned_tokens_are_never_drawn(device: str) -> None:
    gen = torch.Generator(device=device).manual_seed(3)
    scores = torch.randn(500, 40, generator=gen, device=device) * 4
    banned = torch.rand(500, 40, generator=gen, device=device) < 0.8
    banned[:, EOS] = False
    banned[:50] = True  # rows where only <eos> is allowed
    banned[:50, EOS] = False
    scores = scores.masked_fill(banned, INF)
    for top_p in (1.0, 0.9, 0.3):
        for temperature in (0.5, 1.0, 3.0):
            tokens = sample_tokens(scores, temperature, top_p, gen)
            assert not bool(banned.gather(1, tokens.unsqueeze(1)).any())
            assert bool((tokens[:50] == EOS).all())
    # tokens far below the row's best (under exp(-80)) count as banned, not as subnormals
    far = torch.tensor([[0.0, -200.0, -500.0, -79.0]], device=device)
    assert token_weights(far)[0, 1:3].tolist() == [0.0, 0.0] and token_weights(far)[0, 3] > 0


@pytest.mark.parametrize("device", DEVICES)
def test_token_sampler_makes_greedy_emit_the_draw(device: str) -> None:
    scores = torch.tensor([LOGITS] * 64, device=device)
    ids = torch.zeros(64, 1, dtype=torch.long, device=device)
    out = TokenSampler(0.8, 0.9, torch.Generator(device=device).manual_seed(7))(ids, scores)
    expected = sample_tokens(scores, 0.8, 0.9, torch.Generator(device=device).manual_seed(7))
    assert torch.equal(out.argmax(-1), expected)
    assert bool((torch.isfinite(out).sum(-1) == 1).all()) and float(out.max()) == 0.0


def test_same_seed_same_tokens_other_seed_other_tokens() -> None:
    scores = torch.tensor([LOGITS] * 200)
    a = sample_tokens(scores, 1.0, 0.8, torch.Generator().manual_seed(1))
    b = sample_tokens(scores, 1.0, 0.8, torch.Generator().manual_seed(1))
    c = sample_tokens(scores, 1.0, 0.8, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_generate_with_filters_is_seeded_and_leaves_global_rng_alone() -> None:
    cohort = tiny_cohort(n=24)
    torch.manual_seed(0)
    model = Generator(tiny_model(), Vocabulary.build(cohort))
    sampling = SamplingConfig(temperature=0.8, top_k=6, top_p=0.8, max_visits=3, batch_size=9)
    state = torch.get_rng_state()
    g1 = generate(model, 20, reference=cohort, sampling=sampling, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    g2 = generate(model, 20, reference=cohort, sampling=sampling, seed=5)
    g3 = generate(model, 20, reference=cohort, sampling=sampling, seed=6)
    assert g1.equals(g2) and not g1.equals(g3)
    # the cache changes how the scores are computed, not the tokens drawn from them
    nocache = sampling.model_copy(update={"use_cache": False})
    g4 = generate(model, 20, reference=cohort, sampling=nocache, seed=5)
    assert np.array_equal(g4.codes, g1.codes) and g4.n_visits == g1.n_visits
