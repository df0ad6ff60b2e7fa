"""Training the generator: train state, trainer, callbacks and checkpoints."""

from lossbalance.training._state import TrainState

__all__ = ["TrainState"]
