"""The greedy purchase baseline against real hspace: with the nodes it buys hspace places the whole
forecast, with one node fewer it does not."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from planner.engine.summary import score_group
from planner.io.htools_text import read_text
from planner.io.htools_write import save_text
from planner.scenario.catalog import load_catalog
from planner.scenario.changes import add_nodes
from planner.scenario.purchase import greedy_purchase
from tests.helpers import HSPACE, oracle

MIMIC = Path(__file__).parent.parent / "scenarios" / "new-node-small-5n-73i-mimic.data"


def _hspace(path: Path, spec: str, template: str) -> int:
    out = subprocess.run([HSPACE or "hspace", "-t", str(path), "--standard-alloc", spec, "--disk-template",
                          template, "--machine-readable"], capture_output=True, text=True, timeout=120).stdout
    return int(re.search(r"^HTS_ALLOC_INSTANCES=(\d+)$", out, re.M).group(1))


@oracle("hspace")
def test_greedy_purchase_is_the_fewest_nodes_real_hspace_needs(tmp_path: Path) -> None:
    cat = load_catalog()
    model, flavor = cat.model("mimic-128"), cat.flavor("mimic")
    spec = f"{flavor.disk},{flavor.memory},{flavor.vcpus}"
    c = read_text(MIMIC)
    want = _hspace(MIMIC, spec, flavor.disk_template) + 40
    p = greedy_purchase(c, model, [(flavor, want)])
    assert p.nodes >= 1 and p.price == p.nodes * model.price
    assert len(p.cluster.instances) == len(c.instances) + want
    assert not score_group(p.cluster).n1_fail_nodes
    save_text(add_nodes(c, model, p.nodes), tmp_path / "n.data")
    assert _hspace(tmp_path / "n.data", spec, flavor.disk_template) >= want
    save_text(add_nodes(c, model, p.nodes - 1), tmp_path / "m.data")
    assert _hspace(tmp_path / "m.data", spec, flavor.disk_template) < want
