"""``planner apply`` against a fake RAPI on 127.0.0.1: request bodies, journal, resume, gates, errors.

The fake (tests/live/fake_rapi.py) serves the hand-made dump of tests/data/rapi and ends each job at
once unless told to fail or hold it; nothing here sleeps (waits are on events, the day clock is fake).
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.domain.plan import Plan, Step
from planner.io.rapi import read_rapi
from planner.io.rapi_http import HttpOptions, RapiHttp
from planner.live.apply import ApplyOptions, Runner, header
from planner.live.client import GanetiClient
from planner.live.gate import FakeClock, Gate
from planner.live.journal import Journal
from tests.helpers import DATA
from tests.live.fake_rapi import FakeRapi, serve

DUMP = DATA / "rapi"
N = ".example.org"


def greedy_like() -> Plan:
    """The three replace-disks moves planner's greedy (= hbal) picks on the dump, one jobset each."""
    return Plan("hand", 2.59242628, 2.48808321, [
        Step("db1" + N, "r", "n2" + N, "n1" + N, "n2" + N, "n4" + N, 60.25),
        Step("app1" + N, "r", "n3" + N, "n4" + N, "n3" + N, "n1" + N, 20.125),
        Step("web1" + N, "r", "n1" + N, "n2" + N, "n1" + N, "n4" + N, 20.125)], jobsets=[[0], [1], [2]])


def write_plan(tmp_path: Path, plan: Plan) -> Path:
    p = tmp_path / "plan.json"
    p.write_text(plan.dumps())
    return p


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ei:
        main(list(argv))
    out = capsys.readouterr()
    return ei.value.code, out.out, out.err


def runner(plan: Plan, url: str, journal: Path, opts: ApplyOptions | None = None, listener=None,
           resume: bool = False) -> Runner:
    client = GanetiClient(url)
    j = Journal(journal) if resume else Journal.create(journal, header(plan, url, "plan.json"))
    return Runner(plan, client, lambda: read_rapi(url), j, Journal.load(journal), opts or ApplyOptions(), listener)


def test_applies_with_the_plans_nodes(tmp_path, capsys) -> None:
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        code, out, err = cli(capsys, "apply", str(write_plan(tmp_path, greedy_like())), "--rapi", url)
        after = read_rapi(url)
    assert code == 0, err
    assert fake.submitted() == [
        ("POST", "/2/instances/db1.example.org/replace-disks",
         {"mode": "replace_new_secondary", "remote_node": "n4.example.org"}),
        ("POST", "/2/instances/app1.example.org/replace-disks",
         {"mode": "replace_new_secondary", "remote_node": "n1.example.org"}),
        ("POST", "/2/instances/web1.example.org/replace-disks",
         {"mode": "replace_new_secondary", "remote_node": "n4.example.org"})]
    place = {i.name: (after.nodes[i.pnode].name, after.nodes[i.snode].name) for i in after.instances}
    assert place["db1" + N] == ("n2" + N, "n4" + N) and place["web1" + N] == ("n1" + N, "n4" + N)
    recs = [json.loads(x) for x in (tmp_path / "plan.json.journal").read_text().splitlines()]
    assert [r["type"] for r in recs] == ["plan"] + ["submitted", "ended"] * 3 + ["note"]
    assert [(r["job_id"], r["status"]) for r in recs if r["type"] == "ended"] == [(1, "success"), (2, "success"),
                                                                                 (3, "success")]
    assert "job 3 success" in err


def test_migrate_and_failover_bodies(tmp_path) -> None:
    plan = Plan("hand", 0, 0, [Step("web1" + N, "f", "n1" + N, "n2" + N, "n2" + N, "n1" + N, 0.0),
                               Step("web2" + N, "f", "n1" + N, "n3" + N, "n3" + N, "n1" + N, 0.0, running=False)],
                jobsets=[[0], [1]])
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        res = runner(plan, url, tmp_path / "j", ApplyOptions(ignore_soft_errors=True)).run()
    assert res.status == "done", res.message
    assert fake.submitted() == [("PUT", "/2/instances/web1.example.org/migrate", {"allow_failover": False}),
                                ("PUT", "/2/instances/web2.example.org/failover", {})]
    assert fake.instance("web2" + N)["pnode"] == "n3" + N


def test_failed_job_stops_and_resume_finishes(tmp_path, capsys) -> None:
    fake = FakeRapi(DUMP)
    fake.fail["app1" + N] = "Can't use offline node n1.example.org"
    plan = write_plan(tmp_path, greedy_like())
    with serve(fake) as url:
        code, _, err = cli(capsys, "apply", str(plan), "--rapi", url)
        assert code == 1 and "app1.example.org replace-disks to n1.example.org: job 2 error: " \
            "OpPrereqError: Can't use offline node n1.example.org" in err
        assert len(fake.submitted()) == 2  # jobset 3 never started
        code, out, _ = cli(capsys, "apply", "--status", f"{plan}.journal")
        assert "done 1, running 0, failed 1, left 1" in out and "GB copied 60.2 of 100.5" in out
        del fake.fail["app1" + N]
        code, _, err = cli(capsys, "apply", "--resume", f"{plan}.journal")
        assert code == 0, err
    paths = [p for _, p, _ in fake.submitted()]
    assert paths.count("/2/instances/db1.example.org/replace-disks") == 1  # finished work not redone
    assert paths.count("/2/instances/app1.example.org/replace-disks") == 2
    st = Journal.load(f"{plan}.journal")
    assert st.counts() == {"done": 3, "running": 0, "failed": 0, "left": 0} and st.units["2.1.1"].jobs == [2, 3]


def test_retries_then_stops_with_ganetis_error(tmp_path) -> None:
    fake = FakeRapi(DUMP)
    fake.fail["db1" + N] = "boom"
    with serve(fake) as url:
        res = runner(greedy_like(), url, tmp_path / "j", ApplyOptions(retries=2)).run()
    assert res.status == "failed" and res.message.endswith("job 3 error: OpPrereqError: boom")
    assert res.submitted == [1, 2, 3]


class Crash(BaseException):
    """Stands for a SIGKILL: nothing after it runs, the journal keeps what was written."""


def test_resume_after_crash_asks_ganeti(tmp_path) -> None:
    fake = FakeRapi(DUMP)
    fake.hold["app1" + N] = threading.Event()

    def crash(event, data):
        if event == "submitted" and data["unit"].instance == "app1" + N:
            raise Crash

    with serve(fake) as url:
        with pytest.raises(Crash):
            runner(greedy_like(), url, tmp_path / "j", listener=crash).run()
        assert Journal.load(tmp_path / "j").units["2.1.1"].status == "submitted"
        fake.release("app1" + N)  # the job went on in Ganeti while apply was dead
        res = runner(greedy_like(), url, tmp_path / "j", resume=True).run()
    assert res.status == "done" and res.submitted == [3]  # job 2 was asked about, not resubmitted
    assert ("GET", "/2/jobs/2") in [(m, p) for m, p, _, _ in fake.log]
    assert Journal.load(tmp_path / "j").units["2.1.1"].status == "success"


def test_drift_stops_before_submitting(tmp_path) -> None:
    fake = FakeRapi(DUMP)
    fake.instance("app1" + N)["snodes"] = ["n2" + N]  # someone moved it by hand
    with serve(fake) as url:
        res = runner(greedy_like(), url, tmp_path / "j").run()
    assert res.status == "drift" and len(fake.submitted()) == 1
    assert res.message.startswith("jobset 2: app1.example.org (r:n1.example.org): from_nodes") \
        and "now on n3.example.org:n2.example.org" in res.message


def test_dry_run_submits_nothing(tmp_path, capsys) -> None:
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        code, out, _ = cli(capsys, "apply", str(write_plan(tmp_path, greedy_like())), "--rapi", url, "--dry-run")
    assert code == 0 and fake.submitted() == [] and not (tmp_path / "plan.json.journal").exists()
    assert out.splitlines()[0] == 'jobset 1: POST /2/instances/db1.example.org/replace-disks ' \
        '{"mode": "replace_new_secondary", "remote_node": "n4.example.org"}'


def test_window_and_jobs_per_day_wait(tmp_path) -> None:
    clock = FakeClock(local_start=8 * 3600)
    gate = Gate(window=(9 * 3600, 17 * 3600), jobs_per_day=1, clock=clock)
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        res = runner(greedy_like(), url, tmp_path / "j", ApplyOptions(gate=gate)).run()
    assert res.status == "done" and clock.slept == [3600.0, 86400.0, 86400.0]  # 09:00 on days 0, 1, 2
    starts = [u.start for u in Journal.load(tmp_path / "j").units.values()]
    assert starts == [9 * 3600.0, 86400 + 9 * 3600.0, 2 * 86400 + 9 * 3600.0]


def test_stop_file(tmp_path, capsys) -> None:
    stop = tmp_path / "STOP"
    stop.write_text("")
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        code, _, err = cli(capsys, "apply", str(write_plan(tmp_path, greedy_like())), "--rapi", url,
                           "--stop-file", str(stop))
    assert code == 3 and fake.submitted() == [] and "stop requested" in err


def test_max_parallel_runs_a_jobsets_jobs_at_once(tmp_path) -> None:
    plan = Plan("hand", 0, 0, [Step("db1" + N, "r", "n2" + N, "n1" + N, "n2" + N, "n4" + N, 60.25),
                               Step("app1" + N, "r", "n3" + N, "n4" + N, "n3" + N, "n1" + N, 20.125)],
                jobsets=[[0, 1]])
    fake = FakeRapi(DUMP)
    fake.hold = {"db1" + N: threading.Event(), "app1" + N: threading.Event()}
    both = threading.Event()
    seen: list[str] = []

    def listen(event, data):
        if event == "submitted":
            seen.append(data["unit"].instance)
            if len(seen) == 2:
                both.set()

    out: list = []
    with serve(fake) as url:
        r = runner(plan, url, tmp_path / "j", ApplyOptions(max_parallel=2), listen)
        t = threading.Thread(target=lambda: out.append(r.run()))
        t.start()
        assert both.wait(10), "the second job was not submitted while the first ran"
        fake.release("db1" + N)
        fake.release("app1" + N)
        t.join(10)
    assert out and out[0].status == "done"


def test_rapi_errors_are_one_line(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_RAPI_USER", "op")
    monkeypatch.setenv("PLANNER_RAPI_PASSWORD", "hunter2-secret")
    plan = str(write_plan(tmp_path, greedy_like()))
    fake = FakeRapi(DUMP)
    with serve(fake) as url:
        fake.status_for["/version"] = 401
        code, _, err = cli(capsys, "apply", plan, "--rapi", url, "--dry-run")
        assert code == 2 and err == f"planner: error: {url}: GET /version: HTTP 401 Unauthorized: injected 401\n"
        fake.version = 3
        code, _, err = cli(capsys, "apply", plan, "--rapi", url, "--dry-run")
        assert err == f"planner: error: {url}: RAPI version 3, planner speaks version 2\n"
        fake.version = "<html>"
        code, _, err = cli(capsys, "apply", plan, "--rapi", url, "--dry-run")
        assert code == 2 and "not a Ganeti RAPI" in err
        fake.version = 2
        fake.status_for["/2/instances/db1.example.org/replace-disks"] = 403
        code, _, err = cli(capsys, "apply", plan, "--rapi", url)
        assert code == 2 and "HTTP 403 Forbidden" in err and "'write' option" in err
    assert all("hunter2" not in str(x) for x in (err, (tmp_path / "plan.json.journal").read_text()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = cli(capsys, "apply", plan, "--rapi", f"http://127.0.0.1:{port}", "--journal", str(tmp_path / "k"))
    assert code == 2 and err.count("\n") == 1 and "Connection refused" in err


def test_transient_errors_are_retried_with_backoff() -> None:
    fake = FakeRapi(DUMP)
    slept: list[float] = []
    with serve(fake) as url:
        fake.status_for["/2/info"] = 503
        with RapiHttp(url, HttpOptions(backoff=0.25, sleep=slept.append)) as http:
            assert http.call("GET", "/2/info")["master"]
    assert slept == [0.25]
