"""The hardware catalog: node models and instance flavors, read from YAML files (``models/``).

>>> cat = load_catalog()
>>> m = cat.model("r650-512")
>>> m.memory, m.os_memory, m.cpus
(524288, 8192, 48)
>>> f = cat.flavor("medium")
>>> f.memory, f.disk, f.vcpus, f.disk_template
(4096, 40960, 2, 'drbd')
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from planner.domain.errors import PlannerError
from planner.io.validate import ABSURD
from planner.scenario.units import to_mib

MODELS_DIR = Path(__file__).resolve().parent.parent.parent / "models"
TEMPLATES = Literal["drbd", "plain", "diskless", "file", "sharedfile", "blockdev", "rbd", "ext", "gluster"]

#: MiB, written as 512G, 7.68TB, 64GiB or a number; at most 2^53 (a bigger size cannot be real)
Size = Annotated[int, BeforeValidator(to_mib), Field(le=ABSURD)]
Count = Annotated[int, Field(gt=0, le=ABSURD)]  #: a positive count, at most 2^53


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class NodeModel(Strict):
    """A server model: what one node of it offers to Ganeti."""

    name: str = Field(min_length=1)
    memory: Size
    disk: Size
    cpus: Count
    spindles: Count = 1
    os_memory: Size | Literal[0] = 0  #: memory the node OS and hypervisor keep (htools' n_mem)
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    rack_units: Count | None = None


class Flavor(Strict):
    """An instance flavor."""

    name: str = Field(min_length=1)
    memory: Size
    disk: Size
    vcpus: Count
    disk_template: TEMPLATES = "drbd"
    spindles: Count = 1


class CatalogFile(Strict):
    nodes: list[NodeModel] = []
    flavors: list[Flavor] = []


class Catalog(Strict):
    """Node models and flavors by name."""

    models: dict[str, NodeModel] = {}
    flavors: dict[str, Flavor] = {}

    def model(self, name: str) -> NodeModel:
        if name not in self.models:
            raise KeyError(f"unknown node model '{name}' (catalog: {', '.join(sorted(self.models))})")
        return self.models[name]

    def flavor(self, name: str) -> Flavor:
        if name not in self.flavors:
            raise KeyError(f"unknown flavor '{name}' (catalog: {', '.join(sorted(self.flavors))})")
        return self.flavors[name]


def error_line(source: str, err: ValidationError) -> PlannerError:
    """The first pydantic error as ``SOURCE: path.to.field: what is wrong``."""
    e = err.errors()[0]
    path = ".".join(str(p) for p in e["loc"]) or "(top)"
    msg = e["msg"].removeprefix("Value error, ")
    return PlannerError(source, None, f"{path}: {msg}")


def read_yaml(path: Path) -> object:
    """A YAML file's data; one clear line for a missing file or bad YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PlannerError(str(path), None, e.strerror or str(e)) from None
    except UnicodeDecodeError as e:
        raise PlannerError(str(path), None, f"not UTF-8 text (byte {e.start})") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise PlannerError(source, line, f"invalid YAML: {getattr(e, 'problem', None) or e}") from None


def load_catalog(*paths: str | Path) -> Catalog:
    """The shipped catalog (``models/*.yaml``) plus every file or directory of ``paths``; a later
    definition of a name replaces an earlier one."""
    files: list[Path] = sorted(MODELS_DIR.glob("*.yaml")) if MODELS_DIR.is_dir() else []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        else:
            files.append(p)
    models: dict[str, NodeModel] = {}
    flavors: dict[str, Flavor] = {}
    for f in files:
        data = read_yaml(f)
        try:
            cf = CatalogFile.model_validate(data or {})
        except ValidationError as e:
            raise error_line(str(f), e) from None
        models |= {m.name: m for m in cf.nodes}
        flavors |= {x.name: x for x in cf.flavors}
    return Catalog(models=models, flavors=flavors)
