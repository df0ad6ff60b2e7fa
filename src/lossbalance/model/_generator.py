"""The PromptEHR-style generator: a fresh BART encoder-decoder plus age and sex heads.

The encoder reads a two-token demographic prompt (``<age:g> <sex:s>``); the decoder
writes the patient's visits, one code token at a time, ``</v>`` closing each visit
and ``<eos>`` closing the patient (Wang & Sun 2022, "PromptEHR: Conditional
Electronic Healthcare Records Generation with Prompt Learning", EMNLP). Two auxiliary
terms ask that the patient's age group and sex be readable from the *codes alone*
(see :class:`Generator`); an optional ``validity`` term is the probability mass the
next-code distribution puts on codes the clinical rules forbid for the patient.

BART (Lewis et al. 2020) comes from ``transformers`` on a fresh :class:`BartConfig`;
nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from transformers import BartConfig, BartForConditionalGeneration

from lossbalance._errors import LossbalanceError
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


class CodeClassifier(nn.Module):
    """Age group and sex from a distribution over code tokens, with no path to the prompt.

    The input ``x`` ``(B, C)`` holds, for each code token, its share of the patient's
    real decoder positions (a bag of codes, or its expectation under the model). The
    classifier embeds it (``x @ E``, its own code embedding ``E``: the mean code
    embedding), normalises, applies one GELU layer and two linear outputs.
    """

    def __init__(self, n_codes: int, hidden: int, n_age: int, n_sex: int) -> None:
        super().__init__()
        self.embed = nn.Linear(n_codes, hidden, bias=False)
        self.norm = nn.LayerNorm(hidden)
        self.hidden = nn.Linear(hidden, hidden)
        self.age = nn.Linear(hidden, n_age)
        self.sex = nn.Linear(hidden, n_sex)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.gelu(self.hidden(self.norm(self.embed(x))))
        return self.age(h), self.sex(h)


class Generator(nn.Module):
    """BART plus the age-group and sex terms; :meth:`forward` returns every loss term.

    **Heads that see only the codes** (``aux_input: codes``, the default). The age and
    sex terms exist to make the *generated codes* carry the patient's demographics, so
    their heads must not be able to read the demographics anywhere else. The first
    heads read the decoder's hidden states, which attend to the encoder's two-token
    prompt ``<age:g> <sex:s>``: they learned to copy the prompt (flipping the prompt's
    sex token flipped the sex head's prediction for every patient) and their loss fell
    without the codes changing. Here a :class:`CodeClassifier` with no attention at all
    reads a bag of codes (each code token's share of the real positions):

    * its **predictions** (:meth:`predict_demographics`) read the patient's actual code
      sequence (the labels), so they depend on the codes alone, exactly;
    * the **term** is its cross-entropy on the *expected* bag of codes under the
      model's next-token distribution (``softmax(logits)`` restricted to code tokens,
      pooled over real positions; times the classifier's embedding this is the
      expected code embedding), with the classifier's parameters held fixed: the
      gradient reaches only the next-code distribution, so raising the weight moves
      what is generated towards codes that reveal the right age group and sex;
    * the classifier itself learns on the **real** codes: the term adds
      ``ce_real - detach(ce_real)``, which is exactly 0 in value and gives the
      classifier (and only it) the gradient of its cross-entropy on the real bag of
      codes. Trained on real codes, it cannot agree with the generator on a private
      signal (a faint probability pattern that sampled codes would not show); it can
      only reward code mixes that real patients of that age and sex have.

    The term's value is therefore how well a real-code classifier reads the patient's
    demographics from the model's expected codes, and it can only fall by changing the
    next-code distribution. This is the soft relaxation of scoring sampled sequences
    (Jang et al. 2017 and Maddison et al. 2017 relax a sample the same way, with a
    temperature; the expectation is its zero-variance limit), with the discriminator
    trained on real data as in GAN-style auxiliary classifiers (Odena et al. 2017,
    "Conditional Image Synthesis with Auxiliary Classifier GANs").

    ``aux_input: "decoder_states (can read the prompt)"`` keeps the old heads (linear
    layers on the decoder's hidden states; ``aux_pooling``) for comparison.

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
        self.age_head: nn.Linear | None = None
        self.sex_head: nn.Linear | None = None
        self.code_head: CodeClassifier | None = None
        if config.reads_prompt:
            self.age_head = nn.Linear(config.d_model, vocab.n_age_groups)
            self.sex_head = nn.Linear(config.d_model, len(SEXES))
        else:
            self.code_head = CodeClassifier(
                vocab.n_codes, config.aux_hidden, vocab.n_age_groups, len(SEXES)
            )

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
        head reads, and through its logits the age, sex and validity terms (only that
        layer's residual add and layer norm follow it).
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
        ``age`` and ``sex`` are the auxiliary cross-entropies (see the class docstring
        and :attr:`GeneratorConfig.aux_input`); ``validity`` is the mean, over real
        positions, of the probability the next-token distribution gives to codes
        forbidden for the patient (``batch["forbidden"]`` ``(B, V)``, or
        ``batch["forbidden_table"]`` ``(G, V)`` indexed by ``batch["forbidden_group"]``).
        """
        hidden, logits = self.hidden_and_logits(batch)
        return self.loss_terms(batch, hidden, logits)

    def code_bag(self, batch: Batch) -> torch.Tensor:
        """``(B, C)``: each code token's share of the patient's real decoder positions."""
        labels = batch["labels"]
        off = self.vocab.code_offset
        valid = labels != IGNORE_INDEX
        is_code = labels >= off
        n = valid.sum(1, keepdim=True).clamp(min=1)
        bag = torch.zeros(labels.shape[0], self.vocab.n_codes, device=labels.device)
        idx = torch.where(is_code, labels - off, 0)
        bag.scatter_add_(1, idx, is_code.to(bag.dtype))
        return bag / n

    def predict_demographics(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The heads' age-group and sex logits for the patients of ``batch``.

        With ``aux_input: codes`` they read the patient's code sequence (the labels)
        and nothing else: no forward pass of BART, so no path to the prompt. With the
        old heads they read the mean decoder hidden state (which sees the prompt).
        """
        if self.code_head is not None:
            return self.code_head(self.code_bag(batch))
        hidden, _ = self.hidden_and_logits(batch)
        assert self.age_head is not None and self.sex_head is not None
        vf = (batch["labels"] != IGNORE_INDEX).to(hidden.dtype)
        pooled = (hidden * vf.unsqueeze(-1)).sum(1) / vf.sum(1).clamp(min=1.0).unsqueeze(-1)
        return self.age_head(pooled), self.sex_head(pooled)

    def loss_terms(
        self, batch: Batch, hidden: torch.Tensor, logits: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The loss terms from the decoder's hidden states and logits (see :meth:`forward`)."""
        labels = batch["labels"]
        valid = labels != IGNORE_INDEX
        losses: dict[str, torch.Tensor] = {
            "lm": F.cross_entropy(
                logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX
            ),
        }
        vf = valid.float()
        need_probs = self.code_head is not None or self.config.validity
        probs = logits.float().softmax(-1) if need_probs else logits
        if self.code_head is not None:
            losses.update(self._code_terms(batch, probs, vf))
        elif self.config.aux_pooling == "mean":
            assert self.age_head is not None and self.sex_head is not None
            pooled = (hidden * vf.unsqueeze(-1)).sum(1) / vf.sum(1).clamp(min=1.0).unsqueeze(-1)
            losses["age"] = F.cross_entropy(self.age_head(pooled).float(), batch["age_group"])
            losses["sex"] = F.cross_entropy(self.sex_head(pooled).float(), batch["sex"])
        else:
            assert self.age_head is not None and self.sex_head is not None
            h = hidden[valid]
            rows = valid.nonzero()[:, 0]
            losses["age"] = F.cross_entropy(self.age_head(h).float(), batch["age_group"][rows])
            losses["sex"] = F.cross_entropy(self.sex_head(h).float(), batch["sex"][rows])
        if self.config.validity:
            forbidden = self._forbidden(batch)
            mass = (probs * forbidden.unsqueeze(1).to(probs.dtype)).sum(-1)
            losses["validity"] = (mass * vf).sum() / vf.sum().clamp(min=1.0)
        return losses

    @staticmethod
    def _forbidden(batch: Batch) -> torch.Tensor:
        if "forbidden" in batch:
            return batch["forbidden"]
        if "forbidden_table" in batch:
            return batch["forbidden_table"][batch["forbidden_group"]]
        raise ValueError("the validity term needs batch['forbidden'] (clinical edits)")

    def _code_terms(
        self, batch: Batch, probs: torch.Tensor, vf: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """``age`` and ``sex``: the real-code classifier on the expected bag of codes."""
        head = self.code_head
        assert head is not None
        off = self.vocab.code_offset
        n = vf.sum(1, keepdim=True).clamp(min=1.0)
        frozen = {k: v.detach() for k, v in head.named_parameters()}
        with torch.autocast(probs.device.type, enabled=False):  # float32 throughout
            expected = torch.einsum("btc,bt->bc", probs[..., off:], vf) / n
            age_soft, sex_soft = functional_call(head, frozen, (expected,))
            age_real, sex_real = head(self.code_bag(batch))
        out = {}
        for term, soft, real, target in (
            ("age", age_soft, age_real, batch["age_group"]),
            ("sex", sex_soft, sex_real, batch["sex"]),
        ):
            fit = F.cross_entropy(real, target)
            out[term] = F.cross_entropy(soft, target) + (fit - fit.detach())
        return out

    def check_terms(self, batch: Batch) -> dict[str, dict[str, float]]:
        """Gradient norm of every loss term at the shared layer and at the output logits.

        One forward pass on ``batch``; for each term, the L2 norm of its gradient with
        respect to :meth:`shared_parameters` (``shared``) and to the next-token logits
        (``logits``). The gradients are computed with ``torch.autograd.grad``: nothing
        is accumulated in ``.grad``. Call it in ``eval()`` mode to leave the RNG alone.

        Raises:
            LossbalanceError: one line naming the first term whose gradient is zero or
                not finite where it must act (every term at the shared layer; every term
                but the old prompt-reading heads at the logits).
        """
        hidden, logits = self.hidden_and_logits(batch)
        losses = self.loss_terms(batch, hidden, logits)
        shared = self.shared_parameters()
        norms: dict[str, dict[str, float]] = {}
        for term, loss in losses.items():
            grads: Sequence[torch.Tensor | None] = (None,) * (1 + len(shared))
            if loss.requires_grad:
                grads = torch.autograd.grad(
                    loss, [logits, *shared], retain_graph=True, allow_unused=True
                )
            sq = [float(g.double().pow(2).sum()) if g is not None else 0.0 for g in grads]
            norms[term] = {"shared": math.sqrt(sum(sq[1:])), "logits": math.sqrt(sq[0])}
        for term, got in norms.items():
            where = ["shared"]
            if not (self.config.reads_prompt and term in ("age", "sex")):
                where.append("logits")
            for w in where:
                v = got[w]
                if not math.isfinite(v) or v == 0.0:
                    hint = ""
                    if term == "validity" and not bool(self._forbidden(batch).any()):
                        hint = "; no code is forbidden for any patient of the batch"
                    raise LossbalanceError(
                        f"check_terms: loss term {term!r} has "
                        f"{'a non-finite' if not math.isfinite(v) else 'no'} gradient at the "
                        f"{'shared layer' if w == 'shared' else 'output logits'} "
                        f"({w} norm {v}{hint})"
                    )
        return norms

    def extra_state(self) -> dict[str, Any]:
        """What a checkpoint needs besides ``state_dict()`` to rebuild this model."""
        return {"config": self.config.model_dump(mode="json"), "vocab": self.vocab.to_dict()}
