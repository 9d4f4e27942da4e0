"""The CP-SAT purchase against the greedy baseline (issue 25).

Per cluster: a forecast of ``--months`` months of growth (mimic 5, large 2, small 3 a month per
5 nodes, scaled with the cluster), the greedy baseline (the first model, one node at a time, until
hail's allocation places the forecast with N+1) and CP-SAT's cheapest purchase from four models:
nodes and price of each, CP-SAT's status, gap, seconds to its first and to its last solution, and
whether the answer passed the verifier.  Usage:
    .venv/bin/python benchmarks/bench_purchase.py [--time-limit 60] [--months 12]
Writes benchmarks/bench_purchase.csv and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import ROOT, SHARED, write_table  # noqa: E402

MODELS = ("r640-256", "small-128", "r650-512", "epyc-768")
FILES = ("new-node-small-5n-73i-mimic.data", "skewed-medium-20n-400i.data", "new-node-medium-20n-2new-400i.data",
         "skewed-large-64n-1800i.data")


def clusters(with_generated: bool):
    from planner.io.htools_text import read_text

    for name in FILES:
        path = SHARED / "clusters" / name
        if path.exists():
            yield name, read_text(path)
    if with_generated:
        from planner.scenario.catalog import load_catalog
        from planner.scenario.generate import generate
        from planner.scenario.spec import Generate

        cat = load_catalog()
        for label, spec in (
                ("generated 12 x mixed r640/epyc, 65 % full", {"groups": [{"name": "g1", "nodes": [
                    {"model": "r640-256", "count": 8}, {"model": "epyc-768", "count": 4}]}],
                    "fill": {"flavors": {"small": 3, "medium": 2, "large": 1}, "memory_used": 0.65, "seed": 3}}),
                ("generated 16 x small-128, 50 % full", {"groups": [{"name": "g1", "nodes": [
                    {"model": "small-128", "count": 16}]}],
                    "fill": {"flavors": {"small": 2, "large": 1}, "memory_used": 0.5, "seed": 5}})):
            yield label, generate(Generate.model_validate(spec), cat)


def main() -> None:
    from planner.scenario.buy import PurchaseOptions, optimal_purchase
    from planner.scenario.catalog import load_catalog
    from planner.scenario.purchase import greedy_purchase

    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--no-generated", action="store_true")
    a = ap.parse_args()
    cat = load_catalog()
    rows = []
    for name, c in clusters(not a.no_generated):
        scale = max(1, round(len(c.nodes) / 5))
        fc = [(cat.flavor(f), n * a.months * scale) for f, n in (("mimic", 5), ("large", 2), ("small", 3))]
        t0 = time.monotonic()
        try:
            g = greedy_purchase(c, cat.model(MODELS[0]), fc)
            g_nodes, g_price, base = g.nodes, g.price, g.cluster
        except Exception as e:  # noqa: BLE001 (a row per cluster, whatever happens)
            g_nodes, g_price, base = f"failed: {e}", None, None
        tg = time.monotonic() - t0
        p = optimal_purchase(c, cat, fc, PurchaseOptions(models=MODELS, objective="price", time_limit=a.time_limit),
                             baseline=base)
        rows.append({"cluster": name, "nodes": len(c.nodes), "forecast": sum(n for _, n in fc),
                     "greedy nodes": g_nodes, "greedy price": g_price, "greedy s": round(tg, 1),
                     "cpsat bought": ", ".join(f"{n} {m}" for m, n in p.bought.items()), "cpsat nodes": p.nodes,
                     "cpsat price": p.price, "status": p.status, "gap": round(p.gap, 4) if p.gap is not None else None,
                     "first s": round(p.first_s or 0, 2),
                     "last solution s": round(p.solution.found[-1][0], 2) if p.solution and p.solution.found else None,
                     "wall s": round(p.wall_s, 1), "verified": p.verified})
        print(rows[-1], flush=True)
    write_table(rows, __file__)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
