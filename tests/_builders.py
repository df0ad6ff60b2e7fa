"""Small builders the model and training tests share (imported as ``from _builders import``).

tests/ has no ``__init__.py``: pytest's default ``prepend`` import mode puts this folder on
``sys.path``, so a plain module here imports by its name.
"""

from __future__ import annotations

import numpy as np

from lossbalance.data import Cohort
from lossbalance.model import GeneratorConfig


def tiny_model(dropout: float = 0.0) -> GeneratorConfig:
    """A generator small enough for unit tests (d_model 16, 2 heads, 48 tokens)."""
    return GeneratorConfig(
        d_model=16, ffn_dim=32, attention_heads=2, max_length=48, dropout=dropout
    )


def tiny_model_doc(max_length: int) -> dict[str, int]:
    """The ``model`` section of a tiny experiment spec (d_model 16, one layer each)."""
    return {
        "d_model": 16,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "attention_heads": 2,
        "ffn_dim": 32,
        "max_length": max_length,
    }


def tiny_cohort(n: int = 40, n_codes: int = 12, seed: int = 0, max_visits: int = 3) -> Cohort:
    """A seeded cohort of ``n`` patients, 1 to ``max_visits`` visits of 1-3 distinct codes
    drawn from ``C0`` .. ``C{n_codes - 1}``, uniform ages in [0, 90), sexes alternating F, M.
    """
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        visits = [
            [f"C{c}" for c in rng.choice(n_codes, size=int(rng.integers(1, 4)), replace=False)]
            for _ in range(int(rng.integers(1, max_visits + 1)))
        ]
        recs.append({"age": float(rng.uniform(0, 90)), "sex": "FM"[i % 2], "visits": visits})
    return Cohort.from_records(recs)
