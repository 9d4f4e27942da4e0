"""hail/hspace allocation (``tryAlloc``, ``allocateOnPair``/``allocateOnSingle``,
``iterateAlloc``, ``tieredAlloc``) on the hbal port's node records.

Nodes are a list indexed by cluster node index (every group), instances a list of
:class:`InstState`; nothing is changed in place: an allocation returns new lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from planner.capacity.pairs import PairScorer, usable
from planner.capacity.stats import by_identity, cluster_stats, stats_score, update_stats
from planner.domain.model import Instance, IPolicy
from planner.engine.fastscore import Scorer
from planner.engine.nodeops import add_pri_ex, add_sec_ex_ex
from planner.engine.score import node_vector
from planner.engine.state import InstState, NodeState

FAIL_MODES = ("FailMem", "FailDisk", "FailCPU", "FailN1", "FailTags", "FailMig", "FailDiskCount",
              "FailSpindles", "FailInternal")
UNIT = {"FailMem": 64, "FailDisk": 256, "FailCPU": 1, "FailSpindles": 1}


class AllocError(Exception):
    """hspace's "failure during allocation" (no online node / pair to try)."""


@dataclass(frozen=True)
class Ctx:
    """What stays fixed during a run: each node's policy and the allocation options."""

    policies: tuple[IPolicy, ...]  #: by cluster node index
    groups: tuple[str, ...]  #: group UUID by cluster node index
    accept_existing: bool = False
    ignore_groups: frozenset = frozenset()  #: algCapacityIgnoreGroups (group UUIDs)
    capacity: bool = True  #: algCapacity (global N+1 filter)
    redundant: Callable | None = None  #: (ctx, nodes, insts) -> bool, set by the caller
    scorers: dict = field(default_factory=dict, compare=False, repr=False)  #: pair scorers by run (see pairs.py)
    #: try_alloc's answers by (node list, instance list, spec, name, capacity): tieredAlloc asks the same
    #: state about the same shrunk spec again and again (see iterate.cached_try)
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    #: ``compClusterStatistics`` and node metric vectors by list / node object (neither changes in place)
    stats: dict = field(default_factory=dict, compare=False, repr=False)
    vectors: dict = field(default_factory=dict, compare=False, repr=False)
    #: the global N+1 test's per-node and per-target failover answers (see globaln1.py)
    evac: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Solution:
    failures: list[str] = field(default_factory=list)
    allocs: int = 0
    best: tuple | None = None  #: (score, nodes, inst)


def new_instance(name: str, idx: int, mem: int, dsk: int, cpu: int, spn: int, template: str,
                 spindle_use: int) -> InstState:
    """``instFromSpec``: one disk, running, auto-balanced, no tags."""
    i = Instance(name, mem, dsk, cpu, "running", True, -1, -1, template, (), spindle_use, spn)
    return InstState(i, idx, -1, -1, name, (1.0, 1.0, 1.0, 1.0), (), frozenset(), 0, True)


def _cmp_spec(which: int, i: Instance, spec, excl: bool) -> str | None:
    def cmp(a, b):
        return (a > b) - (a < b)
    if cmp(i.mem, spec.mem_size) == which:
        return "FailMem"
    if cmp(i.dsk, spec.disk_size) == which:
        return "FailDisk"
    if cmp(i.vcpus, spec.cpu_count) == which:
        return "FailCPU"
    if excl and (i.spindles is None or cmp(i.spindles, spec.spindle_use) == which):
        return "FailSpindles"
    if not excl and cmp(i.spindle_use, spec.spindle_use) == which:
        return "FailSpindles"
    if i.disk_template != "diskless" and cmp(1, spec.disk_count) == which:
        return "FailDiskCount"
    return None


def matches_policy(i: Instance, pol: IPolicy, excl: bool) -> str | None:
    """``instMatchesPolicy``: None, or the failure of the first min/max pair when none fits."""
    if pol.minmax:
        err = "FailInternal"
        for lo, hi in reversed(pol.minmax):  # foldr: the first pair's error is the one reported
            err = _cmp_spec(-1, i, lo, excl) or _cmp_spec(1, i, hi, excl)
            if err is None:
                break
        else:
            return err
    if i.disk_template not in pol.disk_templates:
        return "FailDisk"
    return None


def alloc_nodes(nodes: list[NodeState], allocable: Callable[[str], bool], groups: tuple[str, ...],
                count: int):
    """``genAllocNodes``: online nodes of allocable groups; (pri, [secs in the same group])."""
    ok = [n.idx for n in nodes if not n.offline and allocable(groups[n.idx])]
    if count == 1:
        return ("single", ok)
    pairs = [(p, [s for s in ok if s != p and groups[s] == groups[p]]) for p in ok]
    return ("pairs", [(p, ss) for p, ss in pairs if ss])


def _loc(a: NodeState, b: NodeState) -> int:
    return len(a.location_tags & b.location_tags)


def _pick(sols: list[tuple], pred) -> tuple[tuple | None, int]:
    """``collectionToSolution``: stable sort of the reversed collection, first passing ``pred``."""
    ordered = sorted(reversed(sols), key=lambda t: t[0])
    for k, sol in enumerate(ordered):
        if pred is None or pred(sol):
            return sol, k
    return None, len(ordered)


def _better(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a[0] < b[0] else b


def try_alloc(ctx: Ctx, nodes: list[NodeState], insts: list[InstState], st: InstState, targets,
              capacity: bool) -> Solution:
    """``tryAlloc``: the best placement of ``st`` and the failure of every other candidate."""
    kind, cands = targets
    if not cands:
        raise AllocError("Not enough online nodes" if kind == "pairs" else "No online nodes")
    pred = _global_n1_pred(ctx, nodes, insts) if capacity else None
    sol = Solution()
    if kind == "single":
        coll = []
        scorer = Scorer(nodes)
        for p in cands:
            r = allocate_on_single(ctx, nodes, st, p, scorer=scorer)
            if isinstance(r, str):
                sol.failures.append(r)
            else:
                coll.append(r)
        best, dropped = _pick(coll, pred)
        sol.failures += ["FailN1"] * dropped
        sol.allocs = len(coll) - dropped
        sol.best = best
        return sol
    stats = by_identity(ctx.stats, nodes, cluster_stats)
    if usable(nodes):
        return _fast_pairs(ctx, nodes, st, cands, stats, pred)
    vecs = {}
    for p, ss in cands:
        coll = []
        tp = nodes[p]
        err = matches_policy(st.inst, ctx.policies[p], tp.excl_stor)
        if err:
            sol.failures += [err] * len(ss)
            continue
        for s in ss:
            r = _on_pair(nodes, st, p, s, stats, vecs)
            if isinstance(r, str):
                sol.failures.append(r)
            else:
                coll.append(r)
        best, dropped = _pick(coll, pred)
        sol.failures += ["FailN1"] * dropped
        sol.allocs += len(coll) - dropped
        sol.best = _better(sol.best, best)
    return sol


def _scorer(ctx: Ctx, nodes, st: InstState, cands) -> PairScorer:
    """The run's scorer for this candidate list and spec (the last few kept: tiered probes other specs)."""
    i = st.inst
    key = (id(cands), i.mem, i.dsk, i.vcpus, i.spindles, i.disk_template, i.spindle_use)
    sc = ctx.scorers.pop(key, None)
    if sc is None or sc.cands is not cands:
        sc = PairScorer(cands, nodes, FAIL_MODES)
        sc.cands = cands
    ctx.scorers[key] = sc
    while len(ctx.scorers) > 3:
        ctx.scorers.pop(next(iter(ctx.scorers)))
    return sc


def _fast_pairs(ctx: Ctx, nodes, st: InstState, cands, stats, pred) -> Solution:
    """``try_alloc`` over pairs with :class:`PairScorer` (same result, same failure counts)."""
    sc = _scorer(ctx, nodes, st, cands)
    sc.refresh(nodes, st, ctx.vectors)
    counts: dict[str, int] = {}
    ok = sc.failures(counts)
    sol = Solution()
    score = sc.scores(stats) if ok.any() else None  # no pair allocates: only the failures count
    best: tuple[float, int] | None = None
    for p, a, b in sc.slices:
        err = matches_policy(st.inst, ctx.policies[p], nodes[p].excl_stor)
        if err:
            for j in range(a, b):  # undo the pair failures counted for this primary
                e = sc.perr[j] if sc.perr[j] >= 0 else sc.serr[j]
                if e >= 0:
                    counts[FAIL_MODES[e]] -= 1
            counts[err] = counts.get(err, 0) + (b - a)
            continue
        js = [j for j in range(a, b) if ok[j]]
        if not js:
            continue
        if pred is None:
            m = min(score[j] for j in js)
            j = max(j for j in js if score[j] == m)  # ties: the last pair (reverse + stable sort)
            sol.allocs += len(js)
        else:
            order = sorted(reversed(js), key=lambda j: score[j])  # collectionToSolution
            dropped, j = len(order), None
            for k, cand in enumerate(order):
                if pred(sc.solution(nodes, st, cand, float(score[cand]))):
                    dropped, j = k, cand
                    break
            counts["FailN1"] = counts.get("FailN1", 0) + dropped
            sol.allocs += len(order) - dropped
            if j is None:
                continue
        if best is None or not best[0] < score[j]:
            best = (float(score[j]), j)
    for m, c in counts.items():
        sol.failures += [m] * c
    if best is not None:
        sol.best = sc.solution(nodes, st, best[1], best[0])
    return sol


def _on_pair(nodes, st, p, s, stats, vecs):
    tp, ts = nodes[p], nodes[s]
    ni = replace(st, pnode=p, snode=s, location_score=_loc(tp, ts))
    new_p = add_pri_ex(False, tp, ni)
    if isinstance(new_p, str):
        return new_p
    new_s = add_sec_ex_ex(False, False, ts, ni, p)
    if isinstance(new_s, str):
        return new_s
    for k in (p, s):
        if k not in vecs:
            vecs[k] = node_vector(nodes[k])
    st1 = update_stats(stats, tp, new_p, vecs[p])
    st2 = update_stats(st1, ts, new_s, vecs[s])
    return (stats_score(st2), {p: new_p, s: new_s}, ni)


def allocate_on_single(ctx: Ctx, nodes: list[NodeState], st: InstState, p: int, force: bool = False,
                       scorer: Scorer | None = None):
    """``allocateOnSingle``: (score, {p: node}, inst) or the failure mode."""
    tp = nodes[p]
    err = matches_policy(st.inst, ctx.policies[p], tp.excl_stor)
    if err:
        return err
    ni = replace(st, pnode=p, snode=-1, location_score=0)
    new_p = add_pri_ex(force, tp, ni)
    if isinstance(new_p, str):
        return new_p
    scorer = scorer or Scorer(nodes)
    return (scorer.score_with({p: new_p}), {p: new_p}, ni)


def commit(nodes: list[NodeState], insts: list[InstState], sol: tuple) -> tuple[list, list]:
    """The node and instance lists after the allocation ``sol``."""
    nn = list(nodes)
    for k, v in sol[1].items():
        nn[k] = v
    return nn, [*insts, sol[2]]


def _global_n1_pred(ctx: Ctx, nodes, insts):
    def pred(sol: tuple) -> bool:
        nn, ii = commit(nodes, insts, sol)
        return ctx.redundant(ctx, nn, ii)
    return pred


def collapse(failures: list[str]) -> list[tuple[str, int]]:
    """``collapseFailures``: a count for every failure mode, in enum order."""
    return [(m, failures.count(m)) for m in FAIL_MODES]
