"""The apply journal: append-only JSON lines, each written with ``fsync`` before apply goes on.

The first record holds the plan and its units; then one ``submitted`` record per RAPI request the
moment Ganeti gives its job id, and one ``ended`` record when the job is seen to end (status,
Ganeti's error text).  A crash can lose at most what had not been written; a unit ``submitted`` but
not ``ended`` is asked of Ganeti on resume.  A torn last line (power cut mid-write) is ignored.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> j = Journal.create(os.path.join(d, "j"), {"plan": {}, "units": [{"key": "1.1.1", "gb": 2.0}]})
>>> j.submitted("1.1.1", 1, "i1", "migrate", 41, 10.0)
>>> j.ended("1.1.1", 41, 10.0, 12.5, "success", "")
>>> st = Journal.load(j.path)
>>> st.units["1.1.1"].status, st.units["1.1.1"].job_id, st.done_gb()
('success', 41, 2.0)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.domain.errors import PlannerError


@dataclass
class UnitState:
    key: str
    status: str = "left"  #: left / submitted / success / error / canceled
    job_id: int | None = None
    start: float | None = None
    end: float | None = None
    error: str = ""
    attempts: int = 0
    jobs: list[int] = field(default_factory=list)  #: every job id submitted for it


@dataclass
class JournalState:
    header: dict[str, Any]
    units: dict[str, UnitState]
    records: int

    def done_gb(self) -> float:
        gb = {u["key"]: float(u.get("gb", 0.0)) for u in self.header.get("units", [])}
        return sum(gb.get(k, 0.0) for k, u in self.units.items() if u.status == "success")

    def counts(self) -> dict[str, int]:
        out = {"done": 0, "running": 0, "failed": 0, "left": 0}
        for u in self.units.values():
            key = {"success": "done", "submitted": "running", "left": "left"}.get(u.status, "failed")
            out[key] += 1
        return out

    def mean_duration(self) -> float | None:
        ds = [u.end - u.start for u in self.units.values() if u.status == "success" and u.end and u.start]
        return sum(ds) / len(ds) if ds else None


class Journal:
    """Appends records to ``path`` (each flushed and fsynced)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | Path, header: dict[str, Any]) -> Journal:
        p = Path(path)
        if p.exists():
            raise PlannerError(str(p), None, "journal already exists: continue it with --resume, or remove it")
        j = cls(p)
        j._append({"type": "plan", **header}, mode="x")
        return j

    def _append(self, record: dict[str, Any], mode: str = "a") -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with open(self.path, mode, encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def submitted(self, key: str, jobset: int, instance: str, operation: str, job_id: int, start: float) -> None:
        self._append({"type": "submitted", "key": key, "jobset": jobset, "instance": instance,
                      "operation": operation, "job_id": job_id, "start": start})

    def ended(self, key: str, job_id: int, start: float | None, end: float | None, status: str, error: str) -> None:
        self._append({"type": "ended", "key": key, "job_id": job_id, "start": start, "end": end,
                      "status": status, "error": error})

    def note(self, event: str, **data: Any) -> None:
        self._append({"type": "note", "event": event, **data})

    @staticmethod
    def load(path: str | Path) -> JournalState:
        p = Path(path)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise PlannerError(str(p), None, e.strerror or "cannot read") from None
        recs = []
        for n, line in enumerate(lines, start=1):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                if n == len(lines):  # torn last write
                    break
                raise PlannerError(str(p), n, "not a journal line") from None
        if not recs or recs[0].get("type") != "plan":
            raise PlannerError(str(p), 1, "not a planner apply journal (no plan record)")
        units = {u["key"]: UnitState(u["key"]) for u in recs[0].get("units", [])}
        for r in recs[1:]:
            u = units.get(r.get("key", ""))
            if u is None:
                continue
            if r["type"] == "submitted":
                u.status, u.job_id, u.start, u.error, u.end = "submitted", r["job_id"], r["start"], "", None
                u.attempts += 1
                u.jobs.append(r["job_id"])
            elif r["type"] == "ended" and r.get("job_id") == u.job_id:
                u.status, u.end, u.error = r["status"], r.get("end"), r.get("error", "")
                u.start = r.get("start") or u.start
        return JournalState(recs[0], units, len(recs))
