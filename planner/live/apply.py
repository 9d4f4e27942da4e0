"""Carry a plan out over RAPI: jobset by jobset, each checked against the live cluster first.

Before a jobset, the cluster is read afresh and the jobset's steps replayed on it by the verifier
(:func:`planner.checks.verify.verify`): every instance must be where the plan puts it before the step,
every node known, every rule still kept; otherwise apply stops and says what drifted.  Then its jobs
are submitted (up to ``max_parallel`` at once; a job's units one after another), each followed until
it ends; the next jobset starts only when every job of this one succeeded.  Every submission and
every end is in the journal first, so :func:`apply` with a loaded journal resumes without redoing
finished work, asking Ganeti about jobs that were submitted but not seen to end.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from planner.checks.verify import verify
from planner.domain.model import RUNNING_STATUSES, Cluster
from planner.domain.plan import Plan
from planner.live.client import GanetiClient, job_error
from planner.live.gate import Gate
from planner.live.journal import Journal, JournalState, UnitState
from planner.live.work import JobsetWork, Unit, work_of

Listener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class ApplyOptions:
    dry_run: bool = False
    max_parallel: int = 1
    retries: int = 0  #: resubmissions of a failed job before apply stops
    ignore_soft_errors: bool = False
    gate: Gate = field(default_factory=Gate)


@dataclass
class ApplyResult:
    status: str  #: done / failed / drift / stopped / interrupted / dry-run
    message: str
    submitted: list[int] = field(default_factory=list)  #: Ganeti job ids submitted by this run
    requests: list[str] = field(default_factory=list)  #: dry run: what would be submitted

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "submitted": self.submitted,
                "requests": self.requests}


class Stop(Exception):
    """Apply stops: ``status`` says why (failed / drift / stopped)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _placement(cluster: Cluster, name: str) -> str:
    for i in cluster.instances:
        if i.name == name:
            s = cluster.nodes[i.snode].name if i.snode >= 0 else ""
            return cluster.nodes[i.pnode].name + (":" + s if s else "")
    return "absent"


def check_jobset(cluster: Cluster, plan: Plan, steps: list[int], ignore_soft_errors: bool = False) -> str | None:
    """Why the steps cannot run on ``cluster`` now (drift or a broken rule), or None when they can."""
    status = {i.name: i.status for i in cluster.instances}
    for k in steps:
        st = plan.steps[k]
        if st.instance in status and st.running != (status[st.instance] in RUNNING_STATUSES):
            now = status[st.instance]
            return f"{st.instance} is {now}, the plan {'migrates' if st.running else 'fails over'} it"
    sub = Plan("apply", math.nan, math.nan, [plan.steps[k] for k in steps], group=plan.group)
    r = verify(cluster, sub, ignore_soft_errors=ignore_soft_errors)
    if r.ok:
        return None
    st = sub.steps[(r.step or 1) - 1]
    return f"{st.instance} ({st.move_text()}): {r.violation} (now on {_placement(cluster, st.instance)})"


class Runner:
    """One apply run; ``state`` is the loaded journal (resume) or a fresh one."""

    def __init__(self, plan: Plan, client: GanetiClient, read: Callable[[], Cluster], journal: Journal,
                 state: JournalState, opts: ApplyOptions, listener: Listener | None = None) -> None:
        self.plan, self.client, self.read, self.journal, self.opts = plan, client, read, journal, opts
        self.units = state.units
        self.work = work_of(plan)
        self.emit = listener or (lambda event, data: None)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.submitted: list[int] = []
        self.tries: dict[str, int] = {}  #: submissions per unit in this run (--retries counts these)
        self.started_jobs = self._started_by_day(state)

    def _started_by_day(self, state: JournalState) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        clock = self.opts.gate.clock
        for u in state.units.values():
            if u.start is not None:
                out.setdefault(clock.local(u.start)[0], set()).add(u.key.rsplit(".", 1)[0])
        return out

    # ------------------------------------------------------------------ one unit
    def _wait_gate(self, job_key: str) -> None:
        gate = self.opts.gate
        while True:
            if gate.stop_requested() or self.stopping.is_set():
                raise Stop("stopped", f"stop requested ({gate.stop_file or 'Ctrl-C'}) before job {job_key}")
            with self.lock:
                today = self.started_jobs.setdefault(gate.today(), set())
                if job_key in today:
                    return
                wait = gate.seconds_to_wait(len(today))
                if wait <= 0:
                    today.add(job_key)
                    return
            self.emit("wait", {"seconds": wait, "job": job_key})
            gate.clock.sleep(min(wait, 60.0) if gate.stop_file else wait)

    def _follow(self, unit: Unit, st: UnitState) -> None:
        """Wait for the unit's job to end and record it."""
        assert st.job_id is not None
        job = self.client.wait(st.job_id)
        st.status, st.error = job["status"], job_error(job) if job["status"] != "success" else ""
        st.end = self.opts.gate.clock.now()
        self.journal.ended(unit.key, st.job_id, st.start, st.end, st.status, st.error)
        self.emit("ended", {"unit": unit, "state": st})

    def _run_unit(self, unit: Unit) -> None:
        st = self.units[unit.key]
        while st.status != "success":
            if st.status == "submitted":  # resumed: Ganeti knows how it went
                self._follow(unit, st)
                continue
            if st.status != "left" and self.tries.get(unit.key, 0) > self.opts.retries:
                raise Stop("failed", f"jobset {unit.jobset}, {unit.instance} {unit.operation}"
                           f"{' to ' + unit.target if unit.target else ''}: job {st.job_id} {st.status}: {st.error}")
            self._wait_gate(unit.key.rsplit(".", 1)[0])
            self.emit("submit", {"unit": unit})
            job_id = self.client.submit(unit.request)
            st.status, st.job_id, st.start, st.end, st.error = "submitted", job_id, self.opts.gate.clock.now(), None, ""
            st.attempts += 1
            self.tries[unit.key] = self.tries.get(unit.key, 0) + 1
            st.jobs.append(job_id)
            with self.lock:
                self.submitted.append(job_id)
            self.journal.submitted(unit.key, unit.jobset, unit.instance, unit.operation, job_id, st.start)
            self.emit("submitted", {"unit": unit, "state": st})

    def _run_job(self, job: list[Unit]) -> None:
        for unit in job:
            self._run_unit(unit)

    # ------------------------------------------------------------------ jobsets
    def _pending_steps(self, js: JobsetWork) -> list[int]:
        """Steps of the jobset none of whose units has run or is running (a failed job moved nothing;
        a half-run step cannot be replayed)."""
        touched = {u.step for u in js.units if self.units[u.key].status in ("success", "submitted")}
        return [k for k in js.steps if k not in touched]

    def _run_jobset(self, js: JobsetWork) -> None:
        todo = [job for job in js.jobs if any(self.units[u.key].status != "success" for u in job)]
        if not todo:
            return
        why = check_jobset(self.read(), self.plan, self._pending_steps(js), self.opts.ignore_soft_errors)
        self.emit("checked", {"jobset": js.number, "drift": why})
        if why is not None:
            raise Stop("drift", f"jobset {js.number}: {why}")
        if self.opts.max_parallel <= 1 or len(todo) == 1:
            for job in todo:
                self._run_job(job)
            return
        errors: list[Stop] = []
        with ThreadPoolExecutor(max_workers=self.opts.max_parallel) as pool:
            futures = [pool.submit(self._run_job, job) for job in todo]
            try:
                for f in futures:
                    try:
                        f.result()
                    except Stop as e:  # the others are not interrupted, only no new one starts
                        self.stopping.set()
                        errors.append(e)
            except KeyboardInterrupt:
                self.stopping.set()
                raise
        if errors:
            raise next((e for e in errors if e.status == "failed"), errors[0])

    def resolve_unfinished(self) -> None:
        """Units submitted but not seen to end: ask Ganeti, wait for the ones still running."""
        for js in self.work:
            for unit in js.units:
                st = self.units[unit.key]
                if st.status == "submitted":
                    self.emit("resume", {"unit": unit, "state": st})
                    self._follow(unit, st)

    def run(self) -> ApplyResult:
        try:
            self.resolve_unfinished()
            for js in self.work:
                self.emit("jobset", {"jobset": js.number, "of": len(self.work)})
                self._run_jobset(js)
        except Stop as e:
            self.journal.note("stop", status=e.status, message=str(e))
            return ApplyResult(e.status, str(e), self.submitted)
        except KeyboardInterrupt:
            self.stopping.set()
            self.journal.note("stop", status="interrupted", message="interrupted")
            return ApplyResult("interrupted", "interrupted (Ctrl-C); running jobs go on in Ganeti", self.submitted)
        self.journal.note("done")
        return ApplyResult("done", f"{len(self.work)} jobsets done", self.submitted)


def header(plan: Plan, url: str, plan_file: str) -> dict[str, Any]:
    """The journal's first record: the plan itself and its units."""
    return {"plan": plan.to_json(), "plan_file": plan_file, "rapi": url,
            "units": [u.to_json() for js in work_of(plan) for u in js.units]}


def dry_run(plan: Plan, cluster: Cluster, ignore_soft_errors: bool = False) -> ApplyResult:
    """What apply would submit; the whole plan is replayed on the live cluster first (no submission)."""
    why = check_jobset(cluster, plan, list(range(len(plan.steps))), ignore_soft_errors)
    reqs = [f"jobset {js.number}: {u.request.text()}" for js in work_of(plan) for u in js.units]
    if why is not None:
        return ApplyResult("drift", f"the plan does not apply to the cluster now: {why}", [], reqs)
    return ApplyResult("dry-run", f"{len(reqs)} jobs would be submitted, none was", [], reqs)
