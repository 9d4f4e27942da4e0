"""Capacity questions: hspace/hail-exact allocation (standard and tiered), CP-SAT optimal capacity, hcheck,
failure analysis. May import every lower layer (domain, io, engine, checks, execution, planners).

API (for scenario/whatif code):

* :class:`~planner.capacity.options.CapacityOptions` (frozen) and
  :func:`~planner.capacity.hspace.capacity` ``(cluster, opts) -> CapacityResult``: what
  ``hspace`` computes (tiered then standard run, counts, tiers, failure reasons, per-phase stats).
* :class:`~planner.capacity.options.Spec`: one flavor (mem MiB, disk MiB, vCPUs, spindles).
* :func:`~planner.capacity.simulate.simulate_cluster` builds hspace's ``--simulate`` cluster.
* :func:`~planner.capacity.hcheck.check` (hcheck), :func:`~planner.capacity.failures.failures`.
"""
