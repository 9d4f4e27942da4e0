"""The CP-SAT planner: the whole group's placement as one constraint program (see solve.py).
Imports domain, engine, execution and the other planners; ``pipeline.plan`` is the entry point."""

from planner.planners.cpsat.data import gb_lower_bound
from planner.planners.cpsat.options import CpsatOptions, LnsOptions
from planner.planners.cpsat.pipeline import hint_from, plan

__all__ = ["CpsatOptions", "LnsOptions", "gb_lower_bound", "hint_from", "plan"]
