"""hspace/hail-exact allocation (standard and tiered capacity) and CP-SAT optimal capacity.

May import planner.domain, planner.io, planner.engine, planner.checks (and lower layers only).

API (for scenario/whatif code):

* :class:`~planner.capacity.options.CapacityOptions` (frozen) and
  :func:`~planner.capacity.hspace.capacity` ``(cluster, opts) -> CapacityResult``: what
  ``hspace`` computes (tiered then standard run, counts, tiers, failure reasons, per-phase stats).
* :func:`~planner.capacity.hspace.fill` ``(cluster, spec, count=None, ...) -> FillResult``:
  place up to ``count`` new instances of one flavor with hail's allocation (placement of the
  existing instances frozen); ``FillResult.cluster`` is the filled :class:`Cluster`.
* :class:`~planner.capacity.options.Spec`: one flavor (mem MiB, disk MiB, vCPUs, spindles).
* :func:`~planner.capacity.simulate.simulate_cluster` builds hspace's ``--simulate`` cluster.
"""
