"""The CP-SAT planner: optimal on a tiny cluster (checked by brute force), budgets, infeasible requests."""

from __future__ import annotations

import itertools

import pytest

from planner.api import balance, load
from planner.checks.verify import verify
from planner.domain.errors import PlannerError
from planner.engine.load import load_group
from planner.engine.state import LoadOptions
from planner.planners.cpsat import CpsatOptions, gb_lower_bound
from planner.planners.cpsat.kit import exact_score
from tests.helpers import DATA, NO_BENCH


def brute_force(path) -> tuple[float, dict]:
    """The best exact score over every placement of every instance on ordered node pairs."""
    c = load(path)
    gs = load_group(c)
    online = [n.idx for n in gs.nodes if not n.offline]
    pairs = [(p, s) for p in online for s in online if p != s]
    insts = [k for k in gs.group_instances if gs.instances[k].inst.disk_template == "drbd"]
    best = (float("inf"), {})
    for combo in itertools.product(pairs, repeat=len(insts)):
        pl = dict(zip(insts, combo, strict=True))
        s = exact_score(gs, pl)
        if s < best[0]:
            best = (s, pl)
    return best


def test_tiny_cluster_reaches_the_brute_force_optimum() -> None:
    best, _ = brute_force(DATA / "tiny-skewed.data")
    opts = CpsatOptions(time_limit=20, workers=1, objective="score")
    plan, _ = balance(load(DATA / "tiny-skewed.data"), "cpsat", opts)
    assert plan.final_score == pytest.approx(best, abs=1e-9)
    assert plan.status == "optimal"
    assert plan.bound is not None and plan.gap is not None and plan.gap < 1e-3


def test_budget_is_respected_and_zero_budget_moves_nothing() -> None:
    c = load(DATA / "tiny-skewed.data")
    plan, _ = balance(c, "cpsat", CpsatOptions(time_limit=10, max_gb=2.0))
    assert plan.gb_copied <= 2.0
    plan0, _ = balance(c, "cpsat", CpsatOptions(time_limit=10, max_gb=0))
    assert plan0.gb_copied == 0  # failovers are free: only those may happen
    assert all(s.move == "f" for s in plan0.steps)


def test_infeasible_request_is_a_clear_error() -> None:
    """An offline node must be emptied, but no move is allowed."""
    c = load(DATA / "offline.data")
    with pytest.raises(PlannerError) as e:
        balance(c, "cpsat", CpsatOptions(time_limit=10, max_moves=0))
    msg = str(e.value)
    assert "--max-moves 0 cannot empty the offline nodes: 3 instances must leave them" in msg and "\n" not in msg
    # a1, a2, a3 each have a 1000 MiB replica on the offline nA: 2.93 GiB must be copied, and 3 moves made
    with pytest.raises(PlannerError, match=r"--max-gb 2.9 cannot empty the offline nodes: .* 2.92969 GiB"):
        balance(c, "cpsat", CpsatOptions(time_limit=10, max_gb=2.9))
    with pytest.raises(PlannerError, match="--max-moves 2 cannot"):
        balance(c, "cpsat", CpsatOptions(time_limit=10, max_moves=2))
    plan, _ = balance(c, "cpsat", CpsatOptions(time_limit=5, max_moves=3, max_gb=2.93))  # just enough
    assert len(plan.steps) == 3 and verify(c, plan).ok  # balance() verified it; an independent replay agrees


def test_gb_lower_bound_counts_replicas_on_offline_nodes() -> None:
    gs = load_group(load(DATA / "offline.data"))
    # a1 (nA primary) 1000, a2 (nA primary) 1000, a3 (nA secondary) 1000 MiB
    assert gb_lower_bound(gs) == pytest.approx(3000 / 1024)


def test_cpsat_empties_offline_nodes() -> None:
    plan, final = balance(load(DATA / "offline.data"), "cpsat", CpsatOptions(time_limit=10))
    gs = load_group(final, LoadOptions())
    off = [n for n in gs.nodes if n.offline]
    assert all(not (n.plist | n.slist) for n in off)
    assert plan.gb_copied >= plan.gb_lower_bound - 1e-9


def test_cpsat_plans_on_bench_files_are_verified_and_beat_the_start() -> None:
    from tests.helpers import bench_files

    files = [b for b in bench_files() if "small" in b.name][:2]
    if not files:
        pytest.skip(NO_BENCH)
    for f in files:
        plan, _ = balance(load(f), "cpsat", CpsatOptions(time_limit=8))
        assert verify(load(f), plan).ok
        assert plan.final_score < plan.initial_score / 5


def test_a_plan_even_when_the_solver_runs_out_of_time() -> None:
    """With too little time for any solve the greedy hint is kept: a verified plan, never an error."""
    from tests.helpers import bench_files

    medium = [b for b in bench_files() if "new-node-medium" in b.name]
    if not medium:
        pytest.skip(NO_BENCH)
    plan, _ = balance(load(medium[0]), "cpsat", CpsatOptions(time_limit=2, objective="score"))
    # it ran out: no proof (gap > 0), or on a loaded machine no bound at all before the limit (gap None)
    assert plan.status == "feasible" and (plan.gap is None or plan.gap > 0)
    assert verify(load(medium[0]), plan).ok and plan.final_score < plan.initial_score


@pytest.mark.parametrize("name", ["hbal-migration-1.data", "hbal-migration-3.data", "hbal-soft-errors.data",
                                  "hbal-soft-errors2.data", "hbal-location-1.data", "hbal-forth.data"])
def test_tags_and_policy_violations_give_executable_plans(testsuite, name: str) -> None:
    """Migration tags and nodes already over a soft cap: every planned change can be executed."""
    plan, _ = balance(load(testsuite / name), "cpsat", CpsatOptions(time_limit=2))
    assert verify(load(testsuite / name), plan).ok and not plan.extra["stuck"]
    assert plan.final_score <= plan.initial_score


@pytest.mark.parametrize(("name", "hbal_score", "forced"), [
    ("evacuate-small-5n-64i-drained.data", 0.40669640, 1440),
    ("evacuate-medium-20n-400i-drained.data", 1.51937685, 3140)])
def test_fewest_gb_for_hbals_score_on_an_evacuation_is_near_the_forced_minimum(name, hbal_score, forced) -> None:
    """Real hbal reaches these scores copying 1450 / 3320 GB (hbal_results.csv); the replicas on
    the drained node (1440 / 3140 GB) must be copied, and little more reaches hbal's score."""
    from tests.helpers import BENCH

    path = BENCH / name
    if not path.exists():
        pytest.skip(NO_BENCH)
    plan, _ = balance(load(path), "cpsat", CpsatOptions(time_limit=30, target_score=hbal_score))
    assert plan.final_score <= hbal_score and plan.gb_lower_bound == pytest.approx(forced, abs=1)
    assert plan.gb_copied <= 1.02 * forced


@pytest.mark.parametrize(("by", "points"), [("moves", [5, 10, 20]), ("gb", [200, 400])])
def test_cpsat_pareto_curve_dominates_greedys(by: str, points: list[int]) -> None:
    """The default cluster: at every budget (moves or GiB) CP-SAT's exact score is at most the
    score of hbal's own moves within that budget, and it keeps the budget."""
    from planner.engine.state import LoadOptions
    from planner.report.compare import pareto

    df = pareto(load("scenarios/new-node-small-5n-73i-mimic.data"), LoadOptions(), points, by, time_limit=4)
    assert (df["cpsat_score"] <= df["greedy_score"] + 1e-9).all(), df
    limit = df["cpsat_moves"] if by == "moves" else df["cpsat_gb"]
    assert (limit <= df[by] + 1e-9).all()
    assert (df["cpsat_score"] < df["greedy_score"] - 1e-6).any()  # and strictly better somewhere


def test_load_options_hold_inside_the_solver() -> None:
    """``-O NODE``: the solver's exact scores and the LNS's reloads see NODE offline as well, so the
    score it plans is the score the sequenced plan reaches (before any polish)."""
    from tests.helpers import BENCH

    name = "skewed-small-6n-70i.data"
    if not (BENCH / name).exists():
        pytest.skip(NO_BENCH)
    c = load(BENCH / name)
    lo = LoadOptions(offline_nodes=(c.nodes[0].name,))
    plan, final = balance(c, "cpsat", CpsatOptions(time_limit=8, polish=False, swap_share=0.0, objective="score"), lo)
    gs = load_group(final, lo)
    left = gs.node(0).plist | gs.node(0).slist
    assert all(not gs.instances[k].movable for k in left)  # drained of all that can move (plain disks stay)
    assert verify(c, plan, opts=lo).ok and not plan.extra["stuck"]
    assert plan.extra["planned_score"] == pytest.approx(plan.final_score, abs=1e-9)


def test_budgets_hold_when_sequencing_needs_more_steps(monkeypatch) -> None:
    """If the safe order needs more steps than the model counted (temporary moves, a longer way),
    the plan is cut to the budget: --max-moves 3 gives 3 steps, never 4."""
    import planner.execution.sequence

    real = planner.execution.sequence.sequence

    def one_more(gs, target, force=False):
        res = real(gs, target, force)
        res.steps = res.steps + res.steps[-1:]  # as if a temporary move had been needed at the end
        return res

    monkeypatch.setattr(planner.execution.sequence, "sequence", one_more)
    plan, _ = balance(load(DATA / "offline.data"), "cpsat", CpsatOptions(time_limit=5, max_moves=3))
    assert len(plan.steps) == 3 and plan.extra["cut_to_budget"] == 1 and verify(load(DATA / "offline.data"), plan).ok


def test_pareto_evacuates_partly_where_k_cannot_empty_the_offline_node() -> None:
    """offline.data: emptying nA needs 3 moves; with 1 or 2 CP-SAT leaves the rest there (hbal's
    offline penalties in the score) and still matches or beats hbal's first 1 or 2 moves."""
    from planner.engine.state import LoadOptions
    from planner.report.compare import pareto

    df = pareto(load(DATA / "offline.data"), LoadOptions(), [1, 2, 3], "moves", time_limit=3)
    assert (df["cpsat_score"] <= df["greedy_score"] + 1e-9).all(), df
    assert (df["cpsat_moves"] <= df["moves"]).all()
    notes = df["note"].fillna("").tolist()
    assert notes[:2] == ["partial evacuation (emptying the offline nodes needs 3 moves)"] * 2 and notes[2] == ""
