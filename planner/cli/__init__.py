"""The ``planner`` command: click commands, rich rendering, progress.
Imports anything; nothing imports it."""
