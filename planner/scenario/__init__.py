"""What-if scenarios: the hardware catalog (models/), YAML scenarios (pydantic), generated clusters, whatif.

May import every lower layer (domain, io, engine, checks, execution, planners, capacity); not report/api/cli.
"""
