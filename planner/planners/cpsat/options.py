"""The CP-SAT planner's options and result records (frozen; variants with ``dataclasses.replace``).

>>> from dataclasses import replace
>>> o = CpsatOptions(time_limit=10)
>>> replace(o, max_gb=500.0).max_gb, o.max_gb
(500.0, None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import planner.planners.cpsat.timeline as tl

#: models with more candidate literals than this are solved without presolve
PRESOLVE_LIMIT = 5000
#: models with at least this many candidate literals: balance solves search only (see ``make_solver``)
LNS_ONLY_FROM = 1000


@dataclass(frozen=True)
class CpsatOptions:
    time_limit: float = 30.0
    #: "dominant" (default): with no budget, a plan no worse than hbal's greedy on every axis
    #: (:mod:`planner.planners.cpsat.dominant`); "score": the lowest score found, whatever it copies
    objective: str = "dominant"
    seed: int = 1
    workers: int = 2
    max_gb: float | None = None
    max_moves: int | None = None
    probe_share: float = tl.PROBE_SHARE  #: target mode with offline nodes: time share for probing GB budgets
    slack_share: float = tl.SLACK_SHARE  #: target mode: time share for lowering the hint's score at its GB first
    target_score: float | None = None  #: fewest GB whose exact score is at most this
    rounds: int = 1  #: global majorize-minimize rounds before LNS
    lns: bool = True
    global_share: float | None = None  #: share of the time for the global solve(s) (None: by group size)
    gb_share: float = tl.GB_SHARE  #: share of the time for the fewest-GB phase
    gb_phase: bool = True
    tolerance: float = 0.005  #: phase 2 keeps the score within this share of phase 1
    evacuate: bool = True  #: instances on offline nodes must leave them
    k_targets: int = 16
    exact_sd: bool = True  #: global solve: exact std-devs (one product each) or linearised
    lns_only: bool = True  #: whole-model solves: both workers search (CP-SAT's LNS), none proves bounds
    levels: bool = True  #: small groups: first look for a plan with counts at their floor and no doubled peer
    lns_size: int | None = None  #: instances freed per LNS iteration (None: by group size)
    lns_seconds: float | None = None  #: time limit of one LNS sub-solve (None: by group size)
    polish: bool = True  #: after sequencing, exact hbal-greedy steps within the budget left
    swap_share: float = tl.SWAP_SHARE  #: without budgets: time kept for secondary swaps at the end
    cycles: bool = True  #: zero-copy failover pairs/triangles (LNS and polish); off when probing for a target
    induced: bool = True  #: LNS on 9–40-node groups: induced neighbourhoods; off when probing for a target
    hint: dict[int, tuple[int, int]] | None = None  #: instance → (primary, secondary) cluster indices
    on_solution: Callable[[str, float, float, float], None] | None = None  #: (phase, wall, obj, bound)

    @property
    def failover_cycles(self) -> bool:
        """Whether failover pairs/triangles may be added: not under ``--max-moves`` (they are moves)."""
        return self.cycles and self.max_moves is None


@dataclass(frozen=True)
class LnsOptions:
    """How :func:`planner.planners.cpsat.lns.lns` searches (frozen; variants with ``replace``).

    >>> LnsOptions(seed=3, max_gb=100.0).size, LnsOptions().target is None
    (40, True)
    """

    seed: int = 1
    workers: int = 2
    max_gb: float | None = None  #: the whole plan copies at most this many GiB
    max_moves: int | None = None
    soft_n1: bool = False  #: N+1 as a cost (offline nodes that cannot be emptied otherwise)
    size: int = 40  #: instances freed per iteration
    target: float | None = None  #: fewest GB with the exact score at most this (None: lowest score)
    sub_seconds: float = 1.5  #: time limit of one sub-solve
    cycles: bool = False  #: failover pairs/triangles after a few iterations without a gain
    induced: bool = False  #: induced neighbourhoods (:func:`planner.planners.cpsat.lns.pick_induced`)

    @classmethod
    def of(cls, opts: CpsatOptions, **kw) -> LnsOptions:
        """The LNS options of a CP-SAT run (seed, workers, budgets), with ``kw`` on top."""
        return cls(seed=opts.seed, workers=opts.workers, max_gb=opts.max_gb, max_moves=opts.max_moves, **kw)


@dataclass
class SolveResult:
    placement: dict[int, tuple[int, int]]  #: instance index → cluster node indices
    exact_score: float
    status: str
    objective: float
    bound: float
    solutions: int
    rounds: list[dict] = field(default_factory=list)
    interrupted: bool = False
