"""Schedules, jobsets and day plans against hand-computed values; the schedule check rejects
unsafe overlaps and orders."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from planner.api import load, schedule_plan, sequence_to
from planner.checks.verify_schedule import verify_schedule
from planner.cli.main import main
from planner.domain.errors import PlannerError
from planner.domain.plan import Plan, Step
from planner.domain.schedule import Schedule, Timing
from planner.execution.dayplan import pack, parse_window
from planner.execution.schedule import lower_bound, precedence, schedule
from tests.helpers import DATA, bench

A = Step("i1", "r", "a", "b", "a", "c", 10.0)  # b loses a secondary, c gains one, a sends the data
B = Step("i2", "r", "d", "b", "d", "e", 10.0)
C = Step("i3", "r", "a", "x", "a", "c", 20.0)
D = Step("i4", "f", "c", "y", "y", "c", 0.0)
R10, R20 = 583, 685  # replace-disks: 480 s + GiB at 100 MB/s (582.4, 684.8), in whole seconds


def test_durations() -> None:
    t = Timing()
    assert t.duration(A) == pytest.approx(R10) and t.duration(D) == 60
    assert t.duration(Step("i", "frf", "a", "b", "c", "b", 20.0)) == pytest.approx(R20 + 120)
    assert Timing(bandwidth_mb_s=50, replace_overhead_s=0).duration(A) == 205


def test_old_secondaries_are_shared_freely() -> None:
    s = schedule([A, B])
    assert s.jobsets == [[0, 1]] and s.makespan_s == pytest.approx(R10)
    assert s.serial_s == pytest.approx(2 * R10)


def test_a_node_sending_or_receiving_runs_max_per_node_jobs() -> None:
    one = schedule([A, C])  # both use a (source) and c (new secondary)
    assert one.jobsets == [[0], [1]] and one.makespan_s == pytest.approx(R10 + R20)
    two = schedule([A, C], Timing(max_per_node=2))
    assert two.jobsets == [[0, 1]] and two.makespan_s == pytest.approx(R20)


def test_a_migration_waits_for_the_secondary_it_follows() -> None:
    g = precedence([A, D])  # c gains i1's secondary, then i4 moves its primary to y and makes c secondary
    assert g.gpreds[1] and not g.gpreds[0]
    s = schedule([A, D], Timing(max_per_node=5))
    assert s.starts == [0.0, pytest.approx(R10)] and s.makespan_s == pytest.approx(R10 + 60)
    assert lower_bound(g, [R10, 60.0], 5) == pytest.approx(R10 + 60) and s.status == "list (optimal)"


def test_cpsat_beats_the_list_schedule_when_plan_order_is_poor() -> None:
    # j1 (a migration on p) and j2 (a copy sent from p) share p's one slot in either order;
    # j3 (a migration on q) must wait for j2 to drop its secondary on q.  Plan order gives
    # 60 + R20 + 60; j2 first gives R20 + 60 (CP-SAT works in whole seconds)
    steps = [Step("j1", "f", "p", "z", "z", "p", 0.0), Step("j2", "r", "p", "q", "p", "w", 20.0),
             Step("j3", "f", "q", "v", "v", "q", 0.0)]
    s = schedule(steps)
    assert s.status == "cpsat OPTIMAL" and s.makespan_s == R20 + 60
    assert s.starts[1] == 0 and s.starts[2] >= s.ends[1]


def test_day_plan_packs_jobsets_into_days() -> None:
    assert parse_window("22:00-02:00") == (22 * 3600, 26 * 3600)
    with pytest.raises(PlannerError):
        parse_window("9-5")
    days = pack([[0, 1, 2], [3]], [100.0, 50.0, 80.0, 10.0], 2)
    assert [d.jobs for d in days] == [[0, 1], [2, 3]] and [d.used_s for d in days] == [100.0, 90.0]
    days = pack([[0], [1]], [5000.0, 5000.0], None, (0, 7200))
    assert [d.jobs for d in days] == [[0], [1]] and not days[0].overrun
    assert pack([[0]], [9000.0], None, (0, 7200))[0].overrun


def _n1_plan():
    c = load(DATA / "n1-order.data")
    plan, _ = sequence_to(c, load(DATA / "n1-order-target.data"))
    return c, schedule_plan(c, plan)


def test_schedule_check_accepts_the_planned_schedule() -> None:
    c, plan = _n1_plan()
    assert plan.extra["schedule_verified"] and plan.jobsets == [[0], [1]]


def test_schedule_check_rejects_unsafe_overlaps_and_orders() -> None:
    c, plan = _n1_plan()  # v then u: both touch nA (v drops its secondary there, u migrates to it)
    s = plan.schedule
    together = replace(plan, schedule=Schedule(s.starts, s.ends, [[0, 1]], 0, 0, 0, "hand"))
    chk = verify_schedule(c, together)
    assert not chk.ok and "run at once on nA" in chk.message
    swapped = replace(plan, schedule=Schedule([s.starts[1] + 1, 0.0], [s.ends[1] + s.ends[0], s.ends[1]],
                                              [[0], [1]], 0, 0, 0, "hand"))
    chk = verify_schedule(c, swapped)
    assert not chk.ok and chk.message.startswith("in start time order, step 1 (u r:nA f): n1")


def test_cli_day_plan_of_the_default_cluster(capsys) -> None:
    # hbal's 29 moves all touch the new node: 29 jobsets, 10 a day -> 3 days
    args = ["balance", "scenarios/new-node-small-5n-73i-mimic.data", "--jobs-per-day", "10", "--window", "09:00-17:00"]
    with pytest.raises(SystemExit):
        main(args)
    out = capsys.readouterr().out
    assert "Day plan (10 jobs a day, window 09:00-17:00): 3 day(s)" in out
    assert out.count("  day ") == 3
    with pytest.raises(SystemExit):
        main(args + ["--json"])
    data = json.loads(capsys.readouterr().out)
    assert [d["jobs"] for d in data["extra"]["days"]] == [10, 10, 9]
    # by hand: 60 s per migration, 480 s + GiB * 1024 / 100 MB/s per copy, each job rounded up
    # (a move's letters: each f one migration, each r one disk copy)
    by_hand = sum(math.ceil(60 * st["move"].count("f") + (480 + st["gb_copied"] * 10.24) * st["move"].count("r") - 1e-9)
                  for st in data["steps"])
    assert data["schedule"]["serial_s"] == by_hand
    assert Plan.from_json(data).schedule.jobsets == data["schedule"]["jobsets"]


def test_cli_bad_window_is_one_line_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["balance", str(DATA / "n1-order.data"), "--window", "25:00-26:00"])
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == "planner: error: --window: '25:00-26:00' is not HH:MM-HH:MM"


def test_jobs_leaving_an_offline_node_do_not_wait_for_each_other() -> None:
    x = Step("i1", "fr", "o", "b", "b", "c", 10.0)  # both fail over off o, then copy to a new secondary
    y = Step("i2", "fr", "o", "d", "d", "e", 10.0)
    assert precedence([x, y]).gpreds[1] and schedule([x, y]).jobsets == [[0], [1]]
    assert not precedence([x, y], frozenset({"o"})).gpreds[1]
    assert schedule([x, y], offline=frozenset({"o"})).jobsets == [[0, 1]]


def test_an_instance_changing_both_nodes_is_one_job() -> None:
    from planner.io.htools_text import parse_text
    from planner.report.text import commands_text
    from tests.test_verify import CLUSTER

    c = parse_text(CLUSTER, "verify.data")
    t = parse_text(CLUSTER.replace("i3|1200|10000|1|running|Y|nA|nB|", "i3|1200|10000|1|running|Y|nD|nC|"), "t.data")
    plan, _ = sequence_to(c, t)
    assert [(s.instance, s.move_text()) for s in plan.steps] == [("i3", "r:nC"), ("i3", "f r:nD f")]
    schedule_plan(c, plan)
    assert plan.jobsets == [[0, 1]] and plan.extra["schedule_verified"]
    first = 480 + 10000 / 100  # replace-disks of 10000 MiB
    assert plan.schedule.starts == [0.0, first] and plan.schedule.ends[1] == pytest.approx(2 * first + 120)
    text = commands_text(plan)
    assert text.count("echo job ") == 1 and text.count("gnt-instance") == 4



@pytest.mark.parametrize("cap", [1, 2, 3])
@pytest.mark.parametrize("name", ["new-node-small-6n-2new-70i.data", "skewed-small-6n-70i.data",
                                  "evacuate-small-5n-64i-drained.data", "new-node-medium-20n-2new-400i.data"])
def test_parallel_schedules_of_bench_plans_pass_the_check(name: str, cap: int) -> None:
    """Greedy (hbal's moves) and CP-SAT plans: the scheduler's overlaps and reorders are all
    accepted by the independent check, and beat one job at a time."""
    from planner.api import balance
    from planner.planners.cpsat import CpsatOptions

    c = bench(name)
    plans = [balance(c)[0]]
    if cap == 2 and "small" in name:
        plans.append(balance(c, "cpsat", CpsatOptions(time_limit=4))[0])
    for plan in plans:
        schedule_plan(c, plan, Timing(max_per_node=cap), time_limit=1)
        assert "schedule_warning" not in plan.extra and plan.extra["schedule_verified"], plan.extra
        s = plan.schedule
        assert s.makespan_s <= s.jobsets_s + 1e-6 <= s.serial_s + 2e-6
        assert s.status != "sequential"
