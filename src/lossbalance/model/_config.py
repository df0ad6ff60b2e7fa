"""The generator's size and loss-term settings (a pydantic model: bad values fail early)."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lossbalance.model._vocab import DEFAULT_AGE_BOUNDS

PRESETS: dict[str, dict[str, int]] = {
    "tiny": {
        "d_model": 128,
        "encoder_layers": 2,
        "decoder_layers": 2,
        "attention_heads": 4,
        "ffn_dim": 256,
    },
    "small": {
        "d_model": 384,
        "encoder_layers": 4,
        "decoder_layers": 4,
        "attention_heads": 6,
        "ffn_dim": 1536,
    },
    "base": {
        "d_model": 768,
        "encoder_layers": 6,
        "decoder_layers": 6,
        "attention_heads": 12,
        "ffn_dim": 3072,
    },
}
"""Model sizes: ``tiny`` (the default, 0.8M parameters on 300 codes), ``small`` (16.9M)
and ``base`` (the sizes of BART-base, Lewis et al. 2020, that PromptEHR uses: 99.9M on
300 codes, 140M with BART's own 50k-token vocabulary)."""


class GeneratorConfig(BaseModel):
    """Sizes of the BART encoder-decoder and the auxiliary terms.

    The defaults (``preset: tiny``) give about 1M parameters for a vocabulary of a few
    hundred codes and train on two CPU cores. ``preset`` fills the five size fields
    (``d_model``, layers, heads, ``ffn_dim``); a size field given explicitly wins.

    Attributes:
        preset: ``tiny``, ``small`` or ``base`` (see :data:`PRESETS`).
        d_model: hidden size of encoder and decoder.
        encoder_layers, decoder_layers: transformer layers on each side.
        attention_heads: heads per attention block (must divide ``d_model``).
        ffn_dim: feed-forward inner size.
        dropout: dropout of hidden states and attention.
        max_length: longest decoder sequence in tokens (``<bos>`` and ``<eos>`` included);
            longer patients keep their first whole visits.
        age_groups: upper bounds of the age groups (years; the last group is open).
        min_count: training occurrences a code needs for its own token (else ``<unk>``).
        aux_input: what the age/sex heads read. ``codes`` (default): a small classifier
            of the patient's codes alone (no path to the prompt), whose loss reaches the
            next-code distribution (see :class:`~lossbalance.model.Generator`).
            ``decoder_states (can read the prompt)``: the old heads on the decoder's
            hidden states, which attend to the demographic prompt, so their loss can
            fall without the generated codes changing.
        aux_hidden: width of the codes-only classifier.
        aux_pooling: with ``decoder_states``: ``mean``: the heads read the mean decoder
            hidden state of each patient; ``token``: every decoder position predicts
            them and the loss is averaged over positions.
        validity: add the ``validity`` term (probability mass on forbidden codes).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: Literal["tiny", "small", "base"] = "tiny"
    d_model: int = Field(default=128, ge=8, le=4096)
    encoder_layers: int = Field(default=2, ge=1, le=48)
    decoder_layers: int = Field(default=2, ge=1, le=48)
    attention_heads: int = Field(default=4, ge=1, le=64)
    ffn_dim: int = Field(default=256, ge=8, le=16384)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_length: int = Field(default=256, ge=8, le=8192)
    age_groups: tuple[float, ...] = Field(default=DEFAULT_AGE_BOUNDS, min_length=1)
    min_count: int = Field(default=1, ge=1)
    aux_input: Literal["codes", "decoder_states (can read the prompt)"] = "codes"
    aux_hidden: int = Field(default=64, ge=2, le=4096)
    aux_pooling: Literal["mean", "token"] = "mean"
    validity: bool = False

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") is not None:
            sizes = PRESETS.get(str(data["preset"]))
            if sizes is not None:
                return {**sizes, **data}
        return data

    @property
    def reads_prompt(self) -> bool:
        """Whether the auxiliary heads can read the demographic prompt (the old heads)."""
        return self.aux_input != "codes"

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
