"""The one registry of scheduler families: built-ins and entry-point plugins.

Built-in families register with :func:`register_scheduler`; third-party ones are
found through the ``lossbalance.schedulers`` entry-point group (the entry point's
name is the family name, its value the :class:`WeightScheduler` subclass), read
with :mod:`importlib.metadata` when first asked for. The registry feeds the CLI's
``schedulers list``, :class:`~lossbalance.schedulers.ScheduleSpec` validation and
the contract tests in :mod:`lossbalance.testing`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any, TypeVar

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers._base import SchedulerParams, WeightScheduler, params_from_mapping

ENTRY_POINT_GROUP = "lossbalance.schedulers"
"""The entry-point group third-party scheduler families are published under."""

_BUILTINS: dict[str, type[WeightScheduler]] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")

S = TypeVar("S", bound=type[WeightScheduler])


def register_scheduler(name: str) -> Callable[[S], S]:
    """Class decorator adding a built-in family to the registry under ``name``.

    Sets ``cls.name``. Registering a second class under a taken name is an error.
    """
    if not _NAME.match(name):
        raise ValueError(f"scheduler name {name!r} must be lower-case letters, digits, '_' or '-'")

    def decorate(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, WeightScheduler)):
            raise TypeError(f"@register_scheduler({name!r}) needs a WeightScheduler subclass")
        taken = _BUILTINS.get(name)
        if taken is not None and taken is not cls:
            raise ValueError(f"scheduler name {name!r} is already taken by {taken.__qualname__}")
        cls.name = name
        _BUILTINS[name] = cls
        return cls

    return decorate


def _entry_points() -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def available_schedulers() -> list[str]:
    """Every known family name, built-ins and installed plugins, sorted.

    Plugins are listed from their entry-point metadata without being imported.
    """
    return sorted(set(_BUILTINS) | set(_entry_points()))


def _load_plugin(ep: metadata.EntryPoint) -> type[WeightScheduler]:
    dist = getattr(ep, "dist", None)
    origin = f"{ep.value}" + (f" from {dist.name}" if dist is not None else "")
    try:
        obj = ep.load()
    except Exception as exc:  # any import-time failure of third-party code
        detail = " ".join(str(exc).split()) or "no message"
        raise LossbalanceError(
            f"scheduler plugin {ep.name!r} ({origin}, entry-point group {ENTRY_POINT_GROUP}) "
            f"failed to import: {type(exc).__name__}: {detail}"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, WeightScheduler)):
        raise LossbalanceError(
            f"scheduler plugin {ep.name!r} ({origin}) is not a WeightScheduler subclass"
        )
    if getattr(obj, "name", ep.name) != ep.name:
        raise LossbalanceError(
            f"scheduler plugin {ep.name!r} ({origin}) declares name {obj.name!r}; "
            "the entry-point name and the class's name must agree"
        )
    obj.name = ep.name
    return obj


def get_scheduler_class(name: str) -> type[WeightScheduler]:
    """The class of family ``name``, importing a plugin if needed.

    Raises:
        LossbalanceError: unknown name (the message lists the known ones), or a
            plugin that fails to import.
    """
    cls = _BUILTINS.get(name)
    if cls is not None:
        return cls
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(available_schedulers())
        raise LossbalanceError(f"unknown scheduler family {name!r}; known families: {known}")
    return _load_plugin(ep)


def validate_params(
    cls: type[WeightScheduler], params: SchedulerParams | Mapping[str, Any] | None, where: str = ""
) -> SchedulerParams:
    """Validate ``params`` with ``cls.Params``, turning errors into one line.

    Args:
        cls: the scheduler family.
        params: a mapping of parameter values (or an already built Params).
        where: a prefix naming the source (``"schedules/x.yaml: "``) for messages.
    """
    return params_from_mapping(cls, params, where)


def create(
    name: str,
    terms: Sequence[str],
    params: SchedulerParams | Mapping[str, Any] | None = None,
) -> WeightScheduler:
    """Build a scheduler of family ``name`` owning ``terms``.

    Example:
        >>> from lossbalance.training import TrainState
        >>> create("fixed", ["age"], {"weight": 0.01}).weights(TrainState())
        {'age': 0.01}

    Raises:
        LossbalanceError: unknown family, bad parameters or a wrong number of terms.
    """
    return get_scheduler_class(name)(terms, params)
