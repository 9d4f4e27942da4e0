"""Scenarios: the shipped ones load and answer; bad ones give one line and exit 2; changes checked by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.engine.summary import score_group
from planner.io.htools_write import save_text
from planner.scenario.build import build
from planner.scenario.catalog import load_catalog
from planner.scenario.spec import load_scenario, loads_scenario
from planner.scenario.whatif import whatif
from tests.helpers import ROOT, oracle

SCEN = ROOT / "scenarios"
SHIPPED = sorted(SCEN.glob("*.yaml"))
MIMIC = SCEN / "new-node-small-5n-73i-mimic.data"


def test_at_least_five_scenarios_and_the_catalog() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"new-node", "drain-node", "lost-node", "policy-change", "growth"} <= names
    cat = load_catalog()
    assert len(cat.models) >= 6 and len(cat.flavors) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_answers(path: Path) -> None:
    w = whatif(load_scenario(path), time_limit=2, methods=("greedy",))
    s = w.scenario
    assert len(w.capacity) == len(s.questions.capacity)
    assert all(r["before"] >= 0 and r["after"] >= 0 for r in w.capacity)
    if s.questions.rebalance:
        row = w.rebalance[0]
        assert row["final_score"] <= w.after.score + 1e-9 and row["days"] >= (1 if row["moves"] else 0)


def test_cpsat_answer_on_the_default_scenario() -> None:
    w = whatif(load_scenario(SCEN / "new-node.yaml"), time_limit=3)
    assert [r["method"] for r in w.rebalance] == ["greedy", "cpsat"]
    assert w.rebalance[0]["moves"] == 29 and w.rebalance[0]["gb_copied"] == 750.0  # hbal's plan
    assert w.rebalance[1]["final_score"] < w.before.score


def _cli(capsys, args: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(args)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


BAD = [
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nbogus: 1\n", r"bogus: Extra inputs are not permitted"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{add_nodes: {model: mimic-128, count: x}}]\n",
     r"changes\.0\.add_nodes\.count: Input should be a valid integer"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{add_nodes: {model: mimic-128, count: -1}}]\n",
     r"changes\.0\.add_nodes\.count: Input should be greater than or equal to 0"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{resize: {instances: [inst-0001], memory: -4G}}]\n",
     r"changes\.0\.resize\.memory: .*bad size '-4G'"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{resize: {instances: [inst-0001], memory: 4Q}}]\n",
     r"changes\.0\.resize\.memory: .*bad size '4Q'"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{add_nodes: {model: nope}}]\n",
     r"changes\.0\.add_nodes: unknown node model 'nope'"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{add_instances: {flavor: nope, count: 2}}]\n",
     r"changes\.0\.add_instances: unknown flavor 'nope'"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{drain: [node-99]}]\n",
     r"changes\.0\.drain: unknown node 'node-99'"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges:\n  - add_nodes: {model: mimic-128, names: [x1]}\n"
     "  - remove_nodes: [x1]\n", r"changes\.1\.remove_nodes: node 'x1' is both added and removed"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{remove_nodes: [node-01-001]}]\n",
     r"changes\.0\.remove_nodes: node 'node-01-001' still holds \d+ instance"),
    ("cluster: {file: missing.data}\n", r"cluster\.file: no such file"),
    ("cluster: {file: a.data, rapi: b}\n", r"cluster: .*exactly one of file, rapi, generate"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nchanges: [{drain: [a], fail: [b]}]\n",
     r"changes\.0: .*exactly one action"),
    ("cluster: [1, 2\n", r"invalid YAML"),
    ("- just a list\n", r"a scenario is a mapping"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nquestions: {time_limit: 0}\n",
     r"questions\.time_limit: Input should be greater than 0"),
    ("cluster: {file: new-node-small-5n-73i-mimic.data}\nquestions: {capacity: [nope]}\n",
     r"unknown flavor 'nope'"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[f"bad{k}" for k in range(len(BAD))])
def test_bad_scenario_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, capsys, text: str, expected: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(text)
    (tmp_path / MIMIC.name).write_bytes(MIMIC.read_bytes())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, err = _cli(capsys, ["whatif", str(f), "--method", "greedy", "--time-limit", "1"])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"planner: error: {f}"), err
    assert re.search(expected, lines[0]), lines[0]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _lines(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Node and instance fields of an htools text file, split by hand (independent of the parser)."""
    secs = path.read_text().split("\n\n")
    return [ln.split("|") for ln in secs[1].splitlines()], [ln.split("|") for ln in secs[2].splitlines()]


def test_add_nodes_by_hand() -> None:
    s = loads_scenario(f"cluster: {{file: {MIMIC}}}\nchanges: [{{add_nodes: {{model: mimic-128, count: 2}}}}]\n")
    b = build(s)
    nodes, _ = _lines(MIMIC)
    assert len(b.after.nodes) == len(nodes) + 2
    new = b.after.nodes[-2:]
    # mimic-128: 128 GiB with 1 GiB for the OS, 960000 MiB of disk, 24 CPUs, 12 spindles, empty
    assert [(n.t_mem, n.n_mem, n.f_mem, n.t_dsk, n.f_dsk, n.t_cpu, n.spindles) for n in new] == \
        [(131072.0, 1024, 130048, 960000.0, 960000, 24.0, 12)] * 2
    assert sum(n.t_mem for n in b.after.nodes) == sum(float(x[1]) for x in nodes) + 2 * 131072


def test_failed_node_primaries_end_on_their_secondaries_by_hand() -> None:
    nodes, insts = _lines(MIMIC)
    lost = "node-01-002"
    expect = {x[0]: x[7] for x in insts if x[6] == lost and x[8] == "drbd" and x[7]}
    assert expect, "the reference file has DRBD primaries on node-01-002"
    s = loads_scenario(f"cluster: {{file: {MIMIC}}}\nchanges: [{{fail: [{lost}]}}]\n")
    after = build(s).after
    names = [n.name for n in after.nodes]
    got = {i.name: names[i.pnode] for i in after.instances if i.name in expect}
    assert got == expect
    assert after.nodes[names.index(lost)].offline
    # each new primary's free memory dropped by the memory of the instances that failed over to it
    for node in set(expect.values()):
        k = names.index(node)
        drop = sum(int(x[1]) for x in insts if x[0] in expect and expect[x[0]] == node and x[4] == "running")
        assert after.nodes[k].f_mem == int(nodes[k][3]) - drop


def test_generated_cluster_is_seeded_and_keeps_n1_and_the_hard_limits() -> None:
    text = """cluster:
  generate:
    groups: [{name: g1, nodes: [{model: small-128, count: 4}, {model: r640-256, count: 2}]}]
    fill: {flavors: {small: 2, medium: 1}, memory_used: 0.5, seed: 3}
"""
    a, b = build(loads_scenario(text)).before, build(loads_scenario(text)).before
    assert a == b and len(a.instances) > 10
    other = build(loads_scenario(text.replace("seed: 3", "seed: 4"))).before
    assert [i.name for i in other.instances] != [i.name for i in a.instances]
    assert score_group(a).n1_fail_nodes == ()
    for k, n in enumerate(a.nodes):  # recomputed from the instances, independently of the generator
        used_mem = sum(i.mem for i in a.instances if i.pnode == k)
        used_dsk = sum(i.dsk for i in a.instances if k in (i.pnode, i.snode))
        assert n.f_mem == n.t_mem - n.n_mem - used_mem >= 0
        assert n.f_dsk == n.t_dsk - used_dsk >= 0
        assert all(i.pnode != i.snode for i in a.instances)


def _hspace_count(path: Path, spec: str, template: str) -> int:
    import subprocess

    from tests.helpers import HSPACE

    out = subprocess.run([HSPACE or "hspace", "-t", str(path), "--standard-alloc", spec, "--disk-template", template,
                          "--machine-readable"],
                         capture_output=True, text=True, timeout=120).stdout
    return int(re.search(r"^HTS_ALLOC_INSTANCES=(\d+)$", out, re.M).group(1))


@oracle("hspace")
@pytest.mark.parametrize("name", ["lost-node", "policy-change"])
def test_capacity_after_the_changes_equals_real_hspace(tmp_path: Path, name: str) -> None:
    """The changed cluster, written as htools text, gives real hspace the counts whatif reports."""
    s = load_scenario(SCEN / f"{name}.yaml")
    w = whatif(s, methods=())
    save_text(w.built.after, tmp_path / "after.data")
    cat = w.built.catalog
    for row in w.capacity:
        f = cat.flavor(row["flavor"])
        spec = f"{f.disk},{f.memory},{f.vcpus}"
        assert row["after"] == _hspace_count(tmp_path / "after.data", spec, f.disk_template), row
        assert row["before"] == _hspace_count(MIMIC, spec, f.disk_template), row


def test_user_catalog_adds_a_model(tmp_path: Path, capsys) -> None:
    (tmp_path / "mine.yaml").write_text("nodes:\n  - {name: tiny-box, memory: 64G, disk: 2TB, cpus: 8}\n")
    s = tmp_path / "s.yaml"
    s.write_text(f"cluster: {{file: {MIMIC}}}\nchanges: [{{add_nodes: {{model: tiny-box}}}}]\n"
                 "questions: {rebalance: false}\n")
    code, out, err = _cli(capsys, ["whatif", str(s), "--models", str(tmp_path / "mine.yaml"), "--json"])
    assert code == 0, err
    assert '"after"' in out
    b = build(load_scenario(s), (str(tmp_path / "mine.yaml"),))
    assert (b.after.nodes[-1].t_mem, b.after.nodes[-1].t_dsk) == (65536.0, float(2 * 10**12 // 2**20))
