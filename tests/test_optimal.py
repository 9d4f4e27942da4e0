"""``optimal_fit``: never below hspace's count, equal to a brute-force optimum on tiny clusters.

The brute force is independent of the CP-SAT model: a depth-first search over multisets of node
pairs, each new instance checked by hbal's placement rules (planner.checks.rules) on the usage left
by the ones before it; the deepest feasible multiset is the optimum.
"""

from __future__ import annotations

import random

import pytest

from planner.capacity.optimal import FitOptions, optimal_fit
from planner.capacity.options import Spec
from planner.checks.rules import PRIMARY, SECONDARY, Placing, add_role, check_placing, node_usages
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Instance
from planner.io.htools_text import parse_text, read_text
from tests.helpers import BENCH, NO_BENCH, ROOT

POLICY = ("|128,1,1024,1,1,1|128,1,1024,1,1,1;32768,8,1048576,16,8,12|"
          "diskless,file,sharedfile,plain,blockdev,drbd,rbd,ext|4.0|32.0")


def tiny(seed: int, nodes: int) -> Cluster:
    """A small random cluster: node sizes 4-12 GiB, 0-3 existing DRBD instances of 512-2048 MiB."""
    rng = random.Random(seed)
    mem = [rng.choice([4096, 6144, 8192, 12288]) for _ in range(nodes)]
    insts, used = [], [0] * nodes
    for k in range(rng.randint(0, 3)):
        p, s = rng.sample(range(nodes), 2)
        m = rng.choice([512, 1024, 2048])
        if used[p] + m < mem[p] - 1024:
            used[p] += m
            insts.append(f"e{k}|{m}|10240|1|running|Y|n{p}|n{s}|drbd||1")
    dsk = [sum(10240 for i in insts if f"|n{k}|" in i) for k in range(nodes)]
    lines = ["grp|uuid-1|preferred||", ""]
    lines += [f"n{k}|{mem[k] + 1024}|1024|{mem[k] - used[k]}|200000|{200000 - dsk[k]}|4|N|uuid-1|1"
              for k in range(nodes)]
    return parse_text("\n".join(lines + [""] + insts + ["", "", POLICY, ""]))


def brute_force(c: Cluster, spec: Spec, limit: int = 40) -> int:
    pairs = [(p, s) for p in range(len(c.nodes)) for s in range(len(c.nodes)) if p != s]
    best = 0

    def dfs(usage: list, start: int, depth: int) -> None:
        nonlocal best
        best = max(best, depth)
        if depth >= limit:
            return
        for k in range(start, len(pairs)):
            p, s = pairs[k]
            i = Instance(f"x{depth}", spec.mem, spec.dsk, spec.cpu, "running", True, p, s, "drbd")
            u = list(usage)
            ok = True
            for node, role in ((p, PRIMARY), (s, SECONDARY)):
                after = add_role(u[node], i, role, (), p)
                if check_placing(Placing(i, (), role, u[node], after)) is not None:
                    ok = False
                    break
                u[node] = after
            if ok:
                dfs(u, k, depth + 1)

    dfs(node_usages(c), 0, 0)
    return best


@pytest.mark.parametrize("seed,nodes,mem", [(s, n, m) for s in range(4) for n, m in ((3, 1024), (4, 2048))])
def test_optimal_equals_brute_force_on_tiny_clusters(seed: int, nodes: int, mem: int) -> None:
    c = tiny(seed, nodes)
    spec = Spec(mem, 10240, 1)
    r = optimal_fit(c, [("t", spec, "drbd", 1)])
    assert (r.count, r.status, r.verified) == (brute_force(c, spec), "OPTIMAL", True)
    assert r.count >= r.greedy


def test_never_below_hspace_on_bench_files() -> None:
    files = sorted(BENCH.glob("*small*.data")) if BENCH.is_dir() else []
    if not files:
        pytest.skip(NO_BENCH)
    for path in files:
        c = read_text(path)
        for spec in (Spec(2048, 20480, 1), Spec(8192, 81920, 4)):
            r = optimal_fit(c, [("f", spec, "drbd", 1)])
            assert r.verified and r.count >= r.greedy and r.status == "OPTIMAL", (path.name, r.row())


def test_a_mix_in_whole_units_and_the_hand_cluster() -> None:
    c = read_text(ROOT / "tests" / "data" / "runway-3n.data")  # 6 of 1 GiB fit (see tests/test_purchase_opt.py)
    r = optimal_fit(c, [("a", Spec(1024, 10240, 1), "drbd", 2), ("b", Spec(512, 10240, 1), "drbd", 2)])
    assert r.per_flavor["a"] == r.per_flavor["b"] == 2 * r.units and r.verified
    # a unit is 3072 MiB of primaries; per node primaries + the largest one-peer failover <= 4095 MiB,
    # and the failover reserved over the nodes is at least half the total: 3 units need 9216 + 4608
    # > 3 x 4095 MiB, 2 units (6144 + 3072) fit: by hand, 2
    assert r.units == 2


def test_templates_with_global_n1_are_refused() -> None:
    with pytest.raises(PlannerError, match="global N\\+1"):
        optimal_fit(tiny(1, 3), [("p", Spec(512, 1024, 1), "plain", 1)])


def test_ctrl_c_returns_the_best_fit_so_far(monkeypatch) -> None:
    """Ctrl-C at the first solution (raised from the solution callback, as a terminal's SIGINT would
    arrive): the search stops, the fit found so far is returned, verified, and says it was stopped."""
    import os
    import signal

    from planner.capacity import purchase_model

    first = purchase_model.SolutionTimes.on_solution_callback

    def on_solution(self) -> None:
        first(self)
        if len(self.found) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(purchase_model.SolutionTimes, "on_solution_callback", on_solution)
    path = BENCH / "new-node-medium-20n-2new-400i.data"
    if not path.exists():
        pytest.skip(NO_BENCH)
    mix = [("s", Spec(2048, 20480, 1), "drbd", 3), ("l", Spec(8192, 81920, 4), "drbd", 1)]  # a mix: no hint
    r = optimal_fit(read_text(path), mix, FitOptions(time_limit=60.0, seed=1, workers=2))
    assert r.status == "FEASIBLE, stopped by Ctrl-C" and r.verified and r.count < r.bound and r.wall_s < 30
