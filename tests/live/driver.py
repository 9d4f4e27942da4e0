"""Runs inside the test namespace: ``planner apply`` with a fault hook, or one raw RAPI job.

    python -m tests.live.driver apply PLAN JOURNAL URL [--offline-at KEY NODE CMD]
    python -m tests.live.driver job URL KIND INSTANCE TARGET

The hook sets NODE offline (``CMD gnt-node modify -O yes NODE``) after apply has checked the jobset
and just before it submits unit KEY, so Ganeti itself fails the job.
"""

from __future__ import annotations

import json
import subprocess
import sys

from planner.cli.commands.apply import Printer
from planner.domain.plan import Plan
from planner.io.rapi import read_rapi
from planner.io.rapi_http import HttpOptions
from planner.live.apply import ApplyOptions, Runner, header
from planner.live.client import GanetiClient, job_error, request_for
from planner.live.journal import Journal
from planner.live.work import work_of

HTTP = HttpOptions(verify=False)


def apply(plan_path: str, journal_path: str, url: str, hook: list[str]) -> int:
    plan = Plan.from_json(json.load(open(plan_path)))
    client = GanetiClient(url, HTTP)
    client.check()
    journal = Journal.create(journal_path, header(plan, url, plan_path))
    printer = Printer(False, sum(len(js.units) for js in work_of(plan)))

    def listen(event: str, data: dict) -> None:
        printer(event, data)
        if hook and event == "submit" and data["unit"].key == hook[0]:
            subprocess.run([hook[2], f"gnt-node modify -O yes --force {hook[1]}"], check=True,
                           capture_output=True)
            printer.say(f"  (test) node {hook[1]} set offline before {hook[0]} is submitted")

    runner = Runner(plan, client, lambda: read_rapi(url, http=HTTP), journal, Journal.load(journal_path),
                    ApplyOptions(), listen)
    res = runner.run()
    print(json.dumps(res.to_json()))
    return 0 if res.status == "done" else 1


def job(url: str, kind: str, instance: str, target: str) -> int:
    client = GanetiClient(url, HTTP)
    job_id = client.submit(request_for(kind, instance, target, True))
    got = client.wait(job_id)
    print(json.dumps({"job_id": job_id, "status": got["status"], "error": job_error(got)}))
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "apply":
        sys.exit(apply(a[1], a[2], a[3], a[5:8] if len(a) > 4 and a[4] == "--offline-at" else []))
    sys.exit(job(*a[1:5]))
