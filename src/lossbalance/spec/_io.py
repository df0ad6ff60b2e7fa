"""Reading and writing experiment specs as YAML, with ``extends:`` inheritance.

``extends:`` names one file or a list of files (relative to the file that names
them). The bases are loaded first (each with its own ``extends:``), merged in the
order given, then the file itself is merged on top (rules in
:mod:`lossbalance.spec._merge`). A file that extends itself, directly or through
others, is an error naming the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.spec._errors import error_loc_and_message, validation_message
from lossbalance.spec._experiment import ExperimentSpec
from lossbalance.spec._merge import deep_merge, replaces
from lossbalance.spec._paths import relativize_paths, resolve_paths
from lossbalance.spec._sections import ScheduleSpec

Provenance = dict[tuple[Any, ...], str]


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loading that refuses a key written twice in one mapping."""


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _display(path: Path) -> str:
    """``path`` relative to the working folder when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute)
    except ValueError:
        return absolute
    return absolute if rel.startswith("..") else rel


def read_yaml(path: str | os.PathLike[str], what: str = "spec") -> Any:
    """The YAML document in ``path``; every failure is one LossbalanceError line."""
    p = Path(path)
    name = _display(p)
    if not p.exists():
        raise LossbalanceError(f"{name}: {what} file not found")
    if p.is_dir():
        raise LossbalanceError(f"{name}: is a folder, not a {what} file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LossbalanceError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LossbalanceError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise LossbalanceError(f"{name}: YAML error{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise LossbalanceError(f"{name}: YAML error: {exc}") from None
    except RecursionError:
        raise LossbalanceError(f"{name}: YAML nested too deeply") from None


def _record(doc: Any, file: str, prov: Provenance, prefix: tuple[Any, ...] = ()) -> None:
    prov[prefix] = file
    if isinstance(doc, Mapping):
        for key, value in doc.items():
            _record(value, file, prov, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            _record(value, file, prov, (*prefix, i))


def _load_tree(path: Path, chain: tuple[Path, ...]) -> tuple[dict[Any, Any], Provenance]:
    here = Path(os.path.normpath(os.path.abspath(path)))
    if here in chain:
        cycle = " -> ".join(_display(p) for p in (*chain[chain.index(here) :], here))
        raise LossbalanceError(f"{_display(chain[0])}: circular extends: {cycle}")
    doc = read_yaml(here)
    name = _display(here)
    if doc is None:
        raise LossbalanceError(f"{name}: the spec file is empty")
    if not isinstance(doc, dict):
        raise LossbalanceError(
            f"{name}: a spec must be a mapping of fields, not a {type(doc).__name__}"
        )
    doc = resolve_paths(doc, here.parent)
    parents = doc.pop("extends", None)
    if parents is None:
        parents = []
    elif isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) and p for p in parents):
        raise LossbalanceError(f"{name}: extends: must be a file path or a list of file paths")
    merged: dict[Any, Any] = {}
    prov: Provenance = {}
    for parent in parents:
        parent_path = Path(os.path.expanduser(parent))
        if not parent_path.is_absolute():
            parent_path = here.parent / parent_path
        if not Path(os.path.normpath(parent_path)).exists():
            raise LossbalanceError(f"{name}: extends: {parent}: file not found")
        parent_doc, parent_prov = _load_tree(parent_path, (*chain, here))
        _forget_replaced(parent_doc, merged, prov)
        prov.update(parent_prov)
        merged = deep_merge(merged, parent_doc)
    _forget_replaced(doc, merged, prov)
    _record(doc, name, prov)
    merged = deep_merge(merged, doc)
    return merged, prov


def _forget_replaced(doc: Any, base: Any, prov: Provenance, prefix: tuple[Any, ...] = ()) -> None:
    """Drop the entries of ``prov`` below every place where ``doc`` replaces ``base``.

    Where ``doc`` merges into ``base`` (a mapping over a mapping of the same kind) the
    base's other values keep their origin; where it replaces it (a list, a scalar, a
    mapping of another kind) nothing below comes from the base any more: a child's
    ``fallbacks:`` list replaces the base's, so an error in its ``variants[1]`` names
    the child, even where the base also had a ``variants[1]``.
    """
    if isinstance(doc, Mapping) and isinstance(base, Mapping) and not replaces(base, doc):
        for key, value in doc.items():
            if key in base:
                _forget_replaced(value, base[key], prov, (*prefix, key))
        return
    depth = len(prefix)
    for key in [k for k in prov if len(k) > depth and k[:depth] == prefix]:
        del prov[key]


def _culprit(prov: Provenance, loc: tuple[Any, ...], top: str) -> str:
    for n in range(len(loc), -1, -1):
        file = prov.get(tuple(loc[:n]))
        if file is not None:
            return top if file == top else f"{file} (extended by {top})"
    return top


def _validate(doc: Any, source: str, prov: Provenance | None = None) -> ExperimentSpec:
    try:
        spec = ExperimentSpec.model_validate(doc)
    except ValidationError as exc:
        loc, _, _ = error_loc_and_message(exc, doc)
        where = _culprit(prov or {}, loc, source)
        raise LossbalanceError(validation_message(exc, doc, where, model=ExperimentSpec)) from None
    except LossbalanceError as exc:
        raise LossbalanceError(f"{source}: {exc}") from None
    except RecursionError:
        raise LossbalanceError(f"{source}: the spec is nested too deeply") from None
    spec._source = source
    return spec


def load_spec(path: str | os.PathLike[str]) -> ExperimentSpec:
    """Load and validate an experiment spec from YAML (``extends:`` resolved).

    Relative paths are made absolute against the folder of the file that wrote
    them. Validation covers structure, values, tiers, fallback plans and every
    variant's override; whether referenced files exist is checked by
    :func:`lossbalance.spec.check_spec_files` (``lossbalance spec validate`` runs both).

    Raises:
        LossbalanceError: one line naming the file and the field path.
    """
    p = Path(path)
    top = _display(Path(os.path.normpath(os.path.abspath(p))))
    try:
        doc, prov = _load_tree(p, ())
    except RecursionError:
        raise LossbalanceError(f"{top}: the spec is nested too deeply") from None
    return _validate(doc, top, prov)


def parse_spec(
    data: Mapping[str, Any],
    *,
    source: str = "<spec>",
    base_dir: str | os.PathLike[str] | None = None,
) -> ExperimentSpec:
    """Validate a spec given as a mapping (no ``extends:``), paths relative to ``base_dir``."""
    if not isinstance(data, Mapping):
        raise LossbalanceError(f"{source}: a spec must be a mapping, not a {type(data).__name__}")
    if "extends" in data:
        raise LossbalanceError(f"{source}: extends: only spec files may extend others")
    doc = resolve_paths(dict(data), Path(base_dir or os.getcwd()))
    return _validate(doc, source)


def load_schedule_file(path: str | os.PathLike[str]) -> ScheduleSpec:
    """Read a schedule YAML file (one of ``schedules/``) into a ScheduleSpec."""
    reader = getattr(ScheduleSpec, "from_yaml", None)
    if callable(reader):
        result: ScheduleSpec = reader(path)
        return result
    doc = read_yaml(path, what="schedule")
    name = _display(Path(path))
    if not isinstance(doc, dict):
        raise LossbalanceError(f"{name}: a schedule file must hold a mapping (family, params)")
    try:
        return ScheduleSpec.model_validate(doc)
    except ValidationError as exc:
        raise LossbalanceError(validation_message(exc, doc, name, model=ScheduleSpec)) from None


def spec_to_dict(
    spec: ExperimentSpec, relative_to: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The spec as plain data (what YAML or JSON will hold), every field explicit."""
    doc = spec.model_dump(mode="json", exclude={"origin"} if spec.origin is None else None)
    if relative_to is not None:
        doc = relativize_paths(doc, Path(relative_to))
    return doc


def spec_to_yaml(spec: ExperimentSpec, relative_to: str | os.PathLike[str] | None = None) -> str:
    """The spec as YAML text that :func:`load_spec` reads back to an equal spec.

    Args:
        spec: the spec.
        relative_to: write paths relative to this folder (the folder the YAML will
            live in); absolute when None.
    """
    body = yaml.safe_dump(
        spec_to_dict(spec, relative_to), sort_keys=False, allow_unicode=True, width=100
    )
    return f"# lossbalance experiment spec ({spec.name}); every field explicit\n{body}"


def dump_spec(spec: ExperimentSpec, path: str | os.PathLike[str]) -> Path:
    """Write the spec to ``path`` atomically, paths relative to its folder."""
    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    return write_text_atomic(out, spec_to_yaml(spec, relative_to=folder.resolve()))


def spec_digest(spec: ExperimentSpec) -> str:
    """A SHA-256 of the spec's content (equal specs, equal digests); ``origin`` (where an
    exported spec came from) does not change what a run computes and is left out."""
    doc = spec.model_dump(mode="json", exclude={"origin"})
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
