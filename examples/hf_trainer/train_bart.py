"""Your own BART under transformers' Trainer, its loss terms weighted by lossbalance.

A fresh, tiny ``BartForConditionalGeneration`` reads a demographic prompt (an
age-group token and a sex token) and writes the patient's visits as tokens; two
auxiliary heads predict the age group and the sex from the expected embedding of the
predicted codes (so they read the codes alone). The model returns its three loss
terms under ``losses``; :class:`lossbalance.integrations.transformers.BalancedTrainer`
weights them with a :class:`lossbalance.Balancer`, logs each term and weight, and
keeps the balancer's state in the Trainer's checkpoints (``--resume`` continues it).

Run (toy size, seconds on a CPU; needs ``pip install accelerate``)::

    python examples/hf_trainer/train_bart.py --schedule schedules/gradnorm.yaml --out runs/bart
    python examples/hf_trainer/train_bart.py --schedule schedules/gradnorm.yaml --out runs/bart \
        --steps 12 --resume
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import BartConfig, BartForConditionalGeneration, TrainingArguments
from transformers.models.bart.modeling_bart import shift_tokens_right

from lossbalance import Balancer
from lossbalance.data import Cohort, simulate
from lossbalance.integrations.transformers import BalancedTrainer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plain_pytorch"))
from train import AGE_EDGES, EOS, FIRST_CODE, PAD, tokens  # the plain example's

TERMS = ("lm", "age", "sex")


class BartEHR(BartForConditionalGeneration):
    """BART plus age and sex heads on the expected embedding of the predicted codes."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.age_head = nn.Linear(config.d_model, len(AGE_EDGES) + 1)
        self.sex_head = nn.Linear(config.d_model, 2)

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor,
        labels: torch.Tensor,
        age_group: torch.Tensor,
        sex: torch.Tensor,
        **kwargs: Any,
    ) -> dict[str, Any]:
        dec = shift_tokens_right(labels, PAD, self.config.decoder_start_token_id)
        out = super().forward(input_ids=input_ids, decoder_input_ids=dec)
        n = kwargs.get("num_items_in_batch")  # tokens of the whole accumulated batch
        ce = nn.functional.cross_entropy(
            out.logits.transpose(1, 2), labels, ignore_index=-100, reduction="sum"
        )
        lm = ce / (n if n is not None else (labels != -100).sum())
        mask = (labels != -100).unsqueeze(-1).float()
        soft = torch.softmax(out.logits, -1) @ self.model.shared.weight
        pooled = (soft * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        age = nn.functional.cross_entropy(self.age_head(pooled), age_group)
        sex_loss = nn.functional.cross_entropy(self.sex_head(pooled), sex)
        return {"logits": out.logits, "losses": {"lm": lm, "age": age, "sex": sex_loss}}


class PatientData(torch.utils.data.Dataset):
    """Prompt tokens, label tokens (codes, visit separators, end), age group, sex."""

    def __init__(self, cohort: Cohort, max_len: int) -> None:
        tok = tokens(cohort, max_len)[:, 1:]  # no BOS: the decoder start token leads
        self.labels = tok.masked_fill(tok == PAD, -100)
        self.age_group = torch.from_numpy(np.searchsorted(AGE_EDGES, cohort.age, side="right"))
        self.sex = torch.from_numpy(cohort.sex.astype(np.int64))
        # prompt: an age-group token and a sex token, just past the code tokens
        base = FIRST_CODE + len(cohort.code_table)
        self.prompt = torch.stack([base + self.age_group, base + 4 + self.sex], 1)

    def __len__(self) -> int:
        return len(self.sex)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {
            "input_ids": self.prompt[i],
            "labels": self.labels[i],
            "age_group": self.age_group[i],
            "sex": self.sex[i],
        }


def main(argv: list[str] | None = None) -> BalancedTrainer:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--schedule", help="schedule file (default: age 0.01, sex 0.2 fixed)")
    p.add_argument("--out", required=True)
    p.add_argument("--patients", type=int, default=200)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--max-len", type=int, default=32)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    cohort = simulate(a.patients, seed=a.seed)
    data = PatientData(cohort, a.max_len)
    vocab = FIRST_CODE + len(cohort.code_table) + 6
    torch.manual_seed(a.seed)
    config = BartConfig(
        vocab_size=vocab,
        d_model=32,
        encoder_layers=1,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=a.max_len + 2,
        pad_token_id=PAD,
        bos_token_id=1,
        eos_token_id=EOS,
        decoder_start_token_id=1,
    )
    model = BartEHR(config)
    if a.schedule:
        balancer = Balancer.from_yaml(a.schedule, TERMS)
    else:
        balancer = Balancer.from_spec({"age": 0.01, "sex": 0.2}, TERMS)
    args = TrainingArguments(
        output_dir=a.out,
        max_steps=a.steps,
        per_device_train_batch_size=16,
        learning_rate=3e-3,
        logging_steps=2,
        save_steps=4,
        report_to=[],
        seed=a.seed,
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = BalancedTrainer(
        model=model,
        args=args,
        train_dataset=data,
        balancer=balancer,
        shared="model.decoder.layers.1",  # the last layer every head reads through
    )
    trainer.train(resume_from_checkpoint=True if a.resume else None)
    for h in trainer.state.log_history:
        if "loss" in h:
            shown = " ".join(f"{t} {h[f'loss/{t}']:.3f} (w {h[f'weight/{t}']:.3g})" for t in TERMS)
            print(f"step {h['step']}: {shown}")
    return trainer


if __name__ == "__main__":
    main()
