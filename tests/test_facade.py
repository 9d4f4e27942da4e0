"""``import planner as pl``: every public name resolves, results print, show as HTML, become frames.

Expected values are real hbal's on tests/data/n1quirk.data (``hbal -t n1quirk.data -C``: initial score
3.31686197, moves i2 ``r:nodeC f`` then i1 ``r:nodeC``, final 2.53114472; each disk is 10000 MiB).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import planner as pl

N1 = "tests/data/n1quirk.data"


def test_every_public_name_resolves_and_unknown_ones_fail() -> None:
    for name in pl.__all__:
        assert getattr(pl, name) is not None
    with pytest.raises(AttributeError):
        pl.no_such_thing  # noqa: B018


def test_import_planner_is_lazy() -> None:
    code = "import sys, planner; print('ortools' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_score_result() -> None:
    s = pl.score(N1)
    assert f"{s.score:.8f}" == "3.31686197"
    assert "3.31686197" in s._repr_html_() and "<table>" in s._repr_html_()
    assert len(s.metrics()) == 20
    assert len(s.plot().axes) == 3


def test_greedy_plan_result_matches_hbal() -> None:
    r = pl.balance(N1, method="greedy")
    df = r.to_frame()
    assert list(df["instance"]) == ["i2", "i1"] and list(df["move_text"]) == ["r:nodeC f", "r:nodeC"]
    assert f"{r.plan.final_score:.8f}" == "2.53114472"
    assert r.plan.gb_copied == pytest.approx(2 * 10000 / 1024)
    html = r._repr_html_()
    assert "greedy plan" in html and "2.53114472" in html
    assert "gnt-instance replace-disks -n nodeC i2" in r.commands()
    assert r.script().startswith("#!/bin/sh")
    assert [ax.get_title() for ax in r.plot().axes] == ["memory used %", "disk used %", "vCPUs per pCPU"]


def test_schedule_result_days_and_gantt() -> None:
    r = pl.balance(N1, method="greedy")
    s = pl.schedule(r, jobs_per_day=1, window="09:00-17:00")
    assert s.summary()["days"] == 2 and list(s.to_frame()["start"]) == ["09:00", "09:00"]
    assert len(s.plot().axes[0].get_yticklabels()) == 3  # nodeA, nodeB, nodeC all touched
    assert "Schedule 2 jobs" in repr(s)


def test_bad_arguments_are_planner_errors() -> None:
    with pytest.raises(pl.PlannerError):
        pl.balance(N1, method="simplex")
    with pytest.raises(pl.PlannerError):
        pl.compare(N1, goal="fast")
    with pytest.raises(pl.PlannerError):
        pl.pareto(N1, by="hours")
