"""What the capacity side of the ``planner`` façade returns: capacity, what-if and failure results.

Same shape as :mod:`planner.results`: ``summary()``, ``to_frame()``, a one-line ``repr``,
``_repr_html_`` and ``plot()``.

>>> CapacityResult({"small": None}).to_frame().columns.tolist()
['flavor', 'disk_template', 'allocated', 'fail_reason', 'tiered_allocated']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.results import Result

CAPACITY_COLUMNS = ["flavor", "disk_template", "allocated", "fail_reason", "tiered_allocated"]


@dataclass(repr=False)
class CapacityResult(Result):
    """hspace's answer per flavor: how many more instances fit (standard allocation, and tiered)."""

    runs: dict[str, Any]  #: flavor label → planner.capacity.hspace.CapacityResult (or None)
    templates: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per flavor: hspace's standard count, why it stopped, and the tiered count."""
        rows = []
        for name, r in self.runs.items():
            std = r.standard if r is not None else None
            tier = r.tiered if r is not None else None
            rows.append({"flavor": name, "disk_template": self.templates.get(name, r.template if r else None),
                         "allocated": std.allocated if std else None,
                         "fail_reason": std.fail_reason if std and std.reasons else None,
                         "tiered_allocated": tier.allocated if tier else None})
        return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)

    def summary(self) -> dict[str, Any]:
        return {f"{row.flavor} fits": row.allocated for row in self.to_frame().itertuples()}

    def __getitem__(self, flavor: str) -> int | None:
        """The standard-allocation count of ``flavor``."""
        r = self.runs[flavor]
        return r.standard.allocated if r is not None and r.standard is not None else None

    def plot(self, title: str | None = None):
        """One bar per flavor: instances that still fit."""
        from planner.report.plots import figure

        df = self.to_frame()
        fig, ax = figure(figsize=(max(4.0, 0.9 * len(df) + 2), 3.2))
        ax.bar(df["flavor"].astype(str), df["allocated"].fillna(0))
        ax.set_ylabel("instances that fit")
        ax.set_title(title or "capacity per flavor (hspace standard allocation)")
        return fig

    def __repr__(self) -> str:
        return "<Capacity " + ", ".join(f"{k}: {v}" for k, v in self.summary().items()) + ">"

    def _caption(self) -> str:
        return "capacity (hspace)"


@dataclass(repr=False)
class WhatIfResult(Result):
    """A scenario's answer: before/after score and N+1, capacity per flavor, the rebalance per method."""

    whatif: Any  #: planner.scenario.whatif.WhatIf

    def summary(self) -> dict[str, Any]:
        w = self.whatif
        out = {"scenario": w.scenario.name or w.scenario.source, "score before": w.before.score,
               "score after": w.after.score, "N+1 failing after": len(w.after.n1_fail_nodes)}
        for r in w.rebalance:
            out[f"{r['method']}: moves / GiB / days"] = f"{r['moves']} / {r['gb_copied']:.0f} / {r['days']}"
        for c in w.capacity:
            out[f"{c['flavor']} fits (before → after)"] = f"{c['before']} → {c['after']}"
        return out

    def to_frame(self) -> pd.DataFrame:
        """The rebalance that the change needs, one row per method."""
        return self.whatif.rebalance_frame()

    def capacity_frame(self) -> pd.DataFrame:
        """One row per flavor: hspace's count before, after the changes, and after each plan."""
        return self.whatif.capacity_frame()

    def states_frame(self) -> pd.DataFrame:
        """Score and N+1 before and after the changes."""
        return self.whatif.summary_frame()

    def plot(self, title: str | None = None):
        """Per-node memory/disk/vCPU use: after the changes, and after each rebalance."""
        from planner.report.story import whatif_usage

        return whatif_usage(self.whatif, title)

    def __repr__(self) -> str:
        w = self.whatif
        return (f"<WhatIf {w.scenario.name or w.scenario.source}: score {w.before.score:.4f} -> "
                f"{w.after.score:.4f}, {len(w.rebalance)} plan(s), {len(w.capacity)} flavor(s)>")

    def _caption(self) -> str:
        return f"what-if: {self.whatif.scenario.name}"


@dataclass(repr=False)
class FailuresResult(Result):
    """What each node's loss (or a tag's, a node list's) does, and the verified repair's cost."""

    report: Any  #: planner.capacity.failures.FailureReport

    def to_frame(self) -> pd.DataFrame:
        """One row per failure: failovers, relocations, lost instances, N+1 and score after, repair cost."""
        return self.report.to_frame()

    def headroom_frame(self) -> pd.DataFrame:
        """Free memory left for N+1 on every surviving node after each failure (< 0: N+1 broken)."""
        return self.report.headroom_frame()

    def summary(self) -> dict[str, Any]:
        df = self.to_frame()
        return {"failures": len(df), "with lost instances": int((df["lost"] > 0).sum()),
                "N+1 broken after": int((df["n1_fail_after"] > 0).sum())}

    def plot(self, title: str | None = None):
        from planner.report.plots import n1_headroom

        return n1_headroom(self.headroom_frame(), title=title or "N+1 headroom after each failure")

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Failures {s['failures']}: {s['with lost instances']} lose instances, "
                f"{s['N+1 broken after']} break N+1>")

    def _caption(self) -> str:
        return "node failures"


@dataclass(repr=False)
class PurchaseResult(Result):
    """The CP-SAT purchase for a scenario's forecast beside the greedy baseline."""

    answer: Any  #: planner.scenario.questions.PurchaseAnswer

    def to_frame(self) -> pd.DataFrame:
        """One row per method: nodes, models bought, price, status, gap, seconds, verified."""
        return self.answer.to_frame()

    def summary(self) -> dict[str, Any]:
        o = self.answer.optimal
        return {"bought": ", ".join(f"{n} x {m}" for m, n in o.bought.items()) or "nothing", "nodes": o.nodes,
                "price": o.price, "status": o.status, "gap": o.gap, "verified": o.verified,
                "greedy nodes": self.answer.greedy.nodes if self.answer.greedy else None}

    def rebalance_frame(self) -> pd.DataFrame:
        """The rebalance of the grown cluster, one row per method."""
        return pd.DataFrame(self.answer.rebalance)

    def __repr__(self) -> str:
        s = self.summary()
        return f"<Purchase {s['bought']} ({s['status']}, gap {s['gap']}), greedy {s['greedy nodes']} nodes>"


@dataclass(repr=False)
class RunwayResult(Result):
    """Month by month: does the growth so far fit with N+1; the last month that does, what runs out."""

    runway: Any  #: planner.scenario.runway.Runway

    def to_frame(self) -> pd.DataFrame:
        return self.runway.to_frame()

    def summary(self) -> dict[str, Any]:
        return {"months that fit": self.runway.last_month, "runs out": self.runway.runs_out or "no",
                "verified": self.runway.verified}

    def plot(self, title: str | None = None):
        """Free memory and disk after each month that fits."""
        from planner.report.plots import figure

        df = self.to_frame().dropna(subset=["free_memory_gib"])
        fig, ax = figure(figsize=(6.5, 3.2))
        ax.plot(df["month"], df["free_memory_gib"], marker="o", label="free memory (GiB)")
        ax.plot(df["month"], df["free_disk_gib"] / 10, marker="s", label="free disk (10 GiB)")
        ax.set_xlabel("month")
        ax.legend(fontsize=8)
        ax.set_title(title or f"runway: {self.runway.last_month} month(s), then {self.runway.runs_out or '-'}")
        return fig

    def __repr__(self) -> str:
        return f"<Runway {self.runway.last_month} month(s), runs out: {self.runway.runs_out or 'no'}>"
