"""The session's one real Ganeti virtual cluster (skipped with a reason when it cannot be built)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.live.vcluster import VCluster, missing

#: (name, disk template, node, MiB, vCPUs, running)
INSTANCES = [("s1", "sharedfile", "node1", 256, 1, True), ("s2", "sharedfile", "node1", 256, 1, True),
             ("s3", "sharedfile", "node1", 128, 1, False), ("s4", "sharedfile", "node2", 256, 1, True),
             ("d1", "diskless", "node2", 128, 1, True)]
TIMES = Path(os.environ.get("PLANNER_VCLUSTER_LOG", "/tmp/planner-vcluster-times.json"))


def _leftovers(c: VCluster) -> list[str]:
    """Processes whose command line names the scratch root or the namespace (there must be none)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and int(p.name) != os.getpid():
            try:
                cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(c.root) in cmd or f"netns exec {c.name} " in cmd:
                out.append(f"{p.name}: {cmd[:120]}")
    return out


@pytest.fixture(scope="package")
def vc():  # package, not session: torn down as soon as tests/live ends, before any later test can time out
    why = missing()
    if why or os.environ.get("PLANNER_NO_VCLUSTER"):
        pytest.skip(f"no Ganeti virtual cluster: {why or 'PLANNER_NO_VCLUSTER is set'}")
    attach = os.environ.get("PLANNER_VCLUSTER_ATTACH")  # NAME:ROOT of a cluster kept up by hand (debugging)
    if attach:
        name, root = attach.split(":", 1)
        yield VCluster(name=name, root=root)
        return
    hosts = Path("/etc/hosts").read_bytes()
    c = VCluster(name=f"plnvc{os.getpid() % 100000}")
    try:
        c.up(INSTANCES)
        yield c
    finally:
        left = c.down()
        TIMES.write_text(json.dumps(c.times, indent=1))
        assert not left, f"processes left in the namespace: {left}"
        assert not _leftovers(c), _leftovers(c)
        assert not Path(f"/run/netns/{c.name}").exists() and not c.etc.exists() and not c.root.exists()
        assert Path("/etc/hosts").read_bytes() == hosts
