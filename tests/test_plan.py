"""Plans: hbal's backward jobsets (htools-core §7.3), commands per move (§7.2), JSON round trip,
and the sequencer's decomposition and safety."""

from __future__ import annotations

import itertools

from planner.api import balance, load
from planner.domain.plan import Plan, Step, backward_jobsets
from planner.engine.load import load_group
from planner.engine.moves import apply_move
from planner.execution.sequence import decompose, sequence, walk
from planner.report.text import commands_text, script_text
from tests.helpers import DATA


def fa(inst: str, old: str, new: str) -> Step:
    return Step(inst, "fa", old, "", new, "", 0.0, 1.0)


def test_backward_jobsets_ex13() -> None:
    """Six fa moves on node pairs {3,2} {6,0} {4,2} {5,1} {7,0} {3,2}: hbal prints [1] [2,3] [4,5,6];
    grouping forwards would give [1,2] [3,4,5] [6]."""
    steps = [fa("in1", "nd02", "nd03"), fa("in2", "nd00", "nd06"), fa("in3", "nd02", "nd04"),
             fa("in4", "nd01", "nd05"), fa("in5", "nd00", "nd07"), fa("in6", "nd02", "nd03")]
    assert backward_jobsets(steps) == [[0], [1, 2], [3, 4, 5]]


def test_commands_per_move_and_running_state() -> None:
    s = Step("web", "frf", "a", "b", "c", "b", 10.0, 1.0, running=False)
    assert s.commands() == ["gnt-instance failover -f web", "gnt-instance replace-disks -n c web",
                            "gnt-instance failover -f web"]
    assert Step("db", "fr", "a", "b", "b", "c", 1.0).commands() == [
        "gnt-instance migrate -f db", "gnt-instance replace-disks -n c db"]
    assert Step("x", "fa", "a", "", "c", "", 0.0).commands() == ["gnt-instance migrate -f -n c x"]


def test_script_has_stop_checks_and_json_round_trips() -> None:
    plan, _ = balance(load(DATA / "tiny-skewed.data"))
    script = script_text(plan)
    assert script.startswith("#!/bin/sh") and script.count("  check") == len(plan.steps)
    assert "Commands to run" in commands_text(plan)
    again = Plan.from_json(plan.to_json())
    assert again.steps == plan.steps and again.jobsets == plan.jobsets


def test_decompose_covers_every_change() -> None:
    assert decompose(1, 2, 1, 2) == [[]]
    assert decompose(1, 2, 1, 3) == [[("r", 3)]]
    assert decompose(1, 2, 3, 1) == [[("rf", 3)]]
    assert decompose(1, 2, 2, 3) == [[("fr", 3)]]
    assert decompose(1, -1, 4, -1) == [[("fa", 4)]]


def test_every_way_of_decompose_reaches_its_target() -> None:
    """Each alternative way, walked move by move, lands on the target pair (a wrong fallback way once
    ended elsewhere and the plan silently missed its target)."""
    nodes = range(5)
    for p0, s0, p, s in itertools.product(nodes, nodes, nodes, nodes):
        if p0 == s0 or p == s:
            continue
        for way in decompose(p0, s0, p, s):
            assert walk(p0, s0, way) == (p, s), (p0, s0, p, s, way)
            before = [walk(p0, s0, way[:i]) for i in range(len(way))]  # no move targets its own nodes
            assert all(t not in pos for (kind, t), pos in zip(way, before, strict=True) if kind != "f")


def test_walk_agrees_with_hbal_moves() -> None:
    """The symbolic walk is what ``apply_move`` (hbal's applyMove) does, for every move kind."""
    from planner.io.htools_text import parse_text

    roomy = "".join(f"n{k}|16384|512|12000|200000|190000|8|N|u|1\n" for k in range(4))
    gs = load_group(parse_text(f"g|u|preferred||\n\n{roomy}\ni|1024|1000|1|running|Y|n0|n1|drbd||1\n\n\n"))
    nodes = {n.idx: n for n in gs.nodes}
    st = gs.instances[0]
    tried = 0
    for kind in ("f", "r", "rf", "fr", "frf"):
        for t in nodes:
            if t in (st.pnode, st.snode) if kind != "f" else t != st.pnode:
                continue  # ``f`` names no node: tried once
            res = apply_move(nodes, st, kind, t if kind != "f" else -1, force=True)
            assert not isinstance(res, str), (kind, t, res)
            tried += 1
            assert (res.pnode, res.snode) == walk(st.pnode, st.snode, [(kind, t)]), (kind, t)
    assert tried == 1 + 4 * 2


def test_sequencer_reaches_a_target_and_reports_what_it_cannot() -> None:
    c = load(DATA / "tiny-skewed.data")
    gs = load_group(c)
    a, b, cc = (n.idx for n in gs.nodes)
    t1, t2, t3 = gs.group_instances
    res = sequence(gs, {t1: (b, cc), t2: (cc, a), t3: (a, cc)})
    assert not res.stuck and [(s.instance, s.move) for s in res.steps] == [("t1", "fr"), ("t2", "rf"), ("t3", "r")]
    # an impossible target: a 4096 MiB instance onto a node with 1000 MiB free: stuck, never forced
    from planner.io.htools_text import parse_text

    small = parse_text("g|u|preferred||\n\n"
                       "a|16384|512|12000|200000|190000|8|N|u|1\n"
                       "b|16384|512|16000|200000|190000|8|N|u|1\n"
                       "c|2048|512|1000|200000|200000|8|N|u|1\n\n"
                       "big|4096|5000|1|running|Y|a|b|drbd||1\n\n\n")
    gs2 = load_group(small)
    res2 = sequence(gs2, {0: (gs2.nodes[2].idx, gs2.nodes[1].idx)})
    assert not res2.steps and "FailMem" in res2.stuck["big"]
