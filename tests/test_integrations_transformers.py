"""The transformers integration: hand-weighted loss, num_items_in_batch, exact resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    TrainerCallback,
    TrainingArguments,
)
from transformers.models.bart.modeling_bart import shift_tokens_right

from lossbalance import Balancer, LossbalanceError
from lossbalance.integrations.transformers import BALANCER_FILE, BalancedTrainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")

VOCAB = 24


class BartWithAux(BartForConditionalGeneration):
    """A tiny BART plus an auxiliary head on the encoder's mean state; returns its terms."""

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.aux_head = nn.Linear(config.d_model, 2)
        self.seen_items: list[Any] = []

    def forward(  # type: ignore[override]
        self, input_ids: torch.Tensor, labels: torch.Tensor, aux_labels: torch.Tensor, **kwargs: Any
    ) -> dict[str, Any]:
        n = kwargs.get("num_items_in_batch")
        self.seen_items.append(n)
        dec = shift_tokens_right(
            labels, self.config.pad_token_id, self.config.decoder_start_token_id
        )
        out = super().forward(input_ids=input_ids, decoder_input_ids=dec)
        ce = nn.functional.cross_entropy(
            out.logits.reshape(-1, VOCAB), labels.reshape(-1), ignore_index=-100, reduction="sum"
        )
        lm = ce / (n if n is not None else (labels != -100).sum())
        aux_logits = self.aux_head(out.encoder_last_hidden_state.mean(dim=1))
        aux = nn.functional.cross_entropy(aux_logits, aux_labels)
        return {"logits": out.logits, "losses": {"lm": lm, "aux": aux}}


def tiny_bart() -> BartWithAux:
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=VOCAB,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=32,
        dropout=0.0,
        attention_dropout=0.0,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    return BartWithAux(config)


class Data(torch.utils.data.Dataset):
    def __init__(self, n: int = 24) -> None:
        g = torch.Generator().manual_seed(3)
        self.x = torch.randint(3, VOCAB, (n, 8), generator=g)
        self.y = torch.randint(3, VOCAB, (n, 6), generator=g)
        self.y[:, 4:][torch.rand(n, 2, generator=g) < 0.5] = -100  # padding: fewer items
        self.a = torch.randint(0, 2, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.x[i], "labels": self.y[i], "aux_labels": self.a[i]}


SPEC = {"lm": {"family": "gradnorm", "terms": ["lm", "aux"], "params": {"lr": 0.05}}}


class Weights(TrainerCallback):
    def __init__(self, trainer: BalancedTrainer) -> None:
        self.trainer = trainer
        self.seen: dict[int, dict[str, float]] = {}

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        self.seen[state.global_step] = dict(self.trainer.balancer.state.weights)


def make(out: Path, max_steps: int = 6, **kw: Any) -> tuple[BalancedTrainer, Weights]:
    args = TrainingArguments(
        output_dir=str(out),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        learning_rate=5e-3,
        logging_steps=2,
        save_steps=3,
        save_strategy="steps",
        report_to=[],
        seed=0,
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        **kw,
    )
    trainer = BalancedTrainer(
        model=tiny_bart(),
        args=args,
        train_dataset=Data(),
        balancer=Balancer.from_spec(SPEC),
        shared="model.encoder.layers.0",
    )
    rec = Weights(trainer)
    trainer.add_callback(rec)
    return trainer, rec


def test_loss_is_the_hand_weighted_sum_and_num_items_is_honoured(tmp_path: Path) -> None:
    args = TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True)
    model = tiny_bart()
    bal = Balancer.from_spec({"lm": 1.0, "aux": 0.3})
    trainer = BalancedTrainer(model=model, args=args, balancer=bal)
    assert trainer.model_accepts_loss_kwargs
    batch = {
        k: torch.stack([Data()[i][k] for i in range(4)])
        for k in ("input_ids", "labels", "aux_labels")
    }
    model.train()
    total = trainer.compute_loss(model, dict(batch), num_items_in_batch=7)
    terms = model(**batch, num_items_in_batch=7)["losses"]
    assert torch.equal(total, terms["lm"] + 0.3 * terms["aux"])
    assert model.seen_items[-2] == 7  # compute_loss passed it on
    plain = model(**batch)["losses"]["lm"]
    assert not torch.allclose(plain, terms["lm"])  # normalised by 7 items, not the count


@pytest.mark.slow
def test_train_log_save_resume_continues_the_weights_exactly(tmp_path: Path) -> None:
    full, rec_full = make(tmp_path / "a")
    full.train()
    logs = [h for h in full.state.log_history if "loss" in h]
    assert {"loss/lm", "loss/aux", "weight/lm", "weight/aux"} <= set(logs[0])
    assert any(x is not None for x in full.model.seen_items)  # the Trainer counted items
    assert (tmp_path / "a" / "checkpoint-3" / BALANCER_FILE).is_file()
    assert rec_full.seen[1] != rec_full.seen[6]  # GradNorm moved the weights

    resumed, rec_res = make(tmp_path / "a")  # same folder: resume from its checkpoint-3
    resumed.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-3"))
    assert sorted(rec_res.seen) == [4, 5, 6]
    for step in (4, 5, 6):
        assert rec_res.seen[step] == rec_full.seen[step]
    assert resumed.balancer.state_dict() == full.balancer.state_dict()


def test_bad_outputs_and_missing_checkpoint_state(tmp_path: Path) -> None:
    trainer, _ = make(tmp_path / "b")
    with pytest.raises(LossbalanceError, match="no balancer state"):
        trainer.load_balancer(tmp_path)
    with pytest.raises(LossbalanceError, match="under 'losses'"):
        from lossbalance.integrations.transformers import loss_terms

        loss_terms({"loss": torch.tensor(1.0)})
