"""The default objective: a plan no worse than hbal's greedy on every axis, better where it can be.

Rule (``RULE``), with no ``--max-gb`` / ``--max-moves`` / ``--target-score``:

1. run hbal's greedy (the baseline: the plan hbal makes, move for move); one that does not finish in
   its share (big groups, a loaded machine) is continued from where it stopped by the pool greedy
   (hbal's moves and checks, fewer instances re-scored a step: :mod:`planner.planners.cpsat.big`) until
   that stalls, and the two together are the baseline, an estimate of hbal's plan (``baseline`` in
   ``plan.extra["objective"]`` says so): a truncated prefix is never the baseline;
2. balance files (nothing forced to move): first the thrifty greedy (hbal's moves and checks, each
   step the largest score drop per GiB copied: :mod:`planner.planners.thrifty`) as far as it
   reaches the greedy's score, a plan of its own (verified, scheduled) ready within about a fifth
   of the time; then the **fewest GB** reaching the greedy's score within its number of moves
   (``--target-score`` + ``--max-moves``'s search, hinted with the thrifty plan when it is no
   longer than the greedy's, else with the greedy's), then the **lowest score** within the least
   that these copy (``--max-gb``; within the greedy's GB when none reached its score);
3. evacuations: the lowest score within 1.02 x the forced minimum GB (replicas on offline nodes,
   copied once) and the greedy's moves, again at the greedy's GB if that does not reach its score,
   then the fewest GB reaching the greedy's score from there;
4. of the plans of step 2 or 3 that are no worse than the greedy's on every axis (score, GB,
   moves, jobsets and hours of the checked parallel schedule: :func:`planner.domain.dominance.dominance`),
   the one copying least (then the lowest score); when neither is, the greedy's own plan (which
   trivially dominates itself), and the output says so.

``plan.extra["objective"]`` says which rule and which candidate chose the plan, with the
dominance check per axis and the other points of the score–GB curve found (each with the flag
that asks for it).
"""

from __future__ import annotations

from dataclasses import replace

import planner.planners.cpsat.timeline as tl
from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.dominance import dominance
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.placement import placement_after
from planner.domain.plan import Plan, PlanStatus
from planner.engine.load import load_group
from planner.engine.state import GroupState, LoadOptions
from planner.planners.cpsat.data import evacuation_needs, gb_lower_bound
from planner.planners.cpsat.options import CpsatOptions
from planner.planners.thrifty import PRICES

RULE = ("balance: the thrifty greedy (largest score drop per GiB) to greedy's score, the fewest GB reaching "
        "greedy's score within greedy's moves, then the lowest score within that GB; evacuations:"
        " the lowest score within 1.02 x the forced minimum GB (else greedy's GB) and "
        "greedy's moves, then the fewest GB reaching greedy's score; of those no worse than greedy on score, "
        "GB, moves, jobsets and hours, the one copying least; else greedy's own plan")
#: the phases' ends (shares of the time limit): :mod:`planner.planners.cpsat.timeline`'s "dominant" table
GREEDY_END, GREEDY_END_BIG, CONTINUE_END = tl.DOMINANT_GREEDY, tl.DOMINANT_GREEDY_BIG, tl.DOMINANT_CONTINUE_END
SCORE_END, EVAC_RETRY_END, FEWEST_GB_END = tl.DOMINANT_SCORE_END, tl.DOMINANT_RETRY_END, tl.DOMINANT_END
GB_FIRST_END = tl.DOMINANT_GB_FIRST_END
#: evacuations: the first search's budget is this much above the forced minimum (replicas on offline
#: nodes, copied once), when that is below greedy's GB; greedy's GB when it does not reach its score
FORCED_SLACK = 1.02
#: groups of this many instances give the greedy baseline up to 0.8 of the time (hbal's greedy is slow there)
BIG_GROUP = 1000
#: seconds for each candidate's parallel schedule (its jobsets and hours are two of the axes)
SCHEDULE_S = 1.0
#: a search shorter than this is not started (the greedy's plan is returned as it is)
MIN_SEARCH_S = 1.0
#: balance files: the thrifty greedies run until this share of the time limit (or a greedy's time per price)
THRIFTY_END = tl.DOMINANT_THRIFTY_END
THRIFTY = "thrifty greedy to greedy's score"


def _candidate(name: str, cluster: Cluster, lo: LoadOptions, opts: CpsatOptions, g: Plan) -> Plan | None:
    from planner.planners.cpsat.pipeline import plan as run

    if opts.time_limit < MIN_SEARCH_S:
        return None
    from planner.execution.checked import schedule_plan

    try:
        p = run(cluster, lo, opts, greedy_run=g if opts.hint is None else None)
    except PlannerError:
        return None
    p.extra["candidate"] = name
    p.extra["ready_at"] = time.perf_counter()
    # the jobsets the user gets: the safe parallel schedule's, checked, or hbal's rule's when no worse
    schedule_plan(cluster, p, None, "parallel", SCHEDULE_S, opts.seed, opts.workers, lo)
    return p


def _score_at(cluster: Cluster, lo: LoadOptions, opts: CpsatOptions, g: Plan, curve: list[dict]) -> Plan | None:
    """The lowest score within ``opts.max_gb`` and ``opts.max_moves`` (a point of the curve)."""
    at = "greedy's GB" if opts.max_gb >= g.gb_copied else f"{opts.max_gb:g} GB"
    p = _candidate(f"lowest score at {at}", cluster, lo, opts, g)
    if p is not None:
        curve.append(_point(p.extra["candidate"], p, g, f"--max-gb {opts.max_gb:g} --max-moves {opts.max_moves}"))
    return p


def _point(name: str, p: Plan, g: Plan, flag: str) -> dict:
    gb_ratio = p.gb_copied / g.gb_copied if g.gb_copied else None
    return {"name": name, "score": p.final_score, "gb": p.gb_copied, "moves": len(p.steps),
            "jobsets": len(p.jobsets), "gb_vs_greedy": gb_ratio, "ask": flag}


def _fewest_gb(cluster: Cluster, lo: LoadOptions, opts: CpsatOptions, g: Plan, curve: list[dict],
               hint: Plan | None) -> Plan | None:
    """The fewest GB reaching greedy's score within greedy's moves (``--target-score`` + ``--max-moves``)."""
    goal, moves = round(g.final_score, 8), len(g.steps)
    o = replace(opts, target_score=goal, max_moves=moves,
                hint=placement_after(cluster, hint.steps) if hint is not None else None)
    b = _candidate("fewest GB at greedy's score", cluster, lo, o, g)
    if b is not None:
        curve.append(_point(b.extra["candidate"], b, g, f"--target-score {goal:.8f} --max-moves {moves}"))
    return b


def _balance(cluster: Cluster, lo: LoadOptions, base: CpsatOptions, g: Plan, curve: list[dict], left,
             forced: float) -> list[Plan]:
    """Balance files: the thrifty greedy to greedy's score, the fewest GB at greedy's score (hinted with the
    thrifty plan when it is no longer than greedy's, else with greedy's), then the lowest score within the
    least that these copy; when neither reaches greedy's score, the lowest score within greedy's GB."""
    moves = len(g.steps)
    # until THRIFTY_END of the time limit, or as long as a greedy run per price (each costs about as much
    # as hbal's greedy), at most half the time left
    until = max(left(1.0) - (1 - THRIFTY_END) * base.time_limit, len(PRICES) * g.wall_s, MIN_SEARCH_S)
    th = _thrifty(cluster, lo, base, g, curve, time.perf_counter() + min(until, 0.5 * left(1.0)))
    start = th if th is not None and len(th.steps) <= moves else None
    b = _fewest_gb(cluster, lo, replace(base, time_limit=left(GB_FIRST_END)), g, curve, start)
    reached = [p for p in (th, b) if p is not None and p.final_score <= g.final_score and len(p.steps) <= moves]
    least = min(reached, key=lambda p: p.gb_copied) if reached else None
    gb = min(least.gb_copied, g.gb_copied) if least is not None else g.gb_copied
    a = _score_at(cluster, lo, replace(base, max_gb=gb, max_moves=moves, time_limit=left(FEWEST_GB_END),
                                       hint=placement_after(cluster, least.steps) if least and least.steps else None),
                  g, curve)
    return [p for p in (th, b, a) if p is not None]


def _thrifty(cluster: Cluster, lo: LoadOptions, opts: CpsatOptions, g: Plan, curve: list[dict],
             deadline: float) -> Plan | None:
    """The cheapest thrifty-greedy prefix reaching greedy's score, replayed by the verifier and
    scheduled; None when none reaches it in time (or the verifier disagrees)."""
    from planner.checks.verify import PlanRejected, check_verified
    from planner.execution.checked import schedule_plan
    from planner.planners.thrifty import thrifty_prefix

    got = thrifty_prefix(lambda: load_group(cluster, lo), g.final_score, deadline, first_share=1.0)
    if got is None or not got[0]:
        return None
    steps = list(got[0])
    p = Plan("cpsat", g.initial_score, float(steps[-1].score), steps, group=g.group,
             extra={"stuck": {}, "candidate": THRIFTY})
    try:
        check_verified(cluster, p, lo)
    except PlanRejected:
        return None
    p.extra["ready_at"] = time.perf_counter()
    schedule_plan(cluster, p, None, "parallel", SCHEDULE_S, opts.seed, opts.workers, lo)
    curve.append(_point(THRIFTY, p, g, f"--target-score {g.final_score:.8f}"))
    return p


def _evacuation(cluster: Cluster, lo: LoadOptions, base: CpsatOptions, g: Plan, curve: list[dict], left,
                forced: float) -> list[Plan]:
    """Evacuations: the lowest score within 1.02 x the forced minimum GB (again within greedy's GB when
    that misses greedy's score), then the fewest GB reaching greedy's score from there."""
    cands: list[Plan] = []
    moves = len(g.steps)
    budget = min(g.gb_copied, round(FORCED_SLACK * forced, 3))
    a = _score_at(cluster, lo, replace(base, max_gb=budget, max_moves=moves, time_limit=left(SCORE_END)), g, curve)
    if budget < g.gb_copied and (a is None or a.final_score > g.final_score):
        if a is not None:
            cands.append(a)  # an evacuation near the forced minimum that does not reach greedy's score
        a = _score_at(cluster, lo, replace(base, max_gb=g.gb_copied, max_moves=moves,
                                           time_limit=left(EVAC_RETRY_END)), g, curve)
    if a is not None:
        cands.append(a)
    if a is not None and a.final_score <= g.final_score and a.steps:  # slack to trade for GB
        b = _fewest_gb(cluster, lo, replace(base, time_limit=left(FEWEST_GB_END)), g, curve, a)
        if b is not None:
            cands.append(b)
    return cands


def choose(g: Plan, candidates: list[Plan]) -> tuple[Plan, str]:
    """The candidate that dominates ``g`` with the fewest GB (then the lowest score), or ``g``.

    >>> from planner.domain.plan import Step
    >>> g = Plan("greedy", 3.0, 2.0, [Step("i1", "r", "a", "b", "a", "c", 10.0, 2.0)])
    >>> cheap = Plan("cpsat", 3.0, 2.0, [Step("i1", "f", "a", "b", "b", "a", 0.0, 2.0)])
    >>> worse = Plan("cpsat", 3.0, 2.5, [])
    >>> [(p.method, why) for p, why in (choose(g, [worse, cheap]), choose(g, [worse]))]
    [('cpsat', 'dominates'), ('greedy', 'no candidate dominates greedy: greedy kept')]
    """
    ok = [c for c in candidates if dominance(c, g).dominates]
    if not ok:
        return g, "no candidate dominates greedy: greedy kept"
    return min(ok, key=lambda c: (c.gb_copied, c.final_score, len(c.steps))), "dominates"


def baseline(gs: GroupState, time_limit: float) -> tuple[Plan, str]:
    """hbal's greedy for its share of ``time_limit``; unfinished, continued by the pool greedy (moves ``gs``).

    >>> from planner.io.htools_text import read_text
    >>> gs = load_group(read_text("tests/data/tiny-skewed.data"), LoadOptions())
    >>> g, how = baseline(gs, 30.0)
    >>> (len(g.steps), how)
    (3, "hbal's greedy to the end")
    >>> gs = load_group(read_text("tests/data/tiny-skewed.data"), LoadOptions())
    >>> g0, how = baseline(gs, 0.0)  # no time for the greedy: the pool greedy makes the baseline
    >>> (g0.final_score == g.final_score, how.split(":")[0])
    (True, "an estimate of hbal's plan")
    """
    from planner.planners.cpsat.big import pool_size
    from planner.planners.greedy import GreedyOptions
    from planner.planners.greedy import balance as greedy

    t0 = time.perf_counter()
    share = GREEDY_END_BIG if len(gs.group_instances) >= BIG_GROUP else GREEDY_END
    g = greedy(gs, GreedyOptions(time_limit=time_limit * share))
    if g.status != PlanStatus.TIMEOUT:
        return g, "hbal's greedy to the end"
    left = max(MIN_SEARCH_S, CONTINUE_END * time_limit - (time.perf_counter() - t0))
    rest = greedy(gs, GreedyOptions(time_limit=left, pool=pool_size(gs)))
    how = (f"an estimate of hbal's plan: its greedy's first {len(g.steps)} moves ({g.wall_s:.1f} s, the greedy's "
           f"share), then {len(rest.steps)} by the pool greedy" + (" (stopped at its share)" if
                                                                     rest.status == PlanStatus.TIMEOUT else ""))
    joined = Plan("greedy", g.initial_score, rest.final_score, g.steps + rest.steps, status=rest.status,
                  wall_s=time.perf_counter() - t0, group=g.group, extra=g.extra,
                  ignore_soft_errors=g.ignore_soft_errors)
    return joined, how


def dominant_plan(cluster: Cluster, lo: LoadOptions, opts: CpsatOptions) -> Plan:
    """The default plan (see the module docstring)."""
    t0 = time.perf_counter()
    gs = load_group(cluster, lo)
    forced = gb_lower_bound(gs)  # before the greedy moves ``gs`` along
    g, how = baseline(gs, opts.time_limit)
    # the later phases' ends, shifted into the time left by a baseline that ran past its share
    done = max(GREEDY_END, (time.perf_counter() - t0) / opts.time_limit)
    at = lambda end: done + (end - GREEDY_END) / (1 - GREEDY_END) * (1 - done)  # noqa: E731
    base = replace(opts, objective="score")
    if opts.evacuate and evacuation_needs(gs)[0] > 0:  # greedy leaves instances on offline nodes (gs moved along)
        from planner.planners.cpsat.pipeline import plan as run

        out = run(cluster, lo, base, greedy_run=g)
        out.extra["objective"] = {"rule": RULE, "chosen": "lowest score (--objective score)",
                                  "why": "greedy leaves instances on offline nodes: no greedy plan to dominate",
                                  "dominance": dominance(out, g).to_json(), "candidates": {}, "curve": [],
                                  "greedy_s": g.wall_s, "baseline": how}
        return out
    cands: list[Plan] = []
    curve = [_point("greedy (hbal)", g, g, "--method greedy")]
    if g.steps:
        left = lambda end: opts.time_limit * at(end) - (time.perf_counter() - t0)  # noqa: E731
        pick = _evacuation if forced > 0 else _balance
        cands = pick(cluster, lo, base, g, curve, left, forced)
    chosen, why = choose(g, cands)
    checks = {c.extra["candidate"]: dominance(c, g).to_json() for c in cands}
    name = chosen.extra.get("candidate", "greedy (hbal)")
    out = chosen if chosen is not g else Plan("cpsat", g.initial_score, g.final_score, list(g.steps),
                                              status=g.status, group=g.group, extra={**g.extra, "stuck": {}})
    out.wall_s = time.perf_counter() - t0
    out.extra["timing"] = {"mode": "dominant", "time_limit": opts.time_limit,
                           "declared": tl.declared("dominant", opts.time_limit),
                           "phases": [{"phase": "greedy", "wall_s": round(g.wall_s, 3)}]
                           + [{"phase": c.extra["candidate"], "wall_s": round(c.wall_s, 3)} for c in cands]}
    ready = {id(c): c.extra.pop("ready_at", None) for c in cands}  # clock readings: not for the plan's JSON
    better = [ready[id(c)] - t0 for c in cands if ready[id(c)] is not None and dominance(c, g).strictly_better]
    out.extra["objective"] = {"rule": RULE, "chosen": name, "why": why,
                              "dominance": dominance(out, g).to_json(), "candidates": checks,
                              "curve": [p for p in curve if p["name"] != name], "greedy_s": g.wall_s,
                              "baseline": how, "first_dominating_s": round(min(better), 3) if better else None}
    return out
