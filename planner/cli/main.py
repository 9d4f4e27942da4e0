"""The ``planner`` command: parse arguments, call :mod:`planner.api`, render with rich.

Bad input never shows a traceback: a :class:`~planner.domain.errors.PlannerError` becomes one line
``planner: error: FILE:LINE: what is wrong`` and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from planner.cli.group import PlannerGroup
from planner.cli.outputs import check_outputs
from planner.cli.params import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    SECONDS,
    WORKERS,
    Count,
    CountList,
    cluster_arg,
    group_opt,
    refuse_unused,
)
from planner.cli.plot import plot_opt, plot_usage, save_plot
from planner.cli.render import console as _console
from planner.cli.schedule import pop_schedule_options, schedule_options
from planner.domain.errors import PlannerError


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def cli() -> None:
    """Rebalancing and capacity planner for Ganeti clusters (hbal-exact scores)."""


def _hbal_options(f):
    """hbal's balancing and selection options, same names."""
    opts = [
        click.option("--max-length", "-l", type=Count(-1), default=-1, help="At most N moves (hbal -l)."),
        click.option("--min-gain", "-g", type=NON_NEGATIVE, default=0.01, help="Minimum gain per step (hbal -g)."),
        click.option("--min-gain-limit", type=NON_NEGATIVE, default=0.1, help="Score below which -g applies."),
        click.option("--min-score", "-e", type=NON_NEGATIVE, default=1e-9, help="Stop at this score above optimal."),
        click.option("--no-disk-moves", is_flag=True, help="Only failovers/migrations."),
        click.option("--no-instance-moves", is_flag=True, help="Only replace-secondary moves."),
        click.option("--evac-mode", "-E", is_flag=True, help="Only move instances off offline nodes."),
        click.option("--restricted-migration", is_flag=True, help="hbal's --restricted-migration."),
        click.option("--ignore-soft-errors", is_flag=True, help="Skip soft checks (N+1, ratios, tags)."),
        click.option("--exclusion-tags", default="", help="Comma list of exclusion tag prefixes."),
        click.option("--offline", "-O", multiple=True, help="Treat NODE as offline (drained)."),
        click.option("--select-instances", default="", help="Only these instances may move."),
        click.option("--exclude-instances", default="", help="These instances never move."),
        click.option("--max-cpu", type=POSITIVE, default=None, help="Override the vCPU ratio."),
        click.option("--min-disk", type=FRACTION, default=0.0, help="Keep this fraction of disk free."),
        click.option("--ignore-dynu", is_flag=True, help="Ignore instance utilisation (all 0)."),
        group_opt,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _write_outputs(c, source: str, plan, so: dict, lo, as_json: bool, print_commands: bool,
                   commands_file: str | None, save_plan: str | None, closing: list[str], alias) -> bool:
    """Schedule the plan, write the files asked for, print the JSON or the text; True after JSON."""
    from planner.cli.schedule import apply_schedule, days_json, save_steps, schedule_lines
    from planner.report.text import commands_text, script_text

    shown = as_json or bool(save_plan or commands_file or so["save_steps"] or so["day_plan"])
    days = apply_schedule(c, plan, so, lo, optimise=shown or plan.method != "greedy")
    if so["day_plan"]:
        plan.extra["days"] = days_json(days, plan, so["window_s"])
    if save_plan:
        Path(save_plan).write_text(plan.dumps() + "\n")
    if commands_file:
        Path(commands_file).write_text(script_text(plan, alias, parallel=plan.schedule.status != "sequential"))
    if so["save_steps"]:
        save_steps(c, plan, so["save_steps"], (source,))
    if as_json:
        click.echo(plan.dumps())
        return True
    for line in closing:
        click.echo(line)
    if print_commands:
        click.echo(commands_text(plan, alias))
    if commands_file:
        click.echo(f"The commands have been written to file '{commands_file}'")
    if so["day_plan"]:
        for line in schedule_lines(plan, days, so):
            click.echo(line)
    return False


#: balance's options that only one method reads: given with the other method they are refused
METHOD_ONLY = {"cpsat": ("time_limit", "seed", "workers", "max_gb", "max_moves", "target_score", "objective",
                         "partial_evacuation"),
               "greedy": ("max_length", "min_gain", "min_gain_limit", "no_disk_moves", "no_instance_moves",
                          "restricted_migration", "evac_mode")}


def _split(s: str) -> tuple[str, ...]:
    return tuple(x for x in s.split(",") if x)


@cli.command()
@cluster_arg
@click.option("--method", type=click.Choice(["greedy", "cpsat"]), default="greedy", show_default=True)
@_hbal_options
@click.option("--time-limit", type=SECONDS, default=None, help="CP-SAT: seconds (default by cluster size).")
@click.option("--seed", type=int, default=1, show_default=True, help="CP-SAT random seed.")
@click.option("--workers", type=WORKERS, default=2, show_default=True, help="CP-SAT worker threads.")
@click.option("--max-gb", type=NON_NEGATIVE, default=None, help="CP-SAT: copy at most this many GiB.")
@click.option("--max-moves", type=Count(0), default=None, help="CP-SAT: at most this many hbal moves.")
@click.option("--target-score", type=NON_NEGATIVE, default=None, help="CP-SAT: fewest GiB reaching this score.")
@click.option("--objective", type=click.Choice(["dominant", "score"]), default="dominant", show_default=True,
              help="CP-SAT without budgets: a plan no worse than greedy's on every axis (dominant), "
                   "or the lowest score whatever it copies (score).")
@click.option("--partial-evacuation", is_flag=True,
              help="CP-SAT: leave on offline nodes what --max-moves / --max-gb cannot move off.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--print-commands", "-C", "print_commands", is_flag=True, help="List the commands (hbal -C).")
@click.option("--commands", "commands_file", type=click.Path(dir_okay=False), help="Write a runnable script.")
@click.option("--save-state", type=click.Path(dir_okay=False), help="Write the final cluster (htools text).")
@click.option("--save-plan", type=click.Path(dir_okay=False), help="Write the plan as JSON.")
@plot_opt
@schedule_options
def balance(cluster: str, method: str, plot_out: str | None, as_json: bool, print_commands: bool,
            commands_file: str | None,
            save_state: str | None, save_plan: str | None, time_limit: float | None, seed: int, workers: int,
            max_gb: float | None, max_moves: int | None, target_score: float | None, objective: str,
            partial_evacuation: bool, **kw) -> None:
    """Plan a rebalancing of FILE (greedy = hbal's algorithm, move for move)."""
    from planner.api import balance as plan_balance
    from planner.api import load, report
    from planner.engine.load import load_group
    from planner.engine.moves import MoveOptions
    from planner.engine.state import LoadOptions, common_suffix
    from planner.io.htools_write import save_text
    from planner.planners.greedy import GreedyOptions
    from planner.report.text import (
        balanced_message,
        hbal_preamble,
        hbal_text,
        move_line,
        suffix_stripper,
    )

    refuse_unused(click.get_current_context(), method, METHOD_ONLY)
    so = pop_schedule_options(kw)
    check_outputs([cluster], [save_state, save_plan, commands_file, plot_out], [so["save_steps"]])
    c = load(cluster)
    lo = LoadOptions(group=kw["group"], exclusion_tags=_split(kw["exclusion_tags"]),
                     ignore_dynu=kw["ignore_dynu"], offline_nodes=tuple(kw["offline"]),
                     select_instances=_split(kw["select_instances"]),
                     exclude_instances=_split(kw["exclude_instances"]), max_cpu=kw["max_cpu"],
                     min_disk=kw["min_disk"])
    go = GreedyOptions(max_length=kw["max_length"], min_gain=kw["min_gain"],
                       min_gain_limit=kw["min_gain_limit"], min_score=kw["min_score"],
                       evac_mode=kw["evac_mode"],
                       moves=MoveOptions(disk_moves=not kw["no_disk_moves"],
                                         instance_moves=not kw["no_instance_moves"],
                                         restricted_migration=kw["restricted_migration"],
                                         ignore_soft_errors=kw["ignore_soft_errors"]))
    gs = load_group(c, lo)
    alias = suffix_stripper(common_suffix([n.name for n in c.nodes] + [i.name for i in c.instances]))
    imlen = max((len(alias(gs.instances[k].inst.name)) for k in gs.group_instances), default=0)
    nmlen = max((len(alias(n.name)) for n in gs.nodes), default=0)
    rep = report(gs)
    if not c.instances:
        click.echo("Cluster is empty, exiting.")
        return
    if not as_json:
        for line in hbal_preamble(len(c.nodes), len(c.instances), gs, rep, kw["ignore_soft_errors"]):
            click.echo(line)
        if rep.score - rep.optimal < go.min_score:
            for line in balanced_message(rep.score, rep.optimal, go.min_score):
                click.echo(line)
            return
        click.echo("Trying to minimize the CV...")
    on_step = None if as_json else (lambda k, st: click.echo(move_line(st, k, imlen, nmlen, alias)))
    if method == "cpsat":
        from planner.cli.progress import solve_with_progress

        plan, final = solve_with_progress(c, lo, len(gs.group_instances), time_limit, seed, workers, max_gb,
                                          max_moves, target_score, quiet=as_json, evacuate=not partial_evacuation,
                                          objective=objective)
        if not as_json:
            for k, st in enumerate(plan.steps, start=1):
                on_step(k, st)
    else:
        plan, final = plan_balance(c, method, go, lo, on_step=on_step)
    if save_state:
        save_text(final, save_state, inputs=(cluster,))
    plot_usage(c, lo, {plan.method: final}, plot_out)
    if _write_outputs(c, cluster, plan, so, lo, as_json, print_commands, commands_file, save_plan,
                      hbal_text(plan, imlen, nmlen, alias)[len(plan.steps):], alias):
        return
    err = _console(stderr=True)
    err.print(f"[dim]{plan.method}: {len(plan.steps)} moves in {len(plan.jobsets)} jobsets, "
              f"{plan.gb_copied:.0f} GB copied, {plan.migrations} migrations; planned in {plan.wall_s:.2f} s[/dim]")
    if plan.bound is not None and plan.gap is not None:
        err.print(f"[dim]status {plan.status}; surrogate objective {plan.extra.get('surrogate_objective', 0):.6f}, "
                  f"bound {plan.bound:.6f}, gap {plan.gap:.2%}; GB lower bound {plan.gb_lower_bound:.0f}[/dim]")
    err.print(f"[dim]{plan.extra.get('verify', '')}; {plan.extra.get('schedule_check', '')}[/dim]")
    from planner.cli.progress import objective_lines

    for line in objective_lines(plan):
        err.print(line)
    if target_score is not None and plan.extra.get("target_reached") is False:
        err.print(f"[yellow]target score {target_score:.8f} not reached within the time limit "
                  f"({plan.wall_s:.0f} s): this is the best plan found (final score {plan.final_score:.8f}); "
                  "try a longer --time-limit[/yellow]")
    for name, why in plan.extra.get("stuck", {}).items():
        err.print(f"[yellow]not moved (no safe order): {name}: {why}[/yellow]")


@cli.command()
@cluster_arg
@group_opt
@click.option("--hbal/--no-hbal", "with_hbal", default=True, help="Also run the real hbal when installed.")
@click.option("--hbal-timeout", type=SECONDS, default=300.0, show_default=True)
@click.option("--time-limit", type=SECONDS, default=None, help="CP-SAT seconds (default by size).")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Also write the table as CSV.")
@plot_opt
def compare(cluster: str, group: str | None, with_hbal: bool, hbal_timeout: float, time_limit: float | None,
            csv_out: str | None, plot_out: str | None) -> None:
    """Greedy, CP-SAT and real hbal side by side: score, moves, GB, jobsets, hours, time to plan."""
    from planner.api import apply_placement_of, load
    from planner.cli.progress import default_time_limit
    from planner.cli.render import frame_table
    from planner.engine.state import LoadOptions
    from planner.planners.cpsat import CpsatOptions
    from planner.report.compare import compare as run_compare

    check_outputs([cluster], [csv_out, plot_out])
    c = load(cluster)
    lo = LoadOptions(group=group)
    tl = time_limit or default_time_limit(len(c.instances))
    df, plans = run_compare(cluster, c, lo, CpsatOptions(time_limit=tl), with_hbal, hbal_timeout)
    _console().print(frame_table(df))
    if csv_out:
        df.to_csv(csv_out, index=False)
    plot_usage(c, lo, {k: apply_placement_of(c, p) for k, p in plans.items()}, plot_out)


@cli.command()
@cluster_arg
@group_opt
@click.option("--by", type=click.Choice(["moves", "gb"]), default="moves", show_default=True)
@click.option("--points", type=CountList(), default="0,5,10,20,40", show_default=True, help="Comma list of budgets k.")
@click.option("--time-limit", type=SECONDS, default=10.0, show_default=True, help="CP-SAT seconds per point.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Also write the curve as CSV.")
@plot_opt
def pareto(cluster: str, group: str | None, by: str, points: list[int], time_limit: float, csv_out: str | None,
           plot_out: str | None) -> None:
    """Best score for at most k moves (or k GiB): greedy prefixes against CP-SAT."""
    from planner.api import load
    from planner.cli.render import frame_table
    from planner.engine.state import LoadOptions
    from planner.report.compare import default_check
    from planner.report.compare import pareto as run_pareto

    ks = points

    check_outputs([cluster], [csv_out, plot_out])
    c, lo = load(cluster), LoadOptions(group=group)
    df = run_pareto(c, lo, ks, by, time_limit)
    con = _console()
    con.print(frame_table(df))
    con.print("The default objective (no budget) against greedy's whole plan:")
    con.print(frame_table(default_check(c, lo, time_limit)))
    if csv_out:
        df.to_csv(csv_out, index=False)
    if plot_out:
        from planner.api import balance as plan_balance
        from planner.report.compare import run_hbal
        from planner.report.plots import pareto as pareto_plot
        from planner.report.story import pareto_curves

        hbal = run_hbal(cluster, c, group) if Path(cluster).is_file() else None
        save_plot(pareto_plot(pareto_curves(df, plan_balance(c, "greedy", None, lo)[0], hbal)), plot_out)


@cli.command()
@click.argument("cluster", metavar="FILE")
@click.argument("target", metavar="TARGET")
@group_opt
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--print-commands", "-C", "print_commands", is_flag=True, help="List the commands.")
@click.option("--commands", "commands_file", type=click.Path(dir_okay=False), help="Write a runnable script.")
@click.option("--save-plan", type=click.Path(dir_okay=False), help="Write the plan as JSON.")
@schedule_options
def sequence(cluster: str, target: str, group: str | None, as_json: bool, print_commands: bool,
             commands_file: str | None, save_plan: str | None, **kw) -> None:
    """Order the moves from FILE to the placement in TARGET safely (exit 2 if some cannot move)."""
    from planner.api import load, sequence_to
    from planner.engine.state import LoadOptions, common_suffix
    from planner.report.text import hbal_text, suffix_stripper

    so = pop_schedule_options(kw)
    check_outputs([cluster, target], [save_plan, commands_file], [so["save_steps"]])
    c, t = load(cluster), load(target)
    lo = LoadOptions(group=group)
    plan, _ = sequence_to(c, t, lo)
    alias = suffix_stripper(common_suffix([n.name for n in c.nodes] + [i.name for i in c.instances]))
    imlen = max((len(alias(s.instance)) for s in plan.steps), default=0)
    nmlen = max((len(alias(n.name)) for n in c.nodes), default=0)
    if not _write_outputs(c, cluster, plan, so, lo, as_json, print_commands, commands_file, save_plan,
                          hbal_text(plan, imlen, nmlen, alias), alias):
        err = _console(stderr=True)
        hops = plan.extra["hops"]
        if hops:
            err.print(f"[dim]cycles broken by {len(hops)} temporary move(s), {plan.extra['hop_gb']:.0f} GB extra: "
                      f"{'; '.join(hops)}[/dim]")
        err.print(f"[dim]{plan.extra.get('verify', '')}; {plan.extra.get('schedule_check', '')}[/dim]")
    stuck = plan.extra["stuck"]
    if stuck:
        name, why = next(iter(stuck.items()))
        raise PlannerError(target, None, f"no safe order for {len(stuck)} instance(s), e.g. {name}: {why}")


@cli.command()
@click.argument("cluster", metavar="FILE")
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@group_opt
@click.option("--ignore-soft-errors", is_flag=True, help="Do not check hbal's soft rules.")
@click.option("--transient", is_flag=True, help="Also check the states between a move's commands.")
def verify(cluster: str, plan_file: str, group: str | None, ignore_soft_errors: bool, transient: bool) -> None:
    """Replay PLAN.json on FILE with hbal's rules: exit 0 if every step is safe, 1 at the first violation,
    2 for a malformed plan or one that is not for FILE."""
    from planner.api import load
    from planner.checks.verify import verify as run_verify
    from planner.io.plan_json import check_plan_for, read_plan

    plan = read_plan(plan_file)  # malformed: exit 2, naming the field
    c = load(cluster)
    check_plan_for(c, plan, plan_file)  # not for this cluster: exit 2
    res = run_verify(c, plan, group, ignore_soft_errors, transient=transient)
    click.echo(res.message())
    sys.exit(0 if res.ok else 1)


def _register() -> None:
    from planner.cli.commands import discovered

    for cmd in discovered():
        cli.add_command(cmd)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group (:class:`~planner.cli.group.PlannerGroup` turns bad input into
    one line and exit 2)."""
    cli.main(args=argv, prog_name="planner")


if __name__ == "__main__":
    main()
