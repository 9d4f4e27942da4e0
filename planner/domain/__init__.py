"""The domain records: cluster model, Plan/Step/PlanStatus, schedule data, placements, errors.
Imports nothing else of planner."""
