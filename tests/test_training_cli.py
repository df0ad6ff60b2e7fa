"""``lossbalance train`` and ``lossbalance generate`` through the CLI entry point."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import yaml

from _builders import tiny_cohort
from lossbalance.cli import main
from lossbalance.data import Cohort
from lossbalance.training import JsonlLogger, TrainState, load_checkpoint, load_run_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

make_cohort = partial(tiny_cohort, n=30, n_codes=10, max_visits=2)


def write_config(tmp_path: Path, **overrides: object) -> Path:
    make_cohort().save(tmp_path / "cohort.npz")
    config: dict[str, object] = {
        "data": {"cohort": "cohort.npz"},
        "model": {"d_model": 16, "ffn_dim": 32, "attention_heads": 2, "max_length": 32},
        "training": {"epochs": 2, "batch_size": 8, "val_fraction": 0.2, "device": "cpu"},
        "losses": {
            "age": {"family": "fixed", "params": {"weight": 0.01}},
            "sex": {"family": "fixed", "params": {"weight": 0.2}},
        },
        "out": "run",
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            config[section][field] = value  # type: ignore[index]
        else:
            config[section] = value
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_train_then_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["train", str(config), "--no-progress"]) == 0
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} == {"last.pt", "best.pt", "log.jsonl", "config.yaml"}
    log = JsonlLogger.read(run / "log.jsonl")
    assert [r["epoch"] for r in log] == [0, 1]
    assert log[-1]["weights"] == {"lm": 1.0, "age": 0.01, "sex": 0.2}
    assert "trained 2 epochs" in capsys.readouterr().out
    out = tmp_path / "synthetic.npz"
    code = main(
        [
            "generate",
            str(run / "last.pt"),
            "--patients",
            "12",
            "--out",
            str(out),
            "--seed",
            "4",
            "--top-p",
            "0.95",
        ]
    )
    assert code == 0
    cohort = Cohort.load(out)
    assert cohort.n_patients == 12 and cohort.n_codes > 0
    assert np.array_equal(cohort.code_table.keys(), make_cohort().code_table.keys())
    # seeded: the same command gives the same cohort
    again = tmp_path / "again.npz"
    main(
        [
            "generate",
            str(run / "last.pt"),
            "-n",
            "12",
            "-o",
            str(again),
            "--seed",
            "4",
            "--top-p",
            "0.95",
        ]
    )
    assert Cohort.load(again).equals(cohort)


def test_resume_continues_the_run(tmp_path: Path) -> None:
    config = write_config(tmp_path, training__epochs=1)
    assert main(["train", str(config), "--no-progress"]) == 0
    config = write_config(tmp_path, training__epochs=2)
    # a different epoch count is a different LR schedule; resume still continues the log
    assert main(["train", str(config), "--no-progress", "--resume"]) == 0
    assert load_checkpoint(tmp_path / "run" / "last.pt")["train_state"]["epoch"] == 2
    assert len(JsonlLogger.read(tmp_path / "run" / "log.jsonl")) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"training__epoch": 3}, "train.yaml: training.epoch: unknown key"),
        ({"training__epochs": 0}, "train.yaml: training.epochs: Input should be greater than"),
        ({"model__dropout": 1.5}, "train.yaml: model.dropout: Input should be less than 1"),
        ({"surprise": 1}, "train.yaml: surprise: unknown key"),
        (
            {"losses": {"age": {"family": "nope"}}},
            "train.yaml: losses.age: family: unknown scheduler",
        ),
        (
            {"losses": {"age": {"family": "fixed", "params": {"weight": -1}}}},
            "train.yaml: losses.age: ",
        ),
        ({"losses": {"mood": 0.1}}, "train.yaml: losses.mood: "),
        (
            {"data": {"cohort": "a.npz", "simulate": {"patients": 10}}},
            "train.yaml: data: give exactly one of simulate or cohort",
        ),
    ],
)
def test_config_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: dict, message: str
) -> None:
    config = write_config(tmp_path, **overrides)
    assert main(["train", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert message in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "config file not found"),
        ("", "the file is empty"),
        ("data: [unclosed\n", "not valid YAML at line 2: expected ','"),
        ("- 1\n", "the config must be a mapping of keys"),
    ],
)
def test_config_file_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, message: str
) -> None:
    path = tmp_path / "train.yaml"
    if text is not None:
        path.write_text(text)
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"error: {path}: {message}")


def test_cohort_too_small_to_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    make_cohort(n=1).save(tmp_path / "cohort.npz")
    assert main(["train", str(config)]) == 2
    assert "too small to split" in capsys.readouterr().err


def test_generate_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    assert (
        main(["generate", str(tmp_path / "bad.pt"), "-n", "3", "-o", str(tmp_path / "x.npz")]) == 2
    )
    assert "not a lossbalance checkpoint" in capsys.readouterr().err
    assert (
        main(
            [
                "generate",
                str(tmp_path / "bad.pt"),
                "-n",
                "3",
                "-o",
                str(tmp_path / "nowhere" / "x.npz"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_load_run_config_defaults(tmp_path: Path) -> None:
    path = tmp_path / "min.yaml"
    path.write_text("data: {simulate: {patients: 100}}\nout: run\n")
    cfg = load_run_config(path)
    assert cfg.model.d_model == 128 and cfg.training.epochs == 10 and cfg.losses == {}


def test_losses_are_schedule_specs(tmp_path: Path) -> None:
    """``losses`` entries are ScheduleSpecs: the shorthand reads as the long form, and the
    run's config.yaml keeps the long form without ``terms``."""
    long = load_run_config(write_config(tmp_path))
    short = load_run_config(write_config(tmp_path, losses={"age": 0.01, "sex": 0.2}))
    assert short == long
    assert [s.weights(TrainState()) for s in short.schedulers()] == [{"age": 0.01}, {"sex": 0.2}]
    assert long.model_dump(mode="json")["losses"] == {
        "age": {"family": "fixed", "params": {"weight": 0.01}},
        "sex": {"family": "fixed", "params": {"weight": 0.2}},
    }


def test_check_terms_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path)
    assert main(["train", str(path), "--check-terms"]) == 0
    out = capsys.readouterr().out
    for term in ("lm", "age", "sex"):
        assert f"\n{term} " in out
    assert "every term has a gradient" in out
    assert not (tmp_path / "run" / "last.pt").exists()  # nothing trained or written
    # the validity term on codes no clinical rule covers has no gradient: named, exit 2
    path = write_config(tmp_path, model__validity=True)
    assert main(["train", str(path), "--check-terms"]) == 2
    err = capsys.readouterr().err
    assert "loss term 'validity' has no gradient" in err and "no code is forbidden" in err
