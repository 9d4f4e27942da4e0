"""A sweep's result for notebooks and the CLI: the frame, a one-line ``repr``, an HTML summary and the
capacity-per-flavor plot.

>>> import pandas as pd
>>> f = pd.DataFrame({"point": [0, 1], "changes.0.count": [0, 2], "cap_large_after": [6, 30],
...                   "n1_ok": [False, True], "error": ["", ""]})
>>> counts(f, ["changes.0.count"]).values.tolist()
[[0, 'large', 6, False], [2, 'large', 30, True]]
>>> f["changes.0.model"] = ["a", "b"]
>>> counts(f, ["changes.0.count", "changes.0.model"])["flavor"].tolist()
['large (changes.0.model=a)', 'large (changes.0.model=b)']
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.domain.errors import PlannerError
from planner.scenario.sweep import SweepRun


def _x(frame: pd.DataFrame, keys: list[str]) -> str:
    """The plot's x axis: the first varied key with numeric values (the one key, whatever its values),
    else the point index."""
    numeric = [k for k in keys if pd.api.types.is_numeric_dtype(frame[k])]
    return numeric[0] if numeric else keys[0] if len(keys) == 1 else "point"


def counts(frame: pd.DataFrame, keys: list[str], state: str = "after") -> pd.DataFrame:
    """Long form of the capacity columns ``cap_<flavor>_<state>``: x, flavor, count, n1_ok (error rows
    left out); ``state``: before, after, or a rebalance method (after its plan).  The other varied
    keys' values are part of the flavor's label (one line each)."""
    x = _x(frame, keys)
    ok = frame[frame["error"] == ""]
    rest = [k for k in keys if k != x]
    tag = ok[rest].astype(str).apply(lambda r: ", ".join(f"{k}={v}" for k, v in r.items()), axis=1) \
        if rest and len(ok) else pd.Series("", index=ok.index)
    suffix = f"_{state}"
    cols = [c for c in frame.columns if c.startswith("cap_") and c.endswith(suffix)]
    parts = [pd.DataFrame({x: ok[x], "flavor": [f"{c[len('cap_'):-len(suffix)]}" + (f" ({g})" if g else "")
                                                for g in tag], "count": ok[c], "n1_ok": ok["n1_ok"].astype(bool)})
             for c in cols]
    if not parts:
        return pd.DataFrame(columns=[x, "flavor", "count", "n1_ok"])
    return pd.concat(parts, ignore_index=True)


@dataclass(repr=False)
class SweepResult:
    """What :func:`planner.api.sweep` and ``pl.sweep`` return."""

    run: SweepRun

    def to_frame(self) -> pd.DataFrame:
        """One row per point (sorted by point): the varied values, then the answers, ``error`` last."""
        return self.run.frame

    def summary(self) -> dict[str, Any]:
        f = self.run.frame
        return {"points": len(f), "of": self.run.points, "errors": int((f["error"] != "").sum()),
                "varied": ", ".join(self.run.keys), "backend": self.run.backend, "workers": self.run.workers,
                "wall_s": round(self.run.wall_s, 1), "interrupted": self.run.interrupted}

    def counts(self, state: str = "after") -> pd.DataFrame:
        return counts(self.run.frame, self.run.keys, state)

    def plot(self, state: str = "after", title: str | None = None):
        """Instances that fit per flavor across the sweep (hollow markers: N+1 fails after the changes)."""
        from planner.report.plots import capacity_sweep

        c = self.counts(state)
        if c.empty:
            raise PlannerError("plot", None, f"no capacity to plot in state '{state}' (the scenario's "
                               "questions.capacity names no flavor, or every point failed)")
        x = c.columns[0]
        return capacity_sweep(c, x, title or f"capacity per flavor ({state} the changes)"
                              if state in ("before", "after") else title or f"capacity after the {state} plan")

    def __repr__(self) -> str:
        s = self.summary()
        stop = ", interrupted" if s["interrupted"] else ""
        return (f"<Sweep {s['points']}/{s['of']} points over {s['varied']}: {s['errors']} error(s), "
                f"{s['backend']} x{s['workers']}, {s['wall_s']:.1f} s{stop}>")

    def _repr_html_(self) -> str:
        head = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                       f"<td>{html.escape(str(v))}</td></tr>" for k, v in self.summary().items())
        return f"<table><caption><b>Sweep</b></caption>{head}</table>" + self.run.frame.to_html(max_rows=30)
