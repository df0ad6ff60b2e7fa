"""Studies over a user's training command: success, exit 1, timeout, no output, pruned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from optuna.trial import TrialState

from lossbalance import LossbalanceError, report
from lossbalance.data import Cohort
from lossbalance.study import parse_study_spec, run_study
from lossbalance.study._command_trial import (
    STDERR_ATTR,
    ReportWatcher,
    TrialCommand,
    group_members,
    read_generated,
    stop_group,
)
from lossbalance.study._workers import FAIL_ATTR, PRUNED_AT_ATTR

SCRIPT = textwrap.dedent(
    """
    import os, shutil, signal, subprocess, sys, time
    import lossbalance
    train, out = sys.argv[1], sys.argv[2]
    n = int(os.environ["LOSSBALANCE_TRIAL"])
    with open(os.path.join(out, "pgid"), "w") as fh:
        fh.write(str(os.getpgid(0)))
    assert os.path.isfile(os.path.join(out, "schedule.yaml"))
    def child():  # a grandchild in the same process group: must not outlive the trial
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    if n == 0:
        lossbalance.report(1, {"validity": 0.9, "coherence": 0.9})
        shutil.copy(train, os.path.join(out, "synthetic.npz"))
    elif n == 1:
        for i in range(30):
            print(f"diagnostic line {i}", file=sys.stderr)
        print("Traceback: boom", file=sys.stderr)
        sys.exit(1)
    elif n == 2:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # only SIGKILL stops it
        child()
        print("hanging", file=sys.stderr, flush=True)
        time.sleep(120)
    elif n == 3:
        print("done, but forgot to write", file=sys.stderr)
    else:
        child()
        lossbalance.report(1, {"validity": 0.1, "coherence": 0.1})
        time.sleep(120)
    """
)


def study_doc(folder: Path) -> dict[str, Any]:
    (folder / "script.py").write_text(SCRIPT)
    return {
        "name": "cmd",
        "base": {
            "name": "cmd-base",
            "data": {"source": "simulator", "patients": 160, "seed": 0},
            "evaluation": {"patients": 40, "seed": 0},
        },
        "space": {
            "terms": {
                "age": {"families": {"fixed": {"weight": {"low": 0.001, "high": 1.0, "log": True}}}}
            }
        },
        "objectives": ["validity", "coherence"],
        "budget": {"trials": 2, "wall_time_s": None},
        "sampler": {"name": "random", "seed": 0},
        "pruner": {"enabled": True, "min_dominating": 1, "warmup_trials": 1, "warmup_epochs": 0},
        "trial": {
            "command": "{python} {spec_dir}/script.py {train} {out}",
            "generated": "{out}/synthetic.npz",
            "timeout": 6,
            "grace": 0.5,
            "poll": 0.05,
        },
    }


@pytest.mark.slow
def test_command_study_of_every_ending(tmp_path: Path) -> None:
    spec = parse_study_spec(study_doc(tmp_path), source="cmd.yaml", folder=tmp_path)
    config = spec.to_config(tmp_path / "runs")
    assert config.problem == "command"
    study = run_study(str(tmp_path / "s.journal"), "cmd", config)
    trials = {t.number: t for t in study.get_trials()}
    assert [trials[i].state for i in range(5)] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.FAIL,
        TrialState.FAIL,
        TrialState.PRUNED,
    ]
    ok = trials[0]
    assert set(ok.values) <= {
        ok.user_attrs["metrics"]["validity"],
        ok.user_attrs["metrics"]["coherence"],
    }
    assert ok.user_attrs["objective_history"] == {"1": [0.9, 0.9]}
    assert "exited with status 1" in trials[1].user_attrs[FAIL_ATTR]
    tail = trials[1].user_attrs[STDERR_ATTR].splitlines()
    assert len(tail) == 20 and tail[-1] == "Traceback: boom"
    assert "timeout" in trials[2].user_attrs[FAIL_ATTR]
    assert "hanging" in trials[2].user_attrs[STDERR_ATTR]
    assert "no output" in trials[3].user_attrs[FAIL_ATTR]
    assert trials[4].user_attrs[PRUNED_AT_ATTR] == 1
    runs = tmp_path / "runs"
    for i in range(5):
        pgid = int((runs / f"trial-{i:04d}" / "pgid").read_text())
        assert group_members(pgid) == [], f"trial {i} left processes"
    schedule = yaml.safe_load((runs / "trial-0000" / "schedule.yaml").read_text())
    assert schedule["age"]["family"] == "fixed"
    assert json.loads((runs / "trial-0000" / "metrics.json").read_text())["validity"] > 0


def test_report_writes_lines_a_watcher_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOSSBALANCE_REPORT", raising=False)
    assert report(1, {"validity": 1.0}) is False  # no study listening: a no-op
    path = tmp_path / "report.jsonl"
    monkeypatch.setenv("LOSSBALANCE_REPORT", str(path))
    watcher = ReportWatcher(path)
    assert list(watcher.records()) == []
    assert report(1, {"validity": 0.5, "js": float("nan")})
    cohort = Cohort.from_records([{"age": 30.0, "sex": "F", "visits": [["A", "B"]]}])
    assert report(2, cohort)
    with open(path, "a") as fh:
        fh.write('{"epoch": 3, "metr')  # a half-written line waits
    recs = list(watcher.records())
    assert recs[0] == {"epoch": 1, "metrics": {"validity": 0.5, "js": None}}
    assert Cohort.load(recs[1]["cohort"]).n_patients == 1
    with open(path, "a") as fh:
        fh.write('ics": {"validity": 1}}\nnot json\n')
    with pytest.raises(LossbalanceError, match=r"line 4: not a lossbalance\.report record"):
        list(watcher.records())


def test_trial_section_refuses_unknown_placeholders(tmp_path: Path) -> None:
    doc = study_doc(tmp_path)
    doc["trial"]["command"] = "python train.py --lr {lr}"
    with pytest.raises(LossbalanceError, match=r"trial.command.*unknown placeholder \{lr\}"):
        parse_study_spec(doc, source="cmd.yaml", folder=tmp_path)
    assert TrialCommand(command="x").generated == "{out}/synthetic.npz"


def test_stop_group_kills_what_ignores_sigterm() -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    proc = subprocess.Popen(
        ["/bin/sh", "-c", f"{sys.executable} -c '{code}' & {sys.executable} -c '{code}'"],
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(group_members(proc.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(group_members(proc.pid)) == 3 and os.getpgid(0) != proc.pid
    stop_group(proc, grace=0.3)
    assert group_members(proc.pid) == [] and proc.returncode is not None


OK_SCRIPT = textwrap.dedent(
    """
    import os, shutil, sys
    import lossbalance
    lossbalance.report(1, {"validity": 0.5, "coherence": 0.5})
    assert os.environ["FROM_SPEC"] == "yes"
    shutil.copy(sys.argv[1], os.path.join(sys.argv[2], "synthetic.npz"))
    """
)


@pytest.mark.slow
@pytest.mark.postgres
def test_command_trials_in_two_postgres_workers(tmp_path: Path, postgres_url: str) -> None:
    doc = study_doc(tmp_path)
    (tmp_path / "script.py").write_text(OK_SCRIPT)
    doc["budget"] = {"trials": 2, "wall_time_s": None}
    doc["trial"]["timeout"] = 300
    doc["trial"]["env"] = {"FROM_SPEC": "yes"}
    name = f"lb-cmd-{os.getpid()}-{int(time.time())}"
    doc["name"] = name
    spec = parse_study_spec(doc, source="cmd.yaml", folder=tmp_path)
    study = run_study(postgres_url, name, spec.to_config(tmp_path / "runs"), workers=2)
    trials = study.get_trials()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(done) == 2, [t.user_attrs.get(FAIL_ATTR) for t in trials]
    assert all(t.user_attrs["objective_history"] == {"1": [0.5, 0.5]} for t in done)


def test_generated_output_may_be_a_meds_folder(tmp_path: Path) -> None:
    from lossbalance.data import simulate, write_meds

    cohort = simulate(30, seed=4)
    write_meds(cohort, tmp_path / "synthetic")
    back = read_generated(tmp_path / "synthetic")
    assert back.n_patients == cohort.n_patients
    assert back.n_codes == cohort.n_codes
    assert sorted(back.code_keys().tolist()) == sorted(cohort.code_keys().tolist())
