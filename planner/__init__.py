"""planner: rebalancing and capacity planning for Ganeti clusters.

``import planner as pl`` gives the whole public API; everything loads on first use, so the CLI and
``import planner.x`` stay fast:

>>> import planner as pl
>>> round(pl.score("tests/data/n1quirk.data").score, 8)
3.31686197
>>> sorted(set(__all__) - {"__version__"}) == sorted(FACADE)
True
"""

from __future__ import annotations

__version__ = "0.1.0"

#: public name → module that defines it (imported lazily by ``__getattr__``)
FACADE = {
    "load": "planner.facade", "score": "planner.facade", "balance": "planner.facade",
    "compare": "planner.facade", "pareto": "planner.facade", "sequence": "planner.facade",
    "schedule": "planner.facade", "report": "planner.facade", "sweep": "planner.facade",
    "capacity": "planner.facade_whatif", "whatif": "planner.facade_whatif", "failures": "planner.facade_whatif",
    "purchase": "planner.facade_whatif", "runway": "planner.facade_whatif",
    "PlannerError": "planner.domain.errors",
}
__all__ = ["__version__", *FACADE]


def _callable_capacity_package() -> None:
    """``pl.capacity(...)`` is the façade function, but ``planner.capacity`` is also the subpackage
    (Python sets the package attribute on its first import); so the subpackage itself is made callable."""
    import types

    import planner.capacity as pkg

    class CallablePackage(types.ModuleType):
        def __call__(self, *args, **kwargs):
            from planner.facade_whatif import capacity

            return capacity(*args, **kwargs)

    pkg.__class__ = CallablePackage
    globals()["capacity"] = pkg


_callable_capacity_package()


def __getattr__(name: str):
    mod = FACADE.get(name)
    if mod is None:
        raise AttributeError(f"module 'planner' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(FACADE))
