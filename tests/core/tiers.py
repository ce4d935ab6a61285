"""Seeds of a parametrized test split between the tiers: the first ``quick`` run in the quick tier,
the rest carry the ``slow`` mark (``python3 tasks.py test`` runs them all)."""
from __future__ import annotations

import pytest


def seeds(total: range | int, quick: int) -> list:
    """``pytest.param`` of each seed of ``total``, marked slow after the first ``quick``."""
    values = range(total) if isinstance(total, int) else total
    return [pytest.param(s, marks=() if k < quick else pytest.mark.slow) for k, s in enumerate(values)]
