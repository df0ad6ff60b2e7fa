"""Storages: journal files, database URLs with heartbeat retries, bad URLs, name clashes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from lossbalance import LossbalanceError
from lossbalance.study import (
    TOY_SPACE,
    WORKER_ATTR,
    StudyConfig,
    create_or_load_study,
    fail_stale_trials,
    mask_url,
    open_storage,
    parse_objectives,
    read_config,
    run_worker,
    trial_counts,
)
from lossbalance.study._workers import _HOST, dead_worker_reason


def _config(n: int = 3, objectives: str = "validity,coherence") -> StudyConfig:
    return StudyConfig(
        objectives=parse_objectives(objectives),
        n_trials=n,
        sampler="random",
        pruner=None,
        problem_options={"epochs": 2},
    )


def test_journal_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    storage = open_storage(path)
    assert isinstance(storage, JournalStorage)
    create_or_load_study(storage, "a", _config())
    again = optuna.load_study(study_name="a", storage=open_storage(str(path)))
    cfg = read_config(again)
    assert cfg.objective_names == ["validity", "coherence"]
    assert cfg.n_trials == 3 and cfg.problem == "toy"
    assert again.metric_names == ["validity", "coherence"]


def test_journal_path_in_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match=r"no-such/s.journal: folder .*no-such does not"):
        open_storage(tmp_path / "no-such" / "s.journal")


def test_unreachable_url_hides_password() -> None:
    url = "postgresql://alice:s3cret@127.0.0.1:1/nodb"
    with pytest.raises(LossbalanceError) as info:
        open_storage(url, connect_timeout=2)
    msg = str(info.value)
    assert "s3cret" not in msg
    assert msg.startswith("storage postgresql://alice:***@127.0.0.1:1/nodb: cannot connect")
    assert "\n" not in msg
    assert mask_url("sqlite:///x.db") == "sqlite:///x.db"
    assert mask_url("study.journal") == "study.journal"


def test_existing_study_with_other_objectives(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "s.journal")
    create_or_load_study(storage, "s", _config())
    create_or_load_study(storage, "s", _config(n=5))  # same objectives: continues
    assert read_config(optuna.load_study(study_name="s", storage=storage)).n_trials == 5
    with pytest.raises(
        LossbalanceError,
        match="exists with objectives validity:maximize, "
        "coherence:maximize, not validity:maximize, js:minimize",
    ):
        create_or_load_study(storage, "s", _config(objectives="validity,js"))
    with pytest.raises(LossbalanceError, match="exists with objectives"):
        create_or_load_study(storage, "s", _config(objectives="coherence,validity"))


def test_database_url_has_heartbeat_and_retry(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path}/s.db", heartbeat_interval=1, grace_period=1)
    assert isinstance(storage, RDBStorage)
    assert storage.heartbeat_interval == 1 and storage.grace_period == 1
    assert isinstance(storage.heartbeat_stale_trial_callback, RetryHeartbeatStaleTrialCallback)

    study = create_or_load_study(storage, "hb", _config(n=2))
    # a trial that started, beat once, then went silent (its worker died)
    with pytest.warns(UserWarning, match="Heartbeat"):
        stale = study.ask()
    TOY_SPACE.suggest(stale)
    storage.record_heartbeat(stale._trial_id)
    time.sleep(2.2)
    run_worker(storage, "hb", poll_s=0.1)
    trials = sorted(study.get_trials(), key=lambda t: t.number)
    assert trials[0].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == 0]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[0].params
    assert trial_counts(study).done == 2


def test_journal_dead_local_worker_is_failed_and_retried(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "s.journal")
    study = create_or_load_study(storage, "dead", _config(n=2))
    orphan = study.ask()
    TOY_SPACE.suggest(orphan)
    gone = subprocess.Popen(["sleep", "30"])
    gone.kill()
    gone.wait()
    # a RUNNING trial of a live process (this one) is left alone
    orphan.set_user_attr(WORKER_ATTR, f"{_HOST}:{os.getpid()}")
    fail_stale_trials(study)
    assert study.get_trials()[0].state == TrialState.RUNNING
    orphan.set_user_attr(WORKER_ATTR, f"{_HOST}:{gone.pid}")
    run_worker(storage, "dead", poll_s=0.05)
    trials = sorted(study.get_trials(), key=lambda t: t.number)
    assert trials[0].state == TrialState.FAIL
    assert dead_worker_reason(study, 0) == f"worker process {gone.pid} gone"
    retry = [t for t in trials if t.system_attrs.get("failed_trial") == 0]
    assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE
    assert retry[0].params == trials[0].params
    counts = trial_counts(study)
    assert (counts.complete, counts.failed, counts.running) == (2, 1, 0)


# ------------------------------------------------------- URLs as users write them (issue 18)
@pytest.mark.postgres
@pytest.mark.parametrize("driver", ["postgresql", "postgresql+psycopg", "postgresql+psycopg2"])
def test_each_postgresql_url_form_opens_the_server(postgres_url: str, driver: str) -> None:
    import sqlalchemy

    url = sqlalchemy.engine.make_url(postgres_url).set(drivername=driver)
    text = url.render_as_string(hide_password=False)
    name = f"papercuts-url-{driver}-{os.getpid()}"
    storage = open_storage(text, connect_timeout=5)
    assert isinstance(storage, RDBStorage)
    try:
        create_or_load_study(storage, name, _config())
        assert read_config(optuna.load_study(study_name=name, storage=storage)).n_trials == 3
    finally:
        optuna.delete_study(study_name=name, storage=storage)


def test_sqlite_url_form(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 's.db'}")
    assert isinstance(storage, RDBStorage)
    create_or_load_study(storage, "s", _config())
    assert (tmp_path / "s.db").is_file()


def test_plain_postgresql_url_takes_the_installed_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3 only; with psycopg2 alone
    installed the plain URL still opens (with psycopg2), and an explicit driver is kept."""
    import sys

    from lossbalance.study._storage import resolve_url

    url = "postgresql://bob:pw@127.0.0.1:1/db"
    assert resolve_url(url) == url  # psycopg 3 installed: SQLAlchemy's default
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if only psycopg2 were installed
    assert resolve_url(url) == "postgresql+psycopg2://bob:pw@127.0.0.1:1/db"
    explicit = "postgresql+psycopg://bob:pw@127.0.0.1:1/db"
    with pytest.raises(LossbalanceError) as info:
        resolve_url(explicit)
    assert str(info.value) == (
        "storage postgresql+psycopg://bob:***@127.0.0.1:1/db: the database driver 'psycopg' "
        "is not installed (pip install 'psycopg[binary]')"
    )
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    with pytest.raises(LossbalanceError, match=r"driver 'psycopg' is not installed"):
        resolve_url(url)


def test_absent_or_unknown_driver_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from lossbalance.cli import main

    for url, fragment in [
        (
            "postgresql+pg8000://bob:hunter2@127.0.0.1/db",
            "storage postgresql+pg8000://bob:***@127.0.0.1/db: the database driver 'pg8000' "
            "is not installed (pip install 'pg8000')",
        ),
        ("postgresql+nope://h/db", "unknown database or driver 'postgresql+nope'"),
    ]:
        assert main(["study", "worker", "--storage", url, "--study", "x"]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "hunter2" not in err and fragment in err, err


@pytest.mark.postgres
def test_worker_command_as_the_docs_show_it(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``study run`` then ``study worker --storage postgresql://user@host/db --study S``
    (docs/studies.md), the URL written plain as users write it."""
    import sqlalchemy

    from lossbalance.cli import main

    monkeypatch.chdir(tmp_path)
    url = sqlalchemy.engine.make_url(postgres_url).set(drivername="postgresql")
    plain = url.render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    name = f"papercuts-worker-{os.getpid()}"
    toy = ["--toy", "--trials", "2", "--toy-epochs", "2", "--sampler", "random", "--quiet"]
    try:
        assert main(["study", "run", "--storage", plain, "--study", name, *toy]) == 0
        assert main(["study", "worker", "--storage", plain, "--study", name]) == 0
        study = optuna.load_study(study_name=name, storage=open_storage(plain))
        assert trial_counts(study).done == 2
    finally:
        optuna.delete_study(study_name=name, storage=open_storage(plain))
