"""Pareto curves: best exact score within k moves, greedy (hbal's own moves, its prefixes) against CP-SAT.

Usage: .venv/bin/python benchmarks/bench_pareto.py [--sizes small,medium] [--points 10,20,40] [--time-limit 10]
Writes benchmarks/bench_pareto.csv and prints a Markdown table; `dominates` = CP-SAT's score ≤ greedy's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import SHARED, write_table  # noqa: E402


def main() -> None:
    from planner.api import load
    from planner.engine.state import LoadOptions
    from planner.report.compare import pareto

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small,medium")
    ap.add_argument("--points", default="10,20,40")
    ap.add_argument("--time-limit", type=float, default=10.0)
    args = ap.parse_args()
    rows = []
    for f in sorted((SHARED / "clusters").glob("*.data")):
        size = next(s for s in ("xlarge", "large", "medium", "small") if f"-{s}-" in f.stem)
        if size not in args.sizes.split(","):
            continue
        df = pareto(load(f), LoadOptions(), [int(k) for k in args.points.split(",")], "moves", args.time_limit)
        for r in df.to_dict("records"):
            rows.append({"file": f.stem, "k": r["moves"], "greedy_score": round(r["greedy_score"], 4),
                         "cpsat_score": round(r["cpsat_score"], 4), "cpsat_moves": r["cpsat_moves"],
                         "ratio": round(r["cpsat_score"] / r["greedy_score"], 3),
                         "dominates": r["cpsat_score"] <= r["greedy_score"] + 1e-9,
                         "note": r.get("note", "") if isinstance(r.get("note"), str) else ""})
            print(rows[-1], file=sys.stderr, flush=True)
    write_table(rows, __file__)


if __name__ == "__main__":
    main()
