"""What ``run`` says about a spec exported with an ``origin``: the settings that differ
here, and whether the metrics equal the recorded ones (issue 19 item 1)."""

from __future__ import annotations

import math
from pathlib import Path

from lossbalance.experiment._rerun import metrics_message, settings_message
from lossbalance.spec import (
    ExperimentSpec,
    SpecOrigin,
    dump_spec,
    load_spec,
    metric_differences,
    parse_spec,
    spec_digest,
)
from lossbalance.training import TrainerConfig, environment_differences, run_environment


def _spec(**origin: object) -> ExperimentSpec:
    spec = parse_spec({"name": "x", "training": {"threads": 1, "device": "cpu"}})
    if not origin:
        return spec
    return spec.model_copy(
        update={"origin": SpecOrigin.model_validate({"run": "trial 3", **origin})}
    )


def test_settings_message_names_what_differs() -> None:
    here = run_environment(TrainerConfig(threads=1, device="cpu"))
    assert here["threads"] == 1 and here["device"] == "cpu" and here["torch"] != "absent"
    assert settings_message(_spec()) is None
    same = _spec(environment=here)
    assert settings_message(same) == (
        "rerun of trial 3: the same settings (threads, device, CPU, versions)"
    )
    other = _spec(environment={**here, "torch": "0.1", "device": "cuda", "python": "3.0"})
    msg = settings_message(other)
    assert msg is not None and msg.startswith("rerun of trial 3: settings differ")
    assert "device: cpu here, cuda recorded" in msg and f"torch: {here['torch']} here, 0.1" in msg
    assert msg.index("device") < msg.index("python") < msg.index("torch")  # in COMPARED order
    assert environment_differences({"threads": 2}, here) == ["threads: 1 here, 2 recorded"]
    assert environment_differences({}, here) == []  # an older record: nothing to compare


def test_metrics_message_exact_equality() -> None:
    spec = _spec(metrics={"validity": 0.9876433155960282, "coherence": 0.72, "pair_js": None})
    same = {"validity": 0.9876433155960282, "coherence": 0.72, "pair_js": math.nan}
    assert metrics_message(spec, same) == "reproduced trial 3 exactly: all 3 metrics equal"
    near = {**same, "validity": 0.9874020923481405}
    assert metrics_message(spec, near) == (
        "differs from trial 3: 1 of 3 metrics: validity 0.987402 (recorded 0.987643)"
    )
    assert metric_differences({"js": 0.1}, {}) == [("js", None, 0.1)]


def test_origin_round_trips_and_leaves_the_digest_alone(tmp_path: Path) -> None:
    plain = _spec()
    exported = _spec(metrics={"validity": 0.5}, environment={"threads": 1, "cuda_device": None})
    assert spec_digest(exported) == spec_digest(plain)
    back = load_spec(dump_spec(exported, tmp_path / "t.yaml"))
    assert back == exported and back.origin is not None and back.origin.metrics == {"validity": 0.5}
    assert "origin" not in (dump_spec(plain, tmp_path / "p.yaml")).read_text()


def test_run_numerics_applies_and_restores() -> None:
    import torch

    from lossbalance.training import run_numerics

    before = torch.get_num_threads()
    with run_numerics(TrainerConfig(threads=3, deterministic=True)):
        assert torch.get_num_threads() == 3 and torch.are_deterministic_algorithms_enabled()
        assert run_environment(TrainerConfig(threads=3, deterministic=True))["threads"] == 3
    assert torch.get_num_threads() == before and not torch.are_deterministic_algorithms_enabled()
    with run_numerics(TrainerConfig()):  # None: the process's setting
        assert torch.get_num_threads() == before
