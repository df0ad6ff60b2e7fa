"""Weighting loss terms in any training loop: :class:`Balancer`."""

from lossbalance.balancer._balancer import Balancer, SharedParameters

__all__ = ["Balancer", "SharedParameters"]
