"""Sweeps: the same frame from the process pool (1 and 2 workers) and from a Dask LocalCluster; a failing
point is an error row; a point equals `planner whatif` of the scenario edited by hand; bad --vary is one
line and exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from planner.cli.main import main
from planner.scenario.point import SweepOptions
from planner.scenario.sweep import sweep
from planner.scenario.vary import parse_vary
from tests.helpers import ROOT

#: a generated 4-node cluster (no file needed), filled to 70 %; the sweep adds 0 or 2 nodes of a model
TINY = """\
name: tiny
cluster:
  generate:
    groups: [{{name: g1, nodes: [{{model: small-128, count: 4}}]}}]
    fill: {{flavors: {{small: 2, medium: 1}}, memory_used: 0.7, seed: 3}}
changes:
  - add_nodes: {{model: {model}, count: {count}}}
questions: {{capacity: [medium], rebalance: true, time_limit: 1}}
"""
VARY = ["changes.0.count=0,2", "changes.0.model=small-128,no-such"]  # 4 points; model no-such fails
TIME_LIMIT = 1.0  #: CP-SAT work seconds per solve: the parallel schedule is CP-SAT's


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("sweep") / "tiny.yaml"
    p.write_text(TINY.format(model="small-128", count=1))
    return p


def run(scenario: Path, **kw) -> pd.DataFrame:
    opts = SweepOptions(time_limit=TIME_LIMIT, **kw)
    return sweep(scenario, [parse_vary(v) for v in VARY], opts).frame


@pytest.fixture(scope="module")
def one_worker(scenario: Path) -> pd.DataFrame:
    return run(scenario, workers=1)


def test_two_workers_and_dask_give_the_same_frame(scenario: Path, one_worker: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(run(scenario, workers=2), one_worker)
    dd = pytest.importorskip("dask.distributed", reason="dask is not installed: pip install 'planner[dask]'")
    with dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        pd.testing.assert_frame_equal(run(scenario, dask=cluster.scheduler_address), one_worker)
    # the CP-SAT columns are a CP-SAT answer (its checked parallel schedule: fewer jobsets than hbal's
    # one move at a time), reproduced exactly on every backend
    assert one_worker.loc[2, "cpsat_jobsets"] < one_worker.loc[2, "greedy_jobsets"]


def test_a_failing_point_is_an_error_row(one_worker: pd.DataFrame) -> None:
    f = one_worker
    assert f["point"].tolist() == [0, 1, 2, 3]
    assert f["changes.0.count"].tolist() == [0, 0, 2, 2]
    assert f["changes.0.model"].tolist() == ["small-128", "no-such", "small-128", "no-such"]
    assert f.loc[[0, 2], "error"].tolist() == ["", ""]
    for k in (1, 3):
        assert f.loc[k, "error"].startswith("changes.0.add_nodes: unknown node model 'no-such'")
        assert pd.isna(f.loc[k, "score_after"]) and pd.isna(f.loc[k, "cpsat_moves"])
    assert f.loc[0, "nodes"] == 4 and f.loc[2, "nodes"] == 6  # 4 generated, 2 added
    assert f.loc[0, "score_before"] == f.loc[0, "score_after"]  # no node added: nothing changed
    assert f.loc[2, "instances"] == f.loc[0, "instances"] and f.loc[2, "offline"] == 0


def test_a_point_equals_whatif_of_the_scenario_edited_by_hand(tmp_path: Path, capsys,
                                                             one_worker: pd.DataFrame) -> None:
    by_hand = tmp_path / "two-nodes.yaml"
    by_hand.write_text(TINY.format(model="small-128", count=2))  # point 2: count 2, model small-128
    with pytest.raises(SystemExit) as e:
        main(["whatif", str(by_hand), "--json", "--deterministic", "--time-limit", str(TIME_LIMIT)])
    assert e.value.code in (0, None)
    w = json.loads(capsys.readouterr().out)
    row = one_worker.loc[2]
    assert row["score_before"] == w["before"]["score"] and row["score_after"] == w["after"]["score"]
    assert row["n1_ok"] == (not w["after"]["n1_fail_nodes"])
    cap = w["capacity"][0]
    assert cap["flavor"] == "medium"
    assert [row["cap_medium_before"], row["cap_medium_after"], row["cap_medium_greedy"], row["cap_medium_cpsat"]] \
        == [cap["before"], cap["after"], cap["after greedy plan"], cap["after cpsat plan"]]
    for r in w["rebalance"]:
        m = r["method"]
        assert [row[f"{m}_moves"], row[f"{m}_gb"], row[f"{m}_jobsets"], row[f"{m}_days"], row[f"{m}_status"]] \
            == [r["moves"], r["gb_copied"], r["jobsets"], r["days"], r["status"]], m
        assert math.isclose(row[f"{m}_hours"], r["hours"]) and row[f"{m}_score"] == r["final_score"]
    assert {r["method"] for r in w["rebalance"]} == {"greedy", "cpsat"}


BAD = [
    (["--vary", "changes.0.count=1,-1"], "--vary changes.0.count: value -1: changes.0.add_nodes.count: "
                                         "Input should be greater than or equal to 0"),
    (["--vary", "changes.3.count=1"], "--vary changes.3.count: changes.3: no such item (changes has 1)"),
    (["--vary", "changes.0.bogus=1"], "--vary changes.0.bogus: value 1: changes.0.add_nodes.bogus: Extra inputs"),
    (["--vary", "questions.time_limit=0"], "--vary questions.time_limit: value 0: questions.time_limit: "
                                           "Input should be greater than 0"),
    (["--vary", "changes.0.count"], "--vary changes.0.count: want KEY=V1,V2,..."),
    (["--vary", "changes.0.count=1", "--vary", "changes.0.count=2"], "--vary changes.0.count: given twice"),
    (["--vary", "changes.0.count=1", "--dask", "bogus"], "--dask bogus: want 'local' or a scheduler address"),
]


@pytest.mark.parametrize("args, expect", BAD, ids=[b[0][1] for b in BAD])
def test_bad_vary_is_one_line_and_exit_2(scenario: Path, capsys, args: list[str], expect: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(scenario), *args])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2
    assert err.startswith(f"planner: error: {expect}") and "\n" not in err, err


def test_csv_plot_and_the_facade(tmp_path: Path, capsys) -> None:
    """policy-change asks no rebalance: cheap points; vcpu_ratio 1 leaves 11 mimic instances, 4 leaves 12
    (what `planner whatif` says of policy-change.yaml edited to each ratio)."""
    import importlib.util

    import planner as pl

    src = ROOT / "scenarios" / "policy-change.yaml"
    csv, png = tmp_path / "s.csv", tmp_path / "s.png"
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(src), "--vary", "changes.0.vcpu_ratio=1,4", "--workers", "1", "--csv", str(csv),
              "--plot", str(png)])
    assert e.value.code in (0, None), capsys.readouterr().err
    back = pd.read_csv(csv)
    assert back["cap_mimic_after"].tolist() == [11, 12] and back["error"].isna().all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit) as e:  # never over an input
        main(["sweep", str(src), "--vary", "changes.0.vcpu_ratio=1", "--csv", str(src)])
    assert e.value.code == 2 and "refusing to overwrite the input" in capsys.readouterr().err
    r = pl.sweep(src, ["changes.0.vcpu_ratio=1,4"], workers=1)
    assert r.to_frame()["cap_mimic_after"].tolist() == [11, 12]
    assert repr(r).startswith("<Sweep 2/2 points over changes.0.vcpu_ratio: 0 error(s), pool x1")
    if importlib.util.find_spec("distributed") is not None:  # --dask local: a LocalCluster of its own
        d = pl.sweep(src, ["changes.0.vcpu_ratio=1,4"], workers=1, dask="local")
        pd.testing.assert_frame_equal(d.to_frame(), r.to_frame())
        assert d.summary()["backend"] == "dask local"
    assert "<table>" in r._repr_html_() and r.counts()["count"].tolist() == [11, 12, 3, 3]


def test_parquet_needs_pyarrow_or_round_trips(tmp_path: Path, capsys) -> None:
    import importlib.util

    src = ROOT / "scenarios" / "policy-change.yaml"
    out = tmp_path / "s.parquet"
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(src), "--vary", "changes.0.vcpu_ratio=4", "--workers", "1", "--parquet", str(out)])
    if importlib.util.find_spec("pyarrow") is None:
        assert e.value.code == 2
        assert capsys.readouterr().err.strip() == ("planner: error: --parquet: needs pyarrow, which is not "
                                                   "installed: pip install 'planner[parquet]'")
    else:
        assert e.value.code in (0, None)
        assert pd.read_parquet(out)["cap_mimic_after"].tolist() == [12]
