"""``planner failures FILE``: what each node's loss (or a rack's, with ``--fail``) does, and the repair's cost."""

from __future__ import annotations

import json
import sys

import click

from planner.cli.params import SECONDS, WORKERS
from planner.cli.render import console


@click.command("failures")
@click.argument("cluster", metavar="FILE")
@click.option("--fail", "fail", multiple=True, metavar="TAG|N1,N2",
              help="Also fail every node with this tag (e.g. rack:a), or these nodes together.")
@click.option("--only-fail", is_flag=True, help="Only the --fail sets, not every node on its own.")
@click.option("--no-restore", is_flag=True, help="Do not plan the repair (no CP-SAT).")
@click.option("--time-limit", type=SECONDS, default=3.0, show_default=True, help="CP-SAT seconds per failure.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--workers", type=WORKERS, default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per failure, with every instance's fate.")
@click.option("--details/--no-details", default=True, help="List the lost instances and the failovers.")
def command(cluster: str, fail: tuple[str, ...], only_fail: bool, no_restore: bool, time_limit: float, seed: int,
            workers: int, as_json: bool, details: bool) -> None:
    """Per failure: DRBD failovers (to their secondary), lost instances and why, N+1 and score after,
    and the verified CP-SAT plan that moves everything off the failed nodes (moves, GB, hours)."""
    from rich.console import Console

    from planner.api import load
    from planner.capacity.failures import FailureOptions, failures
    from planner.cli.render import frame_table

    opts = FailureOptions(fail=fail, nodes=not only_fail, restore=not no_restore, time_limit=time_limit,
                          seed=seed, workers=workers)
    err = Console(stderr=True, highlight=False)

    def progress(k: int, total: int, label: str) -> None:
        if not as_json and sys.stderr.isatty():
            err.print(f"[dim]failure {k + 1}/{total}: {label}[/dim]")

    rep = failures(load(cluster), opts, on_case=progress)
    if as_json:
        click.echo(json.dumps(rep.to_json(), indent=2))
        return
    con = console()
    df = rep.to_frame().drop(columns=["restore_status"] if no_restore else [])
    if no_restore:
        df = df.drop(columns=[c for c in df.columns if c.startswith("restore_")])
    con.print(frame_table(df))
    if details:
        for c in rep.cases:
            moved = ", ".join(f"{i}→{n}" for i, n in c.failovers + c.relocated) or "none"
            con.print(f"[bold]{c.label}[/bold] ({c.group}): fail over {moved}")
            for inst, why in c.lost:
                con.print(f"    cannot: {inst}: {why}")
            if c.n1_fail_after:
                con.print(f"    N+1 failing after the loss: {', '.join(c.n1_fail_after)}")
            if c.restore and c.restore.n1_fail_after:
                con.print(f"    still N+1 failing after the repair: {', '.join(c.restore.n1_fail_after)}")
