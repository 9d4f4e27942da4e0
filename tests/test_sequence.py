"""The safe sequencer: cycles broken by a temporary hop, no-safe-order reported, N+1-safe order,
every state between a move's commands checked; the states it writes load in real hbal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.api import load, sequence_to
from planner.checks.verify import verify
from planner.cli.main import main
from planner.domain.plan import Plan
from tests.helpers import DATA, NO_BENCH, needs_hbal, run_hbal


def placed(c) -> dict[str, tuple[str, str]]:
    return {i.name: (c.nodes[i.pnode].name, c.nodes[i.snode].name if i.snode >= 0 else "") for i in c.instances}


def test_two_full_nodes_swapping_secondaries_go_through_a_slack_node() -> None:
    # x wants nA's 1500 MiB disk slot on nB and y the reverse: neither fits before the other leaves
    c, t = load(DATA / "cycle.data"), load(DATA / "cycle-target.data")
    plan, final = sequence_to(c, t)
    assert [(s.instance, s.move_text()) for s in plan.steps] == [("x", "r:nD"), ("y", "r:nA"), ("x", "r:nB")]
    assert plan.extra["hops"] == ["x r:nD"] and plan.extra["hop_gb"] == pytest.approx(1500 / 1024)
    assert plan.extra["stuck"] == {} and placed(final) == placed(t)
    assert verify(c, plan, transient=True).ok


def test_no_safe_order_names_the_stuck_instances_and_exits_2(capsys) -> None:
    # the same swap with no third node to hop through
    c, t = load(DATA / "no-order.data"), load(DATA / "no-order-target.data")
    plan, _ = sequence_to(c, t)
    assert plan.steps == [] and set(plan.extra["stuck"]) == {"x", "y"}
    assert all("FailDisk" in why for why in plan.extra["stuck"].values())
    with pytest.raises(SystemExit) as e:
        main(["sequence", str(DATA / "no-order.data"), str(DATA / "no-order-target.data")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.fullmatch(r"planner: error: .*no-order-target\.data: no safe order for 2 instance\(s\), e\.g\. .*",
                        err)


def test_the_naive_order_would_break_n1_the_sequenced_one_does_not() -> None:
    # u (2000 MiB) becomes nA's primary; while v (2500 MiB) still has its secondary on nA,
    # nA would keep 2000 MiB unallocated for 2500 reserved
    c, t = load(DATA / "n1-order.data"), load(DATA / "n1-order-target.data")
    plan, final = sequence_to(c, t)
    assert [s.instance for s in plan.steps] == ["v", "u"] and placed(final) == placed(t)
    naive = Plan("naive", plan.initial_score, plan.final_score, [plan.steps[1], plan.steps[0]])
    r = verify(c, naive)
    assert not r.ok and r.step == 1 and r.violation.rule == "n1" and r.violation.node == "nA"


def test_sequenced_moves_are_safe_between_commands() -> None:
    # from tests/test_verify.py: hbal accepts f r:nC for i2, but between the migration and the
    # replace-disks nB would fail N+1; the sequencer must not emit it
    from planner.io.htools_text import parse_text
    from tests.test_verify import CLUSTER

    c = parse_text(CLUSTER, "verify.data")
    t = parse_text(CLUSTER.replace("i2|1024|10000|1|running|Y|nB|nA|", "i2|1024|10000|1|running|Y|nA|nC|"),
                   "target.data")
    plan, _ = sequence_to(c, t)
    assert all(not (s.instance == "i2" and s.move == "fr") for s in plan.steps)
    assert verify(c, plan, transient=True).ok


@needs_hbal
@pytest.mark.parametrize("name", ["cycle", "n1-order"])
def test_saved_steps_load_in_hbal_with_no_new_n1_failures(name: str, tmp_path: Path) -> None:
    out = tmp_path / "steps"
    with pytest.raises(SystemExit) as e:
        main(["sequence", str(DATA / f"{name}.data"), str(DATA / f"{name}-target.data"), "--save-steps", str(out)])
    assert e.value.code in (0, None)
    files = sorted(out.glob("step-*.data"))
    assert len(files) == len(load(DATA / f"{name}-target.data").instances) + (name == "cycle")
    for f in files:
        res = run_hbal("-t", str(f), "-l", "0")
        assert "Initial check done: 0 bad nodes" in res.stdout, (f, res.stdout)


@needs_hbal
@pytest.mark.parametrize("method", ["greedy", "cpsat"])
def test_every_state_of_a_bench_plan_loads_in_hbal_without_new_n1_failures(method: str, tmp_path: Path) -> None:
    from tests.helpers import BENCH

    src = BENCH / "new-node-small-6n-2new-70i.data"
    if not src.exists():
        pytest.skip(NO_BENCH)
    out = tmp_path / "steps"
    with pytest.raises(SystemExit) as e:
        limit = ["--time-limit", "5"] if method == "cpsat" else []  # greedy refuses CP-SAT's options
        main(["balance", str(src), "--method", method, *limit, "--save-steps", str(out), "--json"])
    assert e.value.code in (0, None)
    files = sorted(out.glob("step-*.data"))
    assert len(files) > 10
    for f in files:
        assert "Initial check done: 0 bad nodes" in run_hbal("-t", str(f), "-l", "0").stdout, f


def _suite_groups():
    from tests.helpers import group_params

    return group_params(("suite",))


@pytest.mark.parametrize(("path", "group"), _suite_groups(), ids=str)
def test_every_test_suite_plan_is_safe_between_commands_and_as_scheduled(path, group) -> None:
    """Greedy (hbal's moves) and CP-SAT plans on every group of Ganeti's test data: replayed with the
    states between commands checked, then scheduled in parallel and accepted by the schedule check."""
    from planner.api import balance, check_plannable, schedule_plan
    from planner.domain.errors import PlannerError
    from planner.engine.state import LoadOptions
    from planner.planners.cpsat import CpsatOptions

    c = load(path)
    try:
        check_plannable(c)
    except PlannerError:
        pytest.skip("duplicate instance names: balance refuses the file")
    lo = LoadOptions(group=group)
    for method, opts in (("greedy", None), ("cpsat", CpsatOptions(time_limit=1))):
        plan, _ = balance(c, method, opts, lo)
        assert verify(c, plan, group, opts=lo, transient=True).ok
        schedule_plan(c, plan, load_opts=lo, time_limit=0.5)
        assert plan.extra["schedule_verified"] and "schedule_warning" not in plan.extra, plan.extra
