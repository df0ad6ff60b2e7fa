"""A tiny optimiser over a vector of scheduler parameters (weights, log-variances).

Adaptive schedulers learn a handful of numbers (one per term) with their own
learning rate, independent of the model's optimiser. Plain float64 numpy keeps it
deterministic, device-free and trivially serialisable in ``state_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

OptimizerName = Literal["sgd", "adam"]


class VectorOptimizer:
    """SGD or Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization",
    ICLR) on a float64 vector, with bias correction and ``state_dict``.
    """

    def __init__(
        self,
        size: int,
        lr: float,
        kind: OptimizerName = "adam",
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.lr = lr
        self.kind = kind
        self.betas = betas
        self.eps = eps
        self.t = 0
        self.m = np.zeros(size)
        self.v = np.zeros(size)

    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return ``x`` after one descent step along ``grad``."""
        if self.kind == "sgd":
            return x - self.lr * grad
        b1, b2 = self.betas
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad * grad
        m_hat = self.m / (1 - b1**self.t)
        v_hat = self.v / (1 - b2**self.t)
        return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "m": self.m.tolist(), "v": self.v.tolist()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.t = int(state["t"])
        self.m = np.asarray(state["m"], dtype=np.float64)
        self.v = np.asarray(state["v"], dtype=np.float64)
