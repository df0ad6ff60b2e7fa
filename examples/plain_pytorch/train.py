"""Your own generator in a plain PyTorch loop, its loss terms weighted by lossbalance.

A small GRU generator of its own (not lossbalance's BART): it reads a patient's
demographics into its initial state and writes the visits as tokens (codes, a
visit separator, an end token). Besides the language-model loss ``lm`` it has two
auxiliary losses, ``age`` and ``sex``: heads that predict the patient's age group
and sex from the *expected embedding of the predicted codes* (the softmax of the
next-code distribution times the code embeddings, pooled over the sequence), so
they read the codes alone and their gradient reaches the next-code distribution.

The weights of the three terms come from a :class:`lossbalance.Balancer`, built from
any schedule file (``--schedule schedules/gradnorm.yaml``, or the file a study
writes per trial). After every epoch the script generates patients and hands them to
:func:`lossbalance.report` (a no-op unless a lossbalance study runs the script); at
the end it writes ``OUT/synthetic.npz``, which ``lossbalance evaluate`` scores.

Run (toy size, seconds on a CPU)::

    python examples/plain_pytorch/train.py --schedule schedules/gradnorm.yaml --out runs/gru
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

import lossbalance
from lossbalance import Balancer
from lossbalance.data import Cohort, simulate

PAD, BOS, EOS, SEP, FIRST_CODE = 0, 1, 2, 3, 4
AGE_EDGES = np.array([18.0, 45.0, 65.0])  # age groups 0-17, 18-44, 45-64, 65+
TERMS = ("lm", "age", "sex")
DEFAULT_SCHEDULE = {"age": 0.01, "sex": 0.2}  # the seed's fixed weights


def tokens(cohort: Cohort, max_len: int) -> torch.Tensor:
    """Patients as token rows (BOS, codes, SEP after each visit, EOS), vectorised."""
    cpv = np.diff(cohort.code_offsets)
    vlen = cpv + 1
    vstart = np.concatenate([[0], np.cumsum(vlen)[:-1]]).astype(np.int64)
    flat = np.full(int(vlen.sum()), SEP, dtype=np.int64)
    code_visit = np.repeat(np.arange(len(cpv)), cpv)
    in_visit = np.arange(len(cohort.codes)) - cohort.code_offsets[code_visit]
    flat[vstart[code_visit] + in_visit] = cohort.codes.astype(np.int64) + FIRST_CODE
    pstart = np.append(vstart, len(flat))[cohort.visit_offsets]
    plen = np.diff(pstart)
    n = cohort.n_patients
    out = np.full((n, max_len), PAD, dtype=np.int64)
    out[:, 0] = BOS
    row = np.repeat(np.arange(n), plen)
    col = 1 + np.arange(len(flat)) - pstart[row]
    keep = col < max_len - 1
    out[row[keep], col[keep]] = flat[keep]
    out[np.arange(n), np.minimum(plen + 1, max_len - 1)] = EOS
    return torch.from_numpy(out)


def demographics(age: np.ndarray, sex: np.ndarray) -> torch.Tensor:
    """The prompt: age / 100 and a sex one-hot."""
    x = np.stack([age / 100.0, sex == 0, sex == 1], axis=1).astype(np.float32)
    return torch.from_numpy(x)


class GRUGenerator(nn.Module):
    """Embedding -> GRU (the last shared layer) -> next-token head; age/sex heads on
    the expected embedding of the predicted codes."""

    def __init__(self, vocab: int, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d, padding_idx=PAD)
        self.prompt = nn.Linear(3, d)
        self.gru = nn.GRU(d, d, batch_first=True)
        self.lm = nn.Linear(d, vocab)
        self.age_head = nn.Linear(d, len(AGE_EDGES) + 1)
        self.sex_head = nn.Linear(d, 2)

    def forward(
        self, tok: torch.Tensor, demo: torch.Tensor, age_group: torch.Tensor, sex: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        h0 = torch.tanh(self.prompt(demo)).unsqueeze(0)
        states, _ = self.gru(self.embed(tok[:, :-1]), h0)
        logits = self.lm(states)
        target = tok[:, 1:]
        lm = nn.functional.cross_entropy(logits.transpose(1, 2), target, ignore_index=PAD)
        mask = (target != PAD).unsqueeze(-1).float()
        soft = torch.softmax(logits, -1) @ self.embed.weight  # what the model would write
        pooled = (soft * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        age = nn.functional.cross_entropy(self.age_head(pooled), age_group)
        sex_loss = nn.functional.cross_entropy(self.sex_head(pooled), sex)
        return {"lm": lm, "age": age, "sex": sex_loss}

    @torch.no_grad()
    def sample(
        self, demo: torch.Tensor, max_len: int, temperature: float, gen: torch.Generator
    ) -> torch.Tensor:
        """Token rows drawn one step at a time for a batch of prompts."""
        n = demo.shape[0]
        h = torch.tanh(self.prompt(demo)).unsqueeze(0)
        tok = torch.full((n, 1), BOS, dtype=torch.long)
        rows = [tok]
        for _ in range(max_len - 1):
            out, h = self.gru(self.embed(tok), h)
            logits = self.lm(out[:, -1]) / temperature
            logits[:, PAD] = -torch.inf
            logits[:, BOS] = -torch.inf
            tok = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen)
            rows.append(tok)
        return torch.cat(rows, 1)


def to_cohort(tok: np.ndarray, age: np.ndarray, sex: np.ndarray, table: object) -> Cohort:
    """Sampled token rows back to a cohort: codes up to EOS, visits split at SEP."""
    n, length = tok.shape
    valid = np.cumsum(tok == EOS, axis=1) == 0
    is_code = valid & (tok >= FIRST_CODE)
    visit_no = np.cumsum(tok == SEP, axis=1)  # visit index of each position in its row
    rows, cols = np.nonzero(is_code)
    key = rows * (length + 1) + visit_no[rows, cols]
    uniq, code_visit = np.unique(key, return_inverse=True)
    visit_row = uniq // (length + 1)
    visit_offsets = np.concatenate([[0], np.cumsum(np.bincount(visit_row, minlength=n))])
    code_offsets = np.concatenate([[0], np.cumsum(np.bincount(code_visit, minlength=len(uniq)))])
    codes = tok[rows, cols] - FIRST_CODE
    return Cohort(age, sex, visit_offsets, code_offsets, codes, table)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--schedule", help="schedule file (default: age 0.01, sex 0.2 fixed)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--data", help="training cohort .npz (default: the simulator)")
    p.add_argument("--params", help="a study's params.json (sampling.temperature is read)")
    p.add_argument("--patients", type=int, default=300)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--generate", type=int, default=200)
    p.add_argument("--max-len", type=int, default=48)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(a.seed)
    cohort = Cohort.load(a.data) if a.data else simulate(a.patients, seed=a.seed)
    temperature = 1.0
    if a.params:
        temperature = float(
            json.loads(Path(a.params).read_text())["sampling"].get("temperature", 1.0)
        )

    tok = tokens(cohort, a.max_len)
    demo = demographics(cohort.age, cohort.sex)
    age_group = torch.from_numpy(np.searchsorted(AGE_EDGES, cohort.age, side="right"))
    sex = torch.from_numpy(cohort.sex.astype(np.int64))
    model = GRUGenerator(FIRST_CODE + len(cohort.code_table))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    batch = 32
    steps = -(-cohort.n_patients // batch)
    if a.schedule:
        balancer = Balancer.from_yaml(a.schedule, TERMS, steps_per_epoch=steps)
    else:
        balancer = Balancer.from_spec(DEFAULT_SCHEDULE, TERMS, steps_per_epoch=steps)
    opt.add_param_group({"params": list(balancer.parameters())})  # empty for built-ins
    gen = torch.Generator().manual_seed(a.seed)

    def generate(n: int) -> Cohort:
        pick = torch.randint(cohort.n_patients, (n,), generator=gen).numpy()
        rows = model.sample(demo[pick], a.max_len, temperature, gen).numpy()
        return to_cohort(rows, cohort.age[pick], cohort.sex[pick], cohort.code_table)

    for epoch in range(a.epochs):
        model.train()
        for idx in torch.randperm(cohort.n_patients, generator=gen).split(batch):
            losses = model(tok[idx], demo[idx], age_group[idx], sex[idx])
            total, weights = balancer(losses, shared=model.gru.parameters())
            opt.zero_grad()
            total.backward()
            opt.step()
            balancer.on_step_end()
        balancer.on_epoch_end()
        mean = balancer.state.epoch_losses[-1]
        print(
            f"epoch {epoch + 1}: "
            + " ".join(f"{t} {mean[t]:.3f} (w {weights[t]:.3g})" for t in TERMS),
            flush=True,
        )
        model.eval()
        lossbalance.report(epoch + 1, generate(min(a.generate, 100)))
    model.eval()
    generated = generate(a.generate)
    path = generated.save(out / "synthetic.npz")
    torch.save({"model": model.state_dict(), "balancer": balancer.state_dict()}, out / "last.pt")
    print(f"wrote {path} ({generated.n_patients} patients)")
    return path


if __name__ == "__main__":
    main()
