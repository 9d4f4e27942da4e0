"""Large-neighbourhood search on top of CP-SAT: re-optimise a few nodes at a time.

Each iteration frees the instances touching a small set of nodes (or a random subset), keeps
every other instance where it is, re-linearises the score around the incumbent (so the
surrogate is accurate where it matters) and solves the small model; the result is kept when
hbal's exact score improves.  Seeded: the same seed gives the same neighbourhoods.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from ortools.sat.python import cp_model

from planner.planners.cpsat.constraints import add_all, build_vars
from planner.planners.cpsat.data import ModelData
from planner.planners.cpsat.objective import build_objective


def restrict(data: ModelData, choice: list[int], free: set[int]) -> ModelData:
    """A copy where instances outside ``free`` keep their chosen candidate only."""
    cands = [cl if k in free else [cl[choice[k]]] for k, cl in enumerate(data.cands)]
    return replace(data, cands=cands, current=[choice[k] if k in free else 0 for k in range(len(cands))])


def neighbourhood(data: ModelData, choice: list[int], rng: random.Random, size: int) -> set[int]:
    """Instances on a few random nodes (primary or secondary), or a random subset."""
    online = [n for n, b in enumerate(data.base) if b.online]
    if rng.random() < 0.3 or len(online) < 3:
        return set(rng.sample(range(len(choice)), min(size, len(choice))))
    nodes = set(rng.sample(online, min(len(online), rng.choice((2, 2, 3)))))
    hits = [k for k, c in enumerate(choice)
            if data.cands[k][c].p in nodes or data.cands[k][c].s in nodes]
    rng.shuffle(hits)
    return set(hits[:size])


def lns(data: ModelData, choice: list[int], score_of, deadline: float, seed: int, workers: int,
        max_gb: float | None, max_moves: int | None, soft_n1: bool, on_improve=None) -> tuple[list[int], float, int]:
    """Improve ``choice`` until ``deadline``; returns (choice, exact score, iterations)."""
    rng = random.Random(seed)
    best, best_score = list(choice), score_of(choice)
    size = max(8, min(24, len(choice) // 5))
    it = 0
    while time.perf_counter() < deadline - 0.5:
        it += 1
        free = neighbourhood(data, best, rng, size)
        sub = restrict(data, best, free)
        v = build_vars(sub)
        add_all(sub, v, max_gb, max_moves, soft_n1=soft_n1)
        obj, _ = build_objective(sub, v, sub.current, exact_sd=False)
        v.model.minimize(obj)
        for row, c in zip(v.lits, sub.current, strict=True):
            for k, lit in enumerate(row):
                v.model.add_hint(lit, k == c)
        s = cp_model.CpSolver()
        s.parameters.num_workers = workers
        s.parameters.random_seed = seed + it
        s.parameters.max_time_in_seconds = max(0.3, min(1.0, deadline - time.perf_counter()))
        status = s.solve(v.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        sub_choice = [next((c for c, lit in enumerate(row) if s.boolean_value(lit)), 0) for row in v.lits]
        # free rows keep their full candidate list in ``sub``, so their indices are the same
        cand = [sub_choice[k] if k in free else best[k] for k in range(len(best))]
        if cand == best:
            size = min(len(best), size + 2) if status == cp_model.OPTIMAL else size
            continue
        sc = score_of(cand)
        if sc < best_score - 1e-12:
            best, best_score = cand, sc
            if on_improve:
                on_improve(sc)
        if status != cp_model.OPTIMAL:
            size = max(6, size - 2)
    return best, best_score, it
