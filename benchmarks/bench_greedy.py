"""Greedy planner vs real `hbal -t FILE -C` on the shared bench clusters, in the same run.

Whole command against whole command, as a user runs them: `planner balance FILE -C [opts]` and
`hbal -t FILE -C [opts]`.  hbal is stopped after --hbal-timeout seconds (its moves printed so far are
kept, as in ../shared/bench/README.md).  `same_moves` compares every move line hbal printed with
planner's; `ratio` is hbal's wall time over planner's (for timeouts: a lower bound).

Usage: .venv/bin/python benchmarks/bench_greedy.py [--sizes small,medium,large] [--hbal-timeout 300]
Writes benchmarks/bench_greedy.csv and prints a Markdown table.
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
BENCH = SHARED / "clusters"
PLANNER = ROOT / ".venv" / "bin" / "planner"
MOVE = re.compile(r"^\s+\d+\. .* a=")
MODES = {"default": [], "no-disk-moves": ["--no-disk-moves"], "evac": ["-E"]}


def timed(cmd: list[str], timeout: float) -> tuple[float, str, str]:
    """Run a command; return (wall seconds, stdout so far, status)."""
    t = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        try:
            out, _ = p.communicate(timeout=timeout)
            status = "ok" if p.returncode == 0 else f"exit {p.returncode}"
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            status = "timeout"
    return time.perf_counter() - t, out, status


def moves(out: str) -> list[str]:
    return [line for line in out.splitlines() if MOVE.match(line)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--modes", default="default,no-disk-moves,evac")
    ap.add_argument("--hbal-timeout", type=float, default=300)
    ap.add_argument("--planner-timeout", type=float, default=1800)
    args = ap.parse_args()
    hbal = shutil.which("hbal")
    rows = []
    for f in sorted(BENCH.glob("*.data")):
        size = f.stem.split("-")[-3] if "drained" not in f.stem else f.stem.split("-")[1]
        size = next((s for s in ("xlarge", "large", "medium", "small") if f"-{s}-" in f.stem), size)
        if size not in args.sizes.split(","):
            continue
        for mode in args.modes.split(","):
            if mode == "evac" and "evacuate" not in f.stem:
                continue
            extra = MODES[mode]
            tp, out_p, st_p = timed([str(PLANNER), "balance", str(f), "-C", *extra], args.planner_timeout)
            mp = moves(out_p)
            row = {"file": f.stem, "mode": mode, "planner_s": round(tp, 2), "planner_status": st_p,
                   "planner_moves": len(mp)}
            if hbal:
                th, out_h, st_h = timed([hbal, "-t", str(f), "-C", *extra], args.hbal_timeout)
                mh = moves(out_h)
                same = (out_h.splitlines() == out_p.splitlines()) if st_h == "ok" else (mh == mp[: len(mh)])
                row.update(hbal_s=round(th, 2), hbal_status=st_h, hbal_moves=len(mh), same_moves=same,
                           ratio=("≥" if st_h == "timeout" else "") + f"{th / tp:.1f}")
            rows.append(row)
            print(row, flush=True)
    write_table(rows, __file__)

if __name__ == "__main__":
    main()
