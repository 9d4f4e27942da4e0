"""Load + score every shared bench cluster, against `hbal -t FILE -l 0` in the same run.

Writes benchmarks/bench_score.csv and prints a Markdown table (pasted into benchmarks/README.md).
Usage: .venv/bin/python benchmarks/bench_score.py [--repeat N]
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
from _table import write_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = ROOT.parent / "shared" / "bench" / "clusters"
PLANNER = ROOT / ".venv" / "bin" / "planner"


def best_of(n: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from planner.api import load, score_cluster

    hbal = shutil.which("hbal")
    rows = []
    for f in sorted(BENCH.glob("*.data")):
        t_lib, rep = best_of(args.repeat, lambda f=f: score_cluster(load(f)))
        t_cli, _ = best_of(args.repeat, lambda f=f: subprocess.run(
            [str(PLANNER), "score", "--json", str(f)], capture_output=True, check=True))
        t_hbal, hs = (float("nan"), None)
        if hbal:
            t_hbal, out = best_of(args.repeat, lambda f=f: subprocess.run(
                [hbal, "-t", str(f), "-l", "0"], capture_output=True, text=True).stdout)
            m = re.search(r"Initial score: (\S+)", out)
            hs = float(m.group(1)) if m else None
        c = load(f)
        rows.append({
            "file": f.stem, "nodes": len(c.nodes), "instances": len(c.instances),
            "planner_score": f"{rep.score:.8f}", "hbal_score": f"{hs:.8f}" if hs is not None else "",
            "equal": hs is not None and abs(hs - rep.score) < 5e-9,
            "load_score_s": round(t_lib, 4), "planner_cmd_s": round(t_cli, 3), "hbal_cmd_s": round(t_hbal, 3),
            "cmd_ratio_hbal_over_planner": round(t_hbal / t_cli, 2),
        })
    write_table(rows, __file__)

if __name__ == "__main__":
    main()
