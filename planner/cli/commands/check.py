"""``planner check FILE``: hcheck 3.0.2's health check, same options, same output, same exit code."""

from __future__ import annotations

import json
import sys

import click

from planner.cli.params import FRACTION, NON_NEGATIVE, POSITIVE, Count
from planner.domain.errors import PlannerError


def _split(s: str) -> tuple[str, ...]:
    return tuple(x for x in s.split(",") if x)


_OPTIONS = [
    click.option("--machine-readable", is_flag=True, help="hcheck's HCHECK_* shell assignments."),
    click.option("--no-simulation", is_flag=True, help="Do not simulate hbal's rebalancing."),
    click.option("--no-capacity-checks", is_flag=True, help="Skip the global N+1 (evacuation) check."),
    click.option("--verbose", "-v", count=True, help="More output (hcheck -v)."),
    click.option("--quiet", "-q", count=True, help="Less output (hcheck -q: only the exit code)."),
    click.option("--json", "as_json", is_flag=True, help="A JSON object: counts, scores, failing node names."),
    click.option("--max-length", "-l", type=Count(-1), default=-1, help="At most N moves per group (hbal -l)."),
    click.option("--min-gain", "-g", type=NON_NEGATIVE, default=0.01, help="Minimum gain per step (hbal -g)."),
    click.option("--min-gain-limit", type=NON_NEGATIVE, default=0.1, help="Score below which -g applies."),
    click.option("--min-score", "-e", type=NON_NEGATIVE, default=1e-9, help="Stop at this score above optimal."),
    click.option("--no-disk-moves", is_flag=True, help="Only failovers/migrations."),
    click.option("--no-instance-moves", is_flag=True, help="Only replace-secondary moves."),
    click.option("--evac-mode", "-E", is_flag=True, help="Only move instances off offline nodes."),
    click.option("--ignore-soft-errors", is_flag=True, help="Skip soft checks (N+1, ratios, tags)."),
    click.option("--exclusion-tags", default="", help="Comma list of exclusion tag prefixes."),
    click.option("--offline", "-O", multiple=True, help="Treat NODE as offline."),
    click.option("--select-instances", default="", help="Only these instances may move."),
    click.option("--exclude-instances", default="", help="These instances never move."),
    click.option("--max-cpu", type=POSITIVE, default=None, help="Override the vCPU ratio."),
    click.option("--min-disk", type=FRACTION, default=0.0, help="Keep this fraction of disk free."),
    click.option("--ignore-dynu", is_flag=True, help="Ignore instance utilisation (all 0)."),
]


def _with_options(f):
    for o in reversed(_OPTIONS):
        f = o(f)
    return f


def check_options(kw: dict):
    """The :class:`~planner.capacity.hcheck.CheckOptions` the command line asks for."""
    from planner.capacity.hcheck import CheckOptions
    from planner.engine.moves import MoveOptions
    from planner.engine.state import LoadOptions
    from planner.planners.greedy import GreedyOptions

    lo = LoadOptions(exclusion_tags=_split(kw["exclusion_tags"]), ignore_dynu=kw["ignore_dynu"],
                     offline_nodes=tuple(kw["offline"]), select_instances=_split(kw["select_instances"]),
                     exclude_instances=_split(kw["exclude_instances"]), max_cpu=kw["max_cpu"],
                     min_disk=kw["min_disk"])
    go = GreedyOptions(max_length=kw["max_length"], min_gain=kw["min_gain"], min_gain_limit=kw["min_gain_limit"],
                       min_score=kw["min_score"], evac_mode=kw["evac_mode"],
                       moves=MoveOptions(disk_moves=not kw["no_disk_moves"],
                                         instance_moves=not kw["no_instance_moves"],
                                         ignore_soft_errors=kw["ignore_soft_errors"]))
    return CheckOptions(lo, go, simulate=not kw["no_simulation"], capacity=not kw["no_capacity_checks"])


def _json(res) -> str:
    df = res.to_frame()
    return json.dumps({"need_rebalance": res.need_rebalance, "simulated": res.simulated,
                       "exit_code": res.exit_code, "groups": df.to_dict(orient="records"),
                       "plans": {g: {"moves": len(p.steps), "gb_copied": p.gb_copied, "final_score": p.final_score}
                                 for g, p in res.plans.items()}}, indent=2)


@click.command("check")
@click.argument("cluster", metavar="FILE")
@_with_options
def command(cluster: str, machine_readable: bool, verbose: int, quiet: int, as_json: bool, **kw) -> None:
    """hcheck: N+1, global N+1, tag conflicts, offline nodes, scores; exit 1 when a rebalance was simulated."""
    from planner.api import load
    from planner.capacity.evacuate import EvacuationCrash
    from planner.capacity.hcheck import check

    res = check(load(cluster), check_options(kw))
    try:
        if as_json:
            click.echo(_json(res))
        else:
            lines = res.machine_lines() if machine_readable else res.human_lines(1 + verbose - quiet)
            for line in lines:
                click.echo(line)
        code = res.exit_code
    except EvacuationCrash as e:
        sys.stdout.flush()
        print(f"planner: error: {PlannerError(cluster, None, str(e))}", file=sys.stderr)
        sys.exit(1)  # hcheck 3.0.2 dies with status 1 here
    sys.exit(code)
