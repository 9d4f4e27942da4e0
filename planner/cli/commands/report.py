"""``planner report FILE --html OUT.html``: greedy against CP-SAT on the terminal, and a self-contained page."""

from __future__ import annotations

import os
from pathlib import Path

import click

from planner.cli.outputs import check_outputs
from planner.cli.params import DEFAULT_CLUSTER, SECONDS, Count, Window
from planner.cli.render import console
from planner.domain.errors import PlannerError

COLUMNS = ("method", "final_score", "n1_after", "moves", "gb_copied", "jobsets", "hours", "days", "plan_s")


def _time_limit(given: float | None) -> float:
    if given is not None:
        return given
    return 5.0 if os.environ.get("PLANNER_FAST") == "1" else 10.0


@click.command("report")
@click.argument("cluster", metavar="FILE", default=DEFAULT_CLUSTER)
@click.option("--html", "html_out", type=click.Path(dir_okay=False), default=None,
              help="Write the self-contained HTML report to OUT.html.")
@click.option("--group", "-G", default=None, help="Node group name or UUID (hbal -G).")
@click.option("--goal", type=click.Choice(["dominant", "gb", "score"]), default="dominant", show_default=True,
              help="CP-SAT: the default objective (no worse than greedy on any axis), fewest GiB at "
                   "greedy's score, or best score within greedy's GiB.")
@click.option("--time-limit", type=SECONDS, default=None, help="CP-SAT seconds [default: 10, 5 with PLANNER_FAST=1].")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--hbal/--no-hbal", "with_hbal", default=True, help="Also run the real hbal when installed.")
@click.option("--jobs-per-day", type=Count(1), default=10, show_default=True, help="Day plan: at most N jobs a day.")
@click.option("--window", type=Window(), default="09:00-17:00", show_default=True, help="Day plan: maintenance window.")
@click.option("--commands/--no-commands", "show_commands", default=True, help="Print the CP-SAT plan's commands.")
def command(cluster: str, html_out: str | None, group: str | None, goal: str, time_limit: float | None, seed: int,
            with_hbal: bool, jobs_per_day: int, window: str, show_commands: bool) -> None:
    """Greedy (hbal's plan) and CP-SAT side by side, the CP-SAT plan's jobsets, commands and day plan."""
    from rich.console import Console

    from planner.api import load
    from planner.cli.render import frame_table
    from planner.cli.schedule import schedule_lines
    from planner.engine.state import LoadOptions
    from planner.execution.dayplan import parse_window
    from planner.report.html import render
    from planner.report.page import build
    from planner.report.story import summary_row
    from planner.report.text import alias_of, commands_text

    if jobs_per_day < 1:
        raise PlannerError("--jobs-per-day", None, "must be at least 1")
    window_s = parse_window(window)
    check_outputs([cluster], [html_out], parents=True)  # hard links and symlinks of the input too, before any work
    c = load(cluster)
    tl = _time_limit(time_limit)
    err = Console(stderr=True, highlight=False)
    with err.status(f"planning {Path(cluster).name}: greedy, then CP-SAT ({tl:g} s)"):
        data, plans = build(c, cluster, tl, goal, seed, with_hbal, jobs_per_day, window, LoadOptions(group=group))
    import pandas as pd

    rows = pd.DataFrame([summary_row(p) for p in plans.values()])[list(COLUMNS)]
    out = console(width=160)
    out.print(f"[bold]{Path(cluster).name}[/bold]: {len(c.nodes)} nodes, {len(c.instances)} instances, "
              f"score {data.summary['score before']:.8f}; greedy is hbal's plan, move for move")
    out.print(frame_table(rows))
    s = data.summary
    out.print(f"CP-SAT copies {s['GiB saved against greedy']:.0f} GiB less than greedy and saves "
              f"{s['hours saved against greedy']:.2f} h of jobsets, at score {s['score after']:.8f}")
    cp = plans["cpsat"]
    if show_commands:
        click.echo(commands_text(cp.plan, alias_of(c)))
    so = {"jobs_per_day": jobs_per_day, "window": window, "window_s": window_s}
    for line in schedule_lines(cp.plan, cp.days, so):
        click.echo(line)
    if html_out:
        Path(html_out).parent.mkdir(parents=True, exist_ok=True)
        Path(html_out).write_text(render(data))
        click.echo(f"\nThe report has been written to file '{html_out}'")
