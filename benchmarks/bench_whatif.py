"""What-if sweeps (issue 25): one 20-point sweep on 1 and 2 process-pool workers and on Dask with 2 local
workers, in the same run on the same machine; the frames must be equal.

Default sweep (``--sweep buy``): ``scenarios/generated-buy-two.yaml`` (a generated 6-node r640-256 cluster
filled to 60 % with a web/db mix, 104 instances; nodes bought; capacity of large and xlarge before, after
and after each plan; greedy and CP-SAT rebalance onto the new nodes) with
``changes.0.count=0,1,2,3,4`` x ``changes.0.model=r640-256,r650-512,r750-1t,epyc-768``.
``--sweep growth``: ``scenarios/growth.yaml`` (the 5-node reference cluster) with
``changes.0.count=0,1,2,3`` x ``changes.1.count=0,10,20,30,40``.  CP-SAT at ``--time-limit`` (1)
work-seconds per solve (the deterministic clock: the same frame on every backend).

Usage: .venv/bin/python benchmarks/bench_whatif.py [--sweep buy|growth] [--time-limit 1] [--no-dask]
Writes benchmarks/bench_whatif.csv and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import ROOT, write_table  # noqa: E402

SWEEPS = {
    "buy": (ROOT / "scenarios" / "generated-buy-two.yaml",
            ("changes.0.count=0,1,2,3,4", "changes.0.model=r640-256,r650-512,r750-1t,epyc-768")),
    "growth": (ROOT / "scenarios" / "growth.yaml", ("changes.0.count=0,1,2,3", "changes.1.count=0,10,20,30,40")),
}


def sweep_rows(name: str, time_limit: float, dask: bool) -> list[dict]:
    import pandas as pd

    from planner.scenario.point import SweepOptions
    from planner.scenario.sweep import sweep
    from planner.scenario.vary import parse_vary

    scenario, vary = SWEEPS[name]
    varies = [parse_vary(v) for v in vary]
    runs = [("pool", 1, None), ("pool", 2, None)] + ([("dask LocalCluster", 2, "local")] if dask else [])
    rows, first = [], None
    for backend, workers, address in runs:
        load = os.getloadavg()[0]  # the shared machine's load as the run starts (2 cores)
        r = sweep(scenario, varies, SweepOptions(workers=workers, dask=address, time_limit=time_limit))
        first = r.frame if first is None else first
        try:
            pd.testing.assert_frame_equal(r.frame, first)
            same = True
        except AssertionError:
            same = False
        base = rows[0]["wall_s"] if rows else r.wall_s
        rows.append({"scenario": scenario.stem, "points": len(r.frame), "errors": int((r.frame["error"] != "").sum()),
                     "backend": backend, "workers": workers, "wall_s": round(r.wall_s, 1),
                     "point_s_mean": round(sum(r.seconds.values()) / len(r.seconds), 2),
                     "speedup_vs_1": round(base / r.wall_s, 2), "same_frame_as_1_worker": same,
                     "load_1m_at_start": round(load, 2), "cpus": os.cpu_count()})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", choices=sorted(SWEEPS), default="buy")
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--no-dask", action="store_true")
    a = ap.parse_args()
    write_table(sweep_rows(a.sweep, a.time_limit, not a.no_dask), __file__)


if __name__ == "__main__":
    main()
