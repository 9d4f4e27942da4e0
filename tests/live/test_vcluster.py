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


def env(vc: VCluster, password: str = RAPI_PASSWORD) -> dict[str, str]:
    return vc.env() | {"PLANNER_RAPI_USER": RAPI_USER, "PLANNER_RAPI_PASSWORD": password,
                       "PLANNER_RAPI_VERIFY": "0", "PYTHONPATH": str(REPO)}


def planner(vc: VCluster, *args: str, password: str = RAPI_PASSWORD) -> subprocess.CompletedProcess:
    return vc.run(PY, "-m", "planner.cli.main", *args, check=False, env=env(vc, password))


def note(title: str, text: str) -> None:
    with TRANSCRIPT.open("a") as f:
        f.write(f"### {title}\n{text.rstrip()}\n\n")


def placement(vc: VCluster) -> dict[str, tuple[str, str]]:
    """instance → (primary, status) as the RAPI reports it now."""
    out = vc.run("curl", "-sk", vc.url + "/2/instances?bulk=1").stdout
    return {i["name"]: (i["pnode"], i["status"]) for i in json.loads(out)}


def job_ids(vc: VCluster) -> list[int]:
    return sorted(int(j["id"]) for j in json.loads(vc.run("curl", "-sk", vc.url + "/2/jobs").stdout))


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


def test_live_score_equals_hbal(vc: VCluster) -> None:
    """Memory free follows the host's, so the hbal read is taken between two equal planner reads."""
    for _ in range(4):
        before = score_of(vc)
        out = vc.run("hbal", "-m", "cluster", "-l", "0").stdout
        after = score_of(vc)
        m = re.search(r"Initial score: (\S+)", out)
        assert m, out
        if before == after:
            break
    note("score", f"planner {before:.8f}, hbal -m: {m.group(1)}")
    assert before == after, "the cluster's free memory kept changing"
    assert abs(before - float(m.group(1))) < 5e-9


def test_plan_applies_to_completion(vc: VCluster, tmp_path: Path) -> None:
    plan = moves(vc, ("s1", "node2"), ("s3", "node3"), ("s2", "node3"), jobsets=[[0, 1], [2]])
    p = planner(vc, "apply", str(write(tmp_path, plan)), "--rapi", vc.url, "--insecure", "--max-parallel", "2")
    note("apply: 3 moves (2 migrate, 1 failover) in 2 jobsets, --max-parallel 2", p.stderr)
    assert p.returncode == 0, p.stderr
    now = placement(vc)
    assert {i: now[i][0] for i in ("s1", "s2", "s3")} == {"s1": "node2", "s2": "node3", "s3": "node3"}
    st = Journal.load(f"{tmp_path}/plan.json.journal")
    assert st.counts()["done"] == 3


def test_failed_job_then_resume(vc: VCluster, tmp_path: Path) -> None:
    plan = moves(vc, ("s1", "node1"), ("s4", "node3"))
    if placement(vc)["s4"][0] == "node3":
        plan = moves(vc, ("s1", "node1"), ("s4", "node2"))
    target = plan.steps[1].to_primary
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
        vc.gnt(f"gnt-node modify -O no {target}")
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
    other = {"node1": "node2", "node2": "node3", "node3": "node1"}
    plan = moves(vc, ("s2", other[now["s2"][0]]), ("s3", other[now["s3"][0]]))
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
    assert p.returncode == 1 and "r does not apply to a sharedfile instance" in p.stderr
    assert job_ids(vc) == before


def test_unreachable_and_unauthorised(vc: VCluster, tmp_path: Path) -> None:
    path = str(write(tmp_path, moves(vc, ("s1", "node3"))))
    p = planner(vc, "apply", path, "--rapi", "https://10.99.0.77:5080", "--insecure", "--timeout", "5")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "cannot connect" in p.stderr
    p = planner(vc, "apply", path, "--rapi", vc.url, "--insecure", "--journal", str(tmp_path / "k"),
                password="wrong")
    note("unreachable / unauthorised", p.stderr)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "HTTP 401" in p.stderr
    assert "wrong" not in p.stderr
    p = planner(vc, "apply", path, "--rapi", vc.url, "--timeout", "5")  # TLS verification is on by default
    assert p.returncode == 2 and "TLS error" in p.stderr


def test_dry_run_submits_nothing(vc: VCluster, tmp_path: Path) -> None:
    before = job_ids(vc)
    plan = moves(vc, ("s1", "node3"), ("s2", "node1"))
    p = planner(vc, "apply", str(write(tmp_path, plan)), "--rapi", vc.url, "--insecure", "--dry-run")
    note("dry run", p.stdout)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].startswith("jobset 1: PUT /2/instances/s1/migrate")
    assert job_ids(vc) == before
