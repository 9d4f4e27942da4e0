"""``planner capacity FILE|SCENARIO``: hspace 3.0.2's capacity run, same options, same output lines on
the same streams (stdout: the report or ``HTS_*`` keys; stderr: ``-p`` tables, ``-v`` maps, ``-S``
notes), plus a table per flavor.

Options are one list (:data:`OPTIONS`) turned into :class:`~planner.capacity.options.CapacityOptions`
by :func:`capacity_options`; a further option is one more entry there and one more use in
:func:`command` (``--optimal``/``--repack`` hook in after the hspace run, see :func:`extra_rows`).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from planner.cli.params import SECONDS
from planner.cli.render import console
from planner.domain.errors import PlannerError
from planner.domain.model import DISK_TEMPLATES as TEMPLATES

OPTIONS = [
    click.option("--text-data", "-t", "text_data", default=None, metavar="FILE",
                 help="The cluster file (as hspace -t; same as the FILE argument)."),
    click.option("--simulate", "simulate", multiple=True, metavar="SPEC",
                 help="A simulated empty group: policy,nodes,disk,ram,cpu[,spindles[,excl]] (repeatable)."),
    click.option("--standard-alloc", "standard_alloc", default=None, metavar="DSK,MEM,CPU[,SPN]",
                 help="Standard instance spec (default: the cluster ipolicy std spec)."),
    click.option("--tiered-alloc", "tiered_alloc", default=None, metavar="DSK,MEM,CPU[,SPN]",
                 help="Tiered starting spec (default: each ipolicy min/max pair's max spec)."),
    click.option("--flavor", "flavors", multiple=True, metavar="NAME",
                 help="Standard spec and disk template from the catalog flavor NAME (repeatable: one run each)."),
    click.option("--models", "models", multiple=True, type=click.Path(exists=True),
                 help="Extra catalog YAML file or directory for --flavor."),
    click.option("--disk-template", "disk_template", default=None, metavar="TEMPLATE",
                 help="Disk template of the new instances (default: the ipolicy's first)."),
    click.option("--spindle-use", "spindle_use", type=int, default=None, help="Spindle use of new instances."),
    click.option("--max-length", "-l", "max_length", type=int, default=-1,
                 help="At most N allocations per run (-1: no limit)."),
    click.option("--offline", "-O", "offline", multiple=True, metavar="NODE", help="Treat NODE as offline."),
    click.option("--independent-groups", is_flag=True, help="Groups with N+1 problems are skipped, not fatal."),
    click.option("--accept-existing-errors", "accept_existing", is_flag=True,
                 help="Allocate even when nodes already fail N+1."),
    click.option("--no-capacity-checks", is_flag=True, help="No global N+1 check for non-DRBD templates."),
    click.option("--max-cpu", type=float, default=None, help="Override the vCPU ratio."),
    click.option("--min-disk", type=float, default=None, help="Keep this fraction of disk free."),
    click.option("--save", "-S", "save", default=None, metavar="FILE",
                 help="Write FILE.tiered and FILE.standard (htools text, for hbal -t)."),
    click.option("--print-nodes", "-p", "print_nodes", default=None, metavar="[FIELDS]",
                 help="Node tables on stderr (-p alone: default fields; -pname,pcnt; -p+ptags)."),
    click.option("--verbose", "-v", count=True, help="More output on stderr (-v: allocation maps)."),
    click.option("--quiet", "-q", count=True, help="Less output."),
    click.option("--machine-readable", "machine_readable", default=None, metavar="[yes|no]",
                 help="HTS_* shell assignments, as hspace --machine-readable."),
    click.option("--table/--no-table", "table", default=True, help="The per-flavor table after the report."),
    click.option("--optimal", is_flag=True,
                 help="Also CP-SAT's most new instances per flavor (placement frozen, N+1 kept), with status and gap."),
    click.option("--mix", "mix", default=None, metavar="NAME=W,...",
                 help="With --optimal: whole units of this catalog flavor mix (e.g. small=3,large=1), solved jointly."),
    click.option("--repack", is_flag=True,
                 help="Also how many more fit after a CP-SAT rebalance of the existing instances, and its cost."),
    click.option("--repack-budget", "repack_budget", default=None, metavar="GB,...",
                 help="With --repack: a row per budget of data moved (e.g. 0,500G,2T,all; all = no budget)."),
    click.option("--time-limit", "time_limit", type=SECONDS, default=10.0, show_default=True,
                 help="CP-SAT seconds for --optimal (per flavor) and for each --repack rebalance."),
    click.option("--seed", "seed", type=int, default=1, show_default=True, help="CP-SAT seed for --optimal."),
]

#: options that take an optional value written attached (getopt's OptArg): ``-p``, ``-pFIELDS``,
#: ``--print-nodes[=F]``, ``--machine-readable[=yes|no]``; alone they get this value
_OPTIONAL = {"-p": ("--print-nodes", ""), "--print-nodes": ("--print-nodes", ""),
             "--machine-readable": ("--machine-readable", "yes")}


class HspaceCommand(click.Command):
    """A click command that reads ``-p`` / ``--machine-readable`` without a value as getopt does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out = []
        for a in args:
            if a in _OPTIONAL:
                name, value = _OPTIONAL[a]
                a = f"{name}={value}"
            elif a.startswith("-p") and not a.startswith("--"):
                a = f"--print-nodes={a[2:]}"
            out.append(a)
        return super().parse_args(ctx, out)


def _with_options(f):
    for o in reversed(OPTIONS):
        f = o(f)
    return f


def _spec(text: str | None, what: str):
    from planner.capacity.options import Spec

    if text is None:
        return None
    try:
        s = Spec.parse(text)
    except PlannerError as e:
        raise PlannerError(what, None, e.message) from None
    if s.mem <= 0 or s.cpu <= 0 or s.dsk < 0 or s.spn < 0:
        raise PlannerError(what, None, f"bad instance spec '{text}': memory and vCPUs must be > 0, disk >= 0")
    return s


def capacity_options(kw: dict):
    """The :class:`~planner.capacity.options.CapacityOptions` the command line asks for (values checked)."""
    from planner.capacity.options import CapacityOptions

    if kw["disk_template"] is not None and kw["disk_template"] not in TEMPLATES:
        raise PlannerError("--disk-template", None,
                           f"unknown disk template '{kw['disk_template']}' (one of {', '.join(TEMPLATES)})")
    if kw["spindle_use"] is not None and kw["spindle_use"] < 0:
        raise PlannerError("--spindle-use", None, f"must be >= 0, got {kw['spindle_use']}")
    if kw["max_length"] < -1:
        raise PlannerError("--max-length", None, f"must be >= 0 (or -1: no limit), got {kw['max_length']}")
    if kw["max_cpu"] is not None and not kw["max_cpu"] > 0:
        raise PlannerError("--max-cpu", None, f"must be > 0, got {kw['max_cpu']}")
    if kw["min_disk"] is not None and not 0 <= kw["min_disk"] <= 1:
        raise PlannerError("--min-disk", None, f"must be between 0 and 1, got {kw['min_disk']}")
    if kw["flavors"] and kw["standard_alloc"]:
        raise PlannerError("--flavor", None, "give either --flavor or --standard-alloc, not both")
    return CapacityOptions(
        disk_template=kw["disk_template"], spindle_use=kw["spindle_use"],
        standard=_spec(kw["standard_alloc"], "--standard-alloc"), tiered=_spec(kw["tiered_alloc"], "--tiered-alloc"),
        limit=None if kw["max_length"] == -1 else kw["max_length"], offline=tuple(kw["offline"]),
        independent_groups=kw["independent_groups"], accept_existing=kw["accept_existing"],
        capacity_checks=not kw["no_capacity_checks"], max_cpu=kw["max_cpu"], min_disk=kw["min_disk"])


def machine_readable(value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() not in ("yes", "no"):
        raise PlannerError("--machine-readable", None, f"expected yes or no, got '{value}'")
    return value.lower() == "yes"


def input_files(source: str | None) -> list[str]:
    """The files a run reads (a scenario's cluster file too): ``-S`` must never write over one."""
    if not source:
        return []
    out = [source]
    if Path(source).suffix in (".yaml", ".yml"):
        from planner.scenario.spec import load_scenario

        s = load_scenario(source)
        if s.cluster.file:
            out.append(str(s.resolve(s.cluster.file)))
        out += [str(s.resolve(m)) for m in s.models]
    return out


def load_input(source: str | None, simulate: tuple[str, ...]):
    """The cluster: ``--simulate`` groups, or FILE (htools text, RAPI dump, scenario YAML: after its changes)."""
    from planner.api import load
    from planner.capacity.simulate import simulate_cluster

    if source and simulate:
        raise PlannerError("--simulate", None, "give either FILE or --simulate, not both")
    if simulate:
        return simulate_cluster(list(simulate))
    if not source:
        raise PlannerError("capacity", None, "no cluster: give FILE (or -t FILE) or --simulate")
    return load(source)


def _flavor(cat, name: str, option: str):
    """The catalog flavor ``name`` and its :class:`~planner.capacity.options.Spec` (one line naming
    ``option`` when the catalog has no such flavor)."""
    from planner.capacity.options import Spec

    try:
        f = cat.flavor(name)
    except KeyError as e:
        raise PlannerError(option, None, e.args[0]) from None
    return f, Spec(f.memory, f.disk, f.vcpus, f.spindles)


def flavor_runs(kw: dict, opts):
    """``[(label, CapacityOptions)]``: one run per ``--flavor`` (its spec and template), else the one run."""
    if not kw["flavors"]:
        return [("std spec" if opts.standard is None else "--standard-alloc", opts)]
    from planner.scenario.catalog import load_catalog

    cat = load_catalog(*kw["models"])
    out = []
    for k, name in enumerate(kw["flavors"]):
        f, spec = _flavor(cat, name, "--flavor")
        o = replace(opts, standard=spec, disk_template=opts.disk_template or f.disk_template,
                    run_tiered=opts.run_tiered and k == 0)
        out.append((name, o))
    return out


def save_paths(save: str | None, labels: list[str]) -> dict[str, str]:
    """``-S FILE``'s outputs: FILE.tiered, FILE.standard (FILE.NAME.standard for further flavors)."""
    if not save:
        return {}
    out = {"tiered": f"{save}.tiered"}
    for k, label in enumerate(labels):
        out[label] = f"{save}.standard" if k == 0 else f"{save}.{label}.standard"
    return out


def _template(cluster, o) -> str:
    from planner.capacity.hspace import cluster_policy

    return o.disk_template or cluster_policy(cluster).disk_templates[0]


def _fitting(what: str, limit: float):
    """A spinner on a terminal's stderr while CP-SAT fits ``what``."""
    return console(stderr=True).status(f"CP-SAT: the most {what} instances that fit (at most {limit:g} s; "
                                       "Ctrl-C keeps the best so far)")


def extra_rows(kw: dict, cluster, runs, results) -> dict[str, dict]:
    """``--optimal``: CP-SAT's count per flavor label beside hspace's (status, gap, verified)."""
    if not kw["optimal"]:
        return {}
    from planner.capacity.optimal import FitOptions, optimal_fit

    fo = FitOptions(time_limit=kw["time_limit"], seed=kw["seed"])
    out = {}
    for (label, o), (_, res) in zip(runs, results, strict=True):
        if o.standard is None or res.standard is None:
            continue
        with _fitting(label, fo.time_limit):
            r = optimal_fit(cluster, [(label, res.standard.spec, _template(cluster, o), 1)], fo)
        out[label] = {"optimal": r.count, "more": r.count - res.standard.allocated, "status": r.status,
                      "gap": r.gap, "verified": r.verified}
    return out


def mix_flavors(kw: dict, opts) -> list[tuple] | None:
    """``--mix small=3,large=1`` as ``optimal_fit``'s flavors (name, spec, template, weight), checked
    before any allocation runs; None without ``--mix``."""
    if not kw["mix"]:
        return None
    if not kw["optimal"]:
        raise PlannerError("--mix", None, "applies with --optimal")
    from planner.scenario.catalog import load_catalog

    cat = load_catalog(*kw["models"])
    flavors = []
    for part in kw["mix"].split(","):
        name, _, w = part.partition("=")
        try:
            weight = int(w)
        except ValueError:
            raise PlannerError("--mix", None, f"'{part}': want NAME=WEIGHT (a whole number)") from None
        f, spec = _flavor(cat, name.strip(), "--mix")
        if weight < 1:
            raise PlannerError("--mix", None, f"'{part}': the weight must be at least 1")
        flavors.append((f.name, spec, opts.disk_template or f.disk_template, weight))
    return flavors


def repack_budgets(kw: dict) -> tuple | None:
    """``--repack`` / ``--repack-budget``'s budgets (GiB, None = no budget), checked before any run."""
    from planner.capacity.repack import parse_budgets

    if kw["repack_budget"] is not None and not kw["repack"]:
        raise PlannerError("--repack-budget", None, "applies with --repack")
    if not kw["repack"]:
        return None
    return parse_budgets(kw["repack_budget"]) if kw["repack_budget"] is not None else (0.0, None)


def repack_tables(kw: dict, cluster, runs, results, budgets: tuple) -> None:
    """Per flavor: capacity against the data a repack moves (one row per budget)."""
    import pandas as pd

    from planner.capacity.repack import RepackOptions, repack_curve
    from planner.cli.render import frame_table

    ro = RepackOptions(budgets=budgets, time_limit=kw["time_limit"], seed=kw["seed"], optimal=kw["optimal"])
    con = console()
    for (label, o), (_, res) in zip(runs, results, strict=True):
        if o.standard is None or res.standard is None:
            continue
        rows = repack_curve(cluster, res.standard.spec, _template(cluster, o), ro)
        today = res.standard.allocated
        con.print(f"repack, flavor {label}: how many more fit after moving existing instances "
                  f"(today {today}; CP-SAT {kw['time_limit']:g} s per budget)")
        con.print(frame_table(pd.DataFrame([r.to_dict(today) for r in rows])))


def mix_line(kw: dict, cluster, flavors: list[tuple]) -> str:
    """Whole units of the ``--mix`` that fit, solved jointly."""
    from planner.capacity.optimal import FitOptions, optimal_fit

    with _fitting("mix", kw["time_limit"]):
        r = optimal_fit(cluster, flavors, FitOptions(time_limit=kw["time_limit"], seed=kw["seed"]))
    per = ", ".join(f"{n} {k}" for k, n in r.per_flavor.items())
    return (f"optimal mix {kw['mix']}: {r.units} units ({per}); CP-SAT {r.status.lower()}, bound {r.bound}, "
            f"gap {r.gap}, {'verified' if r.verified else 'NOT verified'}")


@click.command("capacity", cls=HspaceCommand)
@click.argument("source", metavar="FILE|SCENARIO", required=False)
@_with_options
def command(source: str | None, **kw) -> None:
    """hspace: how many more instances fit (tiered and standard allocation, N+1 kept), same options and
    output as hspace 3.0.2 (--machine-readable: the same HTS_* keys and values)."""
    from planner.capacity.hspace import capacity
    from planner.cli.capacity_out import Printer
    from planner.cli.outputs import check_outputs

    source = source or kw["text_data"]
    if source and kw["text_data"] and source != kw["text_data"]:
        raise PlannerError("-t", None, "give the cluster once (FILE or -t FILE)")
    opts = capacity_options(kw)
    mr = machine_readable(kw["machine_readable"])
    runs = flavor_runs(kw, opts)
    mix = mix_flavors(kw, opts)
    budgets = repack_budgets(kw)
    if mr and len(runs) > 1:
        raise PlannerError("--machine-readable", None, "takes at most one --flavor (one HTS_SPEC block)")
    from planner.capacity.tables import check_fields, parse_fields

    fields = parse_fields(kw["print_nodes"])
    check_fields(fields)
    saves = save_paths(kw["save"], [label for label, _ in runs])
    inputs = input_files(source)
    check_outputs(inputs, list(saves.values()))
    cluster = load_input(source, kw["simulate"])
    pr = Printer(cluster, mr, kw["verbose"] - kw["quiet"] + 1, fields, saves)
    results = []
    with pr.progress() as tick:
        for label, o in runs:
            results.append((label, capacity(cluster, o, progress=tick)))
            if results[-1][1].interrupted:
                break
    for k, (label, res) in enumerate(results):
        pr.report(res, label, first=k == 0)
    if results and results[-1][1].interrupted:
        sys.stdout.flush()
        click.echo("planner: interrupted: the counts above are what was allocated until Ctrl-C "
                   "(each run's last checked state); the rest was not run", err=True)
        sys.exit(130)
    if not mr and kw["table"]:
        pr.flavor_table(results, extra_rows(kw, cluster, runs, results))
    if mix and not mr:
        click.echo(mix_line(kw, cluster, mix))
    if budgets and not mr:
        repack_tables(kw, cluster, runs, results, budgets)
    sys.stdout.flush()
