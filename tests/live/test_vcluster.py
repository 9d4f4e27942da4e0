"""``planner`` against a real Ganeti 3.0 virtual cluster inside a network namespace (tests/live/conftest.py).

Every planner, hbal and Ganeti command runs via ``ip netns exec``; the RAPI is the cluster's own
(https, self-signed, port 5080).  One cluster serves the whole session; each test builds its plan
from the placement it reads, so the order of the tests does not matter.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from planner.domain.plan import Plan, Step
from planner.live.journal import Journal
from tests.live.vcluster import RAPI_PASSWORD, RAPI_USER, VCluster

pytestmark = pytest.mark.vcluster
REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
TRANSCRIPT = Path("/tmp/planner-vcluster-transcript.txt")


def env(vc: VCluster, password: str = RAPI_PASSWORD, verify: str = "0") -> dict[str, str]:
    return vc.env() | {"PLANNER_RAPI_USER": RAPI_USER, "PLANNER_RAPI_PASSWORD": password,
                       "PLANNER_RAPI_VERIFY": verify, "PYTHONPATH": str(REPO)}


def planner(vc: VCluster, *args: str, password: str = RAPI_PASSWORD, verify: str = "0") -> subprocess.CompletedProcess:
    return vc.run(PY, "-m", "planner.cli.main", *args, check=False, env=env(vc, password, verify))


def note(title: str, text: str) -> None:
    with TRANSCRIPT.open("a") as f:
        f.write(f"### {title}\n{text.rstrip()}\n\n")


def placement(vc: VCluster) -> dict[str, tuple[str, str]]:
    """instance → (primary, status) as the RAPI reports it now."""
    out = vc.run("curl", "-sk", vc.url + "/2/instances?bulk=1").stdout
    return {i["name"]: (i["pnode"], i["status"]) for i in json.loads(out)}


def job_ids(vc: VCluster) -> list[int]:
    """The cluster's instance jobs (node modifications made by the tests are left out)."""
    jobs = json.loads(vc.run("curl", "-sk", vc.url + "/2/jobs?bulk=1").stdout)
    return sorted(int(j["id"]) for j in jobs if any(x.startswith("INSTANCE_") for x in j.get("summary", [])))


OTHER = {"node1": "node2", "node2": "node3", "node3": "node1"}


def moves(vc: VCluster, *pairs: tuple[str, str], jobsets: list[list[int]] | None = None) -> Plan:
    """A plan moving each instance (a sharedfile one: ``fa``) from where it is now to the target."""
    now = placement(vc)
    steps = [Step(i, "fa", now[i][0], "", t, "", 0.0, running=now[i][1] == "running") for i, t in pairs]
    return Plan("test", 0.0, 0.0, steps, jobsets=jobsets or [[k] for k in range(len(steps))])


def write(tmp_path: Path, plan: Plan, name: str = "plan.json") -> Path:
    p = tmp_path / name
    p.write_text(plan.dumps())
    return p


def score_of(vc: VCluster) -> float:
    p = planner(vc, "score", vc.url, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["score"]


def test_live_score_equals_hbal(vc: VCluster, tmp_path: Path) -> None:
    """The fake hypervisor reports the host's free memory, which moves between two reads; so hbal reads
    the very bytes planner read live (``-m file://``), and live ``hbal -m`` agrees within that drift."""
    p = vc.run(PY, "-m", "tests.live.driver", "snapshot", vc.url, str(tmp_path), env=env(vc))
    ours = json.loads(p.stdout)["score"]
    same = vc.run("hbal", "-m", f"file://{tmp_path}", "-l", "0").stdout
    live = vc.run("hbal", "-m", "cluster", "-l", "0").stdout
    got = [float(re.search(r"Initial score: (\S+)", out).group(1)) for out in (same, live)]
    note("score", f"planner (live read) {ours:.8f}; hbal -m file://(those bytes) {got[0]:.8f}; "
         f"hbal -m cluster {got[1]:.8f}")
    assert abs(ours - got[0]) < 5e-9
    assert abs(ours - got[1]) < 1e-3 * ours
    assert json.loads(planner(vc, "score", vc.url, "--json").stdout)["score"] == pytest.approx(ours, rel=1e-3)


def test_plan_applies_to_completion(vc: VCluster, tmp_path: Path) -> None:
    now = placement(vc)
    to = {i: OTHER[now[i][0]] for i in ("s1", "s2", "s3")}
    plan = moves(vc, ("s1", to["s1"]), ("s3", to["s3"]), ("s2", to["s2"]), jobsets=[[0, 1], [2]])
    p = planner(vc, "apply", str(write(tmp_path, plan)), "--rapi", vc.url, "--insecure", "--max-parallel", "2")
    note("apply: 3 moves (2 migrate, 1 failover) in 2 jobsets, --max-parallel 2", p.stderr)
    assert p.returncode == 0, p.stderr
    now = placement(vc)
    assert {i: now[i][0] for i in ("s1", "s2", "s3")} == to
    st = Journal.load(f"{tmp_path}/plan.json.journal")
    assert st.counts()["done"] == 3


def test_failed_job_then_resume(vc: VCluster, tmp_path: Path) -> None:
    now = placement(vc)
    target = "node3" if now["s4"][0] != "node3" else "node2"  # never the master
    first = next(n for n in ("node1", "node2", "node3") if n not in (now["s1"][0], target))
    plan = moves(vc, ("s1", first), ("s4", target))
    path, journal = write(tmp_path, plan), tmp_path / "j"
    ids_before = job_ids(vc)
    try:
        p = vc.run(PY, "-m", "tests.live.driver", "apply", str(path), str(journal), vc.url, "--offline-at", "2.1.1",
                   target, str(vc.root / "node1/cmd"), check=False, env=env(vc))
        note(f"apply with {target} set offline just before job 2.1.1", p.stderr + p.stdout)
        res = json.loads(p.stdout.splitlines()[-1])
        assert p.returncode == 1 and res["status"] == "failed"
        assert re.search(r"jobset 2, s4 migrate to node\d: job \d+ error: OpPrereqError: .*offline", res["message"])
        st = Journal.load(journal)
        assert st.units["1.1.1"].status == "success" and st.units["2.1.1"].status == "error"
        assert "offline" in st.units["2.1.1"].error
    finally:
        vc.gnt(f"gnt-node modify -O no --force {target}")
    p = planner(vc, "apply", "--resume", str(journal), "--insecure")
    note("resume after the node is back online", p.stderr)
    assert p.returncode == 0, p.stderr
    st = Journal.load(journal)
    first = st.units["1.1.1"].jobs
    assert len(first) == 1 and st.units["2.1.1"].status == "success" and len(st.units["2.1.1"].jobs) == 2
    assert len(set(job_ids(vc)) - set(ids_before)) == 3  # 1.1.1 once, 2.1.1 twice
    assert placement(vc)["s4"][0] == target


def test_sigkill_between_jobs_resumes(vc: VCluster, tmp_path: Path) -> None:
    now = placement(vc)
    plan = moves(vc, ("s2", OTHER[now["s2"][0]]), ("s3", OTHER[now["s3"][0]]))
    path = write(tmp_path, plan)
    cmd = vc.popen_args(PY, "-m", "planner.cli.main", "apply", str(path), "--rapi", vc.url, "--insecure",
                        "--jobs-per-day", "1")
    proc = subprocess.Popen(cmd, env=env(vc), stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:  # blocks until apply writes: no polling
        seen.append(line)
        if "waiting" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    note("apply --jobs-per-day 1, SIGKILLed while it waits for the next day", "".join(seen))
    st = Journal.load(f"{path}.journal")
    assert st.units["1.1.1"].status == "success" and st.units["2.1.1"].status == "left"
    p = planner(vc, "apply", "--resume", f"{path}.journal", "--insecure")
    note("resume after SIGKILL", p.stderr)
    assert p.returncode == 0, p.stderr
    st = Journal.load(f"{path}.journal")
    assert [len(st.units[k].jobs) for k in ("1.1.1", "2.1.1")] == [1, 1]
    now2 = placement(vc)
    assert (now2["s2"][0], now2["s3"][0]) == (plan.steps[0].to_primary, plan.steps[1].to_primary)
    s = planner(vc, "apply", "--status", f"{path}.journal")
    assert "done 2, running 0, failed 0, left 0" in s.stdout


def test_replace_disks_gives_ganetis_error(vc: VCluster, tmp_path: Path) -> None:
    """No DRBD here: Ganeti accepts a replace-disks job and fails it; apply's check refuses it first."""
    now = placement(vc)
    p = vc.run(PY, "-m", "tests.live.driver", "job", vc.url, "r", "s4", "node1" if now["s4"][0] != "node1"
               else "node2", check=False, env=env(vc))
    got = json.loads(p.stdout)
    note("raw replace-disks job on a sharedfile instance", p.stdout)
    assert got["status"] == "error" and "strange layout" in got["error"] and "\n" not in got["error"]
    plan = Plan("t", 0.0, 0.0, [Step("s4", "r", now["s4"][0], "", now["s4"][0], "node1", 1.0)])
    before = job_ids(vc)
    p = planner(vc, "apply", str(write(tmp_path, plan)), "--rapi", vc.url, "--insecure")
    assert p.returncode == 1 and "s4 (r:node1): move_kind: r does not apply to a sharedfile instance" in p.stderr
    assert job_ids(vc) == before


def test_unreachable_and_unauthorised(vc: VCluster, tmp_path: Path) -> None:
    path = str(write(tmp_path, moves(vc, ("s1", OTHER[placement(vc)["s1"][0]]))))
    p = planner(vc, "apply", path, "--rapi", "https://10.99.0.77:5080", "--insecure", "--timeout", "5")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "cannot connect" in p.stderr
    p = planner(vc, "apply", path, "--rapi", vc.url, "--insecure", "--journal", str(tmp_path / "k"),
                password="wrong")
    note("unreachable / unauthorised", p.stderr)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "HTTP 401" in p.stderr
    assert "wrong" not in p.stderr
    before = job_ids(vc)
    p = planner(vc, "apply", path, "--rapi", vc.url, "--timeout", "5", "--journal", str(tmp_path / "m"),
                verify="")  # TLS verification is on by default: the self-signed certificate is refused
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "TLS error" in p.stderr
    assert job_ids(vc) == before


def test_dry_run_submits_nothing(vc: VCluster, tmp_path: Path) -> None:
    before = job_ids(vc)
    now = placement(vc)
    plan = moves(vc, ("s1", OTHER[now["s1"][0]]), ("s2", OTHER[now["s2"][0]]))
    p = planner(vc, "apply", str(write(tmp_path, plan)), "--rapi", vc.url, "--insecure", "--dry-run")
    note("dry run", p.stdout)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].startswith("jobset 1: PUT /2/instances/s1/migrate")
    assert job_ids(vc) == before
