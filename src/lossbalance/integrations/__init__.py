"""Integrations with other training frameworks.

Each lives in its own module, imported on its own so that ``lossbalance`` does not
require the framework: :mod:`lossbalance.integrations.transformers` (a
``transformers.Trainer`` that weights loss terms with a :class:`~lossbalance.Balancer`).
"""
