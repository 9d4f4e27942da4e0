"""What users read: hbal-style text and scripts, pandas frames, greedy vs CP-SAT comparisons.
Imports anything below it (domain, engine, checks, execution, planners)."""
