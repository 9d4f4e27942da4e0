"""The Plan: one type for every planner — ordered steps, jobsets, status, timings.

A step is one hbal move of one instance (``f``, ``fa``, ``r``, ``rf``, ``fr``, ``frf`` with a
target node).  Jobsets follow hbal's rule (``Cluster.splitJobs``): grouped **backwards from the
last move**; a move joins the jobset after it when it shares no node with it.

>>> s = [Step("i1", "r", "a", "b", "a", "c", 10.0, 1.0), Step("i2", "f", "d", "e", "e", "d", 0.0, 0.5)]
>>> backward_jobsets(s)
[[0, 1]]
>>> Plan("greedy", 2.0, 0.5, s).gb_copied
10.0
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: move kind → (hbal's text with T for the target, number of disk copies, number of migrations)
MOVE_KINDS: dict[str, tuple[str, int, int]] = {
    "f": ("f", 0, 1),
    "fa": ("fa:{t}", 0, 1),
    "r": ("r:{t}", 1, 0),
    "rf": ("r:{t} f", 1, 1),
    "fr": ("f r:{t}", 1, 1),
    "frf": ("f r:{t} f", 1, 2),
}
#: move kind → the single-command moves Ganeti really runs, in order (``-C`` commands)
SUBMOVES: dict[str, tuple[str, ...]] = {
    "f": ("f",), "fa": ("fa",), "r": ("r",), "rf": ("r", "f"), "fr": ("f", "r"), "frf": ("f", "r", "f"),
}


@dataclass(frozen=True)
class Step:
    """One instance move, with the placement before and after (node names; "" = none)."""

    instance: str
    move: str
    from_primary: str
    from_secondary: str
    to_primary: str
    to_secondary: str
    gb_copied: float
    score: float | None = None  #: cluster score after the step, when known
    running: bool = True  #: migrate (running) or failover (stopped) for the commands

    @property
    def target(self) -> str:
        """The node hbal names in the move text."""
        if self.move in ("r", "fr"):
            return self.to_secondary
        return self.to_primary

    def move_text(self, alias=lambda n: n) -> str:
        """hbal's ``a=`` text, e.g. ``f r:node-3 f``."""
        return MOVE_KINDS[self.move][0].format(t=alias(self.target))

    @property
    def migrations(self) -> int:
        return MOVE_KINDS[self.move][2]

    @property
    def disk_copies(self) -> int:
        return MOVE_KINDS[self.move][1]

    def nodes(self) -> list[str]:
        """hbal's ``involvedNodes``: new primary, new secondary, old primary, old secondary."""
        out: list[str] = []
        for n in (self.to_primary, self.to_secondary, self.from_primary, self.from_secondary):
            if n and n not in out:
                out.append(n)
        return out

    def commands(self, alias=lambda n: n) -> list[str]:
        """The ``gnt-instance`` commands of this move (hbal's ``computeMoves``)."""
        verb = "migrate" if self.running else "failover"
        name = alias(self.instance)
        mig = f"gnt-instance {verb} -f {name}"
        t = alias(self.target)
        rep = f"gnt-instance replace-disks -n {t} {name}"
        return {
            "f": [mig], "fa": [f"gnt-instance {verb} -f -n {t} {name}"], "r": [rep],
            "rf": [rep, mig], "fr": [mig, rep], "frf": [mig, rep, mig],
        }[self.move]


def jobs_in(indexes: list[int], steps: list[Step]) -> list[list[int]]:
    """Steps (by index) grouped into jobs: consecutive steps of one instance run as one job.

    >>> s = [Step("x", "r", "a", "b", "a", "c", 1.0), Step("x", "f", "a", "c", "c", "a", 0.0),
    ...      Step("y", "f", "d", "e", "e", "d", 0.0)]
    >>> jobs_in([0, 1, 2], s)
    [[0, 1], [2]]
    """
    out: list[list[int]] = []
    for k in indexes:
        if out and steps[out[-1][-1]].instance == steps[k].instance:
            out[-1].append(k)
        else:
            out.append([k])
    return out


def backward_jobsets(steps: list[Step]) -> list[list[int]]:
    """Group step indexes into jobsets as hbal does: from the last move backwards."""
    sets: list[list[int]] = []
    buf: set[str] = set()
    for k in range(len(steps) - 1, -1, -1):
        nodes = set(steps[k].nodes())
        if sets and not (nodes & buf):
            sets[0].insert(0, k)
            buf |= nodes
        else:
            sets.insert(0, [k])
            buf = nodes
    return sets


@dataclass
class Plan:
    """The result of any planner: every plan a user sees has been through the verifier."""

    method: str
    initial_score: float
    final_score: float
    steps: list[Step]
    jobsets: list[list[int]] = field(default_factory=list)
    status: str = "feasible"  #: optimal / feasible / timeout / infeasible / no-solution
    wall_s: float = 0.0
    group: str = ""
    bound: float | None = None
    gap: float | None = None
    gb_lower_bound: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schedule: Any = None  #: a :class:`planner.schedule.Schedule` once scheduled

    def __post_init__(self) -> None:
        if not self.jobsets and self.steps:
            self.jobsets = backward_jobsets(self.steps)

    @property
    def gb_copied(self) -> float:
        return sum(s.gb_copied for s in self.steps)

    @property
    def migrations(self) -> int:
        return sum(s.migrations for s in self.steps)

    @property
    def disk_copies(self) -> int:
        return sum(s.disk_copies for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        steps = [{k: v for k, v in asdict(s).items()} for s in self.steps]
        out = {
            "method": self.method, "group": self.group, "initial_score": self.initial_score,
            "final_score": self.final_score, "steps": steps, "jobsets": self.jobsets,
            "status": self.status, "wall_s": self.wall_s, "gb_copied": self.gb_copied,
            "migrations": self.migrations, "disk_copies": self.disk_copies,
        }
        for k in ("bound", "gap", "gb_lower_bound"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.extra:
            out["extra"] = self.extra
        if self.schedule is not None:
            out["schedule"] = self.schedule.to_json()
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        from planner.schedule import Schedule

        fields = Step.__dataclass_fields__
        steps = [Step(**{k: v for k, v in s.items() if k in fields}) for s in data.get("steps", [])]
        return cls(
            method=data.get("method", "?"), initial_score=data.get("initial_score", float("nan")),
            final_score=data.get("final_score", float("nan")), steps=steps,
            jobsets=data.get("jobsets") or [], status=data.get("status", "feasible"),
            wall_s=data.get("wall_s", 0.0), group=data.get("group", ""), bound=data.get("bound"),
            gap=data.get("gap"), gb_lower_bound=data.get("gb_lower_bound"), extra=data.get("extra", {}),
            schedule=Schedule.from_json(data["schedule"]) if data.get("schedule") else None,
        )

    def to_frame(self):
        """One row per step (pandas), with its jobset number."""
        import pandas as pd

        sets = self.schedule.jobsets if self.schedule is not None else self.jobsets
        js = {k: j + 1 for j, ks in enumerate(sets) for k in ks}
        rows = []
        for k, s in enumerate(self.steps):
            row = asdict(s)
            row.update(step=k + 1, jobset=js.get(k), move_text=s.move_text())
            if self.schedule is not None:
                row.update(start_s=self.schedule.starts[k], end_s=self.schedule.ends[k])
            rows.append(row)
        return pd.DataFrame(rows)
