"""Write benchmark rows as CSV beside the script and print them as a Markdown table."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  #: the repository
#: the shared bench clusters and hbal's results (env PLANNER_SHARED_BENCH: elsewhere)
SHARED = Path(os.environ.get("PLANNER_SHARED_BENCH") or ROOT.parent / "shared" / "bench")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def write_table(rows: list[dict], script: str) -> None:
    """``rows`` → ``<script>.csv`` and a Markdown table on stdout."""
    if not rows:
        print("no rows")
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with Path(script).with_suffix(".csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
