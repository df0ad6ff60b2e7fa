"""Experiment spec models: losses, plans, overrides, variants, baseline, file checks, schema."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.spec import (
    ExperimentSpec,
    ScheduleFile,
    apply_override,
    check_spec_files,
    classify_tier,
    load_spec,
    parse_spec,
    plan_for,
    resolve_baseline,
    resolve_variants,
    spec_json_schema,
)

ROOT = Path(__file__).resolve().parents[1]

TIERS = [
    {"name": "best", "conditions": ["validity >= 0.95", "js < 0.3"]},
    {"name": "acceptable", "conditions": ["validity >= 0.9", "js < 0.4"]},
    {"name": "worst", "conditions": ["validity < 0.85"]},
]


def fixed(weight: float) -> dict[str, Any]:
    return {"schedule": {"family": "fixed", "params": {"weight": weight}}}


def base_doc(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "t",
        "training": {"epochs": 3},
        "losses": {"age": fixed(0.001), "sex": fixed(0.001)},
        "tiers": copy.deepcopy(TIERS),
        "fallbacks": [
            {
                "tier": "worst",
                "stop": {"first_reaching": "acceptable"},
                "variants": [
                    {"name": "w005", "losses": {"age": fixed(0.005), "sex": fixed(0.005)}},
                    {"name": "longer", "training.epochs": 9},
                ],
            }
        ],
    }
    doc.update(extra)
    return doc


def error(doc: dict[str, Any]) -> str:
    with pytest.raises(LossbalanceError) as info:
        parse_spec(doc, source="s.yaml")
    return str(info.value)


def test_defaults_make_a_valid_spec() -> None:
    spec = ExperimentSpec()
    assert spec.data.source == "simulator"
    assert spec.losses == {} and spec.tiers == [] and spec.fallbacks == []
    assert spec == parse_spec({})


def test_variants_resolve_to_complete_specs() -> None:
    spec = parse_spec(base_doc(), source="s.yaml")
    variants = resolve_variants(spec, "worst")
    assert [v.name for v in variants] == ["w005", "longer"]
    assert [v.field_path for v in variants] == [
        "fallbacks[0].variants[0]",
        "fallbacks[0].variants[1]",
    ]
    first, second = (v.spec for v in variants)
    assert first.losses["age"].schedule.params == {"weight": 0.005}  # type: ignore[union-attr]
    assert first.training.epochs == 3 and second.training.epochs == 9
    assert second.losses == spec.losses
    assert first.fallbacks == [] and first.tiers == spec.tiers  # variants do not cascade
    assert resolve_variants(spec, 0) == variants
    assert resolve_variants(spec, "best") == [] and resolve_variants(spec, None) == []
    assert plan_for(spec, "worst") == 0 and plan_for(spec, None) is None
    with pytest.raises(LossbalanceError, match=r"fallbacks\[3\]: no such plan"):
        resolve_variants(spec, 3)


def test_a_plan_for_no_tier() -> None:
    doc = base_doc()
    doc["fallbacks"][0]["tier"] = "none"
    spec = parse_spec(doc)
    assert [v.name for v in resolve_variants(spec, None)] == ["w005", "longer"]
    metrics = {"validity": 0.87, "js": 0.5}
    assert classify_tier(spec, metrics) is None
    assert plan_for(spec, classify_tier(spec, metrics)) == 0


def test_variant_override_of_a_missing_field_names_its_path() -> None:
    doc = base_doc()
    doc["fallbacks"][0]["variants"][1] = {
        "name": "typo",
        "losses": {"age": {"schedule": {"weight": 0.005}}},
    }
    assert error(doc) == (
        "s.yaml: fallbacks[0].variants[1].losses.age.schedule.weight: no such field "
        "(allowed: family, params, terms)"
    )
    doc["fallbacks"][0]["variants"][1] = {"name": "typo", "training.epoch": 3}
    assert error(doc).startswith(
        "s.yaml: fallbacks[0].variants[1].training.epoch: no such field (allowed: epochs,"
    )
    doc["fallbacks"][0]["variants"][1] = {"name": "tiers", "tiers": []}
    assert error(doc).startswith(
        "s.yaml: fallbacks[0].variants[1].tiers: no such field (allowed: data, model,"
    )
    doc["fallbacks"][0]["variants"][1] = {"name": "neg", "losses.sex.schedule.params.weight": -1}
    assert error(doc).startswith(
        "s.yaml: fallbacks[0].variants[1].losses.sex.schedule.params.weight: "
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["fallbacks"][0].update(tier="average"),
            "s.yaml: fallbacks[0].tier: unknown tier 'average'; "
            "tiers: best, acceptable, worst, none",
        ),
        (
            lambda d: d["fallbacks"].append(copy.deepcopy(d["fallbacks"][0])),
            "s.yaml: fallbacks[1].tier: tier 'worst' already has a plan (fallbacks[0])",
        ),
        (
            lambda d: d["fallbacks"][0].update(stop={"first_reaching": "worst"}),
            "s.yaml: fallbacks[0].stop.first_reaching: stop tier 'worst' must be better",
        ),
        (
            lambda d: d["fallbacks"][0].update(stop={"first_reaching": "great"}),
            "s.yaml: fallbacks[0].stop.first_reaching: unknown tier 'great'",
        ),
        (
            lambda d: d["fallbacks"][0]["variants"][1].update(name="w005"),
            "s.yaml: fallbacks[0].variants[1].name: variant name 'w005' is used twice",
        ),
        (
            lambda d: d["fallbacks"][0]["variants"][1].update(name="../up"),
            "s.yaml: fallbacks[0].variants[1].name: variant name '../up' must start",
        ),
        (
            lambda d: d["fallbacks"][0].update(variants=[]),
            "s.yaml: fallbacks[0].variants: List should have at least 1 item",
        ),
        (
            lambda d: d["fallbacks"][0].update(stop="some"),
            "s.yaml: fallbacks[0].stop",
        ),
    ],
)
def test_bad_plans(mutate: Any, expected: str) -> None:
    doc = base_doc()
    mutate(doc)
    assert error(doc).startswith(expected), error(doc)


def test_joint_schedules_own_several_terms() -> None:
    joint = {
        "schedule": {
            "family": "curriculum",
            "terms": ["age", "sex"],
            "params": {"phases": [{"weights": {"age": 0.01, "sex": 0.2}}]},
        }
    }
    spec = parse_spec({"losses": {"age": joint}})
    assert spec.losses["age"].schedule.terms == ("age", "sex")  # type: ignore[union-attr]
    assert error({"losses": {"age": joint, "sex": fixed(0.1)}}) == (
        "s.yaml: losses.sex.schedule: term 'sex' is weighted twice (also by losses.age)"
    )
    assert error({"losses": {"lm": joint}}) == (
        "s.yaml: losses.lm.schedule.terms: a joint schedule written under 'lm' must list "
        "'lm' in its terms"
    )
    # an override removes a term with null, so a joint schedule can take it over
    spec = parse_spec({"losses": {"age": fixed(0.1), "sex": fixed(0.1)}})
    merged = apply_override(spec, {"losses": {"sex": None, "age": joint}})
    assert list(merged.losses) == ["age"]


def test_apply_override() -> None:
    spec = parse_spec(base_doc(), source="s.yaml")
    out = apply_override(spec, {"training.epochs": 30, "evaluation": {"patients": 5}})
    assert (out.training.epochs, out.evaluation.patients) == (30, 5)
    assert spec.training.epochs == 3  # the original is untouched
    assert out.source == spec.source and out.fallbacks == spec.fallbacks
    switched = apply_override(
        spec,
        {
            "losses.age.schedule": {
                "family": "linear",
                "params": {"start": 0.01, "end": 0.001, "duration": 5},
            }
        },
    )
    assert switched.losses["age"].schedule.family == "linear"  # type: ignore[union-attr]
    with pytest.raises(LossbalanceError) as info:
        apply_override(spec, {"losses": {"age": {"schedule": {"weight": 0.1}}}})
    assert str(info.value) == (
        "override: losses.age.schedule.weight: no such field (allowed: family, params, terms)"
    )
    with pytest.raises(LossbalanceError, match=r"^trial 3: model.layers: no such field"):
        apply_override(spec, {"model": {"layers": 3}}, where="trial 3")


def test_override_inside_a_schedule_file_inlines_it(tmp_path: Path) -> None:
    sched = tmp_path / "w.yaml"
    sched.write_text("family: fixed\nparams: {weight: 0.3}\n")
    spec = parse_spec({"losses": {"age": {"schedule": {"file": "w.yaml"}}}}, base_dir=tmp_path)
    assert isinstance(spec.losses["age"].schedule, ScheduleFile)
    out = apply_override(spec, {"losses.age.schedule.params.weight": 0.05})
    assert out.losses["age"].schedule.model_dump() == {  # type: ignore[union-attr]
        "family": "fixed",
        "params": {"weight": 0.05},
        "terms": None,
    }
    back = apply_override(out, {"losses.age.schedule": {"file": str(sched)}})
    assert back == spec


def test_baseline_forms(tmp_path: Path) -> None:
    spec = parse_spec(
        {**base_doc(), "baseline": {"train": {"losses": {"age": fixed(0.01), "sex": fixed(0.2)}}}}
    )
    trained = resolve_baseline(spec)
    assert trained is not None and trained.baseline is None and trained.fallbacks == []
    assert trained.losses["sex"].schedule.params == {"weight": 0.2}  # type: ignore[union-attr]
    assert resolve_baseline(parse_spec({"baseline": {"checkpoint": "x.pt"}})) is None
    assert error({"baseline": {"train": {"training": {"epochs": 0}}}}).startswith(
        "s.yaml: baseline.train.training.epochs: Input should be greater than or equal to 1"
    )


def test_check_spec_files(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("family: fixed\nparams: {weight: 0.3}\n")
    (tmp_path / "bad.yaml").write_text("family: fixed\nparams: {weight: -3}\n")
    (tmp_path / "best.pt").write_bytes(b"x")
    (tmp_path / "mimic").mkdir()
    doc = {
        "data": {"source": "mimic3", "path": "mimic"},
        "losses": {"age": {"schedule": {"file": "w.yaml"}}},
        "baseline": {"checkpoint": "best.pt"},
        "tiers": TIERS,
        "fallbacks": [
            {"tier": "worst", "variants": [{"name": "v", "losses.sex.schedule.file": "gone.yaml"}]}
        ],
    }
    spec = parse_spec(doc, source="s.yaml", base_dir=tmp_path)
    with pytest.raises(LossbalanceError) as info:
        check_spec_files(spec)
    assert str(info.value) == (
        "s.yaml: fallbacks[0].variants[0].losses.sex.schedule.file: schedule file "
        f"{tmp_path / 'gone.yaml'} does not exist"
    )
    doc["fallbacks"] = []
    found = check_spec_files(parse_spec(doc, source="s.yaml", base_dir=tmp_path))
    assert [(f.field, f.kind) for f in found] == [
        ("data.path", "data"),
        ("losses.age.schedule.file", "schedule"),
        ("baseline.checkpoint", "checkpoint"),
    ]
    for change, fragment in [
        ({"baseline": {"checkpoint": "nope.pt"}}, "baseline.checkpoint: checkpoint file"),
        ({"baseline": {"run_dir": "runs/x"}}, "baseline.run_dir: run directory folder"),
        ({"data": {"source": "mimic4", "path": "w.yaml"}}, "data.path: data folder"),
        ({"losses": {"age": {"schedule": {"file": "bad.yaml"}}}}, "losses.age.schedule.file: "),
    ]:
        spec = parse_spec({**doc, **change}, source="s.yaml", base_dir=tmp_path)
        with pytest.raises(LossbalanceError, match=rf"^s\.yaml: {fragment}"):
            check_spec_files(spec)


def test_seed_spec_files_all_exist() -> None:
    spec = load_spec(ROOT / "studies" / "seed_aux_weights.yaml")
    check_spec_files(spec)
    worst = resolve_variants(spec, "worst")
    assert [v.name for v in worst] == ["fixed-0.005-0.005", "validity-first"]
    curriculum = worst[1].spec.losses["age"].schedule
    assert curriculum.family == "curriculum" and curriculum.terms == ("age", "sex")  # type: ignore[union-attr]
    assert "sex" not in worst[1].spec.losses and worst[1].spec.training.eval_every == 1


def test_json_schema() -> None:
    schema = spec_json_schema()
    props = schema["properties"]
    assert list(props)[:3] == ["extends", "name", "description"]
    assert schema["additionalProperties"] is False
    condition = schema["$defs"]["Condition"]
    assert condition["type"] == "string"
    pattern = re.compile(condition["pattern"])
    assert pattern.match("validity >= 0.95") and pattern.match("floor_js<0.3")
    assert not pattern.match("validty >= 0.95") and not pattern.match("js = 0.3")
    for name in ("data", "model", "training", "losses", "evaluation", "tiers", "fallbacks"):
        assert name in props


@pytest.mark.parametrize(
    "name", ["seed_aux_weights.yaml", "seed_aux_weights_ci.yaml", "seed_aux_weights_ci_worst.yaml"]
)
def test_shipped_specs_validate_against_the_json_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = spec_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    doc = yaml.safe_load((ROOT / "studies" / name).read_text())
    assert list(validator.iter_errors(doc)) == []
    # dotted override keys are allowed; a misspelt section is not
    doc["fallbacks"] = [
        {"tier": "worst", "variants": [{"name": "a", "losses.age.schedule.params.weight": 0.1}]}
    ]
    assert list(validator.iter_errors(doc)) == []
    doc["fallbacks"][0]["variants"][0]["lossez"] = {}
    doc["tiers"] = [{"name": "x", "conditions": ["validty >= 0.9"]}]
    assert len(list(validator.iter_errors(doc))) == 2
