"""The hbal port: working records, load/reload, node primitives, N+1, moves, score, fast and vector scoring.
Imports only planner.domain."""
