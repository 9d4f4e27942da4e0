"""The ``planner`` command: parse arguments, call :mod:`planner.api`, render with rich.

Bad input never shows a traceback: a :class:`~planner.errors.PlannerError` becomes one line
``planner: error: FILE:LINE: what is wrong`` and exit status 2.
"""

from __future__ import annotations

import json
import sys

import click

from planner.errors import PlannerError

DEFAULT_CLUSTER = "scenarios/new-node-small-5n-73i-mimic.data"


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 200)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def cli() -> None:
    """Rebalancing and capacity planner for Ganeti clusters (hbal-exact scores)."""


cluster_arg = click.argument("cluster", metavar="FILE", default=DEFAULT_CLUSTER)
group_opt = click.option("--group", "-G", default=None, help="Node group name or UUID (hbal -G).")


@cli.command()
@cluster_arg
@group_opt
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of tables.")
def score(cluster: str, group: str | None, as_json: bool) -> None:
    """Score FILE exactly as hbal's "Initial score" (all 20 metrics, N+1)."""
    from planner.api import load, score_cluster
    from planner.render import score_table

    rep = score_cluster(load(cluster), group)
    if as_json:
        click.echo(json.dumps(rep.to_json(), indent=2))
        return
    con = _console()
    con.print(f"Group {rep.group}: score [bold]{rep.score:.8f}[/bold] "
              f"(optimum due to N+1 reservations {rep.optimal:.8f})")
    con.print(score_table(rep))
    bad = ", ".join(rep.n1_fail_nodes) or "none"
    con.print(f"N+1: {len(rep.n1_fail_nodes)} bad nodes ({bad}), {rep.n1_bad_instances} bad instances")


@cli.command()
@cluster_arg
@group_opt
@click.option("--instances", is_flag=True, help="Also list the instances.")
def info(cluster: str, group: str | None, instances: bool) -> None:
    """Print the node table of FILE (like hbal -p / hinfo)."""
    from planner.api import group_state, load
    from planner.frames import instances_frame, nodes_frame
    from planner.render import frame_table

    gs = group_state(load(cluster), group)
    con = _console()
    con.print(f"Group {gs.group_name}: {len(gs.nodes)} nodes, {len(gs.group_instances)} instances")
    con.print(frame_table(nodes_frame(gs), drop=("mem_used_frac", "disk_used_frac", "offline", "n1_fail")))
    if instances:
        con.print(frame_table(instances_frame(gs)))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning PlannerError into one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="planner", standalone_mode=False)
    except PlannerError as e:
        print(f"planner: error: {e}", file=sys.stderr)
        sys.exit(2)
    except click.exceptions.Abort:
        print("planner: aborted", file=sys.stderr)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":
    main()
