"""Shared test configuration.

``torch`` is an optional reference: tests that compare with PyTorch use the
``torch`` fixture (or ``pytest.importorskip("torch")``) and are skipped
cleanly when it is not installed.
"""

import numpy as np
import pytest


@pytest.fixture
def torch():
    """The ``torch`` module, or skip the test when PyTorch is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture
def rng():
    """A seeded NumPy generator, so failures reproduce."""
    return np.random.default_rng(0)
