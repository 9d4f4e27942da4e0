"""The default CP-SAT objective against hbal's greedy on every axis (issue 23).

Per bench file and seed: the greedy (= hbal's moves) and ``balance(c, "cpsat")`` with the default
objective, both scheduled as the CLI does (greedy: hbal's jobsets; CP-SAT: its checked parallel
schedule); ratios CP-SAT / greedy per axis (score, GB, moves, jobsets, hours) and whether it
dominates (no worse on every axis), which candidate the rule chose, the forced minimum GB on
evacuations, and when the first candidate better than greedy (no worse on any axis) was ready, as a
share of the time limit (``first_better_share``).  Usage:
    .venv/bin/python benchmarks/bench_default.py [--sizes small,medium] [--time-limit 30] [--seeds 1,2,3]
Writes benchmarks/bench_default.csv and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import SHARED, write_table  # noqa: E402
from gen_shapes import GROUP  # noqa: E402


def main() -> None:
    from planner.api import balance, load, schedule_plan
    from planner.domain.dominance import dominance
    from planner.engine.load import load_group
    from planner.engine.state import LoadOptions
    from planner.planners.cpsat import CpsatOptions, gb_lower_bound

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small,medium")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--files", default="", help="comma list of bench file stems (default: all of --sizes)")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--generated", type=Path, default=None,
                    help="also the clusters benchmarks/gen_shapes.py wrote to this folder (reported apart)")
    ap.add_argument("--csv", default=__file__, help="the CSV to write (default benchmarks/bench_default.csv)")
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]
    rows = []
    files = [(f, False) for f in sorted((SHARED / "clusters").glob("*.data"))]
    if args.generated:
        files += [(f, True) for f in sorted(args.generated.glob("*.data"))]
    for f, generated in files:
        size = next(s for s in ("xlarge", "large", "medium", "small") if f"-{s}-" in f.stem + "-")
        if size not in args.sizes.split(",") or (args.files and f.stem not in args.files.split(",")):
            continue
        lo = LoadOptions(group=GROUP.get(f.stem))
        c = load(f)
        t = time.perf_counter()
        g, _ = balance(c, "greedy", None, lo)
        g_s = time.perf_counter() - t
        schedule_plan(c, g, None, "hbal", load_opts=lo)
        forced = gb_lower_bound(load_group(c, lo))
        for seed in seeds:
            t = time.perf_counter()
            p, _ = balance(c, "cpsat", CpsatOptions(time_limit=args.time_limit, seed=seed), lo)
            wall = time.perf_counter() - t
            schedule_plan(c, p, None, "parallel", load_opts=lo)
            d = dominance(p, g)
            r = {a.name: (a.value / a.base if a.base else (1.0 if a.value == 0 else float("inf"))) for a in d.axes}
            name = f.stem + (" (generated)" if generated else "")
            rows.append({"file": name, "seed": seed, "greedy_score": round(g.final_score, 6),
                         "greedy_gb": g.gb_copied, "greedy_moves": len(g.steps), "greedy_jobsets": len(g.jobsets),
                         "greedy_s": round(g_s, 2), "score": round(p.final_score, 6), "gb": p.gb_copied,
                         "moves": len(p.steps), "jobsets": len(p.jobsets),
                         **{f"{k}_ratio": round(v, 3) for k, v in r.items()},
                         "gb_vs_forced": round(p.gb_copied / forced, 3) if forced else None,
                         "dominates": d.dominates, "check": d.line().replace("|", "/"),
                         "chosen": p.extra.get("objective", {}).get("chosen"), "wall_s": round(wall, 1),
                         "first_better_share": _share(p.extra.get("objective", {}).get("first_dominating_s"),
                                                      args.time_limit),
                         "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)})
            print(rows[-1], file=sys.stderr, flush=True)
    write_table(rows, args.csv)
    print(f"\nload: {os.getloadavg()}", file=sys.stderr)


def _share(seconds: float | None, limit: float) -> float | None:
    """When the first candidate strictly better than greedy and no worse on any axis was ready."""
    return None if seconds is None else round(seconds / limit, 3)


if __name__ == "__main__":
    main()
