"""Training progress: epochs counted from 1; plain lines when output is not a terminal
(issue 19 item 6: ``run``, ``train`` and ``study run`` showed nothing in a CI log)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from _builders import tiny_cohort, tiny_model
from lossbalance.training import RichProgress, TrainerConfig, fit_cohort

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CONFIG = TrainerConfig(epochs=2, batch_size=16, device="cpu")


def test_plain_lines_when_output_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fit_cohort(tiny_cohort(40), tiny_model(), CONFIG, [], tmp_path, progress=True)
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("epoch")]
    assert [x.split(":")[0] for x in lines] == ["epoch 1/2", "epoch 2/2"], lines
    assert "steps" in lines[0] and "train lm " in lines[0] and "val lm " in lines[0]


def test_the_bar_counts_epochs_from_1(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    fit_cohort(
        tiny_cohort(40),
        tiny_model(),
        CONFIG,
        [],
        tmp_path,
        progress=False,
        extra_callbacks=[RichProgress(console=console)],
    )
    text = out.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "epoch 0" not in text
