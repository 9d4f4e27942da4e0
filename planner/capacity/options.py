"""Options of a capacity run (hspace's command line) and instance specs.

>>> Spec.parse("10G,4g,2")
Spec(mem=4096, dsk=9536, cpu=2, spn=1)
>>> CapacityOptions().disk_template is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.domain.errors import PlannerError

_BINARY = {"": 1, "m": 1, "MIB": 1, "g": 1024, "GIB": 1024, "t": 1024 ** 2, "TIB": 1024 ** 2}
_SI = {"M": 1, "MB": 1, "G": 1000, "GB": 1000, "T": 1000 ** 2, "TB": 1000 ** 2}


def parse_size(text: str, what: str = "size") -> int:
    """A size in MiB as htools' ``parseUnit`` reads it (integers; lower-case units binary,
    upper-case SI: ``8T`` is 8·10¹² bytes).

    >>> parse_size("8t"), parse_size("64g"), parse_size("512"), parse_size("8T"), parse_size("1G")
    (8388608, 65536, 512, 7629394, 953)
    """
    m = re.fullmatch(r"\s*(-?\d+)\s*(\w*)", text)
    if not m:
        raise PlannerError(None, None, f"bad {what} {text!r}")
    v, unit = int(m.group(1)), m.group(2)
    if unit in _BINARY or unit.upper() in ("MIB", "GIB", "TIB"):
        return v * _BINARY.get(unit, _BINARY.get(unit.upper(), 1))
    key = unit if unit in _SI else unit.upper()
    if key not in _SI:
        raise PlannerError(None, None, f"bad {what} {text!r}: unknown unit {unit!r}")
    return (v * _SI[key] * 1000 ** 2) // 1024 ** 2


@dataclass(frozen=True)
class Spec:
    """An instance flavor as hspace's ``RSpec``: memory and disk in MiB, vCPUs, disk spindles.

    ``spn`` is the disk spindle count (used with exclusive storage), 1 when not given.
    """

    mem: int
    dsk: int
    cpu: int
    spn: int = 1

    @classmethod
    def parse(cls, text: str) -> Spec:
        """hspace's ``--standard-alloc/--tiered-alloc disk,ram,cpu[,spindles]``."""
        parts = text.split(",")
        if len(parts) not in (3, 4):
            raise PlannerError(None, None, f"bad instance spec {text!r}: want disk,ram,cpu[,spindles]")
        dsk = parse_size(parts[0], "disk size")
        mem = parse_size(parts[1], "memory size")
        try:
            cpu = int(parts[2])
            spn = int(parts[3]) if len(parts) == 4 else 1
        except ValueError:
            raise PlannerError(None, None, f"bad instance spec {text!r}") from None
        return cls(mem, dsk, cpu, spn)


@dataclass(frozen=True)
class CapacityOptions:
    """hspace's options (names follow the long options)."""

    disk_template: str | None = None  #: --disk-template (default: first of the cluster ipolicy)
    spindle_use: int | None = None  #: --spindle-use (default: std spec spindle use)
    standard: Spec | None = None  #: --standard-alloc (default: ipolicy std spec)
    tiered: Spec | None = None  #: --tiered-alloc (default: each minmax max spec)
    limit: int | None = None  #: -l
    offline: tuple[str, ...] = ()  #: -O
    independent_groups: bool = False
    accept_existing: bool = False
    capacity_checks: bool = True  #: False with --no-capacity-checks
    max_cpu: float | None = None
    min_disk: float | None = None
    run_tiered: bool = True
    run_standard: bool = True
