"""Live clusters: a Ganeti RAPI job client, the plan → RAPI request mapping, the journal and ``apply``.
Imports domain, io (RAPI reads, HTTP), checks (the verifier) and execution (day windows) only.
"""
