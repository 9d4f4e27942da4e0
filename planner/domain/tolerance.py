"""Named tolerances for comparing hbal scores and GiB (one place instead of scattered literals).

>>> reaches(2.293072474, 2.29307247), reaches(2.2931, 2.29307247)
(True, False)
>>> improves(1.0 - 1e-13, 1.0), improves(1.0 - 1e-11, 1.0)
(False, True)
"""

from __future__ import annotations

#: two exact scores differ when they differ by more than this (the float noise of hbal's sums)
SCORE_EPS = 1e-12
#: a gain (or a GiB amount) smaller than this is none: hbal-greedy gains, budgets in GiB
GAIN_EPS = 1e-9
#: scores are printed and given on the command line to 8 decimals: a target is met within half a unit
TARGET_EPS = 5e-9


def reaches(score: float, target: float) -> bool:
    """Whether an exact ``score`` meets a ``--target-score`` given to 8 decimals."""
    return score <= target + TARGET_EPS + SCORE_EPS


def improves(new: float, old: float) -> bool:
    """Whether the exact score ``new`` is strictly lower than ``old``."""
    return new < old - SCORE_EPS


def within(gb: float, budget: float | None) -> bool:
    """Whether ``gb`` GiB fits ``budget`` (None: no budget)."""
    return budget is None or gb <= budget + GAIN_EPS
