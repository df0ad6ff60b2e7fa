"""The examples of docs/own-model.md run at toy size (and the README's Balancer example)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from optuna.trial import TrialState

from lossbalance.data import Cohort
from lossbalance.study import parse_study_spec, run_study

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_plain_pytorch_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mod = load(EXAMPLES / "plain_pytorch" / "train.py", "example_plain")
    args = ["--out", str(tmp_path), "--patients", "40", "--epochs", "2", "--generate", "20"]
    path = mod.main(
        [*args, "--max-len", "20", "--schedule", str(ROOT / "schedules" / "gradnorm.yaml")]
    )
    cohort = Cohort.load(path)
    assert cohort.n_patients == 20 and cohort.n_codes > 0
    out = capsys.readouterr().out
    assert "epoch 2: lm" in out and "(w " in out


def test_plain_pytorch_tokens_round_trip() -> None:
    mod = load(EXAMPLES / "plain_pytorch" / "train.py", "example_plain")
    cohort = Cohort.from_records(
        [
            {"age": 30.0, "sex": "F", "visits": [["A", "B"], ["C"]]},
            {"age": 70.0, "sex": "M", "visits": [["B"]]},
        ]
    )
    tok = mod.tokens(cohort, 12).numpy()
    back = mod.to_cohort(tok, cohort.age, cohort.sex, cohort.code_table)
    assert back.equals(cohort)


def test_hf_trainer_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("accelerate")
    mod = load(EXAMPLES / "hf_trainer" / "train_bart.py", "example_hf")
    trainer = mod.main(
        ["--out", str(tmp_path), "--patients", "40", "--steps", "4", "--max-len", "16"]
    )
    assert trainer.state.global_step == 4
    assert "step 4: lm" in capsys.readouterr().out
    resumed = mod.main(
        ["--out", str(tmp_path), "--patients", "40", "--steps", "6", "--max-len", "16", "--resume"]
    )
    assert resumed.balancer.state.step == 6


@pytest.mark.slow
def test_external_command_example_study(tmp_path: Path) -> None:
    doc = yaml.safe_load((EXAMPLES / "external_command" / "study.yaml").read_text())
    doc["base"]["data"]["patients"] = 120
    doc["base"]["evaluation"]["patients"] = 40
    doc["budget"] = {"trials": 2, "wall_time_s": None}
    doc["trial"]["command"] = re.sub(r"--epochs \d+ --generate \d+", "", doc["trial"]["command"])
    doc["trial"]["command"] += " --epochs 1 --generate 30 --max-len 20"
    spec = parse_study_spec(doc, source="study.yaml", folder=EXAMPLES / "external_command")
    study = run_study(str(tmp_path / "s.journal"), "own-gru", spec.to_config(tmp_path / "runs"))
    states = [t.state for t in study.get_trials()]
    assert states.count(TrialState.COMPLETE) == 2, [t.user_attrs for t in study.get_trials()]
    best = study.get_trials()[0]
    assert 0.0 <= best.values[0] <= 1.0
    assert "1" in best.user_attrs["objective_history"]  # lossbalance.report reached it


def test_readme_balancer_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- own-model:example -->\n```python\n(.*?)```", text, re.S)
    assert block is not None
    exec(compile(block.group(1), "README.md", "exec"), {})
    printed = re.search(r"<!-- own-model:output -->\n```\n(.*?)```", text, re.S)
    assert printed is not None
    assert capsys.readouterr().out == printed.group(1)
