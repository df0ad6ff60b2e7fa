"""The CLI entry point: exit codes and one-line errors."""

from __future__ import annotations

import pytest

from lossbalance import LossbalanceError, __version__
from lossbalance.cli import app, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_unknown_command_exits_2() -> None:
    assert main(["no-such-command"]) == 2


def test_user_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    @app.command("raise-user-error", hidden=True)
    def _raise() -> None:
        raise LossbalanceError("cohort.npz: column 'sex' missing")

    try:
        assert main(["raise-user-error"]) == 2
    finally:
        app.registered_commands.pop()
    err = capsys.readouterr().err.strip()
    assert err == "error: cohort.npz: column 'sex' missing"
    assert "Traceback" not in err
