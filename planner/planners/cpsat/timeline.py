"""The CP-SAT run's phases and their time shares: one declared table per mode, read by the solver.

Shares are of the whole ``--time-limit`` (``t0`` = when planning starts) unless a row says
"of the solve" (the time the pipeline hands the global solve / target search).  A phase may end
earlier (nothing left to gain); none runs past its share.  The modes:

- ``free``: no budget (today's ``--objective score``, small and medium groups);
- ``budget``: ``--max-gb`` / ``--max-moves``;
- ``target``: ``--target-score`` (and the default objective's fewest-GB step);
- ``big``: 1000+ instances, no budget (:mod:`planner.planners.cpsat.big`).

>>> share("budget", "solve"), share("free", "polish"), share("big", "greedy (memory reserve)")
(0.94, 0.8, 0.5)
>>> [p.name for p in TIMELINES["budget"]]
['greedy hint', 'global solve + LNS', 'fewest GB', 'solve', 'sequencing', 'polish', 'verify']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    name: str
    until: float  #: the phase ends at this share of the time at the latest
    of: str = "run"  #: "run": share of the whole time limit; "solve": of the solve's time
    note: str = ""


#: the greedy hint's share on small/medium groups and on big (1000+ instance) budgeted groups
GREEDY_HINT, GREEDY_HINT_BIG = 0.3, 0.5
#: without budgets: time kept at the end for secondary swaps (``CpsatOptions.swap_share``)
SWAP_SHARE = 0.15
#: the global solve's share of the solve: groups with every pair a candidate / bigger ones
GLOBAL_SMALL, GLOBAL_BIG = 0.3, 0.05
#: the levels' first-solution search: share of the global solve's time
LEVELS_OF_GLOBAL = 0.5
#: the fewest-GB phase: share of the solve (a quarter of it under --max-gb, where it cannot lower the score)
GB_SHARE = 0.2
#: under --target-score: thrifty greedies until, slack LNS (of the solve), probes (of the solve)
THRIFTY_UNTIL, SLACK_SHARE, PROBE_SHARE = 0.4, 0.3, 0.6
#: under --target-score, small models: whole-model rounds until this share of the solve; big ones
#: until ``TARGET_ROUNDS_BIG`` unless the reference already reaches the target
TARGET_ROUNDS_SMALL, TARGET_ROUNDS_BIG = 0.4, 0.8
#: without budgets the solve and the polish end here, less the swap share; the swaps end at SWAPS_END
FREE_SOLVE_END, FREE_POLISH_END, SWAPS_END = 0.9, 0.95, 0.97
#: with budgets or a target the solve ends here (sequencing and the polish take ~1 s on 20 nodes),
#: the polish (budgets only) at BUDGET_POLISH_END
BUDGET_SOLVE_END, BUDGET_POLISH_END = 0.94, 0.98
#: the polish's greedy gets at most this share of the time per round
POLISH_GREEDY = 0.1
#: probes of GB budgets (evacuations under --target-score) end here
PROBE_END = 0.95
#: big groups: the pool greedy with a memory reserve, without, swaps; LNS to the end less a margin
BIG_RESERVE_END, BIG_GREEDY_END, BIG_SWAPS_END, BIG_MARGIN = 0.5, 0.6, 0.55, 0.02

#: the default objective (:mod:`planner.planners.cpsat.dominant`): greedy baseline (up to 0.8 of the time
#: on 1000+ instances, where dominance can only be shown against a finished greedy and CP-SAT's candidates
#: gain little; unfinished, continued by the pool greedy until it stalls or DOMINANT_CONTINUE_END),
#: the lowest score within greedy's GB and moves, on evacuations a retry at greedy's GB, then the fewest
#: GB reaching greedy's score; each candidate is scheduled (1 s) inside its share.  A baseline ending
#: after DOMINANT_GREEDY shifts the later ends into the time left, in proportion
DOMINANT_GREEDY, DOMINANT_GREEDY_BIG, DOMINANT_CONTINUE_END = 0.3, 0.8, 0.9
DOMINANT_SCORE_END, DOMINANT_RETRY_END, DOMINANT_END = 0.45, 0.7, 0.95
#: balance files (no forced GB): the thrifty greedies until DOMINANT_THRIFTY_END (a first candidate within a
#: fifth of the time), then the fewest GB at greedy's score until DOMINANT_GB_FIRST_END; then the lowest score
DOMINANT_THRIFTY_END = 0.17
DOMINANT_GB_FIRST_END = 0.8

TIMELINES: dict[str, tuple[Phase, ...]] = {
    "dominant": (
        Phase("greedy", DOMINANT_GREEDY, note=f"{DOMINANT_GREEDY_BIG} on 1000+ instances; hbal's moves"),
        Phase("pool greedy continuing an unfinished greedy", DOMINANT_CONTINUE_END, note="only then; later ends shift"),
        Phase("balance: thrifty greedies to greedy's score", DOMINANT_THRIFTY_END,
              note="at least 1 s after the greedy; a candidate of its own"),
        Phase("balance: fewest GB at greedy's score", DOMINANT_GB_FIRST_END, note="within greedy's moves"),
        Phase("balance: lowest score within that GB", DOMINANT_END, note="greedy's GB when it missed"),
        Phase("evacuations: lowest score within 1.02 x forced GB", DOMINANT_SCORE_END,
              note="the budget timeline inside"),
        Phase("evacuations: again at greedy's GB", DOMINANT_RETRY_END, note="when 1.02 x forced GB misses"),
        Phase("evacuations: fewest GB at greedy's score", DOMINANT_END, note="the target timeline inside"),
        Phase("verify", 1.0, note="after the time limit"),
    ),
    "free": (
        Phase("greedy hint", GREEDY_HINT, note=f"{GREEDY_HINT_BIG} on 1000+ instances"),
        Phase("global solve", GLOBAL_SMALL, "solve", f"{GLOBAL_BIG} on groups of 9+ online nodes"),
        Phase("LNS", 1 - GB_SHARE, "solve", "failover cycles after 3 stalled iterations"),
        Phase("fewest GB", 1.0, "solve"),
        Phase("solve", FREE_SOLVE_END - SWAP_SHARE),
        Phase("sequencing", FREE_SOLVE_END - SWAP_SHARE),
        Phase("polish", FREE_POLISH_END - SWAP_SHARE),
        Phase("swaps", SWAPS_END),
        Phase("greedy after swaps", 1.0),
        Phase("verify", 1.0, note="after the time limit"),
    ),
    "budget": (
        Phase("greedy hint", GREEDY_HINT, note=f"{GREEDY_HINT_BIG} on 1000+ instances"),
        Phase("global solve + LNS", 1 - GB_SHARE / 4, "solve"),
        Phase("fewest GB", 1.0, "solve"),
        Phase("solve", BUDGET_SOLVE_END),
        Phase("sequencing", BUDGET_SOLVE_END),
        Phase("polish", BUDGET_POLISH_END),
        Phase("verify", 1.0, note="after the time limit"),
    ),
    "target": (
        Phase("greedy hint", GREEDY_HINT),
        Phase("thrifty greedies", THRIFTY_UNTIL),
        Phase("slack LNS", SLACK_SHARE, "solve"),
        Phase("fewest-GB rounds", TARGET_ROUNDS_SMALL, "solve", f"{TARGET_ROUNDS_BIG} or none on big models"),
        Phase("GB LNS", 1.0, "solve"),
        Phase("solve", BUDGET_SOLVE_END, note=f"{1 - PROBE_SHARE:g} of it when GB budgets are probed"),
        Phase("GB probes", PROBE_END),
        Phase("sequencing", 1.0),
        Phase("verify", 1.0, note="after the time limit"),
    ),
    "big": (
        Phase("greedy (memory reserve)", BIG_RESERVE_END),
        Phase("greedy", BIG_GREEDY_END),
        Phase("failover pairs + swaps", BIG_SWAPS_END),
        Phase("LNS", 1 - BIG_MARGIN),
        Phase("verify", 1.0, note="after the time limit"),
    ),
}


def share(mode: str, phase: str) -> float:
    """The share of the time by which ``phase`` of ``mode`` ends."""
    return round(next(p.until for p in TIMELINES[mode] if p.name == phase), 10)


def declared(mode: str, time_limit: float) -> list[dict]:
    """The table of ``mode`` for ``--json``: each phase's share and, for whole-run shares, seconds.

    >>> declared("big", 100.0)[0]
    {'phase': 'greedy (memory reserve)', 'until_share': 0.5, 'of': 'run', 'until_s': 50.0}
    """
    out = []
    for p in TIMELINES[mode]:
        row = {"phase": p.name, "until_share": round(p.until, 4), "of": p.of}
        if p.of == "run":
            row["until_s"] = round(p.until * time_limit, 2)
        if p.note:
            row["note"] = p.note
        out.append(row)
    return out


def mode_of(opts) -> str:
    """The timeline a CP-SAT options object runs (``big`` is chosen by group size, not here)."""
    if opts.target_score is not None:
        return "target"
    if opts.max_gb is not None or opts.max_moves is not None:
        return "budget"
    return "free"
