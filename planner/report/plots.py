"""Figures (matplotlib; each function returns the Figure and shows nothing).

Figures are made without pyplot (``Figure()``), so nothing is kept open or shown twice in Jupyter,
and PNGs are rendered by Agg on any machine, with or without a display.

Every function takes plain pandas frames whose columns are documented, so a notebook can plot its
own numbers as well as the planner's:

>>> import pandas as pd
>>> before = pd.DataFrame({"name": ["a", "b"], "mem_used_pct": [80, 10], "disk_used_pct": [90, 0],
...                        "vcpu_ratio": [1.5, 0.1]})
>>> fig = node_usage({"before": before, "after": before})
>>> [ax.get_title() for ax in fig.axes]
['memory used %', 'disk used %', 'vCPUs per pCPU']
>>> to_png(fig)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.report.frames import USAGE

#: one colour per method, the same in every figure
COLOURS = {"before": "#9e9e9e", "greedy": "#e07b39", "hbal": "#b5302a", "cpsat": "#2a6fb5"}


def _colour(label: str, k: int) -> str:
    return next((c for key, c in COLOURS.items() if label.lower().startswith(key)), f"C{k % 10}")


def to_png(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (rendered by Agg)."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def figure(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (7, 3.6), **kw):
    """A new pyplot-free figure and its axes (``Figure.subplots``)."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kw)


def save(fig: Figure, path: str, dpi: int = 90) -> None:
    """Write the figure to ``path`` (PNG)."""
    with open(path, "wb") as f:
        f.write(to_png(fig, dpi))


def node_usage(states: dict[str, pd.DataFrame], title: str | None = None) -> Figure:
    """Per-node memory, disk and vCPU use, one bar per state (e.g. before, greedy, CP-SAT) and node.

    ``states``: label → frame with columns ``name``, ``mem_used_pct``, ``disk_used_pct``,
    ``vcpu_ratio`` (:func:`planner.report.frames.usage_frame`); nodes are matched by name.
    """
    labels = list(states)
    names = list(next(iter(states.values()))["name"]) if states else []
    fig, axes = figure(1, len(USAGE), figsize=(4.2 * len(USAGE), 3.4))
    width = 0.8 / max(len(labels), 1)
    for ax, (col, label) in zip(axes, USAGE, strict=True):
        for k, state in enumerate(labels):
            vals = states[state].set_index("name")[col].reindex(names)
            xs = [i + (k - (len(labels) - 1) / 2) * width for i in range(len(names))]
            ax.bar(xs, vals.fillna(0.0), width, label=state, color=_colour(state, k))
        ax.set_title(label)
        ax.set_xticks(range(len(names)), [_short(n) for n in names], rotation=45 if len(names) > 6 else 0,
                      ha="right" if len(names) > 6 else "center", fontsize=8)
        if col.endswith("_pct"):
            ax.set_ylim(0, 105)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper right")
    if title:
        fig.suptitle(title)
    return fig


def _short(name: str) -> str:
    return name.split(".")[0]


def pareto(curves: pd.DataFrame, title: str | None = None) -> Figure:
    """Score against moves (left) and against GiB copied (right), one series per method.

    ``curves``: columns ``method``, ``moves``, ``gb``, ``score``; methods with one row per prefix
    (greedy, hbal: :func:`planner.report.frames.curve_frame`) are drawn as steps, others (CP-SAT
    solves under budgets) as points joined by a line, each sorted by the x axis.
    """
    fig, axes = figure(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, x, label in ((axes[0], "moves", "moves"), (axes[1], "gb", "GiB copied")):
        for k, (method, df) in enumerate(curves.groupby("method", sort=False)):
            df = df.dropna(subset=["score"]).sort_values(x)
            style = {"where": "post"} if method in ("greedy", "hbal") else {}
            draw = ax.step if style else ax.plot
            draw(df[x], df["score"], label=method, color=_colour(method, k), marker="" if style else "o",
                 linestyle="--" if method == "hbal" else "-", **style)
        ax.set_xlabel(label)
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("cluster score (lower is better)")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def gantt(jobs: pd.DataFrame, title: str | None = None) -> Figure:
    """The schedule per node: one row per node, a bar per job touching it, jobsets shaded, days marked.

    ``jobs``: columns ``node``, ``instance``, ``jobset``, ``day``, ``start_h``, ``end_h``
    (:func:`planner.report.frames.gantt_frame`).
    """
    nodes = sorted(dict.fromkeys(jobs["node"]))
    fig, ax = figure(figsize=(10, 0.45 * max(len(nodes), 2) + 1.4))
    row = {n: k for k, n in enumerate(nodes)}
    for js, df in jobs.groupby("jobset"):
        if js % 2 == 0:
            ax.axvspan(df["start_h"].min(), df["end_h"].max(), color="#000000", alpha=0.06, lw=0)
    for day, df in jobs.groupby("day"):
        ax.barh([row[n] for n in df["node"]], df["end_h"] - df["start_h"], left=df["start_h"], height=0.6,
                color=f"C{(day - 1) % 10}", edgecolor="white", linewidth=0.5, label=f"day {day}")
        if day > 1:
            ax.axvline(df["start_h"].min(), color="black", lw=1, ls=":")
    ax.set_yticks(range(len(nodes)), [_short(n) for n in nodes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("working hours (days one after another; shaded: every other jobset)")
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False,
              ncol=min(jobs["day"].nunique(), 8) if len(jobs) else 1)
    if title:
        fig.suptitle(title)
    return fig


def capacity_sweep(counts: pd.DataFrame, x: str = "k", title: str | None = None) -> Figure:
    """How many instances of each flavor fit, across a sweep (one line per flavor).

    ``counts``: columns ``x`` (the swept value, e.g. nodes bought), ``flavor``, ``count``; an optional
    boolean ``n1_ok`` marks points where N+1 holds (drawn filled; hollow where it fails).
    """
    fig, ax = figure(figsize=(7, 3.6))
    for k, (flavor, df) in enumerate(counts.groupby("flavor", sort=False)):
        df = df.sort_values(x)
        line, = ax.plot(df[x], df["count"], marker="o", label=str(flavor), color=f"C{k % 10}")
        if "n1_ok" in df:
            bad = df[~df["n1_ok"].astype(bool)]
            ax.plot(bad[x], bad["count"], "o", markerfacecolor="white", color=line.get_color())
    ax.set_xlabel(x)
    ax.set_ylabel("instances that fit")
    ax.grid(alpha=0.3)
    ax.legend(title="flavor", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def n1_headroom(headroom: pd.DataFrame, value: str = "headroom_mb", title: str | None = None) -> Figure:
    """Free memory on each node after each failure (one group of bars per failed node; red below 0).

    ``headroom``: columns ``failed`` (the node lost), ``node`` (a surviving node) and ``value``
    (MiB left on it once it has taken over its share of the failed node's instances).
    """
    failed = list(dict.fromkeys(headroom["failed"]))
    nodes = list(dict.fromkeys(headroom["node"]))
    fig, ax = figure(figsize=(max(6.0, 1.1 * len(failed) * max(len(nodes) - 1, 1) * 0.35 + 2), 3.6))
    width = 0.8 / max(len(nodes), 1)
    for k, node in enumerate(nodes):
        df = headroom[headroom["node"] == node].set_index("failed").reindex(failed)
        xs = [i + (k - (len(nodes) - 1) / 2) * width for i in range(len(failed))]
        vals = df[value].fillna(0.0)
        ax.bar(xs, vals, width, label=_short(str(node)), color=f"C{k % 10}",
               edgecolor=["#c62828" if v < 0 else "none" for v in vals], linewidth=1.5)
    ax.axhline(0, color="#c62828", lw=1)
    ax.set_xticks(range(len(failed)), [f"{_short(str(f))} fails" for f in failed], fontsize=8)
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(title="surviving node", fontsize=7, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    return fig
