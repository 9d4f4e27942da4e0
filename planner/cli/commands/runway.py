"""``planner runway SCENARIO``: month by month, does the growth still fit with N+1, what runs out first."""

from __future__ import annotations

import json
import sys

import click


@click.command("runway")
@click.argument("scenario", metavar="SCENARIO")
@click.option("--after-purchase", is_flag=True,
              help="On the cluster with the scenario's purchase answer (default: questions.runway.after_purchase).")
@click.option("--models", "models", multiple=True, type=click.Path(exists=True),
              help="Extra catalog YAML file or directory; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def command(scenario: str, after_purchase: bool, models: tuple[str, ...], as_json: bool) -> None:
    """Answer SCENARIO's runway question: a row per month (instances so far, does it fit, free
    memory / disk / vCPUs after it), the last month that fits and the resource that runs out."""
    from rich.console import Console

    from planner.cli.render import frame_table
    from planner.scenario.questions import answer_purchase, answer_runway
    from planner.scenario.spec import load_scenario

    s = load_scenario(scenario)
    q = s.questions.runway
    bought = None
    if after_purchase or (q is not None and q.after_purchase):
        bought = answer_purchase(s, methods=(), models=models)
    r = answer_runway(s, bought, models)
    if as_json:
        click.echo(json.dumps({"last_month": r.last_month, "runs_out": r.runs_out, "verified": r.verified,
                               "bought": bought.optimal.bought if bought else None,
                               "months": r.to_frame().to_dict("records")}, indent=2, default=str))
        return
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    where = f"after buying {bought.optimal.bought}" if bought else "as it is"
    end = f"runs out in month {r.last_month + 1}: {r.runs_out}" if r.runs_out else "lasts the whole horizon"
    con.print(f"[bold]{s.name or scenario}[/bold] ({where}): fits {r.last_month} month(s) of growth; {end}")
    con.print(frame_table(r.to_frame()))
