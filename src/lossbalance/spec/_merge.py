"""Deep merge of spec documents (``extends:`` and fallback overrides).

Rules, applied recursively from the top (documented in docs/specs.md):

1. mapping over mapping: merged key by key;
2. anything else (scalars, lists, ``null``) replaces what it overrides; lists are
   replaced whole, never concatenated (``tiers`` in a child replaces every tier);
3. a mapping that names its kind (``family`` for a schedule, ``file`` for a schedule
   file, ``source`` for the data) with a value different from the base's (a missing
   key counts as different) replaces the base mapping instead of merging into it, so
   switching a schedule from ``fixed`` to ``linear`` does not inherit ``weight``;
4. keys containing dots in an override (``losses.age.schedule.params.weight: 0.005``)
   are short for the nested mappings (:func:`expand_dotted`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KIND_KEYS: tuple[str, ...] = ("family", "file", "source")
"""Keys whose change makes a mapping replace the one it overrides (rule 3)."""

_MISSING = object()


def replaces(base: Mapping[Any, Any], override: Mapping[Any, Any]) -> bool:
    """Rule 3: ``override`` names a kind other than ``base``'s, so it replaces ``base``."""
    return any(key in override and base.get(key, _MISSING) != override[key] for key in KIND_KEYS)


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` merged into ``base`` (neither is modified)."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        if replaces(base, override):
            return _copy(override)
        out = {key: _copy(value) for key, value in base.items()}
        for key, value in override.items():
            out[key] = deep_merge(base[key], value) if key in base else _copy(value)
        return out
    return _copy(override)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def expand_dotted(override: Mapping[Any, Any]) -> dict[Any, Any]:
    """Expand ``{"a.b": 1}`` into ``{"a": {"b": 1}}`` at every level.

    A dotted key and a nested mapping for the same field are merged (the dotted one
    is applied last).
    """
    out: dict[Any, Any] = {}
    dotted: list[tuple[list[str], Any]] = []
    for key, value in override.items():
        inner = expand_dotted(value) if isinstance(value, Mapping) else value
        if isinstance(key, str) and "." in key and all(key.split(".")):
            dotted.append((key.split("."), inner))
        else:
            out[key] = deep_merge(out[key], inner) if key in out else inner
    for parts, value in dotted:
        nested: Any = value
        for part in reversed(parts):
            nested = {part: nested}
        out = deep_merge(out, nested)
    return out
