"""planner: rebalancing and capacity planning for Ganeti clusters."""

__version__ = "0.1.0"
