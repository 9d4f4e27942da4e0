"""From a plan to safe work: sequence (safe order), schedule (jobsets, makespan), day plan.
Imports planner.domain, planner.engine and planner.checks."""
