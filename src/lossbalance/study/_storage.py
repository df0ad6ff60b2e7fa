"""Study storages: a journal file on one machine, any SQLAlchemy URL for many.

* A path (no ``://``) opens Optuna's :class:`~optuna.storages.JournalStorage` over a
  :class:`~optuna.storages.journal.JournalFileBackend`: an append-only log guarded
  by a lock file, correct with several worker processes on one machine. It has no
  heartbeat; lossbalance's workers record ``host:pid`` on each trial and fail, then
  retry, a trial whose process is gone (see :mod:`lossbalance.study._workers`).
* A URL (``postgresql://...``, ``sqlite:///...``, ``mysql://...``; a URL that names no
  driver gets an installed one, :func:`resolve_url`) opens
  :class:`~optuna.storages.RDBStorage` with heartbeats: a running trial records a
  heartbeat every ``heartbeat_interval`` seconds; one silent for ``grace_period``
  seconds is failed by the next worker that asks for a trial, and Optuna 5's
  ``heartbeat_stale_trial_callback`` (:class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`,
  the successor of the deprecated ``RetryFailedTrialCallback`` / ``failed_trial_callback``)
  queues a copy of it (same parameters) to run again.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import (
    BaseStorage,
    JournalStorage,
    RDBStorage,
    RetryHeartbeatStaleTrialCallback,
)
from optuna.storages.journal import JournalFileBackend

from lossbalance._errors import LossbalanceError

#: Default storage of ``lossbalance study``: a journal file in ./lossbalance-study/
DEFAULT_STORAGE = "lossbalance-study/studies.journal"


def is_url(url_or_path: str | os.PathLike[str]) -> bool:
    """Whether the storage string is a database URL rather than a file path."""
    return "://" in str(url_or_path)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (paths pass unchanged)."""
    if not is_url(url):
        return url
    try:
        import sqlalchemy

        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: hide everything between ':' and '@'
        head, sep, tail = url.partition("://")
        if "@" in tail:
            cred, _, host = tail.rpartition("@")
            user = cred.split(":", 1)[0]
            return f"{head}{sep}{user}:***@{host}"
        return url


#: Drivers tried in order for a URL that names none (``postgresql://``): SQLAlchemy 2.1
#: maps a plain ``postgresql://`` to psycopg 3 only, an install with psycopg2 alone fails.
PLAIN_URL_DRIVERS: dict[str, tuple[str, ...]] = {
    "postgresql": ("psycopg", "psycopg2"),
    "mysql": ("mysqldb", "pymysql"),
}

#: What to ``pip install`` for a driver (its package name, where it differs).
DRIVER_PACKAGES: dict[str, str] = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "mysqldb": "mysqlclient",
}


def _driver_importable(url: Any) -> bool:
    try:
        url.get_dialect().import_dbapi()
    except ImportError:
        return False
    return True


def resolve_url(url: str) -> str:
    """The SQLAlchemy URL to open for ``url``, with a driver that is installed.

    ``postgresql+psycopg://``, ``postgresql+psycopg2://``, ``sqlite:///`` and other URLs
    that name their driver are kept as they are; a URL that names none
    (``postgresql://``, ``mysql://``) gets the first installed driver of
    :data:`PLAIN_URL_DRIVERS` (SQLAlchemy's own default first).

    Raises:
        LossbalanceError: one line naming the URL (password hidden) and the driver that
            is missing, or the unknown database.
    """
    import sqlalchemy
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    masked = mask_url(url)
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except ArgumentError as exc:
        raise LossbalanceError(f"storage {masked}: not a database URL ({exc})") from None
    backend, named = parsed.get_backend_name(), "+" in parsed.drivername
    try:
        driver = parsed.get_driver_name()
        if _driver_importable(parsed):
            return url
    except NoSuchModuleError:
        raise LossbalanceError(
            f"storage {masked}: unknown database or driver {parsed.drivername!r} "
            "(e.g. postgresql://, postgresql+psycopg2://, sqlite:///file.db)"
        ) from None
    if not named:
        for alternative in PLAIN_URL_DRIVERS.get(backend, ()):
            candidate = parsed.set(drivername=f"{backend}+{alternative}")
            with contextlib.suppress(NoSuchModuleError):
                if _driver_importable(candidate):
                    return candidate.render_as_string(hide_password=False)
    package = DRIVER_PACKAGES.get(driver, driver)
    raise LossbalanceError(
        f"storage {masked}: the database driver {driver!r} is not installed "
        f"(pip install '{package}')"
    )


def open_storage(
    url_or_path: str | os.PathLike[str] | None = None,
    *,
    heartbeat_interval: int = 10,
    grace_period: int | None = None,
    max_retry: int | None = 3,
    connect_timeout: int = 10,
) -> BaseStorage:
    """Open (creating if needed) the storage a study lives in.

    Args:
        url_or_path: a journal file path (default :data:`DEFAULT_STORAGE`) or an
            SQLAlchemy URL.
        heartbeat_interval: seconds between a running trial's heartbeats (URLs only).
        grace_period: seconds without heartbeat before a trial is stale (default
            ``2 * heartbeat_interval``, Optuna's default).
        max_retry: how often one stale trial is retried (``None``: always).
        connect_timeout: seconds to wait for a database server to answer.

    Raises:
        LossbalanceError: a path whose folder does not exist, a URL whose driver is
            not installed, or a URL that cannot connect (the message shows the URL
            without its password).
    """
    target = str(url_or_path) if url_or_path not in (None, "") else DEFAULT_STORAGE
    if not is_url(target):
        path = Path(target)
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise LossbalanceError(f"storage {target}: folder {parent} does not exist")
        if path.is_dir():
            raise LossbalanceError(f"storage {target}: is a folder, expected a journal file")
        return JournalStorage(JournalFileBackend(str(path)))

    masked = mask_url(target)
    resolved = resolve_url(target)
    engine_kwargs: dict[str, object] = {}
    if target.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": int(connect_timeout)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(
                resolved,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                    max_retry=max_retry
                ),
            )
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        secret = _password(target)
        if secret:
            reason = reason.replace(secret, "***")
        reason = reason.replace(resolved, masked).replace(target, masked)
        raise LossbalanceError(
            f"storage {masked}: cannot connect ({type(exc).__name__}: {reason[:200]})"
        ) from None


def _password(url: str) -> str | None:
    try:
        import sqlalchemy

        return sqlalchemy.engine.make_url(url).password
    except Exception:
        return None
