"""Atomic output: nothing half-written, missing folders named."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossbalance import LossbalanceError
from lossbalance._atomic import atomic_path, write_text_atomic


def test_write_text_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("writer crashed")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_named(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "out.txt"
    with pytest.raises(LossbalanceError, match="nowhere"):
        write_text_atomic(target, "x")


def test_error_message_is_one_line() -> None:
    assert str(LossbalanceError("a\nb  c")) == "a b c"


def test_output_gets_usual_permissions(tmp_path: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        target = write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o644
