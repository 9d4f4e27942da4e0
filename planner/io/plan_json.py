"""Plan JSON files (``balance --json`` / ``--save-plan``), read through a pydantic schema.

A malformed plan (a list where a name belongs, a string or null score, a partial schedule, no
``steps``, nesting too deep) raises :class:`PlannerError` naming the file and the field; so does a
plan that is not for the cluster at hand (:func:`check_plan_for`: unknown instance or node).
``planner verify`` and ``planner apply`` both read plans here.

>>> p = plan_from_json({"method": "greedy", "initial_score": 1.0, "final_score": 0.5, "steps": []}, "p.json")
>>> p.method, p.steps
('greedy', [])
>>> try:
...     plan_from_json({"initial_score": 1.0, "final_score": None, "steps": []}, "p.json")
... except PlannerError as e:
...     print(e)
p.json: field 'final_score': Input should be a valid number
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.domain.step import MOVE_KINDS

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Index = Annotated[StrictInt, Field(ge=0)]
MoveKind = Literal[tuple(MOVE_KINDS)]  # type: ignore[valid-type]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class StepModel(_Model):
    instance: StrictStr
    move: MoveKind
    from_primary: StrictStr
    from_secondary: StrictStr
    to_primary: StrictStr
    to_secondary: StrictStr
    gb_copied: NonNegative
    score: Finite | None = None
    running: StrictBool = True


class TimingModel(_Model):
    bandwidth_mb_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 100.0
    replace_overhead_s: NonNegative = 480.0
    migration_s: NonNegative = 60.0
    max_per_node: Annotated[StrictInt, Field(ge=1)] = 1


class ScheduleModel(_Model):
    starts: list[NonNegative]
    ends: list[NonNegative]
    jobsets: list[list[Index]]
    makespan_s: NonNegative
    jobsets_s: NonNegative
    serial_s: NonNegative
    status: StrictStr
    timing: TimingModel = TimingModel()
    solve_s: NonNegative = 0.0


class PlanModel(_Model):
    method: StrictStr = "?"
    group: StrictStr = ""
    initial_score: Finite
    final_score: Finite
    steps: list[StepModel]
    jobsets: list[list[Index]] = []
    status: StrictStr = "feasible"
    wall_s: NonNegative = 0.0
    bound: Finite | None = None
    gap: Finite | None = None
    gb_lower_bound: Finite | None = None
    extra: dict[str, Any] = {}
    schedule: ScheduleModel | None = None
    ignore_soft_errors: StrictBool = False

    @model_validator(mode="after")
    def _indexes(self) -> PlanModel:
        n = len(self.steps)
        sets = [("jobsets", self.jobsets)]
        if self.schedule is not None:
            s = self.schedule
            for name in ("starts", "ends"):
                if len(getattr(s, name)) != n:
                    raise ValueError(f"schedule.{name} has {len(getattr(s, name))} entries for {n} steps")
            sets.append(("schedule.jobsets", s.jobsets))
        for name, js in sets:
            bad = next((k for ks in js for k in ks if k >= n), None)
            if bad is not None:
                raise ValueError(f"{name} names step {bad}, the plan has {n} steps")
        return self


def _where(err: dict) -> str:
    loc = [str(x) for x in err.get("loc", ())]
    return ".".join(loc)


def _message(err: dict) -> str:
    msg = err.get("msg", "invalid")
    return msg.replace("Value error, ", "")


def plan_from_json(data: Any, source: str) -> Plan:
    """A :class:`Plan` from decoded JSON, checked against :class:`PlanModel` (raises :class:`PlannerError`)."""
    if not isinstance(data, dict):
        raise PlannerError(source, None, f"not a plan: expected a JSON object, got {type(data).__name__}")
    try:
        PlanModel.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = _where(first)
        what = f"field '{where}': " if where else ""
        raise PlannerError(source, None, f"{what}{' '.join(_message(first).split())}") from None
    except RecursionError:
        raise PlannerError(source, None, "not a plan: nested too deeply") from None
    return Plan.from_json(data)


def read_plan(path: str | Path) -> Plan:
    """Read and check a plan JSON file (raises :class:`PlannerError` naming the file)."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PlannerError(source, None, "no such file") from None
    except IsADirectoryError:
        raise PlannerError(source, None, "is a directory, not a plan file") from None
    except OSError as e:
        raise PlannerError(source, None, f"cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise PlannerError(source, None, f"not UTF-8 text (byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise PlannerError(source, e.lineno, f"not JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise PlannerError(source, None, "not JSON: nested too deeply") from None
    return plan_from_json(data, source)


def check_plan_for(cluster: Cluster, plan: Plan, source: str) -> None:
    """Refuse a plan that is not for ``cluster``: a step naming an instance or node it does not have."""
    if plan.group and not any(plan.group in (g.name, g.uuid) for g in cluster.groups):
        raise PlannerError(source, None, f"field 'group': no node group '{plan.group}' in {cluster.origin}")
    instances = {i.name for i in cluster.instances}
    nodes = {n.name for n in cluster.nodes}
    for k, st in enumerate(plan.steps, start=1):
        if st.instance not in instances:
            raise PlannerError(source, None, f"field 'steps.{k - 1}.instance': step {k}: no instance "
                                             f"'{st.instance}' in {cluster.origin}")
        for field in ("from_primary", "from_secondary", "to_primary", "to_secondary"):
            name = getattr(st, field)
            if name and name not in nodes:
                raise PlannerError(source, None, f"field 'steps.{k - 1}.{field}': step {k}: no node '{name}' in "
                                                 f"{cluster.origin}")
