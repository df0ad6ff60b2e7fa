"""Loading specs from YAML: extends, merge rules, relative paths, dump round trip, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.spec import (
    ScheduleFile,
    deep_merge,
    dump_spec,
    expand_dotted,
    load_spec,
    parse_spec,
    spec_digest,
    spec_to_yaml,
)
from lossbalance.spec._paths import key_kinds

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"
SEED_FILES = ["seed_aux_weights.yaml", "seed_aux_weights_ci.yaml", "seed_aux_weights_ci_worst.yaml"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(LossbalanceError) as info:
        load_spec(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------ merge rules
def test_deep_merge_rules() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "s": {"family": "fixed", "params": {"weight": 0.01}}}
    # mappings merge, lists replace, null replaces
    assert deep_merge(base, {"a": {"y": [3]}}) == {
        "a": {"x": 1, "y": [3]},
        "s": {"family": "fixed", "params": {"weight": 0.01}},
    }
    assert deep_merge(base, {"a": None})["a"] is None
    # same family: params merge; another family: the schedule is replaced whole
    same = deep_merge(base, {"s": {"family": "fixed", "params": {"weight": 0.2}}})
    assert same["s"] == {"family": "fixed", "params": {"weight": 0.2}}
    other = deep_merge(base, {"s": {"family": "linear", "params": {"start": 1.0}}})
    assert other["s"] == {"family": "linear", "params": {"start": 1.0}}
    only_params = deep_merge(base, {"s": {"params": {"weight": 0.5}}})
    assert only_params["s"] == {"family": "fixed", "params": {"weight": 0.5}}
    to_file = deep_merge(base, {"s": {"file": "x.yaml"}})
    assert to_file["s"] == {"file": "x.yaml"}
    assert base["s"]["params"]["weight"] == 0.01  # inputs untouched


def test_expand_dotted() -> None:
    assert expand_dotted({"a.b.c": 1, "a": {"d": 2}, "e": {"f.g": 3}}) == {
        "a": {"b": {"c": 1}, "d": 2},
        "e": {"f": {"g": 3}},
    }


# ---------------------------------------------------------------- seed + extends
@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_specs_load_and_round_trip(name: str, tmp_path: Path) -> None:
    spec = load_spec(STUDIES / name)
    assert [t.name for t in spec.tiers] == ["best", "acceptable", "worst"]
    assert spec.fallbacks[0].tier == "worst"
    out = dump_spec(spec, tmp_path / "elsewhere" / "resolved.yaml") if False else None
    (tmp_path / "elsewhere").mkdir()
    out = dump_spec(spec, tmp_path / "elsewhere" / "resolved.yaml")
    again = load_spec(out)
    assert again == spec
    assert spec_digest(again) == spec_digest(spec)
    assert again.source != spec.source
    text = spec_to_yaml(spec)
    assert "extends" not in text


def test_seed_numbers() -> None:
    spec = load_spec(STUDIES / "seed_aux_weights.yaml")
    assert spec.training.epochs == 30
    weights = {t: loss.schedule.params["weight"] for t, loss in spec.losses.items()}  # type: ignore[union-attr]
    assert weights == {"age": 0.001, "sex": 0.001}
    assert spec.baseline is not None and spec.baseline.train is not None
    train = spec.baseline.train.override()["losses"]
    assert train["age"]["schedule"]["params"]["weight"] == 0.01
    assert train["sex"]["schedule"]["params"]["weight"] == 0.2
    assert [str(c) for c in spec.tiers[0].conditions] == [
        "validity >= 0.95",
        "js < 0.3",
        "top100 > 0.5",
        "cooccurrence > 20",
    ]
    assert [str(c) for c in spec.tiers[2].conditions] == ["validity < 0.85"]
    assert spec.fallbacks[0].stop_tier() == "acceptable"


def test_ci_spec_extends_the_seed() -> None:
    seed = load_spec(STUDIES / "seed_aux_weights.yaml")
    ci = load_spec(STUDIES / "seed_aux_weights_ci.yaml")
    assert ci.name == "seed-aux-weights-ci"
    assert (ci.data.patients, ci.training.epochs, ci.model.d_model) == (300, 2, 32)  # type: ignore[union-attr]
    # untouched fields come from the base, merged field by field
    assert ci.training.lr == seed.training.lr and ci.training.batch_size == 32
    assert ci.data.source == "simulator" and ci.data.seed == 0  # type: ignore[union-attr]
    assert ci.tiers == seed.tiers and ci.fallbacks == seed.fallbacks
    worst = load_spec(STUDIES / "seed_aux_weights_ci_worst.yaml")
    assert worst.model == ci.model and str(worst.tiers[2].conditions[0]) == "validity <= 1"


def test_extends_list_order_and_relative_paths(tmp_path: Path) -> None:
    write(tmp_path / "schedules" / "w.yaml", "family: fixed\nparams: {weight: 0.3}\n")
    write(
        tmp_path / "base" / "a.yaml",
        "name: a\ntraining: {epochs: 3, lr: 0.01}\n"
        "losses: {age: {schedule: {file: ../schedules/w.yaml}}}\n",
    )
    write(tmp_path / "base" / "b.yaml", "name: b\ntraining: {epochs: 4}\n")
    child = write(
        tmp_path / "exp" / "c.yaml",
        "extends: [../base/a.yaml, ../base/b.yaml]\ntraining: {batch_size: 8}\n",
    )
    spec = load_spec(child)
    assert spec.name == "b"  # later bases win, the file itself wins over all
    assert (spec.training.epochs, spec.training.lr, spec.training.batch_size) == (4, 0.01, 8)
    schedule = spec.losses["age"].schedule
    assert isinstance(schedule, ScheduleFile)
    assert schedule.file == tmp_path / "schedules" / "w.yaml"  # relative to a.yaml, not c.yaml
    assert schedule.load().params == {"weight": 0.3}
    # dumped next to nothing in common: relative paths still point at the file
    (tmp_path / "out").mkdir()
    out = dump_spec(spec, tmp_path / "out" / "r.yaml")
    assert "file: ../schedules/w.yaml" in out.read_text()
    assert load_spec(out) == spec


def test_circular_extends_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: sub/c.yaml\n")
    write(tmp_path / "sub" / "c.yaml", "extends: ../a.yaml\n")
    msg = error_of(tmp_path / "a.yaml")
    assert "circular extends:" in msg
    assert msg.endswith(
        "a.yaml -> "
        + str(tmp_path / "b.yaml")
        + " -> "
        + str(tmp_path / "sub" / "c.yaml")
        + " -> "
        + str(tmp_path / "a.yaml")
    )
    write(tmp_path / "self.yaml", "extends: ./self.yaml\nname: x\n")
    assert "circular extends:" in error_of(tmp_path / "self.yaml")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the spec file is empty"),
        ("- a\n- b\n", "a spec must be a mapping of fields, not a list"),
        ("name: [unclosed\n", "YAML error at line 2, column 1"),
        ("name: a\nname: b\n", "YAML error at line 2, column 1: key 'name' is written twice"),
        ("extends: missing.yaml\n", "extends: missing.yaml: file not found"),
        ("extends: 3\n", "extends: must be a file path or a list of file paths"),
        ("!!python/object:os.system {}\n", "YAML error"),
        ("colour: blue\n", "colour: no such field (allowed: name, description, data, model,"),
        (
            "training: {epochs: 0}\n",
            "training.epochs: Input should be greater than or equal to 1 (got 0)",
        ),
        ("training: {epoch: 3}\n", "training.epoch: no such field (allowed: epochs, batch_size"),
        ("data: {source: mimic5}\n", "data: source must be one of simulator, mimic3"),
        ("data: {source: mimic3}\n", "data.path: required field missing"),
        (
            "data: {patients: 100, path: x}\n",
            "data.path: no such field (allowed: source, patients, seed, system)",
        ),
        (
            "losses: {foo: {schedule: 0.1}}\n",
            "losses.foo: Input should be 'lm', 'age', 'sex' or 'validity'",
        ),
        (
            "losses: {age: {schedule: {family: nope}}}\n",
            "losses.age.schedule.family: unknown scheduler family 'nope'",
        ),
        (
            "losses: {age: {schedule: {family: fixed, params: {weight: -1}}}}\n",
            "losses.age.schedule.params.weight:",
        ),
        (
            "losses: {validity: {schedule: 0.1}}\n",
            "losses.validity: the model has no 'validity' loss term",
        ),
        (
            "tiers: [{name: a, conditions: [validity >= 0.9, validity < 0.8]}]\n",
            "tiers[0].conditions: tier 'a' can never be reached",
        ),
        (
            "tiers: [{name: a, conditions: [js < 0.4]}, {name: b, conditions: [js < 0.3]}]\n",
            "tiers[1]: tier 'b' can never be reached: tier 'a' (listed before it) includes it",
        ),
        (
            "tiers: [{name: a, conditions: [js << 0.4]}]\n",
            "tiers[0].conditions[0]: condition 'js << 0.4'",
        ),
        (  # coverage is a share of R's codes: at most 1 (docs/metrics.md)
            "tiers: [{name: a, conditions: [coverage > 1]}]\n",
            "tiers[0].conditions: tier 'a' can never be reached",
        ),
        ("baseline: {label: x}\n", "baseline: give exactly one of checkpoint, run_dir, train"),
        ("baseline: {checkpoint: a.pt, run_dir: r}\n", "(got checkpoint, run_dir)"),
    ],
)
def test_one_line_errors_name_file_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "spec.yaml", text)
    msg = error_of(path)
    assert msg.startswith(str(path) + ": "), msg
    assert fragment in msg, msg


def test_error_in_a_base_file_names_it(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", "training: {epochs: -3}\n")
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nname: c\n")
    msg = error_of(child)
    assert msg.startswith(f"{tmp_path / 'base.yaml'} (extended by {child}): training.epochs")


def test_a_replaced_list_blames_the_child_not_the_base(tmp_path: Path) -> None:
    """The child's ``fallbacks:`` list replaces the base's: an error in its
    ``variants[1]`` is the child's, although the base has a ``variants[1]`` too."""
    child = write(
        tmp_path / "v2.yaml",
        f"extends: {STUDIES / 'seed_aux_weights_ci.yaml'}\n"
        "fallbacks:\n"
        "  - tier: worst\n"
        "    variants:\n"
        "      - {name: a, losses.age.schedule.params.weight: 0.005}\n"
        "      - {name: b, losses.age.schedule.weight: 0.005}\n",
    )
    msg = error_of(child)
    assert msg.startswith(f"{child}: fallbacks[0].variants[1].losses.age.schedule.weight"), msg
    # a mapping of another kind replaces too: the base's params no longer count
    write(
        tmp_path / "base.yaml", "losses: {age: {schedule: {family: fixed, params: {weight: 1}}}}\n"
    )
    kind = write(
        tmp_path / "kind.yaml",
        "extends: base.yaml\nlosses: {age: {schedule: {family: linear, params: {bad: 1}}}}\n",
    )
    assert error_of(kind).startswith(f"{kind}: losses.age.schedule"), error_of(kind)
    # a merged mapping keeps the base's origin for what the child leaves alone
    write(tmp_path / "b2.yaml", "training: {epochs: -3, lr: 0.01}\n")
    merged = write(tmp_path / "m.yaml", "extends: b2.yaml\ntraining: {lr: 0.02}\n")
    assert error_of(merged).startswith(f"{tmp_path / 'b2.yaml'} (extended by {merged})")
    # of two bases, the later one's list replaces the earlier one's
    write(tmp_path / "l1.yaml", "tiers: [{name: a}, {name: b, conditions: [validity >= 0.9]}]\n")
    write(tmp_path / "l2.yaml", "tiers: [{name: a}, {name: b, conditions: [nope >= 1]}]\n")
    both = write(tmp_path / "both.yaml", "extends: [l1.yaml, l2.yaml]\n")
    assert error_of(both).startswith(f"{tmp_path / 'l2.yaml'} (extended by {both})"), error_of(both)


def test_unreadable_inputs(tmp_path: Path) -> None:
    assert "spec file not found" in error_of(tmp_path / "nope.yaml")
    assert "is a folder" in error_of(tmp_path)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    assert "not UTF-8 text" in error_of(bad)


def test_parse_spec_from_a_mapping(tmp_path: Path) -> None:
    spec = parse_spec({"baseline": {"checkpoint": "ck/best.pt"}}, base_dir=tmp_path)
    assert spec.baseline is not None and spec.baseline.checkpoint == tmp_path / "ck" / "best.pt"
    with pytest.raises(
        LossbalanceError, match=r"^<spec>: model.d_model: no such field|^<spec>: model.dmodel"
    ):
        parse_spec({"model": {"dmodel": 3}})
    with pytest.raises(LossbalanceError, match="only spec files may extend"):
        parse_spec({"extends": "x.yaml"})


def test_path_keys_are_unambiguous() -> None:
    paths, others = key_kinds()
    assert {"file", "checkpoint", "run_dir", "path", "codes_path", "patients_path"} <= paths
    assert not paths & others, "a key name is a path in one model and not in another"
