"""Rich renderings of reports and frames (the CLI's view layer; no computation here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from planner.engine.score import METRICS, ScoreReport

if TYPE_CHECKING:
    import pandas as pd


def console(stderr: bool = False, width: int = 200):
    """A rich console on stdout (or stderr): terminal width on a terminal, ``width`` columns in a pipe."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else width)


def score_table(rep: ScoreReport) -> Table:
    """The 20 metrics like hbal's ``-v -v -v`` coefficients table, plus the weighted share."""
    t = Table(title=None, show_edge=False)
    for col in ("Field", "Value", "Weight", "Weighted"):
        t.add_column(col, justify="left" if col == "Field" else "right")
    for m in METRICS:
        v = rep.metrics.get(m.name, 0.0)
        t.add_row(m.name, f"{v:.8f}", f"x{m.weight:.2f}", f"{m.weight * v:.8f}")
    return t


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 100 and v != int(v) else f"{v:.0f}"
    return "" if v is None else str(v)


def frame_table(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> Table:
    """Any DataFrame as a rich table (numbers right-aligned)."""
    import pandas as pd

    cols = [c for c in df.columns if c not in drop]
    t = Table(show_edge=False)
    for c in cols:
        numeric = pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        t.add_column(str(c), justify="right" if numeric else "left")
    for row in df[cols].itertuples(index=False):
        t.add_row(*(_fmt(v) for v in row))
    return t
