"""``planner capacity`` against real ``hspace`` on every bench cluster and several catalog flavors.

For each (file, flavor): both tools run the same command line (``--disk-template`` and
``--standard-alloc`` of the flavor, ``--tiered-alloc`` of the flavor ×4, ``--machine-readable``), each
under a wall-time budget; the table gives the standard and tiered counts, whether every ``HTS_*``
line is equal, and the wall time of the whole command as a ratio to hspace's.  With ``--optimal S``:
CP-SAT's largest count of the flavor beside the frozen placement (``planner capacity --optimal``,
S seconds, seed 1, 2 workers), how many more than hspace's standard count, and its status and gap.

Writes benchmarks/bench_capacity.csv and prints a Markdown table (pasted into benchmarks/README.md).
Usage: .venv/bin/python benchmarks/bench_capacity.py [--budget SECONDS] [--files small,medium]
       [--flavors small,medium,large] [--optimal SECONDS]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import SHARED, write_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLANNER = ROOT / ".venv" / "bin" / "planner"


def timed(cmd: list[str], budget: float) -> tuple[float, str | None]:
    """Wall seconds and stdout, or (budget, None) when the budget ran out."""
    t = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=budget).stdout
    except subprocess.TimeoutExpired:
        return budget, None
    return time.perf_counter() - t, out


def keys(out: str | None) -> dict[str, str]:
    return dict(re.findall(r"^HTS_(\w+)=(.*)$", out or "", re.M))


def tiered_count(k: dict[str, str]) -> int | str:
    if "TSPEC" not in k:
        return ""
    return sum(int(x.split("=")[1]) for x in k["TSPEC"].strip("'").split())


def optimal_count(path: Path, flavor, limit: float) -> tuple[int | None, str]:
    """CP-SAT's count of ``flavor`` beside the frozen placement (``--optimal``) and its status, gap."""
    from planner.api import load
    from planner.capacity.optimal import FitOptions, optimal_fit
    from planner.capacity.options import Spec
    from planner.domain.errors import PlannerError

    spec = Spec(flavor.memory, flavor.disk, flavor.vcpus, flavor.spindles)
    try:
        r = optimal_fit(load(path), [(flavor.name, spec, flavor.disk_template, 1)],
                        FitOptions(time_limit=limit, seed=1, workers=2))
    except PlannerError as e:
        return None, f"refused: {e.message}"
    gap = "" if r.gap is None else f", gap {r.gap:.3g}"
    return r.count, f"{r.status}{gap}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=300.0, help="seconds per command (each tool)")
    ap.add_argument("--files", default="small,medium,large,xlarge", help="size classes to run")
    ap.add_argument("--flavors", default="small,medium,large", help="catalog flavors")
    ap.add_argument("--optimal", type=float, default=0.0, metavar="SECONDS",
                    help="also CP-SAT's optimal count (--optimal), this many seconds")
    args = ap.parse_args()
    from planner.scenario.catalog import load_catalog

    cat = load_catalog()
    hspace = shutil.which("hspace") or "hspace"
    sizes = args.files.split(",")
    rows = []
    for f in sorted((SHARED / "clusters").glob("*.data")):
        if not any(f"-{s}-" in f.name for s in sizes):
            continue
        for name in args.flavors.split(","):
            fl = cat.flavor(name)
            spec = f"{fl.disk}m,{fl.memory}m,{fl.vcpus}"
            big = f"{4 * fl.disk}m,{4 * fl.memory}m,{4 * fl.vcpus}"
            common = ["-t", str(f), "--disk-template", fl.disk_template, "--standard-alloc", spec,
                      "--tiered-alloc", big, "--machine-readable"]
            t_hs, out_hs = timed([hspace, *common], args.budget)
            t_pl, out_pl = timed([str(PLANNER), "capacity", *common], args.budget)
            kh, kp = keys(out_hs), keys(out_pl)
            done = out_hs is not None and out_pl is not None
            rows.append({
                "file": f.stem, "flavor": name, "template": fl.disk_template,
                "planner_std": kp.get("ALLOC_INSTANCES", "timeout"), "hspace_std": kh.get("ALLOC_INSTANCES", "timeout"),
                "planner_tiered": tiered_count(kp) if out_pl else "timeout",
                "hspace_tiered": tiered_count(kh) if out_hs else "timeout",
                "all_HTS_equal": (out_pl.splitlines() == out_hs.splitlines()) if done else "n/a",
                "planner_s": round(t_pl, 2), "hspace_s": round(t_hs, 2),
                "ratio_planner_over_hspace": (f"{t_pl / t_hs:.2f}" if done else
                                              f"≥{t_pl / t_hs:.2f}" if out_pl is None else f"≤{t_pl / t_hs:.2f}"),
            })
            if args.optimal:
                n, status = optimal_count(f, fl, args.optimal)
                base = kh.get("ALLOC_INSTANCES")
                more = n - int(base) if n is not None and base is not None else None
                rows[-1].update({"optimal": n, "more": more, "pct_more": round(100 * more / int(base), 1)
                                 if more is not None and int(base) else None, "optimal_status": status})
            print(rows[-1], file=sys.stderr, flush=True)
    write_table(rows, __file__)


if __name__ == "__main__":
    main()
