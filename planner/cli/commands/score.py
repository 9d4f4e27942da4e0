"""``planner score FILE``: hbal's "Initial score" of a group, its 20 weighted metrics and N+1."""

from __future__ import annotations

import json

import click

from planner.cli.params import cluster_arg, group_opt


@click.command("score")
@cluster_arg
@group_opt
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of tables.")
def command(cluster: str, group: str | None, as_json: bool) -> None:
    """Score FILE exactly as hbal's "Initial score" (all 20 metrics, N+1)."""
    from planner.api import load, score_cluster
    from planner.cli.render import console, score_table

    rep = score_cluster(load(cluster), group)
    if as_json:
        click.echo(json.dumps(rep.to_json(), indent=2))
        return
    con = console()
    con.print(f"Group {rep.group}: score [bold]{rep.score:.8f}[/bold] "
              f"(optimum due to N+1 reservations {rep.optimal:.8f})")
    con.print(score_table(rep))
    bad = ", ".join(rep.n1_fail_nodes) or "none"
    con.print(f"N+1: {len(rep.n1_fail_nodes)} bad nodes ({bad}), {rep.n1_bad_instances} bad instances")
