"""One sweep point: its options, the task a worker gets, and the flat row it answers with.

>>> whatif_row.__doc__.split(" (")[0]
"One point's answers, flat"
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from planner.domain import clock
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.scenario.catalog import Catalog
from planner.scenario.spec import Scenario
from planner.scenario.vary import validate
from planner.scenario.whatif import WhatIf, whatif


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs (frozen; ``dataclasses.replace`` for variants)."""

    workers: int = 2  #: pool processes, or Dask LocalCluster workers
    dask: str | None = None  #: None: the process pool; "local"; or a scheduler address tcp://HOST:PORT
    time_limit: float | None = None  #: seconds per CP-SAT solve (None: the scenario's)
    methods: tuple[str, ...] | None = None  #: rebalance methods (None: the scenario's)
    seed: int | None = None
    deterministic: bool = True  #: count work, not wall seconds (the same frame on any backend)


@dataclass(frozen=True)
class Task:
    """What one point needs, picklable: sent to a pool process or a Dask worker."""

    index: int
    values: dict
    data: dict  #: the scenario's YAML data with the point's values set
    source: str
    base: tuple[Cluster, Catalog] | None
    opts: SweepOptions


def _cell(v: object) -> object:
    """A varied value as a frame cell: scalars as they are, lists and mappings as JSON text."""
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v


def whatif_row(w: WhatIf) -> dict:
    """One point's answers, flat (the columns after the point and its values)."""
    row = {"nodes": len(w.built.after.nodes), "instances": len(w.built.after.instances),
           "offline": w.after_nodes_offline, "score_before": w.before.score, "score_after": w.after.score,
           "n1_fail_before": len(w.before.n1_fail_nodes), "n1_fail_after": len(w.after.n1_fail_nodes),
           "n1_ok": not w.after.n1_fail_nodes}
    for cap in w.capacity:
        f = cap["flavor"]
        row |= {f"cap_{f}_before": cap["before"], f"cap_{f}_after": cap["after"]}
        row |= {f"cap_{f}_{k[len('after '):-len(' plan')]}": v for k, v in cap.items() if k.endswith(" plan")}
    for r in w.rebalance:
        m = r["method"]
        row |= {f"{m}_score": r["final_score"], f"{m}_moves": r["moves"], f"{m}_gb": r["gb_copied"],
                f"{m}_jobsets": r["jobsets"], f"{m}_hours": r["hours"], f"{m}_days": r["days"],
                f"{m}_status": r["status"]}
    row["notes"] = "; ".join(w.built.notes)
    return row


def _answer(task: Task, s: Scenario) -> dict:
    o = task.opts
    w = whatif(s, o.time_limit, o.methods, o.seed, base=task.base)
    row = whatif_row(w)
    stopped = [m for m, p in w.plans.items() if str(p.status) == "interrupted"]
    row["error"] = f"interrupted ({', '.join(stopped)} plan stopped early)" if stopped else ""
    return row


def run_point(task: Task) -> tuple[dict, float]:
    """One point's row (never raises for a bad point: its ``error`` says what went wrong) and its
    wall seconds."""
    t0 = time.perf_counter()
    head = {"point": task.index, **{k: _cell(v) for k, v in task.values.items()}}
    try:
        s = validate(task.data, task.source)
        if task.opts.deterministic:
            with clock.deterministic():
                row = _answer(task, s)
        else:
            row = _answer(task, s)
    except PlannerError as e:
        row = {"error": e.message if e.source == task.source else str(e)}
    except Exception as e:  # noqa: BLE001  (a point that fails is a row, never a lost sweep)
        row = {"error": f"{type(e).__name__}: {e}"}
    return head | row, time.perf_counter() - t0
