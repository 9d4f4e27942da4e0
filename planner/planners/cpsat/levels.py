"""Levels: where the global solve of a small group starts.

On the 5–6-node bench files the best same-GB plans found have every node's primary and replica
counts at their integer floor, and no node reserving much more memory for one peer than the largest
instance needs; the LNS rarely gets there from elsewhere, since a node's reserve only falls once every
one of its peers is below the new level.  So the global solve first looks for such a plan (the lowest
of ``LEVELS`` that has one within the budgets), starts from it and keeps those constraints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.planners.cpsat.constraints import (
    Vars,
    add_all,
    add_count_floors,
    add_reserve_level,
    build_vars,
    hint_choice,
    largest_peer,
)
from planner.planners.cpsat.data import ModelData
from planner.planners.cpsat.objective import terms_for

if TYPE_CHECKING:
    from planner.planners.cpsat.options import CpsatOptions


def add_levels(data: ModelData, v: Vars, level: int) -> None:
    """Count floors (when the counts are part of the score) and a reserved-memory level."""
    if any(t.name == "pri" for t in terms_for(data)):
        add_count_floors(data, v)
    add_reserve_level(data, v, level)


#: reserved-memory levels tried, in multiples of the largest instance's memory
LEVELS = (1.0, 1.5, 2.0)


def level_start(data: ModelData, opts: CpsatOptions, ref: list[int], seconds: float,
                soft_n1: bool) -> tuple[list[int], int] | None:
    """A placement within the budgets with :func:`add_levels` at the lowest of ``LEVELS`` that
    has one (searched from ``ref``), and that level; None when no level has one (often proved in
    well under a second each) or none is found in ``seconds``."""
    from planner.planners.cpsat.kit import choice_of, found, make_solver

    t0 = time.perf_counter()
    largest = largest_peer(data)
    for mult in LEVELS:
        level = round(mult * largest)
        v = build_vars(data)
        add_all(data, v, opts.max_gb, opts.max_moves, soft_n1=soft_n1)
        add_levels(data, v, level)
        hint_choice(v, ref)
        s = make_solver(opts, seconds - (time.perf_counter() - t0), sum(map(len, v.lits)))
        s.parameters.stop_after_first_solution = True
        status = time.solve(s, v.model)
        if found(status):
            return choice_of(data, v, s), level
        if status != cp_model.INFEASIBLE or time.perf_counter() - t0 > seconds:
            return None
    return None
