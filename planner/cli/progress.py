"""A live view of a CP-SAT solve (rich, on stderr): each incumbent's phase, time, objective, bound."""

from __future__ import annotations

from dataclasses import replace

from planner.domain.model import Cluster
from planner.engine.state import LoadOptions


def default_time_limit(n_instances: int) -> float:
    """Seconds by cluster size: 20 s small, 30 s medium, 120 s large, 300 s xlarge."""
    if n_instances <= 100:
        return 20.0
    if n_instances <= 1000:
        return 30.0
    if n_instances <= 3000:
        return 120.0
    return 300.0


def solve_with_progress(cluster: Cluster, lo: LoadOptions, n_instances: int, time_limit: float | None,
                        seed: int, workers: int, max_gb: float | None, max_moves: int | None,
                        target_score: float | None, quiet: bool = False, evacuate: bool = True,
                        objective: str = "dominant"):
    """Run the CP-SAT planner, redrawing a small table of incumbents; returns (plan, final cluster)."""
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    from planner.api import balance
    from planner.planners.cpsat import CpsatOptions

    rows: list[tuple[str, float, float, float]] = []

    def table() -> Table:
        t = Table(title="CP-SAT incumbents", show_edge=False)
        for c in ("phase", "time s", "objective", "bound"):
            t.add_column(c, justify="right")
        for r in rows[-8:]:
            t.add_row(r[0], f"{r[1]:.1f}", f"{r[2]:.6g}", f"{r[3]:.6g}")
        return t

    opts = CpsatOptions(time_limit=time_limit or default_time_limit(n_instances), seed=seed, workers=workers,
                        max_gb=max_gb, max_moves=max_moves, target_score=target_score, evacuate=evacuate,
                        objective=objective)
    if quiet:
        return balance(cluster, "cpsat", opts, lo)
    console = Console(stderr=True)
    with Live(table(), console=console, refresh_per_second=4, transient=not console.is_terminal) as live:
        def on_solution(phase: str, wall: float, obj: float, bound: float) -> None:
            rows.append((phase, wall, obj, bound))
            live.update(table())

        return balance(cluster, "cpsat", replace(opts, on_solution=on_solution), lo)


def objective_lines(plan) -> list[str]:
    """What chose a default CP-SAT plan: the rule, the check against greedy per axis, the other points."""
    o = plan.extra.get("objective")
    if not o:
        return []
    axes = " · ".join(f"{k} {'✓' if v['ok'] else '✗'} {v['value']:.6g} vs {v['base']:.6g}"
                      for k, v in o["dominance"].items())
    out = [f"objective: {o['chosen']} ({o['why']})", f"  rule: {o['rule']}", f"  against greedy: {axes}"]
    for p in o["curve"]:
        ratio = f", {p['gb_vs_greedy']:.2f}x greedy's GB" if p.get("gb_vs_greedy") is not None else ""
        out.append(f"  also found: {p['name']}: score {p['score']:.6f} for {p['gb']:,.0f} GB{ratio}, "
                   f"{p['moves']} moves (ask: {p['ask']})")
    return out
