"""``planner info FILE``: the node table (like ``hbal -p`` / ``hinfo``), and the instances."""

from __future__ import annotations

import click

from planner.cli.params import cluster_arg, group_opt


@click.command("info")
@cluster_arg
@group_opt
@click.option("--instances", is_flag=True, help="Also list the instances.")
def command(cluster: str, group: str | None, instances: bool) -> None:
    """Print the node table of FILE (like hbal -p / hinfo)."""
    from planner.api import group_state, load
    from planner.cli.render import console, frame_table
    from planner.report.frames import instances_frame, nodes_frame

    gs = group_state(load(cluster), group)
    con = console()
    con.print(f"Group {gs.group_name}: {len(gs.nodes)} nodes, {len(gs.group_instances)} instances")
    con.print(frame_table(nodes_frame(gs), drop=("mem_used_frac", "disk_used_frac", "offline", "n1_fail")))
    if instances:
        con.print(frame_table(instances_frame(gs)))
