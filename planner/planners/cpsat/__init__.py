"""The CP-SAT planner: the whole group's placement as one constraint program (see solve.py).
Imports domain, engine, execution and the other planners; :func:`plan` is the entry point."""

from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.engine.state import LoadOptions
from planner.planners.cpsat.data import gb_lower_bound
from planner.planners.cpsat.dominant import dominant_plan
from planner.planners.cpsat.options import CpsatOptions, LnsOptions
from planner.planners.cpsat.pipeline import hint_from
from planner.planners.cpsat.pipeline import plan as objective_plan
from planner.planners.cpsat.timeline import mode_of


def plan(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions) -> Plan:
    """Plan one group with CP-SAT: the default objective (no worse than hbal's greedy on every axis,
    :mod:`planner.planners.cpsat.dominant`) when no budget is given, else ``opts``' own objective."""
    if opts.objective == "dominant" and mode_of(opts) == "free" and opts.hint is None:
        return dominant_plan(cluster, load_opts, opts)
    return objective_plan(cluster, load_opts, opts)


__all__ = ["CpsatOptions", "LnsOptions", "gb_lower_bound", "hint_from", "plan"]
