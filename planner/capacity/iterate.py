"""hspace's allocation loops: ``iterateAllocSmallStep``, ``iterateAlloc'`` (big steps checked
by the global N+1 test) and ``tieredAlloc`` (the exact shrinking rule)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from planner.capacity.alloc import UNIT, AllocError, Ctx, Solution, collapse, commit, new_instance, try_alloc
from planner.capacity.stats import avail_mem
from planner.engine.state import InstState, NodeState


@dataclass(frozen=True)
class Proto:
    """The instance being allocated (hspace's ``newinst``): its spec and template."""

    mem: int
    dsk: int
    cpu: int
    spn: int
    template: str
    spindle_use: int

    def make(self, name: str, idx: int) -> InstState:
        return new_instance(name, idx, self.mem, self.dsk, self.cpu, self.spn, self.template, self.spindle_use)

    def shrink(self, mode: str) -> Proto | None:
        """``Instance.shrinkByType``: one unit less of ``mode``'s resource, None at the floor."""
        u = UNIT.get(mode)
        if u is None:
            return None
        field = {"FailMem": "mem", "FailDisk": "dsk", "FailCPU": "cpu", "FailSpindles": "spn"}[mode]
        v = getattr(self, field) - u
        if v < u:
            return None
        return replace(self, **{field: v})

    @property
    def spec(self) -> tuple[int, int, int, int]:
        return (self.mem, self.dsk, self.cpu, self.spn)


@dataclass
class Run:
    """``AllocResult``: failure counts of the last attempt, nodes, instances, the new ones."""

    errs: list[tuple[str, int]]
    nodes: list[NodeState]
    insts: list[InstState]
    ixes: list[InstState]


Progress = Callable[[int], None] | None


def cached_try(ctx: Ctx, nodes, insts, proto: Proto, name: str, targets, capacity: bool) -> Solution:
    """``try_alloc`` of ``proto`` on the state (``nodes``, ``insts``), asked once per run.

    The node and instance lists are never changed in place (``commit`` builds new ones), so the
    same lists with the same spec give the same answer: hspace's tiered search asks it again at
    every level of its shrinking (37 242 calls, 922 distinct, on the 5-node bench file).
    """
    key = (id(nodes), id(insts), proto, name, capacity)
    hit = ctx.memo.get(key)
    if hit is not None and hit[0] is nodes and hit[1] is insts:
        return hit[2]
    sol = try_alloc(ctx, nodes, insts, proto.make(name, len(insts)), targets, capacity)
    ctx.memo[key] = (nodes, insts, sol)  # the lists kept alive: their ids stay theirs
    return sol


class Interrupted(Exception):
    """Ctrl-C during an allocation run: ``run`` is the last state every check passed on."""

    def __init__(self, run: Run) -> None:
        super().__init__("interrupted")
        self.run = run


def small_step(ctx: Ctx, nodes, insts, limit: int | None, proto: Proto, targets, ixes: list,
               capacity: bool, progress: Progress = None) -> Run:
    """``iterateAllocSmallStep``: allocate one by one until it fails or ``limit`` is 0."""
    ixes = list(ixes)
    cap = capacity and proto.template != "drbd"
    first = len(insts) - len(ixes)  # the new instances are the last ones of ``insts``
    try:
        while True:
            sol = cached_try(ctx, nodes, insts, proto, f"new-{len(ixes)}", targets, cap)
            if sol.best is None or limit == 0:
                return Run(collapse(sol.failures), nodes, insts, ixes)
            nodes, insts = commit(nodes, insts, sol.best)
            ixes.append(insts[-1])
            if limit is not None:
                limit -= 1
            if progress:
                progress(len(ixes))
    except KeyboardInterrupt:
        raise Interrupted(Run([], nodes, insts, list(insts[first:]))) from None


def bigstep_size(nodes: list[NodeState], proto: Proto) -> int:
    """``guessBigstepSize``."""
    guess = sum(avail_mem(n) for n in nodes) // proto.mem - len(nodes)
    return 20 if guess < 20 else guess


def iterate(ctx: Ctx, nodes, insts, limit: int | None, proto: Proto, targets, ixes: list,
            huge: bool = True, progress: Progress = None) -> Run:
    """``iterateAlloc'``: big steps without the global N+1 filter, each checked afterwards."""
    if not ctx.capacity:
        return small_step(ctx, nodes, insts, limit, proto, targets, ixes, False, progress)
    while True:
        big = bigstep_size(nodes, proto) if huge else 10
        lim1, newlimit = (big, None) if limit is None else (min(big, limit), max(0, limit - big))
        try:
            res = small_step(ctx, nodes, insts, lim1, proto, targets, ixes, False, progress)
        except Interrupted as e:  # a big step is checked once it ends: check it now, else go back
            ok = ctx.redundant(ctx, e.run.nodes, e.run.insts)
            raise Interrupted(e.run if ok else Run([], nodes, insts, list(ixes))) from None
        if ctx.redundant(ctx, res.nodes, res.insts):
            if newlimit == 0 or len(res.ixes) == len(ixes):
                return res
            nodes, insts, limit, ixes = res.nodes, res.insts, newlimit, res.ixes
            continue
        if huge:
            huge = False
            continue
        return small_step(ctx, nodes, insts, limit, proto, targets, ixes, True, progress)


def suffices_shrinking(alloc_fn, proto: Proto, mode: str) -> Proto | None:
    """``sufficesShrinking``: shrink one resource while it still fails for that reason."""
    x = proto
    while True:
        nx = x.shrink(mode)
        if nx is None:  # iterateOk drops the last element
            return None
        sol = alloc_fn(x)
        if sol is not None and sol.best is not None:
            return x
        if sol is None or mode not in sol.failures:
            return None
        x = nx


def tiered(ctx: Ctx, nodes, insts, limit: int | None, proto: Proto, targets, ixes: list,
           progress: Progress = None) -> Run:
    """``tieredAlloc``: allocate, then shrink the most frequent failure and go on."""
    if sys.getrecursionlimit() < 20000:
        sys.setrecursionlimit(20000)
    res = iterate(ctx, nodes, insts, limit, proto, targets, ixes, progress=progress)
    n = len(res.ixes)
    if limit is not None and limit <= n:
        return res
    newlimit = None if limit is None else limit - n
    sorted_errs = [m for m, _ in sorted(res.errs, key=lambda e: e[1])]

    def alloc_fn(p: Proto):
        try:
            return cached_try(ctx, res.nodes, res.insts, p, "new", targets, ctx.capacity)
        except AllocError:
            return None

    shrunk = proto.shrink(sorted_errs[-1])
    if shrunk is not None:
        res2 = tiered(ctx, res.nodes, res.insts, newlimit, shrunk, targets, res.ixes, progress)
        if len(res2.ixes) > len(res.ixes):
            return res2
    for mode in reversed(sorted_errs):
        p2 = suffices_shrinking(alloc_fn, proto, mode)
        if p2 is not None:
            return tiered(ctx, res.nodes, res.insts, newlimit, p2, targets, res.ixes, progress)
    return res
