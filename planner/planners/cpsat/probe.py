"""Fewest GB for a target score, by probing GB budgets with the balance model.

The balance model ("best score within ``--max-gb``") is the planner's strongest: where its
best score under a budget reaches the target, that budget is enough.  Used when offline nodes
force a minimum copy (evacuations): there the answer sits just above that minimum.  (On the
balance files the probes measured worse than the GB-mode LNS they take time from.)  Starting from a plan that
reaches the target with ``hi`` GiB, budgets are probed downwards from the forced minimum (the
replicas on offline nodes, copied once) or 70 % of ``hi``, bisecting between the last budget that
failed and the last that reached the target, while time is left.  Probes search without failover
cycles or induced neighbourhoods: both lower the score past the target with failovers the target does not
need (evacuate-medium with the induced ones: 105 moves / 33 jobsets instead of 65 / 16).
"""

from __future__ import annotations

from dataclasses import replace

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.errors import PlannerError
from planner.domain.tolerance import SCORE_EPS
from planner.engine.state import GroupState
from planner.planners.cpsat.data import gb_lower_bound
from planner.planners.cpsat.lns import gb_moved
from planner.planners.cpsat.options import CpsatOptions, SolveResult
from planner.planners.cpsat.solve import solve

MIN_PROBE_S = 4.0
GB_PROBE_EPS = 1e-6  #: GiB: a budget this close to the best plan's GB is not worth a probe


def probe_budgets(gs: GroupState, opts: CpsatOptions, best: SolveResult, target: float,
                  deadline: float, hint_for=None) -> SolveResult:
    """A plan reaching ``target`` with fewer GiB than ``best`` (or ``best`` itself);
    ``hint_for(budget)`` gives each probe's hint (default: ``opts.hint``)."""
    floor = gb_lower_bound(gs)
    hi = gb_moved(gs, best.placement)
    lo = floor  # budgets at or below ``lo`` are known not to reach the target (or impossible)
    budget = floor * 1.01 if floor > 0 else 0.7 * hi
    probes = []
    while deadline - time.perf_counter() > MIN_PROBE_S and lo < budget < hi - GB_PROBE_EPS and (hi - lo) > 0.01 * hi:
        left = deadline - time.perf_counter()
        seconds = left * 0.7 if not probes else min(left, max(MIN_PROBE_S, opts.time_limit / 4))
        try:
            hint = hint_for(budget) if hint_for is not None else opts.hint
            res = solve(gs, replace(opts, target_score=None, max_gb=budget, time_limit=seconds, polish=False,
                                    hint=hint, cycles=False, induced=False))
        except PlannerError:
            res = None
        gb = gb_moved(gs, res.placement) if res is not None else None
        reached = res is not None and res.exact_score <= target + SCORE_EPS
        probes.append({"phase": "GB probe", "max_gb": round(budget, 1), "gb": gb,
                       "exact_score": None if res is None else res.exact_score, "reached": reached})
        if reached:
            best, hi = res, gb
            best.rounds = list(best.rounds)
        else:
            lo = budget
        budget = (lo + hi) / 2
    best.rounds = list(best.rounds) + probes
    return best
