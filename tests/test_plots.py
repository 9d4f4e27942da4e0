"""Each figure renders to PNG and draws what it says: axes, series, labels, bars, Gantt rows."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from planner.report import plots
from planner.report.frames import curve_frame, gantt_frame, usage_frame

PNG = b"\x89PNG\r\n\x1a\n"


def rendered(fig) -> tuple[int, int]:
    """Render to PNG, decode it, return (height, width) of a non-blank image."""
    data = plots.to_png(fig)
    assert data[:8] == PNG
    img = imread(io.BytesIO(data))
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01  # not a blank canvas
    return img.shape[:2]


def bars(ax) -> list[Rectangle]:
    """The bars drawn by bar()/barh() (not the shaded spans)."""
    return [p for c in ax.containers for p in c]


def usage(mem, disk, cpu, names=("a", "b", "c")) -> pd.DataFrame:
    return pd.DataFrame({"name": list(names), "mem_used_pct": mem, "disk_used_pct": disk, "vcpu_ratio": cpu})


def test_node_usage_bars_per_state_and_node() -> None:
    before = usage([90, 80, 0], [95, 90, 0], [1.6, 1.5, 0.0])
    after = usage([60, 55, 50], [60, 62, 58], [1.0, 1.1, 1.0])
    fig = plots.node_usage({"before": before, "greedy": after, "cpsat": after})
    assert [ax.get_title() for ax in fig.axes] == ["memory used %", "disk used %", "vCPUs per pCPU"]
    for ax in fig.axes:
        assert len(bars(ax)) == 3 * 3  # three states x three nodes
        assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    mem = sorted(bars(fig.axes[0]), key=lambda r: r.get_x())
    assert [round(r.get_height()) for r in mem[:3]] == [90, 60, 60]  # node a: before, greedy, cpsat
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["before", "greedy", "cpsat"]
    rendered(fig)


def test_node_usage_of_a_real_cluster_matches_hbal_columns() -> None:
    from planner.api import group_state, load

    df = usage_frame(group_state(load("tests/data/n1quirk.data")))
    # real hbal -t n1quirk.data --print-nodes=name,pfmem,pfdsk,rcpu: p_fmem 0.2500 0.4883 1.0000,
    # p_fdsk 0.5 0.5 1.0, r_cpu 0.25 0.25 0.12 (used = 1 - free)
    assert [round(x, 1) for x in df["mem_used_pct"]] == [75.0, 51.2, 0.0]
    assert [round(x, 1) for x in df["disk_used_pct"]] == [50.0, 50.0, 0.0]
    assert [round(x, 2) for x in df["vcpu_ratio"]] == [0.25, 0.25, 0.12]
    fig = plots.node_usage({"before": df})
    assert len(bars(fig.axes[0])) == 3
    rendered(fig)


def test_pareto_series_per_method_on_both_axes() -> None:
    from planner.domain.plan import Step

    steps = [Step("i", "r", "a", "b", "a", "c", 10.0, 3.0), Step("j", "f", "a", "b", "b", "a", 0.0, 2.5)]
    curves = pd.concat([curve_frame("greedy", 4.0, steps), curve_frame("hbal", 4.0, steps),
                        pd.DataFrame({"method": "cpsat", "moves": [0, 1, 2], "gb": [0.0, 5.0, 5.0],
                                      "score": [4.0, 2.8, 2.1]})])
    fig = plots.pareto(curves)
    assert len(fig.axes) == 2
    assert [ax.get_xlabel() for ax in fig.axes] == ["moves", "GiB copied"]
    assert fig.axes[0].get_ylabel().startswith("cluster score")
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if isinstance(ln, Line2D)]
        assert [ln.get_label() for ln in lines] == ["greedy", "hbal", "cpsat"]
        assert list(lines[2].get_ydata()) == [4.0, 2.8, 2.1]
    assert list(fig.axes[1].get_lines()[0].get_xdata()) == [0.0, 10.0, 10.0]
    rendered(fig)


def gantt_jobs() -> pd.DataFrame:
    rows = [("n1", "i1", 1, 1, 0.0, 0.5), ("n2", "i1", 1, 1, 0.0, 0.5), ("n3", "i2", 1, 1, 0.0, 0.3),
            ("n2", "i3", 2, 1, 0.5, 1.0), ("n1", "i4", 3, 2, 8.0, 8.2)]
    return pd.DataFrame(rows, columns=["node", "instance", "jobset", "day", "start_h", "end_h"])


def test_gantt_rows_bars_shading_and_day_lines() -> None:
    fig = plots.gantt(gantt_jobs(), "plan")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["n1", "n2", "n3"]
    assert len(bars(ax)) == 5  # one bar per (job, node) row
    in_bars = set(map(id, bars(ax)))
    shaded = [p for p in ax.patches if id(p) not in in_bars]
    assert len(shaded) == 1  # jobset 2 only (every other jobset)
    day_lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert [ln.get_xdata()[0] for ln in day_lines] == [8.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["day 1", "day 2"]
    rendered(fig)


def test_gantt_frame_of_a_real_plan() -> None:
    from planner.api import load
    from planner.report.story import planned

    s = planned(load("tests/data/n1quirk.data"), "greedy", jobs_per_day=1)
    df = gantt_frame(s.plan, s.days, s.durations)
    # two r-moves onto nodeC, a day each: i2 (nodeB:nodeA -> r:nodeC f) touches A, B, C; i1 touches A, B, C
    assert sorted(set(df["node"])) == ["nodeA", "nodeB", "nodeC"]
    assert list(df.groupby("day")["instance"].first()) == ["i2", "i1"]
    assert df[df["day"] == 2]["start_h"].min() == pytest.approx(s.days[0].used_s / 3600)
    fig = plots.gantt(df)
    assert len(fig.axes[0].get_yticklabels()) == 3
    assert len(bars(fig.axes[0])) == len(df)
    rendered(fig)


def test_capacity_sweep_one_line_per_flavor() -> None:
    counts = pd.DataFrame({"k": [0, 1, 2] * 2, "flavor": ["small"] * 3 + ["large"] * 3,
                           "count": [10, 30, 50, 2, 6, 10], "n1_ok": [False, True, True] * 2})
    fig = plots.capacity_sweep(counts, title="buy k nodes")
    ax = fig.axes[0]
    named = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in named] == ["small", "large"]
    assert list(named[0].get_ydata()) == [10, 30, 50]
    hollow = [ln for ln in ax.get_lines() if ln.get_label().startswith("_")]
    assert [list(ln.get_xdata()) for ln in hollow] == [[0], [0]]  # N+1 fails at k=0
    assert ax.get_xlabel() == "k" and ax.get_title() == "buy k nodes"
    rendered(fig)


def test_n1_headroom_bars_and_negative_marked() -> None:
    rows = [("a", "b", 100.0), ("a", "c", -50.0), ("b", "a", 20.0), ("b", "c", 30.0), ("c", "a", 5.0),
            ("c", "b", 7.0)]
    fig = plots.n1_headroom(pd.DataFrame(rows, columns=["failed", "node", "headroom_mb"]))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a fails", "b fails", "c fails"]
    bs = bars(ax)
    assert len(bs) == 3 * 3  # 3 failures x 3 node series (a node's own failure is a 0-height bar)
    assert sum(1 for b in bs if b.get_height() < 0) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["b", "c", "a"]
    rendered(fig)


def cli_writes_png(args: list[str], out) -> None:
    """``planner ARGS --plot OUT`` exits 0 and OUT is a non-blank picture."""
    from planner.cli.main import main

    with pytest.raises(SystemExit) as e:
        main([*args, "--plot", str(out)])
    assert e.value.code == 0
    img = imread(out)
    assert img.shape[0] > 100 and img[..., :3].std() > 0.01


def cli_refuses_to_plot_over(capsys, command: str, src, original: str) -> None:
    """``planner COMMAND SRC --plot SRC`` exits 2 with one line and leaves SRC as it was."""
    from planner.cli.main import main

    src.write_text(original)
    with pytest.raises(SystemExit) as e:
        main([command, str(src), "--plot", str(src)])
    assert e.value.code == 2 and "refusing to overwrite" in capsys.readouterr().err
    assert src.read_text() == original


@pytest.mark.parametrize("args", [["balance"], ["compare", "--no-hbal", "--time-limit", "1"],
                                  ["pareto", "--points", "0,1,2", "--time-limit", "1"]])
def test_cli_plot_writes_a_png(tmp_path, args) -> None:
    cli_writes_png([args[0], "tests/data/n1quirk.data", *args[1:]], tmp_path / "out.png")


def test_cli_plot_never_overwrites_the_input(tmp_path, capsys) -> None:
    cli_refuses_to_plot_over(capsys, "balance", tmp_path / "c.data", open("tests/data/n1quirk.data").read())


def test_whatif_plot_writes_a_png_and_never_the_scenario(tmp_path, capsys) -> None:
    """``planner whatif --plot``: the per-node use after the changes and after the rebalance, as
    ``pl.whatif(...).plot()`` draws it (three axes: memory, disk, vCPUs)."""
    cli_writes_png(["whatif", "scenarios/drain-node.yaml", "--method", "greedy", "--time-limit", "2"],
                   tmp_path / "whatif.png")
    cli_refuses_to_plot_over(capsys, "whatif", tmp_path / "s.yaml", open("scenarios/drain-node.yaml").read())
