"""``lossbalance schedulers list | show | plot`` through lossbalance.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossbalance.cli import main

SCHEDULES = Path(__file__).resolve().parents[1] / "schedules"


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedulers", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["gradnorm"]["kind"] == "gradients"
    assert rows["dwa"]["terms"] == "2..any"
    assert "Chen et al. 2018" in rows["gradnorm"]["citation"]


def test_show_lists_params_bounds_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedulers", "show", "gradnorm", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    alpha = next(p for p in info["params"] if p["name"] == "alpha")
    assert alpha["default"] == 1.5 and alpha["bounds"] == ">= 0, <= 10"
    assert info["example"]["terms"] == ["lm", "age", "sex"]
    assert main(["schedulers", "show", "linear"]) == 0
    text = capsys.readouterr().out
    assert "Bowman et al. 2016" in text and "required" in text


def test_show_unknown_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedulers", "show", "linaer"]) == 2
    err = capsys.readouterr().err
    assert "unknown scheduler family 'linaer'" in err and "linear" in err
    assert len(err.strip().splitlines()) == 1


def test_plot_formula_and_metric_curriculum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, js = tmp_path / "w.png", tmp_path / "w.json"
    args = ["schedulers", "plot", str(SCHEDULES / "linear_decay.yaml"), "--steps", "300"]
    assert main([*args, "--steps-per-epoch", "10", "--out", str(out), "--json", str(js)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    traj = json.loads(js.read_text())
    assert traj["weights"]["sex"][100] == pytest.approx(0.1005)
    trig = tmp_path / "t.png"
    metric = ["--metric", "sex_valid=0.9,0.96,0.97"]
    path = str(SCHEDULES / "metric_triggered.yaml")
    assert (
        main(
            [
                "schedulers",
                "plot",
                path,
                "--steps",
                "50",
                "--steps-per-epoch",
                "10",
                "--out",
                str(trig),
                *metric,
            ]
        )
        == 0
    )
    assert trig.is_file()
    assert main(["schedulers", "plot", path, "--steps", "50", "--out", str(trig)]) == 2
    assert "--metric NAME=V1,V2" in capsys.readouterr().err


def test_plot_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SCHEDULES / "linear_decay.yaml")
    assert (
        main(["schedulers", "plot", path, "--steps", "5", "--out", str(tmp_path / "no" / "x.png")])
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: linear\nparams: {start: 0.2, slope: -1, duration: 5}\n")
    assert (
        main(["schedulers", "plot", str(bad), "--steps", "5", "--out", str(tmp_path / "x.png")])
        == 2
    )
    err = capsys.readouterr().err
    assert "bad.yaml: params.slope" in err and not (tmp_path / "x.png").exists()


def test_plot_adaptive_from_a_short_training_run(tmp_path: Path) -> None:
    import numpy as np

    from lossbalance.data import Cohort

    rng = np.random.default_rng(0)
    records = [
        {
            "age": float(rng.uniform(0, 90)),
            "sex": "FM"[i % 2],
            "visits": [[f"C{c}" for c in rng.choice(12, size=3, replace=False)] for _ in range(2)],
        }
        for i in range(40)
    ]
    cohort = tmp_path / "c.npz"
    Cohort.from_records(records).save(cohort)
    out, js = tmp_path / "gn.png", tmp_path / "gn.json"
    args = ["schedulers", "plot", str(SCHEDULES / "gradnorm.yaml"), "--steps", "3"]
    assert main([*args, "--cohort", str(cohort), "--out", str(out), "--json", str(js)]) == 0
    traj = json.loads(js.read_text())
    assert traj["source"] == "training run"
    weights = np.array([traj["weights"][t] for t in ("lm", "age", "sex")])
    assert weights.shape == (3, 3)
    assert np.allclose(weights.sum(axis=0), 3.0)  # GradNorm renormalises to the term count
    assert not np.allclose(weights[:, -1], 1.0)  # and the weights moved
    assert set(traj["losses"]) >= {"lm", "age", "sex"}
