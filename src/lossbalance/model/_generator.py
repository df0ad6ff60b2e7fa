"""The PromptEHR-style generator: a fresh BART encoder-decoder plus age and sex heads.

The encoder reads a two-token demographic prompt (``<age:g> <sex:s>``); the decoder
writes the patient's visits, one code token at a time, ``</v>`` closing each visit
and ``<eos>`` closing the patient (Wang & Sun 2022, "PromptEHR: Conditional
Electronic Healthcare Records Generation with Prompt Learning", EMNLP). Two auxiliary
heads predict the patient's age group and sex from the decoder's hidden states under
teacher forcing; an optional ``validity`` term is the probability mass the next-code
distribution puts on codes the clinical rules forbid for the patient.

BART (Lewis et al. 2020) comes from ``transformers`` on a fresh :class:`BartConfig`;
nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BartConfig, BartForConditionalGeneration

from lossbalance.data import SEXES
from lossbalance.model._config import GeneratorConfig
from lossbalance.model._encode import IGNORE_INDEX, Batch
from lossbalance.model._vocab import BOS, EOS, PAD, Vocabulary


def bart_config(config: GeneratorConfig, vocab_size: int) -> BartConfig:
    """The :class:`BartConfig` of a generator of this size."""
    return BartConfig(
        vocab_size=vocab_size,
        d_model=config.d_model,
        encoder_layers=config.encoder_layers,
        decoder_layers=config.decoder_layers,
        encoder_attention_heads=config.attention_heads,
        decoder_attention_heads=config.attention_heads,
        encoder_ffn_dim=config.ffn_dim,
        decoder_ffn_dim=config.ffn_dim,
        max_position_embeddings=config.max_length,
        dropout=config.dropout,
        attention_dropout=config.dropout,
        activation_dropout=0.0,
        encoder_layerdrop=0.0,
        decoder_layerdrop=0.0,
        pad_token_id=PAD,
        bos_token_id=BOS,
        eos_token_id=EOS,
        decoder_start_token_id=BOS,
        forced_eos_token_id=EOS,
        scale_embedding=False,
        tie_word_embeddings=True,
    )


class Generator(nn.Module):
    """BART plus the age-group and sex heads; :meth:`forward` returns every loss term.

    Args:
        config: sizes and loss-term settings.
        vocab: the vocabulary the model reads and writes (its fingerprint is kept).
    """

    def __init__(self, config: GeneratorConfig, vocab: Vocabulary) -> None:
        super().__init__()
        if tuple(config.age_groups) != tuple(vocab.age_bounds):
            raise ValueError("config.age_groups and the vocabulary's age groups differ")
        self.config = config
        self.vocab = vocab
        self.vocab_fingerprint = vocab.fingerprint()
        self.bart = BartForConditionalGeneration(bart_config(config, len(vocab)))
        self.age_head = nn.Linear(config.d_model, vocab.n_age_groups)
        self.sex_head = nn.Linear(config.d_model, len(SEXES))

    @property
    def terms(self) -> tuple[str, ...]:
        """The loss terms :meth:`forward` returns."""
        return self.config.terms()

    @property
    def device(self) -> torch.device:
        return self.bart.device

    def num_parameters(self) -> int:
        """Distinct trainable parameters (tied embeddings counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def shared_parameters(self) -> list[nn.Parameter]:
        """The last layer that every loss term shares (what GradNorm-style schedulers use).

        This is the output projection (``fc2``, weight and bias) of the decoder's last
        layer: the last weight matrix before the hidden states that the language-model
        head, the age and sex heads and the validity term all read (only that layer's
        residual add and layer norm follow it).
        """
        return list(self.bart.model.decoder.layers[-1].fc2.parameters())

    def hidden_and_logits(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder hidden states ``(B, T, d)`` and next-token logits ``(B, T, V)``."""
        out = self.bart.model(
            input_ids=batch["input_ids"],
            decoder_input_ids=batch["decoder_input_ids"],
            use_cache=False,
        )
        hidden = out.last_hidden_state
        logits = self.bart.lm_head(hidden) + self.bart.final_logits_bias
        return hidden, logits

    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Each loss term separately: ``lm``, ``age``, ``sex`` (and ``validity``).

        ``lm`` is the mean next-token cross-entropy over real (non-pad) positions;
        ``age`` and ``sex`` are cross-entropies of the heads (see
        :attr:`GeneratorConfig.aux_pooling`); ``validity`` is the mean, over real
        positions, of the probability the next-token distribution gives to codes in
        ``batch["forbidden"]`` (``(B, V)``, True where the code conflicts with the
        patient's age or sex).
        """
        hidden, logits = self.hidden_and_logits(batch)
        labels = batch["labels"]
        valid = labels != IGNORE_INDEX
        losses: dict[str, torch.Tensor] = {
            "lm": F.cross_entropy(
                logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX
            ),
        }
        vf = valid.to(hidden.dtype)
        if self.config.aux_pooling == "mean":
            pooled = (hidden * vf.unsqueeze(-1)).sum(1) / vf.sum(1).clamp(min=1.0).unsqueeze(-1)
            losses["age"] = F.cross_entropy(self.age_head(pooled), batch["age_group"])
            losses["sex"] = F.cross_entropy(self.sex_head(pooled), batch["sex"])
        else:
            h = hidden[valid]
            rows = valid.nonzero()[:, 0]
            losses["age"] = F.cross_entropy(self.age_head(h), batch["age_group"][rows])
            losses["sex"] = F.cross_entropy(self.sex_head(h), batch["sex"][rows])
        if self.config.validity:
            if "forbidden" not in batch:
                raise ValueError("the validity term needs batch['forbidden'] (clinical edits)")
            probs = logits.softmax(-1)
            mass = (probs * batch["forbidden"].unsqueeze(1).to(probs.dtype)).sum(-1)
            losses["validity"] = (mass * vf).sum() / vf.sum().clamp(min=1.0)
        return losses

    def extra_state(self) -> dict[str, Any]:
        """What a checkpoint needs besides ``state_dict()`` to rebuild this model."""
        return {"config": self.config.model_dump(mode="json"), "vocab": self.vocab.to_dict()}
