"""Relative paths in specs: relative to the YAML file that wrote them.

Which keys hold paths is read from the spec's JSON Schema (every property whose
schema has ``format: path``), so composed section models bring their own path
fields with them. The loader makes those values absolute against the folder of
the file being read (before ``extends:`` merging, so a base file's paths stay
relative to the base file); :func:`dump_spec` writes them relative to the folder
of the file it writes, so a dumped spec can move together with its files.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def _is_path_schema(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("format") == "path":
        return True
    return any(_is_path_schema(s) for s in schema.get("anyOf", ()))


def _walk_properties(schema: Any, path_keys: set[str], other_keys: set[str]) -> None:
    if isinstance(schema, Mapping):
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for key, sub in props.items():
                (path_keys if _is_path_schema(sub) else other_keys).add(str(key))
        for value in schema.values():
            _walk_properties(value, path_keys, other_keys)
    elif isinstance(schema, list):
        for value in schema:
            _walk_properties(value, path_keys, other_keys)


@functools.cache
def key_kinds() -> tuple[frozenset[str], frozenset[str]]:
    """(keys that hold paths, keys that hold anything else) across the spec's schema."""
    from lossbalance.spec._experiment import ExperimentSpec

    path_keys: set[str] = set()
    other_keys: set[str] = set()
    _walk_properties(ExperimentSpec.model_json_schema(), path_keys, other_keys)
    return frozenset(path_keys), frozenset(other_keys)


def path_keys() -> frozenset[str]:
    """Keys whose values are paths, wherever they appear in a spec document."""
    return key_kinds()[0]


def _map_paths(doc: Any, fn: Callable[[str], str]) -> Any:
    keys = path_keys()
    if isinstance(doc, Mapping):
        out = {}
        for key, value in doc.items():
            last = key.rsplit(".", 1)[-1] if isinstance(key, str) else key
            if last in keys and isinstance(value, str | os.PathLike) and str(value):
                out[key] = fn(os.fspath(value))
            else:
                out[key] = _map_paths(value, fn)
        return out
    if isinstance(doc, list):
        return [_map_paths(v, fn) for v in doc]
    return doc


def resolve_paths(doc: Any, base_dir: Path) -> Any:
    """A copy of ``doc`` with relative path values made absolute against ``base_dir``."""
    base = os.path.abspath(base_dir)

    def absolute(value: str) -> str:
        value = os.path.expanduser(value)
        return os.path.normpath(value if os.path.isabs(value) else os.path.join(base, value))

    return _map_paths(doc, absolute)


def relativize_paths(doc: Any, base_dir: Path) -> Any:
    """A copy of ``doc`` with absolute path values written relative to ``base_dir``."""
    base = os.path.abspath(base_dir)

    def relative(value: str) -> str:
        return os.path.relpath(value, base) if os.path.isabs(value) else value

    return _map_paths(doc, relative)
