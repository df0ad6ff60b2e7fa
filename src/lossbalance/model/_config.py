"""The generator's size and loss-term settings (a pydantic model: bad values fail early)."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lossbalance.model._vocab import DEFAULT_AGE_BOUNDS


class GeneratorConfig(BaseModel):
    """Sizes of the BART encoder-decoder and the auxiliary terms.

    The defaults give about 1M parameters for a vocabulary of a few hundred codes and
    train on two CPU cores.

    Attributes:
        d_model: hidden size of encoder and decoder.
        encoder_layers, decoder_layers: transformer layers on each side.
        attention_heads: heads per attention block (must divide ``d_model``).
        ffn_dim: feed-forward inner size.
        dropout: dropout of hidden states and attention.
        max_length: longest decoder sequence in tokens (``<bos>`` and ``<eos>`` included);
            longer patients keep their first whole visits.
        age_groups: upper bounds of the age groups (years; the last group is open).
        min_count: training occurrences a code needs for its own token (else ``<unk>``).
        aux_pooling: ``mean``: the age/sex heads read the mean decoder hidden state of
            each patient; ``token``: every decoder position predicts them and the loss is
            averaged over positions.
        validity: add the ``validity`` term (probability mass on forbidden codes).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    d_model: int = Field(default=128, ge=8, le=4096)
    encoder_layers: int = Field(default=2, ge=1, le=48)
    decoder_layers: int = Field(default=2, ge=1, le=48)
    attention_heads: int = Field(default=4, ge=1, le=64)
    ffn_dim: int = Field(default=256, ge=8, le=16384)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_length: int = Field(default=256, ge=8, le=8192)
    age_groups: tuple[float, ...] = Field(default=DEFAULT_AGE_BOUNDS, min_length=1)
    min_count: int = Field(default=1, ge=1)
    aux_pooling: Literal["mean", "token"] = "mean"
    validity: bool = False

    @field_validator("age_groups")
    @classmethod
    def _increasing(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= 0 for b in v) or any(b2 <= b1 for b1, b2 in itertools.pairwise(v)):
            raise ValueError("age group bounds must be positive and strictly increasing")
        return v

    @model_validator(mode="after")
    def _heads_divide(self) -> GeneratorConfig:
        if self.d_model % self.attention_heads:
            raise ValueError(
                f"attention_heads ({self.attention_heads}) must divide d_model ({self.d_model})"
            )
        return self

    def terms(self) -> tuple[str, ...]:
        """The loss terms the forward pass returns."""
        return ("lm", "age", "sex", "validity") if self.validity else ("lm", "age", "sex")
