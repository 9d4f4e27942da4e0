"""A Ganeti RAPI (version 2) job client: submit instance migrate / failover / replace-disks, follow jobs.

Requests (Ganeti's ``lib/rapi/rlib2.py``): ``PUT /2/instances/NAME/migrate`` and ``.../failover``,
``POST /2/instances/NAME/replace-disks``; each answers a job id.  ``GET /2/jobs/ID/wait`` blocks until
the job's status changes (or about 10 s pass), ``GET /2/jobs/ID`` gives status, per-opcode results
and timestamps.  A failed opcode's result is Ganeti's encoded exception ``[class, [message, code]]``.

>>> job_error({"status": "error", "opstatus": ["error"],
...            "opresult": [["OpPrereqError", ["Can't use offline node node3", "wrong_state"]]]})
"OpPrereqError: Can't use offline node node3"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.domain.errors import PlannerError
from planner.io.rapi_http import HttpOptions, RapiHttp

FINAL = ("success", "error", "canceled")
RAPI_VERSION = 2


@dataclass(frozen=True)
class Request:
    """One RAPI request that submits a Ganeti job."""

    method: str
    path: str
    body: dict[str, Any]

    def text(self) -> str:
        import json

        return f"{self.method} {self.path} {json.dumps(self.body, sort_keys=True)}"


def job_error(job: dict[str, Any]) -> str:
    """Ganeti's own error text for a failed job (the first failed opcode's exception)."""
    for status, result in zip(job.get("opstatus") or [], job.get("opresult") or [], strict=False):
        if status in ("error", "canceled"):
            return _exception_text(result) or f"opcode {status}"
    return f"job {job.get('status', '?')}"


def _exception_text(result: Any) -> str:
    if isinstance(result, list) and len(result) == 2 and isinstance(result[0], str):
        args = result[1]
        msg = args[0] if isinstance(args, list) and args else args
        return f"{result[0]}: {' '.join(str(msg).split())}"
    return " ".join(str(result).split()) if result is not None else ""


class GanetiClient:
    """Checks it talks to a Ganeti RAPI of version 2, then submits and follows jobs."""

    def __init__(self, url: str, opts: HttpOptions | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = RapiHttp(self.url, opts)

    def close(self) -> None:
        self.http.close()

    def check(self) -> None:
        """``GET /version`` must be 2 and ``/2/info`` a cluster; else one line saying what it is."""
        try:
            version = self.http.call("GET", "/version")
        except PlannerError as e:
            if "HTTP 404" in str(e):
                raise self.http.fail("not a Ganeti RAPI (GET /version: HTTP 404)") from None
            raise
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.http.fail(f"not a Ganeti RAPI (GET /version answered {str(version)[:40]!r})")
        if version != RAPI_VERSION:
            raise self.http.fail(f"RAPI version {version}, planner speaks version {RAPI_VERSION}")
        info = self.http.call("GET", "/2/info")
        if not isinstance(info, dict) or "master" not in info:
            raise self.http.fail("not a Ganeti RAPI (GET /2/info has no 'master')")

    def submit(self, req: Request) -> int:
        answer = self.http.call(req.method, req.path, req.body)
        try:
            return int(answer)
        except (TypeError, ValueError):
            raise self.http.fail(f"{req.method} {req.path}: expected a job id, got {str(answer)[:60]!r}") from None

    def job(self, job_id: int) -> dict[str, Any]:
        job = self.http.call("GET", f"/2/jobs/{job_id}")
        if not isinstance(job, dict) or "status" not in job:
            raise self.http.fail(f"GET /2/jobs/{job_id}: not a job")
        return job

    def jobs(self) -> list[int]:
        """Every job id the cluster knows (``GET /2/jobs``)."""
        return sorted(int(j["id"]) for j in self.http.call("GET", "/2/jobs"))

    def wait(self, job_id: int, on_change=None) -> dict[str, Any]:
        """Block until the job ends (``/2/jobs/ID/wait`` long polls); returns ``GET /2/jobs/ID``."""
        status = self.job(job_id)["status"]
        while status not in FINAL:
            if on_change is not None:
                on_change(status)
            body = {"fields": ["status"], "previous_job_info": [status]}
            got = self.http.call("GET", f"/2/jobs/{job_id}/wait", body, timeout=max(60.0, self.http.opts.timeout))
            if isinstance(got, dict) and got.get("job_info"):
                status = got["job_info"][0]
        return self.job(job_id)


def requests_for(move: str, instance: str, target: str, running: bool) -> list[Request]:
    """The RAPI requests of one hbal move kind (``SUBMOVES`` order); never an ``iallocator``.

    >>> [r.text() for r in requests_for("fa", "i1", "node2", True)]
    ['PUT /2/instances/i1/migrate {"allow_failover": false, "target_node": "node2"}']
    >>> [r.path for r in requests_for("rf", "i1", "node3", False)]
    ['/2/instances/i1/replace-disks', '/2/instances/i1/failover']
    """
    from planner.domain.step import SUBMOVES

    return [request_for(kind, instance, target, running) for kind in SUBMOVES[move]]


def request_for(kind: str, instance: str, target: str, running: bool) -> Request:
    """One single-command move: ``f`` (to the DRBD secondary), ``fa`` (to ``target``), ``r``."""
    base = f"/2/instances/{instance}"
    if kind == "r":
        return Request("POST", f"{base}/replace-disks", {"mode": "replace_new_secondary", "remote_node": target})
    body: dict[str, Any] = {"target_node": target} if kind == "fa" else {}
    if running:
        return Request("PUT", f"{base}/migrate", {**body, "allow_failover": False})
    return Request("PUT", f"{base}/failover", body)
