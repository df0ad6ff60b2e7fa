"""Training the generator: train state, trainer, callbacks and checkpoints."""

from lossbalance.training._callbacks import (
    HOOKS,
    Callback,
    CallbackList,
    JsonlLogger,
    RichProgress,
    epoch_record,
)
from lossbalance.training._checkpoint import (
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from lossbalance.training._config import TrainerConfig
from lossbalance.training._environment import (
    ENVIRONMENT_FILE,
    environment_differences,
    run_environment,
    run_numerics,
    write_environment,
)
from lossbalance.training._run import (
    DataConfig,
    LossSpec,
    SimulateData,
    TrainRunConfig,
    check_run_terms,
    fit_cohort,
    load_run_config,
    run_training,
)
from lossbalance.training._state import TrainState
from lossbalance.training._trainer import (
    BEST,
    LAST,
    Evaluator,
    Trainer,
    build_generator,
    load_generator,
    resolve_device,
)

__all__ = [
    "BEST",
    "ENVIRONMENT_FILE",
    "HOOKS",
    "LAST",
    "Callback",
    "CallbackList",
    "DataConfig",
    "Evaluator",
    "JsonlLogger",
    "LossSpec",
    "RichProgress",
    "SimulateData",
    "TrainRunConfig",
    "TrainState",
    "Trainer",
    "TrainerConfig",
    "build_generator",
    "check_run_terms",
    "environment_differences",
    "epoch_record",
    "fit_cohort",
    "load_checkpoint",
    "load_generator",
    "load_run_config",
    "resolve_device",
    "rng_state",
    "run_environment",
    "run_numerics",
    "run_training",
    "save_checkpoint",
    "set_rng_state",
    "write_environment",
]
