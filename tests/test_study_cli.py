"""``lossbalance study``: run --toy end to end, pareto, pick, plot, bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossbalance.cli import main


def _run(storage: Path, *extra: str) -> int:
    return main(
        [
            "study",
            "run",
            "--toy",
            "--storage",
            str(storage),
            "--trials",
            "8",
            "--toy-epochs",
            "3",
            "--sampler",
            "random",
            "--quiet",
            *extra,
        ]
    )


def test_run_pareto_pick_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.journal"
    out = tmp_path / "plots"
    assert _run(storage, "--out", str(out), "--constraint", "validity>=0.7") == 0
    text = capsys.readouterr().out
    assert "Pareto trials of 'validity-coherence'" in text
    assert f"pareto_front.png: {out}/pareto_front.png" in text
    assert (out / "pareto_front.html").is_file() and (out / "hypervolume.json").is_file()

    assert (
        main(
            [
                "study",
                "pareto",
                "--storage",
                str(storage),
                "--study",
                "validity-coherence",
                "--json",
                str(tmp_path / "front.json"),
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "front.json").read_text())
    assert rows and all(r["state"] == "COMPLETE" and r["feasible"] for r in rows)

    assert (
        main(
            [
                "study",
                "pick",
                "--storage",
                str(storage),
                "--study",
                "validity-coherence",
                "--where",
                "validity>=0.7",
                "--maximize",
                "coherence",
                "--json",
                str(tmp_path / "pick.json"),
            ]
        )
        == 0
    )
    picked = json.loads((tmp_path / "pick.json").read_text())
    best = max((r for r in rows if r["validity"] >= 0.7), key=lambda r: r["coherence"])
    assert picked["trial"] == best["trial"]
    assert f"picked trial {best['trial']}" in capsys.readouterr().out
    # without --study: the storage's only study, named in the title (issue 19 item 4)
    args = ["study", "pick", "--storage", str(storage), "--maximize", "coherence"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "of 'validity-coherence'" in text and "None" not in text

    assert (
        main(
            [
                "study",
                "plot",
                "--storage",
                str(storage),
                "--study",
                "validity-coherence",
                "--out",
                str(tmp_path / "p2"),
                "--target",
                "coherence>=0.5",
            ]
        )
        == 0
    )
    assert (tmp_path / "p2" / "pareto_front.png").is_file()


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.journal"
    assert main(["study", "run", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: study spec file not found" in _err(capsys)

    assert _run(storage, "--objectives", "validity,novelty") == 2
    assert "--objectives: unknown metric 'novelty'" in _err(capsys)

    assert _run(storage, "--constraint", "validity=>0.9") == 2
    assert "--constraint: condition 'validity=>0.9' is not 'metric op number'" in _err(capsys)

    assert _run(storage, "--sampler", "cmaes") == 2
    assert "--sampler: unknown 'cmaes'" in _err(capsys)

    assert _run(storage, "--workers", "0") == 2
    assert "--workers: must be at least 1" in _err(capsys)

    url = "postgresql://bob:hunter2@127.0.0.1:1/db"
    assert main(["study", "worker", "--storage", url, "--study", "x"]) == 2
    err = _err(capsys)
    assert "bob:***@127.0.0.1:1/db: cannot connect" in err and "hunter2" not in err

    assert _run(storage, "--study", "s1", "--no-plots") == 0
    capsys.readouterr()
    assert _run(storage, "--study", "s1", "--objectives", "validity,js", "--no-plots") == 2
    assert (
        "'s1' in " + str(storage) + " exists with objectives validity:maximize, "
        "coherence:maximize, not validity:maximize, js:minimize"
    ) in _err(capsys)

    assert main(["study", "pareto", "--storage", str(storage), "--study", "nope"]) == 2
    assert "--study: no study 'nope'" in _err(capsys)

    assert (
        main(
            [
                "study",
                "pick",
                "--storage",
                str(storage),
                "--study",
                "s1",
                "--where",
                "validity>=1.5",
                "--maximize",
                "coherence",
            ]
        )
        == 2
    )
    assert "pick: no completed trial of 's1' meets validity >= 1.5" in _err(capsys)

    assert (
        main(
            [
                "study",
                "plot",
                "--storage",
                str(tmp_path / "no" / "s.journal"),
                "--study",
                "s1",
                "--out",
                str(tmp_path / "p"),
            ]
        )
        == 2
    )
    assert "no such journal file" in _err(capsys)


def test_plain_progress_lines_when_output_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a terminal (a CI log): one plain line per change of the counts, no bar."""
    args = ["study", "run", "--toy", "--storage", str(tmp_path / "s.journal"), "--trials", "3"]
    assert main([*args, "--toy-epochs", "2", "--sampler", "random", "--no-plots"]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("trials ")]
    assert lines and lines[-1].startswith("trials 3/3: "), lines
    assert "complete" in lines[-1] and "front" in lines[-1]
