"""The report page's content for one cluster: greedy and CP-SAT planned, scheduled, drawn and summarised.

>>> from planner.api import load
>>> d, plans = build(load("tests/data/n1quirk.data"), "n1quirk.data", time_limit=1, with_hbal=False)
>>> d.summary["score before"], d.summary["moves"] == len(plans["cpsat"].plan.steps)
(3.31686197, True)
>>> sorted(d.figures)[0].startswith("Jobs per node")
True
"""

from __future__ import annotations

from planner.domain.model import Cluster
from planner.engine.state import LoadOptions
from planner.report.html import ReportData
from planner.report.story import GOALS, JOBS_PER_DAY, WINDOW, Scheduled, side_by_side, summary_row, usage_states


def _rounded(row: dict) -> dict:
    out = dict(row)
    for k in ("initial_score", "final_score"):
        out[k] = round(out[k], 8)
    out["hours"] = round(out["hours"], 2)
    out["plan_s"] = round(out["plan_s"], 1)
    return out


def headline(plans: dict[str, Scheduled], chosen: str = "cpsat") -> dict[str, object]:
    """The summary table: the chosen plan's numbers, and what it saves against greedy's."""
    from planner.engine.summary import score_group

    s, g = summary_row(plans[chosen]), summary_row(plans["greedy"])
    c = plans[chosen]
    before = score_group(c.cluster, c.load_opts.group, c.load_opts)
    return {"method": chosen, "score before": round(s["initial_score"], 8), "score after": round(s["final_score"], 8),
            "N+1 bad nodes before": len(before.n1_fail_nodes), "N+1 bad nodes after": s["n1_after"],
            "moves": s["moves"], "GiB copied": s["gb_copied"], "jobsets": s["jobsets"],
            "hours (jobsets in order)": round(s["hours"], 2), "days": s["days"],
            "GiB saved against greedy": g["gb_copied"] - s["gb_copied"],
            "hours saved against greedy": round(g["hours"] - s["hours"], 2), "verified": s["verified"]}


def moves_rows(s: Scheduled) -> list[dict]:
    df = s.plan.to_frame()
    return [{"step": r.step, "jobset": r.jobset, "instance": r.instance, "move": r.move_text,
             "from": f"{r.from_primary}:{r.from_secondary}", "to": f"{r.to_primary}:{r.to_secondary}",
             "GiB": r.gb_copied, "score after": round(r.score, 8) if r.score is not None else None}
            for r in df.itertuples()]


def figures(plans: dict[str, Scheduled], chosen: str = "cpsat") -> dict[str, bytes]:
    """Caption → PNG: per-node use before and after each plan, and the chosen plan's Gantt chart."""
    from planner.report.frames import gantt_frame
    from planner.report.plots import gantt, node_usage, to_png

    c = plans[chosen]
    usage = usage_states(c.cluster, {k: p.final for k, p in plans.items()}, c.load_opts)
    jobs = gantt_frame(c.plan, c.days, c.durations)
    return {"Per-node memory, disk and vCPU use before and after each plan": to_png(node_usage(usage)),
            f"Jobs per node, {chosen} plan, day by day (" + (f"{c.jobs_per_day} jobs a day, "
             if c.jobs_per_day else "") + f"window {c.window_text or '00:00-24:00'})": to_png(gantt(jobs))}


def build(cluster: Cluster, source: str, time_limit: float = 10.0, goal: str = "dominant", seed: int = 1,
          with_hbal: bool = True, jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW,
          load_opts: LoadOptions | None = None) -> tuple[ReportData, dict[str, Scheduled]]:
    """Plan ``cluster`` with greedy, CP-SAT (and real hbal when ``with_hbal`` and installed) and lay the
    report out; returns the page's data and the scheduled plans."""
    from pathlib import Path

    from planner.report.frames import days_frame
    from planner.report.text import alias_of, commands_text

    lo = load_opts or LoadOptions()
    hbal_path = source if with_hbal and Path(source).is_file() else None
    plans = side_by_side(cluster, time_limit, goal, seed, lo, hbal_path, jobs_per_day, window)
    c = plans["cpsat"]
    days = days_frame(c.plan, c.days, c.window)
    days["hours"] = days["hours"].round(2)
    gs_nodes, n_inst = len(cluster.nodes), len(cluster.instances)
    what = GOALS[goal]
    notes = [f"{gs_nodes} nodes, {n_inst} instances. CP-SAT looked for {what} ({time_limit:g} s, seed {seed}); "
             "every plan was replayed by the independent verifier, and the schedule checked."]
    data = ReportData(title=f"Rebalancing plan: {Path(source).name}", source=source, summary=headline(plans),
                      methods=[_rounded(summary_row(p)) for p in plans.values()], figures=figures(plans),
                      commands=commands_text(c.plan, alias_of(cluster)), days=days.to_dict("records"),
                      moves=moves_rows(c), notes=notes)
    return data, plans
