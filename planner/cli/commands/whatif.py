"""``planner whatif SCENARIO``: a scenario's one-page answer (score, N+1, capacity, the rebalance)."""

from __future__ import annotations

import contextlib
import json
import sys

import click

from planner.cli.params import FiniteFloat
from planner.cli.plot import plot_opt, save_plot


def _table(title: str, frame, fmt: dict):
    from pandas.api.types import is_numeric_dtype
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for c in frame.columns:
        t.add_column(str(c), justify="right" if is_numeric_dtype(frame[c]) else "left")
    for row in frame.itertuples(index=False):
        t.add_row(*[fmt.get(c, "{}").format(v) for c, v in zip(frame.columns, row, strict=True)])
    return t


@click.command("whatif")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--time-limit", type=FiniteFloat(0.1, 3600), default=None,
              help="Seconds per CP-SAT solve (default: the scenario's questions.time_limit).")
@click.option("--method", "methods", multiple=True, type=click.Choice(["greedy", "cpsat"]),
              help="Rebalance with these methods only (default: the scenario's questions.methods).")
@click.option("--seed", type=int, default=None, help="CP-SAT seed (default: the scenario's).")
@click.option("--models", "models", multiple=True, type=click.Path(exists=True),
              help="Extra catalog YAML file or directory (node models, flavors); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--deterministic", is_flag=True,
              help="Count solver work, not wall seconds (one CP-SAT worker): the answer of a `planner sweep` point.")
@plot_opt
def command(scenario: str, time_limit: float | None, methods: tuple[str, ...], seed: int | None,
            models: tuple[str, ...], as_json: bool, deterministic: bool, plot_out: str | None) -> None:
    """Answer SCENARIO (YAML): before/after score and N+1, capacity per flavor, the rebalance it needs."""
    from rich.console import Console

    from planner.cli.outputs import check_outputs
    from planner.domain import clock
    from planner.scenario.spec import load_scenario
    from planner.scenario.whatif import whatif

    check_outputs([scenario], [plot_out])
    with clock.deterministic() if deterministic else contextlib.nullcontext():
        w = whatif(load_scenario(scenario), time_limit, methods or None, seed, models)
        bought, runway = _buy_and_runway(w.scenario, time_limit, models)
    if plot_out:  # per-node use after the changes and after each rebalance (pl.whatif(...).plot())
        from planner.report.story import whatif_usage

        save_plot(whatif_usage(w), plot_out)
    if as_json:
        out = w.to_json()
        if bought is not None:
            out["purchase"] = bought.to_json()
        if runway is not None:
            out["runway"] = {"last_month": runway.last_month, "runs_out": runway.runs_out,
                             "verified": runway.verified, "months": runway.to_frame().to_dict("records")}
        click.echo(json.dumps(out, indent=2, default=str))
        return
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    s = w.scenario
    con.print(f"[bold]{s.name or scenario}[/bold]: {s.description}".rstrip(": "))
    con.print(f"{len(w.built.before.nodes)} → {len(w.built.after.nodes)} nodes, "
              f"{len(w.built.before.instances)} → {len(w.built.after.instances)} instances, "
              f"{w.after_nodes_offline} offline after the changes")
    for note in w.built.notes:
        con.print(f"note: {note}")
    con.print(_table("Score and N+1", w.summary_frame(), {"score": "{:.8f}"}))
    if w.capacity:
        con.print(_table("Instances that still fit, per flavor (hspace's standard allocation)",
                         w.capacity_frame(), {"change": "{:+d}"}))
    if w.rebalance:
        con.print(_table(f"Rebalance after the changes ({s.schedule.jobs_per_day} jobs a day, "
                         f"window {s.schedule.window})", w.rebalance_frame(),
                         {"final_score": "{:.8f}", "gb_copied": "{:.0f}", "hours": "{:.1f}"}))
    if bought is not None:
        o = bought.optimal
        con.print(f"Purchase: CP-SAT {o.status.lower()}, gap {o.gap if o.gap is not None else 'n/a'}, "
                  f"{'verified' if o.verified else 'NOT verified'}")
        con.print(_table("Nodes to buy so the forecast fits with N+1", bought.to_frame(), {}))
    if runway is not None:
        end = f"runs out in month {runway.last_month + 1}: {runway.runs_out}" if runway.runs_out else "lasts"
        con.print(_table(f"Runway: {runway.last_month} month(s) fit; {end}", runway.to_frame(), {}))


def _buy_and_runway(s, time_limit: float | None, models: tuple[str, ...]):
    """The scenario's purchase and runway answers (None when it does not ask); the runway on the
    purchased cluster when ``questions.runway.after_purchase``."""
    from planner.scenario.questions import answer_purchase, answer_runway

    q = s.questions
    bought = answer_purchase(s, time_limit, (), models) if q.purchase is not None else None
    after = bought if q.runway is not None and q.runway.after_purchase else None
    runway = answer_runway(s, after, models) if q.runway is not None else None
    return bought, runway
