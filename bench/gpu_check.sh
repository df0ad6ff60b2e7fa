#!/usr/bin/env bash
# GPU check of the generator (issue 14): at most about 5 minutes on one GPU.
#
#   1. trainer tokens/s at the `small` preset (3,000 simulated patients, batches of 32,
#      length-grouped), fp32 (TF32 products) and bf16 autocast, and their ratio
#      (goal: bf16 >= 1.5x fp32); the second of two epochs is timed, the device
#      synchronised at its end;
#   2. generation patients/s of the bf16-trained model (2,000 patients, KV cache);
#   3. a 4-trial study (the built-in study's spec, studies/default.yaml) on the GPU.
#
# Without CUDA it says so and exits 0. Usage: bash bench/gpu_check.sh
# (PYTHON=path/to/python to choose the interpreter; run from anywhere).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"

if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check: no CUDA device on this machine; nothing to check (exit 0)"
    exit 0
fi

start=$(date +%s)
timeout 200 "$PY" - <<'PYEOF'
import copy
import time

import torch

from lossbalance.data import simulate
from lossbalance.model import GeneratorConfig, SamplingConfig, generate
from lossbalance.schedulers import create
from lossbalance.training import Callback, Trainer, TrainerConfig, build_generator

print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)


class EpochTimer(Callback):
    """Seconds of each epoch's optimiser steps, the device synchronised at both ends
    (validation excluded: the clock stops at the epoch's last step)."""

    def __init__(self):
        self.seconds = []

    def on_epoch_begin(self, trainer, state):
        torch.cuda.synchronize()
        self.t0 = time.perf_counter()

    def on_step_end(self, trainer, state):
        if state.step % state.steps_per_epoch == 0:
            torch.cuda.synchronize()
            self.seconds.append(time.perf_counter() - self.t0)


cohort = simulate(3000, 0)
base = TrainerConfig(epochs=2, batch_size=32, device="cuda", seed=0)
train, val = cohort.split(base.val_fraction, base.seed)
initial = build_generator(train, GeneratorConfig(preset="small"), base.seed)
print(f"small preset: {initial.num_parameters():,} parameters", flush=True)
rates = {}
trainers = {}
for precision in ("fp32", "bf16"):
    timer = EpochTimer()
    cfg = base.model_copy(update={"precision": precision})
    t = Trainer(
        copy.deepcopy(initial),
        train,
        cfg,
        [create("fixed", ["age"], {"weight": 0.01}), create("fixed", ["sex"], {"weight": 0.2})],
        validation=val,
        callbacks=[timer],
    )
    t.fit()
    seconds = timer.seconds[-1]
    rates[precision] = t.train_batches.encoded.n_tokens / seconds
    trainers[precision] = t
    print(
        f"trainer {precision}: {rates[precision]:,.0f} tokens/s (epoch 2: {seconds:.2f} s of "
        f"steps, padding {t.state.epoch_padding[-1]:.1%}); val lm {t.state.val_losses[-1]['lm']:.3f}",
        flush=True,
    )
ratio = rates["bf16"] / rates["fp32"]
print(f"bf16 / fp32 tokens/s: {ratio:.2f}x (goal >= 1.5x)", flush=True)

model = trainers["bf16"].model
sampling = SamplingConfig(batch_size=500)
generate(model, 200, reference=train, sampling=sampling, seed=1)  # warm-up
torch.cuda.synchronize()
g0 = time.perf_counter()
out = generate(model, 2000, reference=train, sampling=sampling, seed=0)
torch.cuda.synchronize()
g = time.perf_counter() - g0
print(
    f"generation: {2000 / g:,.0f} patients/s (2,000 patients, {out.n_codes:,} codes, {g:.2f} s)",
    flush=True,
)
PYEOF

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "study: 4 trials of studies/default.yaml on the GPU (in $work)"
(cd "$work" && timeout 240 "$PY" -m lossbalance study run "$ROOT/studies/default.yaml" \
    --trials 4 --storage "$work/journal.log" --no-plots --quiet)
echo "gpu_check: done in $(( $(date +%s) - start )) s"
