"""Shared fixtures: the real reference data in ../shared/data and PostgreSQL.

Outside CI a missing file or server skips the test; in CI (``CI`` set) it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES_URL = os.environ.get(
    "LOSSBALANCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ../shared/data (skips outside CI when it is missing)."""
    if not SHARED_DATA.is_dir():
        _unavailable(f"{SHARED_DATA} not found")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mimic3_dir(shared_data: Path) -> Path:
    path = shared_data / "mimic-iii-demo"
    if not (path / "PATIENTS.csv").is_file() and not (path / "PATIENTS.csv.gz").is_file():
        _unavailable(f"{path} has no PATIENTS table")
    return path


@pytest.fixture(scope="session")
def mimic4_dir(shared_data: Path) -> Path:
    path = shared_data / "mimic-iv-demo"
    if not (path / "hosp").is_dir():
        _unavailable(f"{path}/hosp not found")
    return path


@pytest.fixture(scope="session")
def mce_dir(shared_data: Path) -> Path:
    path = shared_data / "mce"
    if not path.is_dir():
        _unavailable(f"{path} not found")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL (skips outside CI when the server is down)."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any connection failure
        _unavailable(f"PostgreSQL at {POSTGRES_URL} unreachable: {type(exc).__name__}")
    return POSTGRES_URL


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a module (``pytestmark = pytest.mark.usefixtures(...)``):
    tiny models gain nothing from threads; on a shared machine they only stall."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
