"""Safe ordering, jobsets and schedule (issue 6) on the shared bench clusters.

Per file, in one run: real hbal's moves (``hbal -t FILE -C``) with hbal's jobsets, the same moves
(planner's greedy reproduces them) with planner's jobsets ("greedy_*"), and the CP-SAT
plan reaching hbal's final score with the fewest GiB (``--target-score``), sequenced and scheduled
(max 1 job per node; durations: replace-disks 480 s + GiB at 100 MB/s, migration 60 s).  Both
plans are timed with the same durations: hbal's jobsets run one after another; planner's
jobsets likewise, and free-running (each job as soon as its order and the node slots allow).
"verified": the verifier replays the plan with the states between commands checked, and the
schedule check accepts every jobset and overlap.

The scale run sequences a synthetic target on the 200-node / 6000-instance file: every 10th
instance moved to one of the 10 new nodes (round robin): half their secondary (``r``), half their
primary (``f r f``).

Usage: .venv/bin/python benchmarks/bench_sequence.py [--sizes small,medium] [--time-limit 30] [--no-scale]
Writes benchmarks/bench_sequence.csv and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import SHARED, write_table  # noqa: E402


def _h(s: float) -> float:
    return round(s / 3600, 2)


def file_row(f: Path, time_limit: float) -> dict:
    from planner.api import balance, load, schedule_plan
    from planner.checks.verify import verify
    from planner.domain.schedule import Timing
    from planner.engine.state import LoadOptions
    from planner.execution.schedule import schedule
    from planner.planners.cpsat import CpsatOptions
    from planner.report.compare import est_hours, run_hbal

    c = load(f)
    lo = LoadOptions()
    h = run_hbal(str(f), c)
    assert h is not None, "real hbal is needed (apt-get install ganeti-htools)"
    g, _ = balance(c, "greedy", None, lo)  # hbal's moves, move for move
    schedule_plan(c, g, None, "parallel", load_opts=lo)
    plan, _ = balance(c, "cpsat", CpsatOptions(time_limit=time_limit, target_score=h.final_score), lo)
    t = time.perf_counter()
    schedule_plan(c, plan, None, "parallel", load_opts=lo)
    t_sched = time.perf_counter() - t
    ok = verify(c, plan, transient=True).ok and plan.extra["schedule_verified"]
    s = plan.schedule
    offline = frozenset(n.name for n in c.nodes if n.offline)
    two = schedule(plan.steps, Timing(max_per_node=2), offline=offline)
    hbal_h = est_hours(h)
    return {
        "file": f.stem, "hbal_moves": len(h.steps), "hbal_jobsets": len(h.jobsets), "hbal_hours": round(hbal_h, 2),
        "greedy_jobsets": len(g.jobsets), "greedy_hours": _h(g.schedule.jobsets_s),
        "cpsat_moves": len(plan.steps), "cpsat_gb": round(plan.gb_copied), "hbal_gb": round(h.gb_copied),
        "cpsat_score": round(plan.final_score, 4), "hbal_score": round(h.final_score, 4),
        "jobsets": len(plan.jobsets), "jobsets_le_hbal": len(plan.jobsets) <= len(h.jobsets),
        "jobsets_hours": _h(s.jobsets_s), "hours_vs_hbal": round(s.jobsets_s / 3600 / hbal_h, 3) if hbal_h else None,
        "free_hours": _h(s.makespan_s), "serial_hours": _h(s.serial_s),
        "free_vs_serial": round(s.makespan_s / s.serial_s, 3) if s.serial_s else None,
        "free_vs_serial_2_per_node": round(two.makespan_s / two.serial_s, 3) if two.serial_s else None,
        "schedule": s.status, "schedule_s": round(t_sched, 2), "stuck": len(plan.extra.get("stuck", {})),
        "verified": "yes" if ok else "NO",
    }


def scale_row() -> dict:
    from planner.api import load
    from planner.engine.load import load_group
    from planner.engine.state import LoadOptions
    from planner.execution.schedule import schedule
    from planner.execution.sequence import sequence

    f = SHARED / "clusters" / "new-node-xlarge-200n-10new-6000i.data"
    c = load(f)
    t0 = time.perf_counter()
    gs = load_group(c, LoadOptions())
    load_s = time.perf_counter() - t0
    empty = [n.idx for n in gs.nodes if not n.plist and not n.slist and not n.offline]
    target, k = {}, 0
    for j, i in enumerate(gs.group_instances):
        st = gs.instances[i]
        if j % 10 == 0 and st.inst.disk_template == "drbd" and empty:
            new = empty[k % len(empty)]
            target[i] = (st.pnode, new) if j % 20 else (new, st.snode)
            k += 1
    t = time.perf_counter()
    res = sequence(gs, target)
    seq_s = time.perf_counter() - t
    t = time.perf_counter()
    sched = schedule(res.steps, time_limit=0)
    return {"file": f.stem + " (synthetic target)", "instances": len(gs.group_instances), "changes": len(target),
            "moves": len(res.steps), "stuck": len(res.stuck), "load_s": round(load_s, 2),
            "sequence_s": round(seq_s, 2), "schedule_s": round(time.perf_counter() - t, 2),
            "jobsets": len(sched.jobsets), "free_hours": _h(sched.makespan_s), "serial_hours": _h(sched.serial_s)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small,medium")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--no-scale", action="store_true")
    args = ap.parse_args()
    rows = []
    for f in sorted((SHARED / "clusters").glob("*.data")):
        size = next(s for s in ("xlarge", "large", "medium", "small") if f"-{s}-" in f.stem)
        if size in args.sizes.split(","):
            rows.append(file_row(f, args.time_limit))
            print(rows[-1], file=sys.stderr, flush=True)
    write_table(rows, __file__)
    if not args.no_scale:
        print()
        print("| " + " | ".join(f"{k}: {v}" for k, v in scale_row().items()) + " |")


if __name__ == "__main__":
    main()
