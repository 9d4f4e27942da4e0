"""RAPI importer: Ganeti's test-suite dumps, parity with the real hbal (``-m``), auth and errors."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from planner.api import load, score_cluster
from planner.domain.errors import PlannerError
from planner.io import rapi
from planner.io.rapi import read_rapi
from tests.helpers import DATA, NO_SUITE, hbal_initial, needs_hbal, suite_dir

SMALL = DATA / "rapi"  #: a hand-made 4-node / 6-instance dump (hbal -m file://... scores it 2.59242628)
ROUTES = {"/2/info": "info.json", "/2/groups": "groups.json", "/2/nodes": "nodes.json",
          "/2/instances": "instances.json"}
ISSUE_SCORE = 13.83255238  # what hbal prints for the test-suite dumps (per the issue)


@pytest.fixture
def dump() -> Path:
    """Ganeti's ``test/data/htools/rapi`` directory (skip when absent)."""
    d = suite_dir()
    if d is None or not (d / "rapi" / "nodes.json").exists():
        pytest.skip(NO_SUITE)
    return d / "rapi"


@pytest.fixture
def small() -> Path:
    """The hand-made dump shipped in tests/data/rapi: always there."""
    return SMALL


@contextmanager
def serve(directory: Path, log: list | None = None, status: int = 200, delay: float = 0.0) -> Iterator[str]:
    """Serve a dump directory as a RAPI on 127.0.0.1 (``/2/nodes?bulk=1`` → nodes.json, ...)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if log is not None:
                log.append((self.command, self.path, self.headers.get("Authorization")))
            time.sleep(delay)
            fname = ROUTES.get(self.path.split("?")[0])
            if status != 200 or fname is None:
                self.send_error(status if status != 200 else 404)
                return
            body = (directory / fname).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.handle_error = lambda *a: None  # type: ignore[method-assign]  # clients that gave up
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def hbal_m(source: str) -> tuple[float, int]:
    """Real hbal's initial score and bad-node count for ``hbal -m SOURCE``; fails when it prints none."""
    got = hbal_initial(source, backend="-m")
    assert got is not None, f"hbal -m {source} printed no initial score"
    return got


def assert_parity(directory: Path) -> float:
    """hbal over HTTP and file:// vs planner over HTTP and the directory; returns the score."""
    with serve(directory) as url:
        h_score, h_bad = hbal_m(url)
        rep = score_cluster(read_rapi(url))
    assert abs(rep.score - h_score) < 5e-9, (rep.score, h_score)
    assert len(rep.n1_fail_nodes) == h_bad
    assert hbal_m(f"file://{directory}") == (h_score, h_bad)  # 3.0.2 reads file:// dumps too
    assert score_cluster(read_rapi(directory)).score == rep.score
    return h_score


def copy_dump(src: Path, dst: Path) -> dict:
    return {f: json.loads((src / f).read_text()) for f in ROUTES.values()} | {"_dir": dst}


def write_dump(d: dict) -> Path:
    out: Path = d["_dir"]
    out.mkdir(exist_ok=True)
    for f in ROUTES.values():
        (out / f).write_text(json.dumps(d[f], indent=1))
    return out


# ------------------------------------------------------------------------------ loading


def test_testsuite_dump_fields(dump: Path) -> None:
    c = read_rapi(dump)
    assert (len(c.nodes), len(c.instances), len(c.groups)) == (4, 11, 1)
    g = c.groups[0]
    assert (g.name, g.uuid, g.alloc_policy, g.tags) == ("default", "uuid-group-1", "preferred", ())
    raw = json.loads((dump / "nodes.json").read_text())
    for n, r in zip(c.nodes, raw, strict=True):
        assert (n.name, n.t_mem, n.n_mem, n.f_mem, n.t_dsk, n.f_dsk, n.t_cpu, n.nos_cpu) == (
            r["name"], r["mtotal"], r["mnode"], r["mfree"], r["dtotal"], r["dfree"], r["ctotal"], r["cnos"])
        assert (n.offline, n.group, n.spindles, n.excl_stor) == (False, "uuid-group-1", 1, False)
        assert (n.tags, n.free_spindles, n.cpu_speed) == ((), 0, 1.0)
    assert [n.master for n in c.nodes] == [False, False, False, True]  # info.json: master node4
    names = [n.name for n in c.nodes]
    i2, i3, i4 = c.instances[0], c.instances[1], c.instances[2]
    assert (i2.name, i2.mem, i2.dsk, i2.vcpus, i2.status, i2.disk_template) == (
        "instance2", 128, 256, 1, "running", "drbd")  # mem from oper_ram
    assert (names[i2.pnode], names[i2.snode], i2.auto_balance, i2.spindle_use, i2.spindles) == (
        "node3", "node4", True, 1, None)
    assert (i3.mem, i3.dsk, i3.snode, i3.status, i3.forthcoming) == (128, 384, -1, "ADMIN_down", False)
    assert i4.tags == ("service-group:dns",)
    assert {i.name: i.mem for i in c.instances}["instance18"] == 8192  # oper_ram null -> maxmem
    assert c.cluster_tags == ("htools:iextags:test", "htools:iextags:service-group")
    assert [p.owner for p in c.ipolicies] == ["", "default"] and c.has_policy_section
    cpol, gpol = c.ipolicies
    assert cpol.minmax[0][0].disk_size == 128 and gpol.minmax[0][0].disk_size == 1024
    assert gpol.minmax[0][1].spindle_use == 8 and gpol.disk_templates[:2] == ("sharedfile", "diskless")
    assert (gpol.vcpu_ratio, gpol.spindle_ratio) == (4.0, 32.0)


def test_all_source_forms_agree(small: Path) -> None:
    c = read_rapi(small)
    assert read_rapi(str(small / "nodes.json")) == c
    assert read_rapi(f"file://{small}") == c
    assert load(small) == c and load(small / "info.json") == c
    log: list = []
    with serve(small, log) as url:
        assert read_rapi(url + "/") == c and load(url) == c
    paths = ["/2/groups?bulk=1", "/2/nodes?bulk=1", "/2/instances?bulk=1", "/2/info"]
    assert [p for _, p, _ in log] == paths * 2
    assert {m for m, _, _ in log} == {"GET"}


# ------------------------------------------------------------------------------ parity with hbal


@needs_hbal
def test_hbal_parity_small_dump(small: Path) -> None:
    assert f"{assert_parity(small):.8f}" == "2.59242628"  # what hbal 3.0.2 prints for it


@needs_hbal
def test_hbal_parity_testsuite_dump(dump: Path) -> None:
    score = assert_parity(dump)
    assert f"{score:.8f}" == f"{ISSUE_SCORE:.8f}"


def _drained_down_tag(d: dict) -> None:
    d["nodes.json"][3]["drained"] = True
    d["instances.json"][0]["status"] = "ADMIN_down"
    d["instances.json"][2]["status"] = "running"  # instance4 (oper_ram null -> maxmem)
    d["info.json"]["tags"].append("custom:tag")


def _kvm(d: dict) -> None:
    d["info.json"]["default_hypervisor"] = "kvm"


def _offline_not_vm_capable(d: dict) -> None:
    n1, n2 = d["nodes.json"][0], d["nodes.json"][1]
    n1["vm_capable"], n2["offline"] = False, True
    for n in (n1, n2):
        for k in ("mtotal", "mnode", "mfree", "dtotal", "dfree", "ctotal", "cnos"):
            del n[k]
    d["groups.json"][0]["uuid"] = rapi.DEFAULT_GROUP_UUID
    for n in d["nodes.json"][:2]:
        n["group.uuid"] = rapi.DEFAULT_GROUP_UUID
    del d["nodes.json"][2]["group.uuid"]  # missing or null: the default group UUID
    d["nodes.json"][3]["group.uuid"] = None


def _oper_ram_excl_storage_rounding(d: dict) -> None:
    for n in d["nodes.json"]:
        n["ndparams"]["exclusive_storage"], n["sptotal"], n["spfree"] = True, 12, 9
    d["nodes.json"][1]["mfree"] = 12000.5  # Haskell Int: round half to even -> 12000 (below mtotal 16384)
    for k, i in enumerate(d["instances.json"]):
        i["disk.spindles"] = [None] if k == 3 else [2] * len(i["disk.sizes"])
    d["instances.json"][1] |= {"oper_ram": 1024, "status": "running"}
    d["instances.json"][4]["forthcoming"] = True


def _n1_failure(d: dict) -> None:
    d["instances.json"][4]["beparams"]["maxmem"] = 40000  # app1 (secondary n4, 32 GiB): n4 cannot take it
    d["instances.json"][4]["oper_ram"] = None  # no runtime memory reported: maxmem counts


@needs_hbal
@pytest.mark.parametrize("change", [_drained_down_tag, _kvm, _offline_not_vm_capable,
                                    _oper_ram_excl_storage_rounding, _n1_failure])
def test_hbal_parity_modified_dump(small: Path, tmp_path: Path, change) -> None:
    d = copy_dump(small, tmp_path / "dump")
    change(d)
    out = write_dump(d)
    assert_parity(out)
    c = read_rapi(out)
    if change is _n1_failure:
        assert score_cluster(c).n1_fail_nodes == ("n4.example.org",)
    if change is _kvm:
        assert {n.n_mem for n in c.nodes} == {4096}
    if change is _drained_down_tag:
        assert c.nodes[3].offline and c.nodes[3].master and c.cluster_tags[-1] == "custom:tag"
    if change is _offline_not_vm_capable:
        assert [n.offline for n in c.nodes] == [True, True, False, False]
        assert (c.nodes[0].t_mem, c.nodes[0].nos_cpu, c.nodes[0].spindles) == (0.0, 0, 1)
        assert {n.group for n in c.nodes} == {rapi.DEFAULT_GROUP_UUID}
    if change is _oper_ram_excl_storage_rounding:
        assert c.nodes[1].f_mem == 12000 and c.nodes[0].spindles == 12 and c.nodes[0].free_spindles == 9
        assert c.instances[1].mem == 1024 and c.instances[3].spindles is None
        assert c.instances[0].spindles == 2 and c.instances[4].forthcoming


# ------------------------------------------------------------------------------ credentials, TLS


def test_basic_auth_from_env(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_RAPI_USER", "alice")
    monkeypatch.setenv("PLANNER_RAPI_PASSWORD", "s3cret")
    log: list = []
    with serve(small, log) as url:
        read_rapi(url)
    want = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert len(log) == 4 and {a for _, _, a in log} == {want}


def test_basic_auth_from_netrc(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_RAPI_USER", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login bob password pw\n")
    (tmp_path / ".netrc").chmod(0o600)
    log: list = []
    with serve(small, log) as url:
        read_rapi(url)
    assert {a for _, _, a in log} == {"Basic " + base64.b64encode(b"bob:pw").decode()}


def test_no_credentials(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_RAPI_USER", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    log: list = []
    with serve(small, log) as url:
        read_rapi(url)
    assert {a for _, _, a in log} == {None}


def test_verify_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_RAPI_VERIFY", raising=False)
    assert rapi.tls_verify_setting(None) is True and rapi.tls_verify_setting(False) is False
    monkeypatch.setenv("PLANNER_RAPI_VERIFY", "0")
    assert rapi.tls_verify_setting(None) is False and rapi.tls_verify_setting("/ca.pem") == "/ca.pem"
    monkeypatch.setenv("PLANNER_RAPI_VERIFY", "/etc/ca.pem")
    assert rapi.tls_verify_setting(None) == "/etc/ca.pem"


# ------------------------------------------------------------------------------ errors


def _error(source, **kw) -> str:
    with pytest.raises(PlannerError) as ei:
        read_rapi(source, **kw)
    msg = str(ei.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["nodes.json"][0].pop("mtotal"), "nodes.json: node 'n1.example.org': missing field 'mtotal'"),
    (lambda d: d["nodes.json"][0].update(mfree="x"), "node 'n1.example.org': field 'mfree': expected an integer"),
    (lambda d: d["nodes.json"][0].update({"group.uuid": "nope"}), "unknown group 'nope'"),
    (lambda d: d["instances.json"][0].update(pnode="ghost"),
     "instances.json: instance 'web1.example.org': field 'pnode': unknown node 'ghost'"),
    (lambda d: d["instances.json"][0].update(snodes=["ghost"]), "field 'snodes': unknown node 'ghost'"),
    (lambda d: d["instances.json"][0].update(status="weird"), "field 'status': invalid value 'weird'"),
    (lambda d: d["instances.json"][0].pop("oper_ram"), "missing field 'oper_ram'"),
    (lambda d: d["info.json"].update(master="ghost"), "info.json: master node 'ghost' unknown"),
    (lambda d: d["info.json"]["ipolicy"]["std"].pop("cpu-count"), "ipolicy: std: missing field 'cpu-count'"),
    (lambda d: d["groups.json"][0].update(alloc_policy="maybe"), "group 'default': field 'alloc_policy'"),
])
def test_bad_dump(small: Path, tmp_path: Path, change, expected: str) -> None:
    d = copy_dump(small, tmp_path / "dump")
    change(d)
    out = write_dump(d)
    assert expected in _error(out)
    with serve(out) as url:
        msg = _error(url)
    assert msg.startswith(url) and expected.split(": ", 1)[-1] in msg


def test_bad_files(small: Path, tmp_path: Path) -> None:
    d = tmp_path / "dump"
    shutil.copytree(small, d)
    (d / "groups.json").write_text("[{")
    assert "groups.json: invalid JSON" in _error(d)
    (d / "info.json").unlink()
    shutil.copy(small / "groups.json", d / "groups.json")
    assert _error(d) == f"{d}: info.json: No such file or directory"
    assert "no such file" in _error(tmp_path / "missing")
    (tmp_path / "x.data").write_text("")
    assert "not a RAPI dump" in _error(tmp_path / "x.data")


def test_http_errors(small: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "cannot connect: [Errno 111] Connection refused" in _error(f"http://127.0.0.1:{port}", timeout=5)
    with serve(small, status=401) as url:
        assert _error(url) == f"{url}: GET /2/groups?bulk=1: HTTP 401 Unauthorized"
    with serve(small, delay=2.0) as url:
        assert "timed out after 0.3 s" in _error(url, timeout=0.3)


def test_requests_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "requests", None)
    assert "needs the 'requests' package" in _error("http://127.0.0.1:9")
