"""``planner sweep SCENARIO --vary KEY=V1,V2,...``: the scenario at every point of the grid, one row each.

Exit status: 0 done (failed points are rows with their ``error``), 2 bad input (one line), 130 Ctrl-C
(the rows done so far are printed and written).
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys

import click

from planner.cli.outputs import check_outputs
from planner.cli.params import FiniteFloat
from planner.cli.plot import plot_opt, save_plot
from planner.domain.errors import PlannerError

#: the columns printed (the frame written to --csv / --parquet has them all)
SHOWN = ("score_after", "n1_ok", "greedy_moves", "greedy_gb", "greedy_days", "cpsat_moves", "cpsat_gb",
         "cpsat_hours", "cpsat_days")


def _needs(module: str, option: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise PlannerError(option, None, f"needs {module}, which is not installed: pip install 'planner[{extra}]'")


def _table(frame, keys: list[str]):
    from rich.table import Table

    caps = [c for c in frame.columns if c.startswith("cap_") and c.endswith("_after")]
    cols = ["point", *keys, *caps, *[c for c in SHOWN if c in frame.columns], "error"]
    t = Table(title_justify="left")
    for c in cols:
        t.add_column(c, justify="left" if c in ("error", *keys) else "right", overflow="fold")
    for row in frame[cols].itertuples(index=False):
        *vals, error = row
        t.add_row(*["" if isinstance(v, float) and math.isnan(v) else f"{v:.4f}" if isinstance(v, float)
                    else str(v) for v in vals], error if len(error) <= 60 else error[:57] + "...")
    return t


@click.command("sweep")
@click.argument("scenario", metavar="SCENARIO", type=click.Path(dir_okay=False))
@click.option("--vary", "vary", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="A dotted path into the scenario and its values (repeatable: the cross product), e.g. "
                   "changes.0.count=0,1,2,4 or changes.0.model=r640-256,r650-512.")
@click.option("--workers", type=click.IntRange(min=1, max=256), default=None,
              help="Processes (or Dask LocalCluster workers); default min(2, CPUs).")
@click.option("--dask", default=None, metavar="ADDRESS",
              help="Run on Dask: 'local' (a LocalCluster on 127.0.0.1) or tcp://HOST:PORT "
                   "(pip install 'planner[dask]').")
@click.option("--time-limit", type=FiniteFloat(0.1, 3600), default=None,
              help="Seconds of CP-SAT work per solve (default: the scenario's questions.time_limit).")
@click.option("--method", "methods", multiple=True, type=click.Choice(["greedy", "cpsat"]),
              help="Rebalance with these methods only (default: the scenario's).")
@click.option("--seed", type=int, default=None, help="CP-SAT seed (default: the scenario's).")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), default=None, help="Write the frame to OUT.csv.")
@click.option("--parquet", "parquet_out", type=click.Path(dir_okay=False), default=None,
              help="Write the frame to OUT.parquet (needs pyarrow: pip install 'planner[parquet]').")
@click.option("--wall-clock", is_flag=True,
              help="Time limits in wall seconds (each point bounded in time, but the frame then depends on the "
                   "machine's load and the workers; default: CP-SAT work seconds, reproducible).")
@plot_opt
def command(scenario: str, vary: tuple[str, ...], workers: int | None, dask: str | None, time_limit: float | None,
            methods: tuple[str, ...], seed: int | None, csv_out: str | None, parquet_out: str | None,
            wall_clock: bool, plot_out: str | None) -> None:
    """Answer SCENARIO (YAML) at every point of the --vary grid, as `planner whatif` answers it: one row
    per point (score, N+1, capacity per flavor, rebalance cost), the same frame on any backend."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from planner.api import sweep, sweep_points

    check_outputs([scenario], [csv_out, parquet_out, plot_out])
    if parquet_out:
        _needs("pyarrow", "--parquet", "parquet")
    if plot_out:
        _needs("matplotlib", "--plot", "notebooks")
    if dask:
        _needs("distributed", "--dask", "dask")
        if dask != "local" and "://" not in dask:
            raise PlannerError(f"--dask {dask}", None, "want 'local' or a scheduler address tcp://HOST:PORT")
    total = sweep_points(scenario, vary)
    err = Console(stderr=True, highlight=False)
    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, transient=True) as bar:
        job = bar.add_task("", total=total)
        errors = []

        def on_row(row: dict) -> None:
            if row.get("error"):
                errors.append(row["point"])
            bar.update(job, advance=1, description=f"{len(errors)} with an error" if errors else "")

        res = sweep(scenario, vary, workers or min(2, os.cpu_count() or 1), dask, time_limit, methods or None,
                    seed, on_row, deterministic=not wall_clock)
    frame = res.to_frame()
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 320)
    out.print(_table(frame, res.run.keys))
    s = res.summary()
    err.print(f"{s['points']} of {s['of']} points, {s['errors']} with an error, {s['backend']} "
              f"x{s['workers']}, {s['wall_s']:.1f} s")
    if csv_out:
        frame.to_csv(csv_out, index=False)
    if parquet_out:
        frame.to_parquet(parquet_out, index=False)
    if plot_out:
        save_plot(res.plot(), plot_out)
    if res.run.interrupted:
        err.print(f"planner: interrupted: {s['points']} of {s['of']} points done")
        sys.exit(130)
