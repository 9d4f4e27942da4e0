"""The YAML scenario schema (pydantic): where the cluster comes from, ordered changes, questions.

>>> s = loads_scenario('''
... cluster: {file: new-node-small-5n-73i-mimic.data}
... changes:
...   - add_nodes: {model: mimic-96, count: 2}
...   - drain: [node-01-001]
... questions: {capacity: [small, medium]}
... ''', "scenarios/x.yaml")
>>> [c.action for c in s.changes], s.questions.capacity, s.schedule.jobs_per_day
(['add_nodes', 'drain'], ['small', 'medium'], 10)
>>> loads_scenario("cluster: {file: a.data}\\nchanges: [{add_nodes: {model: x, count: -1}}]", "s.yaml")
Traceback (most recent call last):
...
planner.domain.errors.PlannerError: s.yaml: changes.0.add_nodes.count: Input should be greater than or equal to 0
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from planner.domain.errors import PlannerError
from planner.scenario.catalog import Size, Strict, error_line, parse_yaml, read_yaml


class GroupSpec(Strict):
    name: str = Field(min_length=1)
    nodes: list[NodeCount] = Field(min_length=1)


class NodeCount(Strict):
    model: str = Field(min_length=1)
    count: int = Field(gt=0, le=10000)


class Fill(Strict):
    """Fill a generated cluster with a flavor mix (weights) up to a share of its memory."""

    flavors: dict[str, float] = Field(min_length=1)
    memory_used: float = Field(default=0.6, gt=0, lt=1)
    seed: int = 1

    @field_validator("flavors")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for k, w in v.items():
            if not w > 0:
                raise ValueError(f"weight of '{k}' must be positive")
        return v


class Generate(Strict):
    groups: list[GroupSpec] = Field(min_length=1)
    fill: Fill | None = None


class Source(Strict):
    """Exactly one of: a cluster file (htools text or RAPI dump, relative to the scenario), a RAPI
    URL, or a generated cluster."""

    file: str | None = None
    rapi: str | None = None
    generate: Generate | None = None

    @model_validator(mode="after")
    def _one(self) -> Source:
        given = [k for k in ("file", "rapi", "generate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of file, rapi, generate")
        return self


class AddNodes(Strict):
    model: str = Field(min_length=1)
    count: int = Field(default=1, ge=0, le=10000)  #: 0: none (a sweep's baseline point)
    group: str | None = None  #: name; default: the first group
    names: list[str] | None = None  #: default: new-<model>-<k>

    @model_validator(mode="after")
    def _names(self) -> AddNodes:
        if self.names is not None and len(self.names) != self.count:
            raise ValueError(f"{len(self.names)} names for {self.count} nodes")
        return self


class AddInstances(Strict):
    flavor: str = Field(min_length=1)
    count: int = Field(ge=0, le=100000)  #: 0: none (a sweep's baseline point)


class Resize(Strict):
    instances: list[str] = Field(min_length=1)
    memory: Size | None = None
    disk: Size | None = None
    vcpus: int | None = Field(default=None, gt=0)


class PolicyChange(Strict):
    vcpu_ratio: float | None = Field(default=None, gt=0, le=1024)
    spindle_ratio: float | None = Field(default=None, gt=0, le=1024)
    disk_templates: list[str] | None = Field(default=None, min_length=1)
    max_memory: Size | None = None  #: the largest instance memory allowed (max spec)
    max_disk: Size | None = None
    max_vcpus: int | None = Field(default=None, gt=0)


ACTIONS = ("add_nodes", "drain", "remove_nodes", "fail", "add_instances", "remove_instances", "resize",
           "ipolicy")


class Change(Strict):
    """One change: a mapping with exactly one of the actions."""

    add_nodes: AddNodes | None = None
    drain: list[str] | None = Field(default=None, min_length=1)
    remove_nodes: list[str] | None = Field(default=None, min_length=1)
    fail: list[str] | None = Field(default=None, min_length=1)
    add_instances: AddInstances | None = None
    remove_instances: list[str] | None = Field(default=None, min_length=1)
    resize: Resize | None = None
    ipolicy: PolicyChange | None = None

    @model_validator(mode="after")
    def _one(self) -> Change:
        given = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one action of {', '.join(ACTIONS)}")
        return self

    @property
    def action(self) -> str:
        return next(a for a in ACTIONS if getattr(self, a) is not None)

    @property
    def args(self):
        return getattr(self, self.action)


def _positive_counts(v: dict[str, int]) -> dict[str, int]:
    for k, n in v.items():
        if n < 0:
            raise ValueError(f"count of '{k}' must not be negative")
    if not any(v.values()):
        raise ValueError("at least one count must be positive")
    return v


class PurchaseQuestion(Strict):
    """The smallest (or cheapest) purchase of ``models`` with which the forecast fits: the forecast is
    ``forecast`` (flavor → instances), or ``growth`` (flavor → instances a month) over ``months``."""

    models: list[str] = Field(min_length=1)
    forecast: dict[str, int] | None = None
    growth: dict[str, int] | None = None
    months: int = Field(default=12, gt=0, le=120)
    max: dict[str, int] = {}  #: model → at most this many bought
    objective: Literal["nodes", "price"] = "nodes"
    time_limit: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _one(self) -> PurchaseQuestion:
        if (self.forecast is None) == (self.growth is None):
            raise ValueError("give exactly one of forecast, growth")
        _positive_counts(self.forecast if self.forecast is not None else self.growth)
        for k, n in self.max.items():
            if n < 0:
                raise ValueError(f"max of '{k}' must not be negative")
        return self

    def counts(self) -> dict[str, int]:
        """The forecast: flavor → instances to place."""
        if self.forecast is not None:
            return dict(self.forecast)
        return {k: n * self.months for k, n in (self.growth or {}).items()}


class RunwayQuestion(Strict):
    """Month by month, ``growth`` (flavor → instances a month) placed with N+1, up to ``months``."""

    growth: dict[str, int] = Field(min_length=1)
    months: int = Field(default=24, gt=0, le=120)
    after_purchase: bool = False  #: on the cluster with the purchase question's answer
    time_limit: float = Field(default=10.0, gt=0, le=3600)  #: per month

    @field_validator("growth")
    @classmethod
    def _growth(cls, v: dict[str, int]) -> dict[str, int]:
        return _positive_counts(v)


class Questions(Strict):
    score: bool = True
    capacity: list[str] = []  #: flavors to count (hspace's standard allocation), before and after
    rebalance: bool = True
    methods: list[Literal["greedy", "cpsat"]] = ["greedy", "cpsat"]
    time_limit: float = Field(default=15.0, gt=0, le=3600)
    seed: int = 1
    purchase: PurchaseQuestion | None = None
    runway: RunwayQuestion | None = None


class ScheduleSpec(Strict):
    jobs_per_day: int = Field(default=10, gt=0, le=100000)
    window: str = "09:00-17:00"


class Scenario(Strict):
    name: str = ""
    description: str = ""
    cluster: Source
    models: list[str] = []  #: extra catalog files or directories (relative to the scenario)
    changes: list[Change] = []
    questions: Questions = Questions()
    schedule: ScheduleSpec = ScheduleSpec()
    source: str = Field(default="<scenario>", exclude=True)  #: the file it was read from

    def resolve(self, path: str) -> Path:
        """``path`` relative to the scenario file's directory (absolute paths unchanged)."""
        p = Path(path)
        return p if p.is_absolute() or self.source.startswith("<") else Path(self.source).parent / p


GroupSpec.model_rebuild()


def loads_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """A scenario from YAML text; errors name ``source`` and the field path."""
    return _validate(parse_yaml(text, source), source)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a YAML file."""
    return _validate(read_yaml(Path(path)), str(path))


def _validate(data: object, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise PlannerError(source, None, "(top): a scenario is a mapping (cluster, changes, questions, schedule)")
    try:
        return Scenario.model_validate({**data, "source": source})
    except ValidationError as e:
        raise error_line(source, e) from None
