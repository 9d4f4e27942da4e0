"""The independent checks: rules, per-node usage, the plan replay and the schedule check.
Imports only planner.domain and planner.engine (never a planner or the scheduler)."""
