"""``planner purchase SCENARIO``: the fewest (or cheapest) nodes to buy so the forecast fits with N+1."""

from __future__ import annotations

import json

import click

from planner.cli.params import FiniteFloat
from planner.cli.render import console


@click.command("purchase")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--time-limit", type=FiniteFloat(0.1, 3600), default=None,
              help="CP-SAT seconds (default: the scenario's questions.purchase.time_limit).")
@click.option("--no-rebalance", is_flag=True, help="Do not plan the rebalance of the grown cluster.")
@click.option("--models", "models", multiple=True, type=click.Path(exists=True),
              help="Extra catalog YAML file or directory; repeatable.")
@click.option("--save", "save", type=click.Path(dir_okay=False), default=None,
              help="Write the grown cluster (nodes bought, forecast placed) as htools text.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def command(scenario: str, time_limit: float | None, no_rebalance: bool, models: tuple[str, ...], save: str | None,
            as_json: bool) -> None:
    """Answer SCENARIO's purchase question: which catalog nodes to buy (CP-SAT, with status, bound and
    gap, against the greedy baseline), where the forecast's instances go, and the rebalance after."""
    from rich.console import Console

    from planner.cli.outputs import check_outputs
    from planner.cli.render import frame_table
    from planner.io.htools_write import save_text
    from planner.scenario.questions import answer_purchase
    from planner.scenario.spec import load_scenario

    s = load_scenario(scenario)
    check_outputs([scenario], [save])
    err = Console(stderr=True, highlight=False)
    with err.status("buying: greedy baseline, then CP-SAT"):
        a = answer_purchase(s, time_limit, () if no_rebalance else tuple(s.questions.methods), models)
    if save:
        save_text(a.optimal.cluster, save)
    if as_json:
        click.echo(json.dumps(a.to_json(), indent=2, default=str))
        return
    con = console()
    o = a.optimal
    what = ", ".join(f"{n} x {m}" for m, n in o.bought.items()) or "nothing"
    price = f", price {o.price:,.0f}" if o.price is not None else ""
    con.print(f"[bold]{s.name or scenario}[/bold]: buy {what} ({o.nodes} nodes{price}); CP-SAT {o.status.lower()},"
              f" gap {o.gap if o.gap is not None else 'n/a'}, first answer after {o.first_s:.2f} s;"
              f" {'verified' if o.verified else 'NOT verified'}")
    con.print(frame_table(a.to_frame()))
    if a.greedy_error:
        con.print(f"greedy baseline: {a.greedy_error}")
    per_node: dict[str, int] = {}
    for i in o.new_instances:
        per_node[o.cluster.nodes[i.pnode].name] = per_node.get(o.cluster.nodes[i.pnode].name, 0) + 1
    con.print("new primaries per node: " + ", ".join(f"{k} {v}" for k, v in sorted(per_node.items())))
    if a.rebalance:
        import pandas as pd

        con.print("rebalance of the grown cluster:")
        con.print(frame_table(pd.DataFrame(a.rebalance)))
    if save:
        click.echo(f"The grown cluster has been written to file '{save}'")
