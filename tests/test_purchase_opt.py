"""The CP-SAT purchase and the runway: optimal by enumeration, checked by real hbal and hspace, by hand.

tests/data/runway-3n.data: three empty nodes with 4096 MiB unallocated each.  A DRBD instance of
1024 MiB takes memory on its primary and reserves it on its secondary, and hail's N+1 is strict
(unallocated > primaries' memory + the largest one-peer failover): per node, primaries + the most
secondaries from one peer <= 3 instances.  Summed over nodes, N + N/2 <= 9, so at most 6 fit (2
primaries per node, their secondaries one on each other node); real hspace also places 6.  With 2
a month the runway is 3 months, and N+1 (not plain memory: 3 primaries per node would fit) binds.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.capacity.purchase_model import FitModel
from planner.cli.main import cli
from planner.engine.summary import score_group
from planner.io.htools_text import read_text
from planner.io.htools_write import save_text
from planner.scenario.buy import PurchaseOptions, optimal_purchase, prototype
from planner.scenario.catalog import Flavor, load_catalog
from planner.scenario.changes import add_nodes
from planner.scenario.purchase import greedy_purchase
from planner.scenario.runway import runway
from tests.helpers import HBAL, HSPACE, ROOT, oracle

MIMIC = ROOT / "scenarios" / "new-node-small-5n-73i-mimic.data"
RUNWAY = ROOT / "tests" / "data" / "runway-3n.data"
G1 = Flavor(name="g1", memory=1024, disk=10240, vcpus=1)


def _fits(c, forecast) -> bool:
    fm = FitModel(c, c.groups[0].uuid, [prototype(f, 1) for f, _ in forecast], [])
    fm.require([n for _, n in forecast])
    return fm.solve(10.0).feasible


@pytest.mark.parametrize("objective", ["nodes", "price"])
def test_purchase_is_optimal_by_enumerating_every_purchase(objective: str) -> None:
    cat = load_catalog()
    c = read_text(MIMIC)
    forecast = [(cat.flavor("mimic"), 30), (cat.flavor("large"), 12)]
    models = ("mimic-128", "small-128")
    best = None
    for k1, k2 in itertools.product(range(4), range(4)):
        grown = add_nodes(add_nodes(c, cat.model(models[0]), k1), cat.model(models[1]), k2)
        if _fits(grown, forecast):
            price = k1 * cat.model(models[0]).price + k2 * cat.model(models[1]).price
            cost = k1 + k2 if objective == "nodes" else price
            best = cost if best is None else min(best, cost)
    assert best is not None
    p = optimal_purchase(c, cat, forecast, PurchaseOptions(models=models, objective=objective, time_limit=20))
    got = p.nodes if objective == "nodes" else p.price
    assert (got, p.status, p.verified) == (best, "OPTIMAL", True)
    assert len(p.new_instances) == 42 and not score_group(p.cluster).n1_fail_nodes


def test_never_more_than_the_greedy_baseline_and_cheaper_with_a_mix() -> None:
    cat = load_catalog()
    c = read_text(MIMIC)
    fc = [(cat.flavor("mimic"), 60), (cat.flavor("large"), 20), (cat.flavor("small"), 30)]
    g = greedy_purchase(c, cat.model("mimic-128"), fc)
    p = optimal_purchase(c, cat, fc, PurchaseOptions(models=("mimic-128", "small-128", "r650-512"),
                                                     objective="price", time_limit=20), baseline=g.cluster)
    assert p.verified and p.price <= g.price
    assert p.price < g.price  # 36 000 for 9 x mimic-128 against a mix of bigger and smaller nodes


@oracle("hbal")
@oracle("hspace")
def test_the_grown_cluster_in_real_hbal_and_hspace(tmp_path: Path) -> None:
    """The purchased cluster with the forecast placed has 0 N+1 failures in real hbal; with the
    nodes bought and nothing placed, real hspace fits at least the forecast's one flavor."""
    cat = load_catalog()
    c, f = read_text(MIMIC), cat.flavor("mimic")
    p = optimal_purchase(c, cat, [(f, 60)], PurchaseOptions(models=("mimic-128",), time_limit=20))
    save_text(p.cluster, tmp_path / "grown.data")
    out = subprocess.run([HBAL, "-t", str(tmp_path / "grown.data")], capture_output=True, text=True).stdout
    assert re.search(r"Initial check done: 0 bad nodes, 0 bad instances", out), out
    save_text(add_nodes(c, cat.model("mimic-128"), p.nodes), tmp_path / "bought.data")
    hs = subprocess.run([HSPACE, "-t", str(tmp_path / "bought.data"), "--standard-alloc",
                         f"{f.disk},{f.memory},{f.vcpus}", "--disk-template", "drbd", "--machine-readable"],
                        capture_output=True, text=True).stdout
    assert int(re.search(r"^HTS_ALLOC_INSTANCES=(\d+)$", hs, re.M).group(1)) >= 60


def test_runway_by_hand() -> None:
    r = runway(read_text(RUNWAY), [(G1, 2)], months=6)
    assert [row["fits"] for row in r.rows] == [True, True, True, False]
    assert (r.last_month, r.runs_out, r.verified) == (3, "N+1", True)
    assert r.rows[2]["free_memory_gib"] == 3 * 4096 / 1024 - 6  # 6 GiB of primaries placed


@oracle("hspace")
def test_runway_capacity_equals_real_hspace_on_the_hand_cluster() -> None:
    out = subprocess.run([HSPACE, "-t", str(RUNWAY), "--standard-alloc", "10240,1024,1", "--disk-template", "drbd",
                          "--machine-readable"], capture_output=True, text=True).stdout
    assert int(re.search(r"^HTS_ALLOC_INSTANCES=(\d+)$", out, re.M).group(1)) == 6


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_purchase_and_runway_commands(tmp_path: Path) -> None:
    s = ROOT / "scenarios" / "buy-for-growth.yaml"
    r = _run("purchase", str(s), "--no-rebalance", "--save", str(tmp_path / "g.data"))
    assert r.exit_code == 0, r.output
    assert "OPTIMAL" in r.output and "verified" in r.output and (tmp_path / "g.data").exists()
    r = _run("runway", str(s), "--json")
    assert r.exit_code == 0, r.output
    assert '"runs_out"' in r.output


@pytest.mark.parametrize("body,needle", [
    ("purchase: {models: [mimic-128], forecast: {huge: 1}}", "bigger than any allowed model"),
    ("purchase: {models: [mimic-128], forecast: {mimic: 400}, max: {mimic-128: 1}}", "does not fit"),
    ("purchase: {models: [nope], forecast: {mimic: 1}}", "unknown node model 'nope'"),
    ("purchase: {models: [mimic-128], forecast: {mimic: 1}, growth: {mimic: 1}}", "exactly one of forecast, growth"),
    ("purchase: {models: [mimic-128], forecast: {mimic: 0}}", "at least one count must be positive"),
    ("runway: {growth: {mimic: -1}}", "must not be negative"),
])
def test_impossible_or_malformed_questions_give_one_line(tmp_path: Path, capsys, body: str, needle: str) -> None:
    from planner.cli.main import main

    (tmp_path / "cat.yaml").write_text("flavors:\n  - {name: huge, memory: 2G, disk: 1000000, vcpus: 1}\n")
    s = tmp_path / "s.yaml"
    s.write_text(f"cluster: {{file: {MIMIC}}}\nmodels: [cat.yaml]\nquestions:\n  rebalance: false\n  {body}\n")
    before = s.read_bytes()
    args = ["runway", str(s)] if body.startswith("runway") else ["purchase", str(s), "--no-rebalance"]
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err
    assert s.read_bytes() == before


def test_whatif_answers_the_purchase_and_runway_questions_by_hand(tmp_path: Path) -> None:
    """On the hand cluster (6 fit, see the module docstring) 7 instances need one more node of the
    same shape (4 nodes: 2 primaries each, secondaries one per peer, 8 fit), and 2 a month last 3
    months, N+1 first; `planner whatif` gives both answers beside its own."""
    import json

    (tmp_path / "cat.yaml").write_text(
        "flavors:\n  - {name: g1, memory: 1024, disk: 10240, vcpus: 1}\n"
        "nodes:\n  - {name: tiny, memory: 5G, os_memory: 1G, disk: 976G, cpus: 8}\n")
    s = tmp_path / "s.yaml"
    s.write_text(f"cluster: {{file: {RUNWAY}}}\nmodels: [cat.yaml]\nquestions:\n  rebalance: false\n"
                 "  purchase: {models: [tiny], forecast: {g1: 7}, time_limit: 10}\n"
                 "  runway: {growth: {g1: 2}, months: 6}\n")
    r = _run("whatif", str(s), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["purchase"]["bought"], out["purchase"]["status"], out["purchase"]["verified"]) == (
        {"tiny": 1}, "OPTIMAL", True)
    assert (out["runway"]["last_month"], out["runway"]["runs_out"]) == (3, "N+1")
    r = _run("whatif", str(s))
    assert r.exit_code == 0 and "Nodes to buy" in r.output and "Runway: 3 month(s) fit" in r.output, r.output
