"""``--plot OUT.png`` for the CLI's commands: the option and the figures it writes."""

from __future__ import annotations

import click

plot_opt = click.option("--plot", "plot_out", type=click.Path(dir_okay=False), default=None,
                        help="Also draw the result to OUT.png.")


def save_plot(fig, path: str) -> None:
    from planner.report.plots import save

    save(fig, path)
    click.echo(f"The plot has been written to file '{path}'", err=True)


def plot_usage(c, lo, finals: dict, path: str | None) -> None:
    """Per-node memory/disk/vCPU before and after each plan, to ``path`` (when given)."""
    if path:
        from planner.report.plots import node_usage
        from planner.report.story import usage_states

        save_plot(node_usage(usage_states(c, finals, lo)), path)

