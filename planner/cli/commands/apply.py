"""``planner apply PLAN.json --rapi URL``: carry a plan out over Ganeti's RAPI, with a journal.

Exit status: 0 done (or dry run, or status), 1 a job failed or the cluster drifted from the plan,
2 bad input or an unusable RAPI (one line), 3 stopped by the stop file, 130 Ctrl-C.
"""

from __future__ import annotations

import json
import sys
import time

import click

from planner.cli.params import SECONDS, Window
from planner.domain.errors import PlannerError

EXIT = {"done": 0, "dry-run": 0, "failed": 1, "drift": 1, "stopped": 3, "interrupted": 130}


def _load_plan(path: str):
    from planner.io.plan_json import read_plan

    return read_plan(path)


def status_lines(journal: str) -> list[str]:
    """Progress of a journal: done / running / failed / left, GB copied, estimated time left."""
    from planner.live.journal import Journal

    st = Journal.load(journal)
    c = st.counts()
    total_gb = sum(float(u.get("gb", 0.0)) for u in st.header.get("units", []))
    mean = st.mean_duration()
    left = c["left"] + c["running"] + c["failed"]
    eta = f"{mean * left:.0f} s of jobs" if mean is not None else "unknown (no job finished yet)"
    out = [f"journal {journal}: plan of {len(st.header.get('units', []))} jobs",
           f"done {c['done']}, running {c['running']}, failed {c['failed']}, left {c['left']}",
           f"GB copied {st.done_gb():.1f} of {total_gb:.1f}; estimated time left {eta}"]
    failed = [u for u in st.units.values() if u.status in ("error", "canceled")]
    out += [f"failed: {u.key} job {u.job_id}: {u.error}" for u in failed]
    return out


class Printer:
    """Apply's events as lines on stderr (quiet with --json), with a rich bar on a terminal."""

    def __init__(self, quiet: bool, total: int) -> None:
        from rich.console import Console

        self.quiet, self.total, self.t0 = quiet, total, time.monotonic()
        self.console = Console(stderr=True, highlight=False)
        self.done = 0

    def __call__(self, event: str, data: dict) -> None:
        if self.quiet:
            return
        el = time.monotonic() - self.t0
        u, st = data.get("unit"), data.get("state")
        if event == "checked":
            verdict = "ok" if data["drift"] is None else f"DRIFT: {data['drift']}"
            self.say(f"jobset {data['jobset']}: cluster re-read, check {verdict}")
        elif event == "submitted":
            self.say(f"  {u.key} {u.instance} {u.operation}{' -> ' + u.target if u.target else ''}: job {st.job_id}")
        elif event == "resume":
            self.say(f"  {u.key} {u.instance}: job {st.job_id} submitted before, asking Ganeti")
        elif event == "ended":
            self.done += st.status == "success"
            took = f" in {st.end - st.start:.1f} s" if st.end and st.start else ""
            err = f": {st.error}" if st.error else ""
            eta = el / self.done * (self.total - self.done) if self.done else float("nan")
            self.say(f"  {u.key} job {st.job_id} {st.status}{took}{err}  [{self.done}/{self.total} done, "
                     f"elapsed {el:.0f} s, left ~{eta:.0f} s]")
        elif event == "wait":
            self.say(f"  waiting {data['seconds']:.0f} s before job {data['job']} (window / jobs per day)")

    def say(self, text: str) -> None:
        self.console.print(text, markup=False, soft_wrap=True)


@click.command("apply")
@click.argument("plan_file", metavar="PLAN.json", required=False)
@click.option("--rapi", "url", help="The cluster's RAPI base URL, e.g. https://cluster:5080.")
@click.option("--insecure", is_flag=True, help="Accept a self-signed RAPI certificate (no TLS verification).")
@click.option("--ca", type=click.Path(exists=True, dir_okay=False), help="CA file to verify the RAPI certificate.")
@click.option("--timeout", type=SECONDS, default=60.0, show_default=True, help="Seconds per RAPI request.")
@click.option("--dry-run", is_flag=True, help="Print what would be submitted; submit nothing.")
@click.option("--jobs-per-day", type=click.IntRange(min=1), help="Start at most N jobs a (local) day.")
@click.option("--window", type=Window(),
              help="Start jobs only inside HH:MM-HH:MM (a running job is never interrupted).")
@click.option("--max-parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Jobs of one jobset running at once.")
@click.option("--stop-file", type=click.Path(dir_okay=False), help="Stop before the next job when this file exists.")
@click.option("--retries", type=click.IntRange(min=0), default=0, show_default=True,
              help="Resubmissions of a failed job before stopping.")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False),
              help="Journal file (default: PLAN.json.journal); must not exist yet.")
@click.option("--resume", "resume", type=click.Path(exists=True, dir_okay=False),
              help="Continue the apply recorded in this journal.")
@click.option("--status", "status", type=click.Path(exists=True, dir_okay=False),
              help="Print the progress recorded in this journal and exit.")
@click.option("--ignore-soft-errors", is_flag=True, help="Check jobsets as hbal --ignore-soft-errors does.")
@click.option("--json", "as_json", is_flag=True, help="No progress lines; print a JSON result.")
def command(plan_file, url, insecure, ca, timeout, dry_run, jobs_per_day, window, max_parallel, stop_file,
            retries, journal_path, resume, status, ignore_soft_errors, as_json) -> None:
    """Apply PLAN.json to a live cluster over RAPI, jobset by jobset, with a journal to resume from.

    Credentials come from PLANNER_RAPI_USER / PLANNER_RAPI_PASSWORD or ~/.netrc, never from the
    command line."""
    from planner.execution.dayplan import parse_window
    from planner.io.rapi import read_rapi
    from planner.io.rapi_http import HttpOptions
    from planner.live.apply import ApplyOptions, Runner, header
    from planner.live.apply import dry_run as dry
    from planner.live.client import GanetiClient
    from planner.live.gate import Gate
    from planner.live.journal import Journal
    from planner.live.work import work_of

    if status:
        lines = status_lines(status)
        click.echo(json.dumps({"status": lines}) if as_json else "\n".join(lines))
        return
    if insecure and ca:
        raise PlannerError("--insecure", None, "give --insecure or --ca, not both")
    state = Journal.load(resume) if resume else None
    if state is not None:
        from planner.io.plan_json import plan_from_json

        plan, url = plan_from_json(state.header["plan"], resume), url or state.header.get("rapi")
    elif plan_file:
        plan = _load_plan(plan_file)
    else:
        raise PlannerError("apply", None, "give PLAN.json, --resume JOURNAL or --status JOURNAL")
    if not url:
        raise PlannerError("apply", None, "--rapi URL is needed")
    url = url.rstrip("/")
    http = HttpOptions(timeout=timeout, verify=False if insecure else (ca or None))
    gate = Gate(parse_window(window) if window else None, jobs_per_day, stop_file)
    client = GanetiClient(url, http)
    try:
        client.check()
        if dry_run:
            res = dry(plan, read_rapi(url, http=http), ignore_soft_errors)
            if not as_json:
                click.echo("\n".join(res.requests))
        else:
            if state is None:
                journal = Journal.create(journal_path or f"{plan_file}.journal", header(plan, url, plan_file))
                state = Journal.load(journal.path)
            else:
                journal = Journal(resume)
            printer = Printer(as_json, sum(len(js.units) for js in work_of(plan)))
            opts = ApplyOptions(False, max_parallel, retries, ignore_soft_errors, gate)
            runner = Runner(plan, client, lambda: read_rapi(url, http=http), journal, state, opts, printer)
            res = runner.run()
            if not as_json:
                click.echo(f"journal: {journal.path}", err=True)
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(res.to_json(), indent=2))
    else:
        click.echo(f"apply {res.status}: {res.message}", err=res.status not in ("done", "dry-run"))
    sys.exit(EXIT[res.status])
